"""Reading a project file safely: a regular file, of bounded size, never blocking.

A project's files come from many hands; a "source" may be a FIFO (reading it hangs), a device
(`/dev/zero` never ends) or swapped for one between a check and the read. So files are opened
without blocking and judged on the open descriptor, and at most `max_bytes` are read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotReadable(Exception):
    """Why a file was not read: 'missing', 'a directory', 'not a regular file', a size, an OS error."""


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; NotReadable (with the reason) otherwise."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotReadable("missing") from None
    except IsADirectoryError:
        raise NotReadable("a directory") from None
    except OSError as exc:
        raise NotReadable(exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotReadable("a directory")
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable("not a regular file")
        if info.st_size > max_bytes:
            raise NotReadable(f"{info.st_size:,} bytes; the limit is {max_bytes:,}")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise NotReadable(f"more than {max_bytes:,} bytes; the limit is {max_bytes:,}")
        return data
    except OSError as exc:
        raise NotReadable(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
