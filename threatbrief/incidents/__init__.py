"""The project-wide incident dataset: each event recorded once, under incidents/."""
