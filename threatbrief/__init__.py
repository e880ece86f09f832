"""threatbrief: sourced threat assessments in YAML -> checked citations, charts, HTML and PDF."""

__version__ = "0.1.0"

# What `build.py` checks for before it imports anything else (find_spec does not import them).
REQUIRED_MODULES = ("yaml", "jinja2", "markdown", "nh3", "rapidfuzz", "jsonschema", "fastjsonschema",
                    "matplotlib", "weasyprint")
