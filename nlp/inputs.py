"""Documents from input: Python strings, bytes and files become :class:`~nlp.document.Document` values.

Any problem with the input (undecodable bytes, a directory, a file over the size limit)
becomes an error document, never an exception, so a batch always yields one record per input.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .document import Document, Source
from .errors import InputError, display_path
from .textrepair import RepairedText, read_input, repair_text

MAX_INPUT_BYTES = 50 * 1024 * 1024


def document_from_repaired(doc_id: str, rep: RepairedText, path: str | None = None,
                           metadata: dict | None = None) -> Document:
    """A document from already repaired text (paragraph blocks and the offset maps come with it).

    A web page's own metadata (title, date, outlet, author) fills the metadata keys the caller
    did not give."""
    return Document(
        id=doc_id, text=rep.text, source=Source(path, rep.encoding, rep.layout),
        paragraphs=tuple((b.start, b.end, b.kind) for b in rep.blocks),
        metadata={**getattr(rep, "metadata", {}), **(metadata or {})},
        repaired=rep, stages=("repair",),
    )


def document_from_text(text: str, doc_id: str = "doc", metadata: dict | None = None,
                       name: str = "") -> Document:
    """A document from a Python string (already decoded).

    >>> document_from_text("미국과 중국.", "d1").paragraphs
    ((0, 7, 'paragraph'),)
    """
    try:
        rep = repair_text(text, "str", name)
    except InputError as exc:
        return Document(id=doc_id, source=Source(name or None, "str"), metadata=metadata or {},
                        status="error", error=str(exc))
    return document_from_repaired(doc_id, rep, name or None, metadata)


def document_from_bytes(data: bytes, doc_id: str, name: str, metadata: dict | None = None) -> Document:
    """A document from raw bytes (encoding detected, text repaired); errors become error documents."""
    try:
        rep = read_input(data, name)
    except InputError as exc:
        return Document(id=doc_id, source=Source(name, None), metadata=metadata or {}, status="error",
                        error=str(exc))
    return document_from_repaired(doc_id, rep, name, metadata)


def _special_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def read_file_bytes(path: str | Path, max_bytes: int = MAX_INPUT_BYTES, name: str | None = None) -> bytes:
    """The bytes of one regular file, at most ``max_bytes``; :class:`InputError` (one line) otherwise.

    FIFOs, devices, sockets and directories (also behind a symlink) are refused before they are
    opened, so reading never blocks; the limit holds even for a file that grows while it is read.
    """
    p = Path(path)
    shown = display_path(name if name is not None else p)
    try:
        st = os.stat(p)  # follows symlinks: a link to a FIFO is a FIFO
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file (or a broken symlink)") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = _special_kind(st.st_mode)
        raise InputError(f"{shown}: is {kind}, not a regular file; skipped")
    if st.st_size > max_bytes:
        raise InputError(f"{shown}: {st.st_size:,} bytes is over the {max_bytes:,}-byte limit for one document")
    try:
        with open(p, "rb") as fh:
            return read_stream(fh, shown, max_bytes)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror or exc})") from None


def read_stream(fh: BinaryIO | None, name: str = "<stdin>", max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    """Read a binary stream (standard input, a pipe) up to ``max_bytes``; more is an :class:`InputError`.

    A closed or missing stream is an :class:`InputError` too, never a traceback.

    >>> import io
    >>> read_stream(io.BytesIO(b"abc"), "<stdin>", 2)
    Traceback (most recent call last):
    ...
    nlp.errors.InputError: <stdin>: more than 2 bytes; over the 2-byte limit for one document
    """
    if fh is None:
        raise InputError(f"{name}: closed; nothing to read")
    chunks, total = [], 0
    try:
        while True:
            chunk = fh.read(min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise InputError(f"{name}: more than {max_bytes:,} bytes; over the {max_bytes:,}-byte limit for "
                                 "one document")
    except (OSError, ValueError) as exc:  # EBADF on a closed descriptor, "I/O operation on closed file"
        raise InputError(f"{name}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    return b"".join(chunks)


def document_from_stream(fh: BinaryIO | None, doc_id: str = "stdin", name: str = "<stdin>",
                         max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """A document from a binary stream (standard input, a pipe); problems become an error document."""
    try:
        data = read_stream(fh, name, max_bytes)
    except InputError as exc:
        return Document(id=doc_id, source=Source(name, None), status="error", error=str(exc))
    return document_from_bytes(data, doc_id, name)


def document_from_path(path: str | Path, doc_id: str | None = None, max_bytes: int = MAX_INPUT_BYTES) -> Document:
    """Read one file; any problem (missing, special file, too large) becomes an error document, never an exception."""
    p = Path(path)
    did = doc_id or p.stem or str(p)
    try:
        data = read_file_bytes(p, max_bytes)
    except InputError as exc:
        return Document(id=did, source=Source(str(p), None), status="error", error=str(exc))
    return document_from_bytes(data, did, str(p))
