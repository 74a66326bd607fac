"""Atomic file writes, the one writer every module uses: a temporary file in the target
folder, flushed and fsync'ed, then renamed, then the folder fsync'ed.

An interrupted run never leaves a half-written file that looks whole, and a finished
write survives a crash of the machine.  Any operating-system failure (permission, disk
full, file too large, missing parent) is one :class:`~nlp.errors.OutputError` line naming the file.  Temporary files are named ``.NAME.tmp-XXXX``
(``TMP_MARK`` in the name), so a later run can recognise and remove stale ones.  The
finished file gets the usual permissions (``mkstemp`` makes it private).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import OutputError, os_error_line

TMP_MARK = ".tmp-"


def fsync_dir(path: str | Path) -> None:
    """fsync a folder so that a rename inside it is durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_open(p) as fh:
    ...     _ = fh.write("미국")
    >>> p.read_text(encoding="utf-8")
    '미국'
    """
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}{TMP_MARK}")
    except OSError as exc:
        raise OutputError(f"cannot write {os_error_line(exc, exc.filename or p)}") from None
    try:
        kw = {} if "b" in mode else {"encoding": "utf-8", "newline": newline}
        with os.fdopen(fd, mode, **kw) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
        fsync_dir(p.parent)
    except OSError as exc:  # disk full, file too large, permission: one line naming the file
        Path(tmp).unlink(missing_ok=True)
        raise OutputError(f"cannot write {os_error_line(exc, p)}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str, newline: str | None = None) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically; returns the path."""
    with atomic_open(path, "w", newline=newline) as fh:
        fh.write(text)
    return Path(path)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; returns the path."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return Path(path)
