#!/usr/bin/env python3
"""threatbrief entry point: `python build.py [build|check|clean|rules] …` (see --help)."""

import importlib.util
import sys

from threatbrief import REQUIRED_MODULES

missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
if missing:  # run with a Python that lacks the dependencies: one line, not a traceback
    sys.exit(f"error: {', '.join(missing)} not installed for {sys.executable}: run 'make' first (it creates "
             ".venv and installs threatbrief), then '.venv/bin/python build.py' or 'make'")

from threatbrief.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
