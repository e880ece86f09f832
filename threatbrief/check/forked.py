"""One piece of work done in a forked process while this one goes on with another.

`check` needs the parsed registry before it can check any assessment, and a registry of 10,000
sources takes about 0.7 s to parse, with the second core idle. Forked, that parse overlaps the
parsing of the assessment files in this process; the result comes back pickled through a pipe
(about a tenth of the parse's time: a pipe between a process and its own fork, not a cache).
A child that dies or fails leaves the work to be done here, where its errors are reported as usual.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    import multiprocessing

    return os.name == "posix" and "fork" in multiprocessing.get_all_start_methods()


class Forked(Generic[T]):
    """`work()` running in a forked child; `result()` waits for it (or does it here after all)."""

    def __init__(self, work: Callable[[], T]) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._work = work
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(work, writer), daemon=True)
        self._process.start()
        writer.close()

    def ready(self) -> bool:
        """Whether `result()` would not wait (the child answered, or is gone)."""
        return self._reader.poll() or not self._process.is_alive()

    def result(self) -> T:
        try:
            done, value = self._reader.recv()
        except (EOFError, OSError, ValueError):
            done, value = False, None
        finally:
            self._reader.close()
        self._process.join()
        return value if done else self._work()


def _run(work: Callable[[], Any], writer: Any) -> None:
    try:
        value = work()
    except BaseException:  # noqa: BLE001 - the parent does the work again and reports it there
        writer.send((False, None))
    else:
        writer.send((True, value))
    finally:
        writer.close()
