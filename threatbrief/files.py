"""Reading a project file safely: a regular file, of bounded size, never blocking.

A project's files come from many hands; a "source" may be a FIFO (reading it hangs), a device
(`/dev/zero` never ends) or swapped for one between a check and the read. So files are opened
without blocking and judged on the open descriptor, and at most `max_bytes` are read.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from functools import lru_cache
from pathlib import Path


class NotReadable(Exception):
    """Why a file was not read: 'missing', 'a directory', 'not a regular file', a size, an OS error."""


class IsLink(NotReadable):
    """A symbolic link where `follow=False` asked for none (the caller then judges where it leads)."""

    def __init__(self) -> None:
        super().__init__("a symbolic link")


def read_regular(path: Path | str, max_bytes: int) -> bytes:
    """The bytes of a regular file of at most `max_bytes`; NotReadable (with the reason) otherwise."""
    return read_regular_stat(path, max_bytes)[0]


def read_regular_stat(path: Path | str, max_bytes: int, follow: bool = True) -> tuple[bytes, os.stat_result]:
    """`read_regular`, with the file's status as it was when opened (before reading: a change
    made while it is read moves its stamp). One open, one fstat, plain reads: a check reads
    thousands of sources. `follow=False`: IsLink if the last part of `path` is a symbolic link."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        if not hasattr(os, "O_NOFOLLOW"):
            raise IsLink  # cannot tell without a look: the caller resolves the path
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise NotReadable("missing") from None
    except IsADirectoryError:
        raise NotReadable("a directory") from None
    except OSError as exc:
        if not follow and exc.errno == errno.ELOOP:
            raise IsLink from None
        raise NotReadable(exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise NotReadable("a directory")
        if not stat.S_ISREG(info.st_mode):
            raise NotReadable("not a regular file")
        if info.st_size > max_bytes:
            raise NotReadable(f"{info.st_size:,} bytes; the limit is {max_bytes:,}")
        chunks = [os.read(fd, min(info.st_size, max_bytes) + 1)]
        size = len(chunks[0])
        while chunks[-1] and size <= max_bytes:  # a file that grew since fstat, or a short read
            chunks.append(os.read(fd, max_bytes + 1 - size))
            size += len(chunks[-1])
        if size > max_bytes:
            raise NotReadable(f"more than {max_bytes:,} bytes; the limit is {max_bytes:,}")
        return (chunks[0] if len(chunks) <= 2 and not chunks[-1] else b"".join(chunks)), info
    except OSError as exc:
        raise NotReadable(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


Stamp = tuple[int, int, int, int]  # inode, size, mtime_ns, ctime_ns: a file not touched since


def stamp_of(status: os.stat_result) -> Stamp:
    return (status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)


@lru_cache(maxsize=1)
def code_digest() -> str:
    """One digest of the tool's own code, schemas and built-in templates: a change rebuilds everything
    and voids every cache."""
    package = Path(__file__).parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".json", ".j2", ".css", ".svg") and "__pycache__" not in path.parts:
            h.update(path.relative_to(package).as_posix().encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()
