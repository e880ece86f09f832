"""Check (and on Debian/Ubuntu as root, install) what WeasyPrint needs from the system.

Run by `make` with the system Python before the virtualenv exists, so it uses only the
standard library. WeasyPrint draws text with Pango/HarfBuzz through cffi; without them
`import weasyprint` fails with an obscure OSError, so we say what is missing and how to fix it.
"""

from __future__ import annotations

import ctypes.util
import os
import shutil
import subprocess
import sys

# shared library name -> Debian/Ubuntu package providing it
LIBRARIES = {
    "gobject-2.0": "libglib2.0-0",
    "pango-1.0": "libpango-1.0-0",
    "pangoft2-1.0": "libpangoft2-1.0-0",
    "harfbuzz": "libharfbuzz0b",
    "harfbuzz-subset": "libharfbuzz-subset0",  # font subsetting; WeasyPrint will require it
    "fontconfig": "libfontconfig1",
}
# font file -> Debian/Ubuntu package: the briefings' Latin text, and quotes in Chinese (and
# Japanese, Korean) and in Arabic script (Pashto, Dari, Urdu, Arabic)
FONTS = {
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf": "fonts-dejavu-core",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc": "fonts-noto-cjk",
    "/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf": "fonts-noto-core",
}


def missing_packages() -> list[str]:
    missing = [pkg for lib, pkg in LIBRARIES.items() if ctypes.util.find_library(lib) is None]
    missing += [pkg for font, pkg in FONTS.items() if not os.path.isfile(font)]
    if not _has_venv():
        missing.append(f"python{sys.version_info.major}.{sys.version_info.minor}-venv")
    return missing


def _has_venv() -> bool:
    try:
        import ensurepip  # noqa: F401  (Debian splits it out into pythonX.Y-venv)
        import venv  # noqa: F401
    except ImportError:
        return False
    return True


def main() -> int:
    if sys.version_info < (3, 11):
        print(f"error: threatbrief needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]}", file=sys.stderr)
        return 1
    missing = missing_packages()
    if not missing:
        return 0
    command = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    print(f"threatbrief needs these system packages for WeasyPrint (PDF), its fonts and the virtualenv: {' '.join(missing)}")
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing them: apt-get update && {' '.join(command)}")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        ok = subprocess.run(["apt-get", "update", "-qq"], env=env).returncode == 0
        ok = ok and subprocess.run(command, env=env).returncode == 0
        if ok and not missing_packages():
            return 0
    print(f"error: install them, then run make again:\n    sudo {' '.join(command)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
