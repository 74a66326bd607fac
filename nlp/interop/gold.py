"""The team gold format, extended for imported annotations: read, validate, write.

A gold file is team-corpus JSONL (``corpus/team/FORMAT.md``): one document per
line with ``id`` and ``sentences[{text, dimensions, frames}]``.  Annotations
imported from an annotation tool add, all optional:

- per sentence ``index`` (position in the source document), ``start``/``end``
  (character offsets of the sentence in the document text) and
  ``actors[{start, end, id, type, bloc}]`` (offsets *within the sentence text*);
- per document ``annotator`` (one file per annotator).

Files without these fields (the plain team corpus) read as before: offsets and
actors are ``None`` ("not recorded"), which is different from an empty actor
list ("annotated: no actors").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..atomic import atomic_open
from ..errors import InputError
from ..labels import actor_types, blocs, dimension_ids, frame_ids


@dataclass(frozen=True, order=True)
class GoldActor:
    """An actor span; ``start``/``end`` are character offsets within the sentence text."""

    start: int
    end: int
    id: str
    type: str
    bloc: str

    def to_dict(self) -> dict:
        """The JSON form ``{"start", "end", "id", "type", "bloc"}``."""
        return {"start": self.start, "end": self.end, "id": self.id, "type": self.type, "bloc": self.bloc}


@dataclass(frozen=True)
class GoldSentence:
    """One gold sentence: its labels and, when recorded, its offsets and actor spans."""

    text: str
    dimensions: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()
    index: int | None = None
    start: int | None = None
    end: int | None = None
    actors: tuple[GoldActor, ...] | None = None

    def to_dict(self) -> dict:
        """Team-corpus sentence object plus the optional fields that are recorded."""
        d: dict[str, Any] = {}
        if self.index is not None:
            d["index"] = self.index
        if self.start is not None:
            d["start"], d["end"] = self.start, self.end
        d.update(text=self.text, dimensions=list(self.dimensions), frames=list(self.frames))
        if self.actors is not None:
            d["actors"] = [a.to_dict() for a in self.actors]
        return d


@dataclass(frozen=True)
class GoldDocument:
    """One annotated document as one annotator left it."""

    id: str
    sentences: tuple[GoldSentence, ...]
    annotator: str | None = None
    register: str | None = None
    topic: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The JSON line of this document (team-corpus fields first)."""
        d: dict[str, Any] = {"id": self.id}
        if self.register is not None:
            d["register"] = self.register
        if self.topic is not None:
            d["topic"] = self.topic
        if self.annotator is not None:
            d["annotator"] = self.annotator
        d.update(self.extra)
        d["sentences"] = [s.to_dict() for s in self.sentences]
        return d


def ordered_labels(labels: Iterable[str], task: str) -> tuple[str, ...]:
    """Labels of ``task`` (``dimensions`` or ``frames``) de-duplicated, in codebook order.

    Raises :class:`InputError` on a label the codebook does not define.

    >>> ordered_labels(["diplomacy_arms", "tech_platform", "tech_platform"], "dimensions")
    ('tech_platform', 'diplomacy_arms')
    """
    allowed = dimension_ids() if task == "dimensions" else frame_ids()
    got = set(labels)
    unknown = sorted(got - set(allowed))
    if unknown:
        raise InputError(f"unknown {task} label(s) {unknown}; the codebook allows {list(allowed)}")
    return tuple(x for x in allowed if x in got)


