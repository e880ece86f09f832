"""Make-style builds: what is stale and why, the manifest, and the processes that render."""
