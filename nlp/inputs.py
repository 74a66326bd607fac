"""Documents from input: Python strings, bytes and files become :class:`~nlp.document.Document` values.

Any problem with the input (undecodable bytes, a directory, a file over the size limit)
becomes an error document, never an exception, so a batch always yields one record per input.
"""

from __future__ import annotations

from pathlib import Path

from .document import Document, Source
from .errors import InputError
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


def document_from_path(path: str | Path, doc_id: str | None = None) -> Document:
    """Read one file; any problem becomes an error document, never an exception."""
    p = Path(path)
    did = doc_id or p.stem or str(p)
    try:
        if p.is_dir():
            raise InputError(f"{p}: is a directory, not a file")
        size = p.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise InputError(f"{p}: {size:,} bytes is over the {MAX_INPUT_BYTES:,}-byte limit for one document")
        data = p.read_bytes()
    except FileNotFoundError:
        return Document(id=did, source=Source(str(p), None), status="error", error=f"{p}: no such file")
    except InputError as exc:
        return Document(id=did, source=Source(str(p), None), status="error", error=str(exc))
    except OSError as exc:
        return Document(id=did, source=Source(str(p), None), status="error", error=f"{p}: {exc.strerror}")
    return document_from_bytes(data, did, str(p))
