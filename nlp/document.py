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


@dataclass(frozen=True, slots=True)
class Mention:
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
    known: bool = True  # False: a name the lexicon does not list (generated id)


@dataclass(frozen=True)
class Source:
    path: str | None
    encoding: str | None
    layout: str | None = None


@dataclass(frozen=True)
class Document:
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

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_raw(self, start: int, end: int) -> tuple[int, int]:
        if self.repaired is None:
            return start, end
        return self.repaired.to_raw(start, end)

    def with_error(self, message: str) -> Document:
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
            sents.append(item)
        return {
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
                    "sentence": m.sentence, "rule": m.rule, "known": m.known,
                }
                for m in self.mentions
            ],
        }

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(**kw), ensure_ascii=False)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Document:
        """Rebuild a document from its JSON form (morphemes only if they were written)."""
        sents = tuple(
            Sentence(
                index=s["index"], start=s["start"], end=s["end"], text=s["text"], paragraph=s.get("paragraph", 0),
                morphemes=tuple(Morpheme(*m) for m in s.get("morphemes", ())),
                dimensions=tuple(s.get("dimensions", ())), frames=tuple(s.get("frames", ())),
                scores=dict(s.get("scores", {})),
            )
            for s in d.get("sentences", ())
        )
        ments = tuple(
            Mention(m["start"], m["end"], m["raw_start"], m["raw_end"], m["text"], m["actor"], m["type"],
                    m["bloc"], m["sentence"], m.get("rule", ""), m.get("known", True))
            for m in d.get("mentions", ())
        )
        src = d.get("source") or {}
        return cls(
            id=d["id"], text=d.get("text", ""), source=Source(src.get("path"), src.get("encoding"), src.get("layout")),
            sentences=sents, mentions=ments,
            paragraphs=tuple((p["start"], p["end"], p["kind"]) for p in d.get("paragraphs", ())),
            stages=tuple((d.get("stages") or {}).get("ran", ())), models=dict(d.get("models", {})),
            metadata=dict(d.get("metadata", {})), status=d.get("status", "ok"), error=d.get("error"),
        )
