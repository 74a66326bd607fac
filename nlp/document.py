"""Immutable document model and its JSON form (a stable contract).

Offsets are character offsets into ``Document.text`` (the repaired text);
``raw_start``/``raw_end`` index the input as decoded.  Stages never mutate a
document: they return a new one with ``dataclasses.replace``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from .labels import codebook_version


class Morpheme(NamedTuple):
    """A Kiwi morpheme: form, POS tag and ``[start, end)`` in the document text."""

    form: str
    tag: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence: ``[start, end)`` in the document text, its paragraph, morphemes and labels."""

    index: int
    start: int
    end: int
    text: str
    paragraph: int
    morphemes: Sequence[Morpheme] = ()
    dimensions: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()
    scores: Mapping[str, float] = field(default_factory=dict)
    explanations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ext: Mapping[str, Any] = field(default_factory=dict)  # values of third-party stages, JSON-serialisable


@dataclass(frozen=True, slots=True)
class Mention:
    """An actor mention: span in the text and the raw input, the canonical actor, its type and bloc."""

    start: int
    end: int
    raw_start: int
    raw_end: int
    text: str
    actor: str
    type: str
    bloc: str
    sentence: int
    rule: str


@dataclass(frozen=True)
class Source:
    """Where a document came from: path, detected encoding and layout."""

    path: str | None
    encoding: str | None
    layout: str | None = None


