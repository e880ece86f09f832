"""threatbrief: sourced threat assessments in YAML -> checked citations, charts, HTML and PDF."""

__version__ = "0.1.0"
