"""Immutable document model and its JSON form (a stable contract).

Offsets are character offsets into ``Document.text`` (the repaired text);
``raw_start``/``raw_end`` index the input as decoded.  Stages never mutate a
document: they return a new one with ``dataclasses.replace``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from .errors import InputError
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
    known: bool = True  # False: a name the lexicon does not list (generated id)


@dataclass(frozen=True)
class Source:
    """Where a document came from: path, detected encoding and layout."""

    path: str | None
    encoding: str | None
    layout: str | None = None


def json_safe(value: Any) -> Any:
    """A third-party stage's value made JSON-safe: NaN and infinities become None (JSON has neither).

    >>> json_safe({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


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
                item["ext"] = json_safe(dict(s.ext))
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
                    "sentence": m.sentence, "rule": m.rule, "known": m.known,
                }
                for m in self.mentions
            ],
        }
        if self.ext:
            out["ext"] = json_safe(dict(self.ext))
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
    def from_dict(cls, d: Mapping[str, Any], where: str = "document") -> Document:
        """Rebuild a document from its JSON form (morphemes only if they were written).

        The repair offset maps come back too, so ``from_dict(doc.to_dict()).to_dict() == doc.to_dict()``.
        Every field is checked first (types, spans inside the text, finite scores): a malformed
        document is one :class:`~nlp.errors.InputError` line naming ``where`` and the field.

        >>> Document.from_dict({"id": "x", "text": "미국", "sentences": [{"index": "0", "start": 0, "end": 2,
        ...                                                              "text": "미국"}]})
        Traceback (most recent call last):
        ...
        nlp.errors.InputError: document: sentences[0].index must be a non-negative integer, got str
        """
        validate_contract(d, where)
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
            repaired=_offset_chain(d.get("offset_maps"), where), ext=dict(d.get("ext") or {}),
        )


# --------------------------------------------------------------------------- validation of the JSON contract

def _offset_chain(maps: Any, where: str) -> OffsetChain | None:
    if not maps:
        return None
    try:
        return OffsetChain(maps)
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{where}: offset_maps is malformed ({type(exc).__name__}: {exc})") from None


class _Check:
    """Type checks of one document's fields; the first failure is an InputError naming the field."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, field: str, what: str, value: Any) -> None:
        raise InputError(f"{self.where}: {field} must be {what}, got {type(value).__name__}")

    def integer(self, value: Any, field: str, upper: int | None = None) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            self.fail(field, "a non-negative integer", value)
        if upper is not None and value > upper:
            raise InputError(f"{self.where}: {field} is {value}, past the end of the text ({upper})")
        return value

    def string(self, value: Any, field: str, optional: bool = False) -> None:
        if not (isinstance(value, str) or optional and value is None):
            self.fail(field, "a string" + (" or null" if optional else ""), value)

    def strings(self, value: Any, field: str) -> None:
        if not isinstance(value, (list, tuple)) or not all(isinstance(x, str) for x in value):
            self.fail(field, "a list of strings", value)

    def mapping(self, value: Any, field: str) -> None:
        if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
            self.fail(field, "an object", value)

    def span(self, item: Mapping, field: str, n: int) -> None:
        a = self.integer(item.get("start"), f"{field}.start", n)
        b = self.integer(item.get("end"), f"{field}.end", n)
        if a > b:
            raise InputError(f"{self.where}: {field} has start {a} after end {b}")


def validate_contract(d: Any, where: str = "document") -> None:
    """Check a document in the JSON contract (README) field by field; :class:`InputError` on the first problem."""
    c = _Check(where)
    if not isinstance(d, Mapping):
        c.fail("a document", "a JSON object", d)
    if "id" not in d:
        raise InputError(f"{where}: 'id' is missing")
    c.string(d["id"], "id")
    text = d.get("text", "")
    c.string(text, "text")
    n = len(text)
    for key in ("models", "metadata", "ext"):
        if d.get(key) is not None:
            c.mapping(d[key], key)
    if d.get("models") is not None and not all(isinstance(v, str) for v in d["models"].values()):
        c.fail("models", "an object of strings", d["models"])
    if d.get("status", "ok") not in ("ok", "error"):
        raise InputError(f"{where}: status must be 'ok' or 'error', got {d.get('status')!r:.40}")
    c.string(d.get("error"), "error", optional=True)
    src = d.get("source")
    if src is not None:
        c.mapping(src, "source")
        for key in ("path", "encoding", "layout"):
            c.string(src.get(key), f"source.{key}", optional=True)
    stages = d.get("stages")
    if stages is not None:
        c.mapping(stages, "stages")
        c.strings(stages.get("ran", ()), "stages.ran")
    paragraphs = d.get("paragraphs", ())
    if not isinstance(paragraphs, (list, tuple)):
        c.fail("paragraphs", "a list", paragraphs)
    for i, p in enumerate(paragraphs):
        c.mapping(p, f"paragraphs[{i}]")
        c.span(p, f"paragraphs[{i}]", n)
        c.string(p.get("kind"), f"paragraphs[{i}].kind")
    sentences = d.get("sentences", ())
    if not isinstance(sentences, (list, tuple)):
        c.fail("sentences", "a list", sentences)
    for i, s in enumerate(sentences):
        f = f"sentences[{i}]"
        c.mapping(s, f)
        c.integer(s.get("index"), f"{f}.index")
        c.span(s, f, n)
        c.string(s.get("text"), f"{f}.text")
        c.integer(s.get("paragraph", 0), f"{f}.paragraph")
        c.strings(s.get("dimensions", ()), f"{f}.dimensions")
        c.strings(s.get("frames", ()), f"{f}.frames")
        scores = s.get("scores", {})
        c.mapping(scores, f"{f}.scores")
        for k, v in scores.items():
            if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
                c.fail(f"{f}.scores[{k!r}]", "a finite number", v)
        expl = s.get("explanations") or {}
        c.mapping(expl, f"{f}.explanations")
        for k, v in expl.items():
            c.strings(v, f"{f}.explanations[{k!r}]")
        if s.get("ext") is not None:
            c.mapping(s["ext"], f"{f}.ext")
        for j, m in enumerate(s.get("morphemes", ())):
            if not isinstance(m, (list, tuple)) or len(m) != 4 or not all(isinstance(x, str) for x in m[:2]):
                c.fail(f"{f}.morphemes[{j}]", "[form, tag, start, end]", m)
            c.integer(m[2], f"{f}.morphemes[{j}].start", n)
            c.integer(m[3], f"{f}.morphemes[{j}].end", n)
    mentions = d.get("mentions", ())
    if not isinstance(mentions, (list, tuple)):
        c.fail("mentions", "a list", mentions)
    for i, m in enumerate(mentions):
        f = f"mentions[{i}]"
        c.mapping(m, f)
        c.span(m, f, n)
        for key in ("raw_start", "raw_end", "sentence"):
            c.integer(m.get(key), f"{f}.{key}")
        for key in ("text", "actor", "type", "bloc"):
            c.string(m.get(key), f"{f}.{key}")
        c.string(m.get("rule", ""), f"{f}.rule")
    maps = d.get("offset_maps")
    if maps is not None and not isinstance(maps, (list, tuple)):
        c.fail("offset_maps", "a list", maps)
