"""`check`: every rule over the loaded assessments, registry and incidents, and its caches and output formats."""
