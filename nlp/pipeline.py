"""Named stages that declare what they require and assign, and the pipeline that runs them.

A stage is a callable ``doc -> doc`` with ``name``, ``requires`` and
``assigns``; ``pipe`` processes a stream (batched stages override it).  A
missing prerequisite is an error when the pipeline is assembled, not deep
inside a run.  Documents with ``status == "error"`` pass through untouched.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from .document import Document, Sentence, Source
from .errors import AnalyzerError, InputError, ModelError, PipelineError
from .textrepair import RepairedText, read_input, repair_text

MAX_INPUT_BYTES = 50 * 1024 * 1024


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most ``size`` items (the last may be shorter).

    >>> list(batched(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class Stage:
    name: str = ""
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()

    def process(self, doc: Document) -> Document:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, doc: Document) -> Document:
        if not doc.ok:
            return doc
        try:
            out = self.process(doc)
        except AnalyzerError as exc:
            return doc.with_error(f"{self.name}: {exc}")
        return replace(out, stages=out.stages + (self.name,), models={**out.models, **self.model_info()})

    def pipe(self, docs: Iterable[Document]) -> Iterator[Document]:
        for d in docs:
            yield self(d)

    def model_info(self) -> dict[str, str]:
        return {}


# --------------------------------------------------------------------------- documents from input

def document_from_repaired(doc_id: str, rep: RepairedText, path: str | None = None,
                           metadata: dict | None = None) -> Document:
    return Document(
        id=doc_id, text=rep.text, source=Source(path, rep.encoding, rep.layout),
        paragraphs=tuple((b.start, b.end, b.kind) for b in rep.blocks), metadata=metadata or {},
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


# --------------------------------------------------------------------------- tokenization stage

class Tokenizer(Stage):
    """Sentences and morphemes from Kiwi, one pass, batched across documents."""

    name = "tokenize"
    requires = ("text",)
    assigns = ("sentences", "morphemes")

    def __init__(self, batch_docs: int = 64) -> None:
        self.batch_docs = batch_docs

    def model_info(self) -> dict[str, str]:
        from .tokenize import kiwi_version

        return {"tokenizer": f"kiwipiepy-{kiwi_version()}"}

    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document]) -> Iterator[Document]:
        from .tokenize import tokenize_blocks

        info = self.model_info()
        for chunk in batched(docs, self.batch_docs):
            blocks = [(i, k, p[0], p[1]) for i, d in enumerate(chunk) if d.ok for k, p in enumerate(d.paragraphs)]
            results = tokenize_blocks((chunk[i].text[a:b] for i, _k, a, b in blocks), (a for _i, _k, a, _b in blocks))
            per_doc: dict[int, list[Sentence]] = {}
            for (i, k, _a, _b), sents in zip(blocks, results):
                text = chunk[i].text
                out = per_doc.setdefault(i, [])
                for s, e, morphs in sents:
                    out.append(Sentence(len(out), s, e, text[s:e], k, morphs))
            for i, d in enumerate(chunk):
                if not d.ok:
                    yield d
                    continue
                yield replace(d, sentences=tuple(per_doc.get(i, ())), stages=d.stages + (self.name,),
                              models={**d.models, **info})


# --------------------------------------------------------------------------- registry and pipeline

STAGE_ORDER = ("tokenize", "dimensions", "actors", "frames")


def _make_dimensions(**kw) -> Stage:
    from .classify import ClassifierStage

    return ClassifierStage.default("dimensions", explain=kw.get("explain", False))


def _make_frames(**kw) -> Stage:
    from .classify import ClassifierStage

    return ClassifierStage.default("frames", explain=kw.get("explain", False))


def _make_actors(**kw) -> Stage:
    from .actors import ActorStage

    return ActorStage(lexicon_paths=tuple(kw.get("lexicons", ())), nested=kw.get("nested", False))


FACTORIES: dict[str, Callable[..., Stage]] = {
    "tokenize": lambda **kw: Tokenizer(),
    "dimensions": _make_dimensions,
    "actors": _make_actors,
    "frames": _make_frames,
}


class Pipeline:
    """An ordered list of stages, checked for prerequisites at assembly time."""

    def __init__(self, stages: list[Stage], missing: dict[str, str] | None = None) -> None:
        have = {"text"}
        for st in stages:
            lacking = [r for r in st.requires if r not in have]
            if lacking:
                raise PipelineError(f"stage {st.name!r} requires {', '.join(lacking)}, which no earlier stage "
                                    f"assigns; order: {', '.join(s.name for s in stages)}")
            have.update(st.assigns)
        self.stages = stages
        self.missing = dict(missing or {})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    @classmethod
    def default(cls, stages: Iterable[str] = STAGE_ORDER, strict: bool = False, **kw) -> Pipeline:
        """Build the named stages; stages that cannot be built are listed as not installed.

        With ``strict`` a stage that cannot be built raises instead.
        """
        built, missing = [], {}
        for name in stages:
            if name not in FACTORIES:
                raise PipelineError(f"unknown stage {name!r}; known: {', '.join(STAGE_ORDER)}")
            try:
                built.append(FACTORIES[name](**kw))
            except (ImportError, ModelError, FileNotFoundError) as exc:
                if strict:
                    raise ModelError(f"stage {name!r} is not installed: {exc}") from exc
                missing[name] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return cls(built, missing)

    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document]) -> Iterator[Document]:
        stream: Iterable[Document] = docs
        for st in self.stages:
            stream = st.pipe(stream)
        return iter(stream)

    def all_stage_names(self) -> tuple[str, ...]:
        return tuple(STAGE_ORDER)
