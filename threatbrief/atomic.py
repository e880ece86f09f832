"""Writing outputs so that a reader, or the next build, never sees half a file."""

from __future__ import annotations

import os
from pathlib import Path


class BuildError(Exception):
    """An output could not be written (disk full, read-only reports/): reported, never a traceback."""


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new, never half."""
    import tempfile  # imported here: a build with nothing to do writes nothing

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise BuildError(f"cannot write to {path.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise BuildError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
