#!/usr/bin/env python3
"""threatbrief entry point: `python build.py [build|check|clean|rules] …` (see --help)."""

import sys

from threatbrief.cli import main

if __name__ == "__main__":
    sys.exit(main())
