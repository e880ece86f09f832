"""Signed cache entries: what a project's `.threatbrief/cache/` may hold and still be trusted.

A cache inside the repository could be committed by anyone who can open a pull request: a forged
extraction would make a fabricated quote pass, a forged chart would put an image nobody drew into
a briefing. So every entry is signed (HMAC-SHA256) with a key kept outside the project, in the
user's cache folder (`$XDG_CACHE_HOME/threatbrief/cache.key`), and an entry without a valid
signature is ignored (and replaced). Each kind of entry signs under its own purpose, so a valid
entry of one cache cannot be passed off as an entry of another. Without a usable key nothing is
cached: slower, never wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from threatbrief.atomic import BuildError, write_atomic
from threatbrief.files import NotReadable, read_regular

_IGNORE_ALL = "# Written by threatbrief: caches, rebuilt when missing. Not committed.\n*\n"


def key_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "threatbrief" / "cache.key"


KEY_VARIABLE = "THREATBRIEF_CACHE_KEY"  # a key given by CI (a secret), the same on every runner


def signing_key() -> bytes | None:
    """This user's key for signing cache entries: $THREATBRIEF_CACHE_KEY when it is set (32
    characters or more), else one made on first use in the user's cache folder; None if it cannot
    be kept."""
    given = os.environ.get(KEY_VARIABLE, "")
    if len(given) >= 32:
        return given.encode("utf-8", "surrogateescape")
    path = key_file()
    try:
        key = read_regular(path, 1024)
        if len(key) >= 32:
            return key
    except NotReadable:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it meanwhile
        try:
            key = read_regular(path, 1024)
        except NotReadable:
            return None
        return key if len(key) >= 32 else None
    except OSError:
        return None
    key = secrets.token_hex(32).encode("ascii")
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def signature(key: bytes, purpose: str, body: bytes) -> bytes:
    """The hex HMAC of `body` under `purpose` (domain separation between caches)."""
    return hmac.new(key, purpose.encode("ascii") + b"\0" + body, hashlib.sha256).hexdigest().encode("ascii")


def seal(key: bytes, purpose: str, body: bytes) -> bytes:
    """An entry as stored: its signature on the first line, then the body."""
    return signature(key, purpose, body) + b"\n" + body


def unseal(key: bytes, purpose: str, raw: bytes) -> bytes | None:
    """The body of a stored entry, or None when its signature is not this user's for `purpose`."""
    mac, newline, body = raw.partition(b"\n")
    if not newline or not hmac.compare_digest(mac, signature(key, purpose, body)):
        return None
    return body


def read_sealed(path: Path, key: bytes, purpose: str, limit: int) -> bytes | None:
    """The verified body of the entry at `path`, or None (missing, too large, unsigned, forged)."""
    try:
        return unseal(key, purpose, read_regular(path, limit))
    except NotReadable:
        return None


def write_sealed(path: Path, key: bytes, purpose: str, body: bytes) -> bool:
    """Store a signed entry (temporary file, then rename) in a folder of the cache, which git-ignores
    itself; False when it cannot be written (a read-only checkout: the next run does the work again)."""
    try:
        ignore = path.parent.parent / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, _IGNORE_ALL.encode("utf-8"))
        write_atomic(path, seal(key, purpose, body))
    except BuildError:
        return False
    return True
