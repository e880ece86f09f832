"""Checked model objects -> charts, HTML, PDF and exports: no rule runs here."""