def _actor(d: Mapping[str, Any], where: str, sentence_len: int) -> GoldActor:
    try:
        a = GoldActor(int(d["start"]), int(d["end"]), str(d["id"]), str(d["type"]), str(d["bloc"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: actor needs start, end, id, type, bloc ({exc!r})") from None
    if not 0 <= a.start < a.end <= sentence_len:
        raise InputError(f"{where}: actor span [{a.start}, {a.end}) is outside the sentence (length {sentence_len})")
    if a.type not in actor_types():
        raise InputError(f"{where}: actor type {a.type!r}; allowed {list(actor_types())}")
    if a.bloc not in blocs():
        raise InputError(f"{where}: actor bloc {a.bloc!r}; allowed {list(blocs())}")
    return a


def gold_from_dict(d: Mapping[str, Any], where: str = "<gold>") -> GoldDocument:
    """Validate one JSON document (team format, with or without the extension fields).

    >>> g = gold_from_dict({"id": "d1", "sentences": [{"text": "미국이 나섰다.", "dimensions": [], "frames": []}]})
    >>> g.sentences[0].actors is None, g.annotator is None
    (True, True)
    """
    try:
        did, sents = str(d["id"]), d["sentences"]
    except (KeyError, TypeError) as exc:
        raise InputError(f"{where}: a gold document needs 'id' and 'sentences' ({exc!r})") from None
    out = []
    for i, s in enumerate(sents):
        w = f"{where} document {did!r} sentence {i}"
        if not isinstance(s, Mapping) or not isinstance(s.get("text"), str):
            raise InputError(f"{w}: a sentence needs a 'text' string")
        start, end = s.get("start"), s.get("end")
        if (start is None) != (end is None):
            raise InputError(f"{w}: 'start' and 'end' go together; got start={start!r}, end={end!r}")
        if start is not None and int(end) - int(start) != len(s["text"]):
            raise InputError(f"{w}: end - start = {int(end) - int(start)} but the text has {len(s['text'])} characters")
        actors = s.get("actors")
        out.append(GoldSentence(
            text=s["text"],
            dimensions=ordered_labels(s.get("dimensions", ()), "dimensions"),
            frames=ordered_labels(s.get("frames", ()), "frames"),
            index=None if s.get("index") is None else int(s["index"]),
            start=None if start is None else int(start), end=None if end is None else int(end),
            actors=None if actors is None else tuple(sorted(_actor(a, w, len(s["text"])) for a in actors)),
        ))
    known = {"id", "sentences", "annotator", "register", "topic"}
    return GoldDocument(did, tuple(out), d.get("annotator"), d.get("register"), d.get("topic"),
                        {k: v for k, v in d.items() if k not in known})


def read_gold(path: str | Path) -> list[GoldDocument]:
    """All documents of one gold JSONL file (the team corpus files read too)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read gold file ({exc})") from None
    docs = []
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{p}:{ln}: not JSON ({exc})") from None
        docs.append(gold_from_dict(d, f"{p}:{ln}"))
    return docs


_UNSAFE = re.compile(r"[^\w.@+-]+")


def annotator_filename(annotator: str | None) -> str:
    """A safe file name for an annotator's gold file.

    >>> annotator_filename("kim@example.org"), annotator_filename("박 연구원/2"), annotator_filename(None)
    ('kim@example.org.jsonl', '박_연구원_2.jsonl', 'unknown.jsonl')
    """
    name = _UNSAFE.sub("_", annotator or "").strip("._") or "unknown"
    return f"{name}.jsonl"


def write_gold(docs: Iterable[GoldDocument], out_dir: str | Path) -> dict[str, Path]:
    """Write one JSONL file per annotator into ``out_dir`` (atomically); returns annotator -> path.

    Documents keep their input order inside each file.
    """
    by_annotator: dict[str, list[GoldDocument]] = {}
    for d in docs:
        by_annotator.setdefault(d.annotator or "unknown", []).append(d)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    used: dict[str, str] = {}
    for annotator, items in by_annotator.items():
        name = annotator_filename(annotator)
        if name in used and used[name] != annotator:
            raise InputError(f"annotators {used[name]!r} and {annotator!r} map to the same file name {name!r}")
        used[name] = annotator
        path = out / name
        with atomic_open(path) as fh:
            for d in items:
                fh.write(json.dumps(d.to_dict(), ensure_ascii=False) + "\n")
        paths[annotator] = path
    return paths


def gold_from_document(doc, annotator: str | None = None, sentences: Sequence[int] | None = None) -> GoldDocument:
    """The predictions of a tagged :class:`~nlp.document.Document` written as gold.

    ``sentences`` restricts the output to those sentence indexes.  Actor offsets
    become offsets within their sentence.
    """
    by_sent: dict[int, list[GoldActor]] = {}
    for m in doc.mentions:
        s = doc.sentences[m.sentence]
        by_sent.setdefault(m.sentence, []).append(GoldActor(m.start - s.start, m.end - s.start, m.actor, m.type, m.bloc))
    keep = None if sentences is None else set(sentences)
    has_actors = "actors" in doc.stages or bool(doc.mentions)
    out = [
        GoldSentence(s.text, ordered_labels(s.dimensions, "dimensions"), ordered_labels(s.frames, "frames"),
                     s.index, s.start, s.end, tuple(sorted(by_sent.get(s.index, ()))) if has_actors else None)
        for s in doc.sentences if keep is None or s.index in keep
    ]
    meta = doc.metadata or {}
    return GoldDocument(doc.id, tuple(out), annotator, meta.get("register"), meta.get("topic"))


def with_annotator(doc: GoldDocument, annotator: str) -> GoldDocument:
    """A copy of ``doc`` attributed to ``annotator``."""
    return replace(doc, annotator=annotator)


@dataclass
class ImportResult:
    """Gold documents read from a tool's export (one per document and annotator) and notes on what was skipped."""

    tool: str
    documents: list[GoldDocument] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def annotators(self) -> list[str]:
        """Annotators in first-seen order."""
        return list(dict.fromkeys(d.annotator or "unknown" for d in self.documents))


def assemble(tool: str, sentences: Mapping[tuple[str, str], list[GoldSentence]],
             doc_fields: Mapping[str, Mapping[str, Any]], warnings: list[str] | None = None) -> ImportResult:
    """Group imported sentences ``{(annotator, doc id): [...]}`` into documents, sentences in index order.

    ``doc_fields`` gives ``register``/``topic`` per document id when the export carried them.
    A sentence annotated twice by the same annotator keeps the last version, with a warning.
    """
    res = ImportResult(tool, warnings=list(warnings or []))
    for (annotator, doc_id), sents in sentences.items():
        by_index: dict[Any, GoldSentence] = {}
        for s in sents:
            key = s.index if s.index is not None else (s.start, s.end)
            if key in by_index:
                res.warnings.append(f"{annotator}: document {doc_id!r} sentence {key} annotated twice; kept the last")
            by_index[key] = s
        ordered = sorted(by_index.values(), key=lambda s: (s.index if s.index is not None else -1, s.start or 0))
        f = doc_fields.get(doc_id, {})
        res.documents.append(GoldDocument(doc_id, tuple(ordered), annotator, f.get("register"), f.get("topic")))
    return res
