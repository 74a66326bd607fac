"""One writer per output folder: an exclusive lock held for the whole run.

The lock is ``fcntl.flock`` on ``OUT/.kdiscourse.lock``; the file holds the pid and host
of the process that holds it, so a refused run names the other process.  The kernel
drops the lock when its holder exits, even after ``kill -9``, so a stale lock file never
blocks a later run; a run that ends normally removes the file.
"""

from __future__ import annotations

import fcntl
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import OutputError, os_error_line

LOCK_FILE = ".kdiscourse.lock"
_HELD: set[int] = set()  # descriptors of the locks this process holds


def _close_inherited_locks() -> None:
    """In a forked child (the local engine's workers): close the descriptors of the parent's locks.

    ``flock`` belongs to the open file, which a forked child shares; if the workers kept their
    copies, a parent killed with ``kill -9`` would leave the folder locked until they exit.
    """
    for fd in list(_HELD):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_inherited_locks)


def lock_holder(out_dir: str | Path) -> str:
    """Who holds (or last held) the lock of an output folder: ``pid N on HOST``, or ``unknown``."""
    try:
        text = (Path(out_dir) / LOCK_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return "unknown"
    return text.splitlines()[0][:200] if text else "unknown"


@contextmanager
def folder_lock(out_dir: str | Path) -> Iterator[Path]:
    """Hold the writer lock of ``out_dir`` (created if needed); :class:`OutputError` when another process holds it.

    The lock file is removed when the run ends, so a finished folder holds only results; a
    process that opened the file just before it was removed sees that its file is no longer
    the folder's and tries again, so two writers can never both hold a lock.
    """
    out = Path(out_dir)
    path = out / LOCK_FILE
    while True:
        try:
            out.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(f"cannot write {os_error_line(exc, exc.filename or path)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputError(f"{out}: another kdiscourse process ({lock_holder(out)}) is writing to this folder; "
                              "wait for it to finish or choose another output folder") from None
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the previous holder removed this file after we opened it: take the new one
    _HELD.add(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        yield path
    finally:
        try:
            path.unlink()
        except OSError:
            pass
        _HELD.discard(fd)
        os.close(fd)  # releases the lock