class OffsetChain:
    """Repaired-to-raw offset mapping rebuilt from its JSON form (see :meth:`Document.to_dict`)."""

    def __init__(self, maps: Sequence[Mapping[str, Any]]) -> None:
        from .textrepair import OffsetMap

        self.maps = tuple(OffsetMap.from_dict(m) for m in maps)

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Raw-input span of a repaired span."""
        a, b = start, end
        for m in reversed(self.maps):
            a, b = m.span(a, b)
        return a, b


@dataclass(frozen=True)
class Document:
    """An analysed document: text, sentences, mentions, paragraphs, provenance and status."""

    id: str
    text: str = ""
    source: Source = Source(None, None)
    sentences: tuple[Sentence, ...] = ()
    mentions: tuple[Mention, ...] = ()
    paragraphs: tuple[tuple[int, int, str], ...] = ()  # (start, end, kind)
    stages: tuple[str, ...] = ()
    models: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    status: str = "ok"
    error: str | None = None
    repaired: Any = field(default=None, repr=False, compare=False)  # RepairedText, for raw offsets
    ext: Mapping[str, Any] = field(default_factory=dict)  # document-level values of third-party stages

    @property
    def ok(self) -> bool:
        """True unless the document is an error record."""
        return self.status == "ok"

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        """Raw-input span of a span of the repaired text."""
        if self.repaired is None:
            return start, end
        return self.repaired.to_raw(start, end)

    def with_error(self, message: str) -> Document:
        """The same document as an error record (annotations dropped)."""
        return replace(self, status="error", error=message, sentences=(), mentions=())

    def to_dict(self, all_stages: tuple[str, ...] = (), morphemes: bool = False) -> dict:
        """The JSON contract. ``all_stages`` lists every known stage so the output
        says which ran and which did not."""
        sents = []
        for s in self.sentences:
            rs, re_ = self.to_raw(s.start, s.end)
            item = {
                "index": s.index,
                "start": s.start,
                "end": s.end,
                "raw_start": rs,
                "raw_end": re_,
                "paragraph": s.paragraph,
                "text": s.text,
                "dimensions": list(s.dimensions),
                "frames": list(s.frames),
                "scores": dict(s.scores),
            }
            if s.explanations:
                item["explanations"] = {k: list(v) for k, v in s.explanations.items()}
            if morphemes:
                item["morphemes"] = [list(m) for m in s.morphemes]
            if s.ext:
                item["ext"] = dict(s.ext)
            sents.append(item)
        out = {
            "id": self.id,
            "codebook_version": codebook_version(),
            "models": dict(self.models),
            "source": {"path": self.source.path, "encoding": self.source.encoding, "layout": self.source.layout},
            "metadata": dict(self.metadata),
            "status": self.status,
            "error": self.error,
            "stages": {"ran": list(self.stages), "not_run": [s for s in all_stages if s not in self.stages]},
            "text": self.text,
            "paragraphs": [{"start": a, "end": b, "kind": k} for a, b, k in self.paragraphs],
            "sentences": sents,
            "mentions": [
                {
                    "start": m.start, "end": m.end, "raw_start": m.raw_start, "raw_end": m.raw_end,
                    "text": m.text, "actor": m.actor, "type": m.type, "bloc": m.bloc,
                    "sentence": m.sentence, "rule": m.rule,
                }
                for m in self.mentions
            ],
        }
        if self.ext:
            out["ext"] = dict(self.ext)
        maps = getattr(self.repaired, "maps", None)
        if maps and not all(getattr(m, "is_identity", lambda: False)() for m in maps):
            out["offset_maps"] = [m.to_dict() for m in maps]
        return out

    def to_json(self, **kw) -> str:
        """The JSON contract as text (NaN refused)."""
        return json.dumps(self.to_dict(**kw), ensure_ascii=False, allow_nan=False)

    def to_frame(self, table: str = "sentences"):
        """Sentences or mentions as a pandas DataFrame (one row each; ``table`` is ``sentences`` or ``mentions``).

        >>> d = Document("d", "미국이다.", sentences=(Sentence(0, 0, 5, "미국이다.", 0),))
        >>> d.to_frame()[["doc_id", "index", "text"]].to_dict("records")
        [{'doc_id': 'd', 'index': 0, 'text': '미국이다.'}]
        """
        import pandas as pd

        data = self.to_dict()
        if table == "sentences":
            rows = [{"doc_id": self.id, **{k: v for k, v in s.items() if k != "explanations"}}
                    for s in data["sentences"]]
            cols = ["doc_id", "index", "start", "end", "raw_start", "raw_end", "paragraph", "text",
                    "dimensions", "frames", "scores"]
        elif table == "mentions":
            rows = [{"doc_id": self.id, **m} for m in data["mentions"]]
            cols = ["doc_id", "sentence", "start", "end", "raw_start", "raw_end", "text", "actor", "type", "bloc",
                    "rule"]
        else:
            raise ValueError(f"unknown table {table!r}; allowed: sentences, mentions")
        return pd.DataFrame(rows, columns=list(dict.fromkeys(cols + [k for r in rows for k in r])))

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Document:
        """Rebuild a document from its JSON form (morphemes only if they were written).

        The repair offset maps come back too, so ``from_dict(doc.to_dict()).to_dict() == doc.to_dict()``.
        """
        sents = tuple(
            Sentence(
                index=s["index"], start=s["start"], end=s["end"], text=s["text"], paragraph=s.get("paragraph", 0),
                morphemes=tuple(Morpheme(*m) for m in s.get("morphemes", ())),
                dimensions=tuple(s.get("dimensions", ())), frames=tuple(s.get("frames", ())),
                scores=dict(s.get("scores", {})),
                explanations={k: tuple(v) for k, v in (s.get("explanations") or {}).items()},
                ext=dict(s.get("ext") or {}),
            )
            for s in d.get("sentences", ())
        )
        ments = tuple(
            Mention(m["start"], m["end"], m["raw_start"], m["raw_end"], m["text"], m["actor"], m["type"],
                    m["bloc"], m["sentence"], m.get("rule", ""))
            for m in d.get("mentions", ())
        )
        src = d.get("source") or {}
        return cls(
            id=d["id"], text=d.get("text", ""), source=Source(src.get("path"), src.get("encoding"), src.get("layout")),
            sentences=sents, mentions=ments,
            paragraphs=tuple((p["start"], p["end"], p["kind"]) for p in d.get("paragraphs", ())),
            stages=tuple((d.get("stages") or {}).get("ran", ())), models=dict(d.get("models", {})),
            metadata=dict(d.get("metadata", {})), status=d.get("status", "ok"), error=d.get("error"),
            repaired=OffsetChain(d["offset_maps"]) if d.get("offset_maps") else None, ext=dict(d.get("ext") or {}),
        )
