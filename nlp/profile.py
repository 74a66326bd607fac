"""Document profiles (codebook §5): the model and its constructors.

A :class:`Profile` is a list of per-sentence label records — dimensions,
frames and actor mentions — from which every count, share and table is
derived, so each number traces back to sentences and spans.  Profiles come
from an annotated document (:func:`document_profile`), from several documents
(:func:`corpus_profile`), from gold annotation files (:func:`nlp.gold.profile_from_gold`)
or from a saved JSON file (:meth:`Profile.from_dict`, :func:`load_reference`;
the essay's profile ships as ``models/reference_profile.json``).
The comparison of two profiles is in :mod:`nlp.compare`.

>>> from nlp.document import Document, Sentence
>>> s = Sentence(0, 0, 9, "미국은 규제했다.", 0, dimensions=("regulation_discourse",))
>>> document_profile(Document("d", "미국은 규제했다.", sentences=(s,))).n_sentences
1
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .document import Document
from .errors import InputError, ModelError
from .formats import loads_strict
from .labels import blocs, codebook_version, dimension_ids, frame_ids, korean_name, models_dir

NONE = "none"
LAYERS = ("dimensions", "frames", "actors")
PROFILE_FORMAT = "kdiscourse.profile/1"
REFERENCE_FILE = "reference_profile.json"

SentenceKey = tuple[str, int]  # (document id, sentence index)


# --------------------------------------------------------------------------- records

@dataclass(frozen=True)
class MentionRef:
    """One actor mention: canonical id, type, bloc and ``[start, end)`` in its document."""

    actor: str
    type: str
    bloc: str
    start: int
    end: int
    text: str = ""


@dataclass(frozen=True)
class SentenceLabels:
    """The labels of one sentence; ``text`` is empty where the text may not be shipped."""

    doc: str
    index: int
    dimensions: tuple[str, ...] = ()
    frames: tuple[str, ...] = ()
    mentions: tuple[MentionRef, ...] = ()
    start: int = -1
    end: int = -1
    text: str = ""
    sha: str = ""

    @property
    def key(self) -> SentenceKey:
        """``(document id, sentence index)``."""
        return (self.doc, self.index)

    @property
    def actors(self) -> tuple[str, ...]:
        """Distinct actor ids mentioned, in order of first mention."""
        return tuple(dict.fromkeys(m.actor for m in self.mentions))

    def has(self, kind: str, label: str) -> bool:
        """Whether the sentence carries ``label`` of ``kind`` (dimension, frame, bloc, actor)."""
        if kind == "dimension":
            return (not self.dimensions) if label == NONE else label in self.dimensions
        if kind == "frame":
            return (not self.frames) if label == NONE else label in self.frames
        if kind == "bloc":
            return any(m.bloc == label for m in self.mentions)
        if kind == "actor":
            return any(m.actor == label for m in self.mentions)
        raise ValueError(f"unknown element kind {kind!r}; allowed: dimension, frame, bloc, actor")


# --------------------------------------------------------------------------- profile

def _shares(counts: Mapping[str, int], total: int) -> dict[str, float]:
    return {k: (v / total if total else 0.0) for k, v in counts.items()}


@dataclass(frozen=True)
class Profile:
    """Label profile of one document or a corpus (codebook §5).

    Dimension and frame shares are shares of *sentences* (multi-label, so they
    need not sum to 1; ``"none"`` is the share with no label).  Actor and bloc
    shares are shares of *mentions*.  Cross tables count sentences in which
    both elements occur.  ``layers`` names the annotation layers the profile
    has; a layer that was not annotated is not the same as an empty one.
    """

    name: str
    sentences: tuple[SentenceLabels, ...]
    layers: frozenset[str] = frozenset(LAYERS)
    doc_ids: tuple[str, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------- basic counts
    @property
    def n_sentences(self) -> int:
        """Number of sentences."""
        return len(self.sentences)

    @cached_property
    def mentions(self) -> tuple[MentionRef, ...]:
        """All actor mentions, in sentence order."""
        return tuple(m for s in self.sentences for m in s.mentions)

    @property
    def n_mentions(self) -> int:
        """Number of actor mentions."""
        return len(self.mentions)

    @property
    def single_document(self) -> bool:
        """True when every sentence comes from one document."""
        return len(self.doc_ids) <= 1

    @cached_property
    def dimension_counts(self) -> dict[str, int]:
        """Sentences per dimension, plus ``"none"``: sentences with no dimension."""
        c = Counter(d for s in self.sentences for d in set(s.dimensions))
        out = {d: c.get(d, 0) for d in dimension_ids()}
        out[NONE] = sum(1 for s in self.sentences if not s.dimensions)
        return out

    @cached_property
    def dimension_shares(self) -> dict[str, float]:
        """Share of sentences per dimension, plus ``none``."""
        return _shares(self.dimension_counts, self.n_sentences)

    @cached_property
    def frame_counts(self) -> dict[str, int]:
        """Sentences per frame, plus ``"none"``: sentences with no frame."""
        c = Counter(f for s in self.sentences for f in set(s.frames))
        out = {f: c.get(f, 0) for f in frame_ids()}
        out[NONE] = sum(1 for s in self.sentences if not s.frames)
        return out

    @cached_property
    def frame_shares(self) -> dict[str, float]:
        """Share of sentences per frame, plus ``none``."""
        return _shares(self.frame_counts, self.n_sentences)

    @cached_property
    def actor_info(self) -> dict[str, tuple[str, str]]:
        """Actor id -> (type, bloc), as resolved in the mentions."""
        return {m.actor: (m.type, m.bloc) for m in self.mentions}

    @cached_property
    def actor_counts(self) -> dict[str, int]:
        """Mentions per actor id, most mentioned first."""
        return dict(sorted(Counter(m.actor for m in self.mentions).items(), key=lambda kv: (-kv[1], kv[0])))

    @cached_property
    def actor_shares(self) -> dict[str, float]:
        """Share of mentions per actor id."""
        return _shares(self.actor_counts, self.n_mentions)

    @cached_property
    def bloc_counts(self) -> dict[str, int]:
        """Mentions per bloc (every bloc of the codebook, zeros included)."""
        c = Counter(m.bloc for m in self.mentions)
        out = {b: c.get(b, 0) for b in blocs()}
        out.update({b: n for b, n in c.items() if b not in out})
        return out

    @cached_property
    def bloc_shares(self) -> dict[str, float]:
        """Share of mentions per bloc."""
        return _shares(self.bloc_counts, self.n_mentions)

    @cached_property
    def type_counts(self) -> dict[str, int]:
        """Mentions per actor type."""
        return dict(Counter(m.type for m in self.mentions).most_common())

    # ---------------------------------------------------------------- cross tables
    @cached_property
    def dimension_frame(self) -> dict[str, dict[str, int]]:
        """Sentences carrying both a dimension and a frame (``"none"`` rows/columns included)."""
        dims = (*dimension_ids(), NONE)
        frs = (*frame_ids(), NONE)
        table = {d: dict.fromkeys(frs, 0) for d in dims}
        for s in self.sentences:
            for d in dict.fromkeys(s.dimensions or (NONE,)):
                for f in dict.fromkeys(s.frames or (NONE,)):
                    if d in table and f in table[d]:
                        table[d][f] += 1
        return table

    @cached_property
    def actor_frame(self) -> dict[str, dict[str, int]]:
        """Sentences in which an actor is mentioned and a frame is labelled (actors by mentions)."""
        table = {a: dict.fromkeys(frame_ids(), 0) for a in self.actor_counts}
        for s in self.sentences:
            for a in s.actors:
                for f in set(s.frames):
                    if f in table[a]:
                        table[a][f] += 1
        return table

    @cached_property
    def actor_frame_sentences(self) -> dict[tuple[str, str], tuple[SentenceKey, ...]]:
        """(actor, frame) -> the sentences behind each actor x frame count."""
        out: dict[tuple[str, str], list[SentenceKey]] = {}
        for s in self.sentences:
            for a in s.actors:
                for f in dict.fromkeys(s.frames):
                    out.setdefault((a, f), []).append(s.key)
        return {k: tuple(v) for k, v in out.items()}

    # ---------------------------------------------------------------- lookups
    @cached_property
    def _element_index(self) -> dict[tuple[str, str], tuple[SentenceLabels, ...]]:
        idx: dict[tuple[str, str], list[SentenceLabels]] = {}
        for s in self.sentences:
            keys = [("dimension", d) for d in (s.dimensions or (NONE,))]
            keys += [("frame", f) for f in (s.frames or (NONE,))]
            keys += [("actor", m.actor) for m in s.mentions] + [("bloc", m.bloc) for m in s.mentions]
            for k in dict.fromkeys(keys):
                idx.setdefault(k, []).append(s)
        return {k: tuple(v) for k, v in idx.items()}

    def sentences_with(self, kind: str, label: str) -> tuple[SentenceLabels, ...]:
        """The sentences that carry an element (``kind``: dimension, frame, bloc or actor).

        >>> from nlp.document import Document, Sentence
        >>> s = Sentence(0, 0, 4, "규제다.", 0, dimensions=("regulation_discourse",))
        >>> [x.index for x in document_profile(Document("d", "규제다.", sentences=(s,))).sentences_with(
        ...     "dimension", "regulation_discourse")]
        [0]
        """
        if kind not in ("dimension", "frame", "bloc", "actor"):
            raise ValueError(f"unknown element kind {kind!r}; allowed: dimension, frame, bloc, actor")
        return self._element_index.get((kind, label), ())

    @cached_property
    def _element_keys(self) -> dict[tuple[str, str], tuple[SentenceKey, ...]]:
        return {k: tuple(s.key for s in v) for k, v in self._element_index.items()}

    def sentence_keys_with(self, kind: str, label: str) -> tuple[SentenceKey, ...]:
        """Keys ``(doc, index)`` of :meth:`sentences_with`, computed once per profile."""
        self.sentences_with(kind, label)  # validates kind
        return self._element_keys.get((kind, label), ())

    def spans_with(self, kind: str, label: str) -> tuple[tuple[str, int, int], ...]:
        """(doc, start, end) of the mentions of an actor or a bloc."""
        if kind not in ("actor", "bloc"):
            return ()
        return tuple((s.doc, m.start, m.end) for s in self.sentences_with(kind, label) for m in s.mentions
                     if (m.actor if kind == "actor" else m.bloc) == label)

    def to_row(self) -> dict[str, Any]:
        """One flat row (scalars only): sizes, layers and every share, for batch tables."""
        row: dict[str, Any] = {"name": self.name, "n_sentences": self.n_sentences, "n_mentions": self.n_mentions,
                               "layers": ",".join(x for x in LAYERS if x in self.layers)}
        row.update({f"dim_{k}": round(v, 4) for k, v in self.dimension_shares.items()})
        row.update({f"frame_{k}": round(v, 4) for k, v in self.frame_shares.items()})
        row.update({f"bloc_{k}": round(v, 4) for k, v in self.bloc_shares.items()})
        row["top_actors"] = ";".join(f"{a}:{n}" for a, n in list(self.actor_counts.items())[:10])
        return row

    def shares(self, kind: str) -> dict[str, float]:
        """The shares of one element kind (dimension, frame, bloc, actor)."""
        return {"dimension": self.dimension_shares, "frame": self.frame_shares, "bloc": self.bloc_shares,
                "actor": self.actor_shares}[kind]

    def counts(self, kind: str) -> dict[str, int]:
        """The counts of one element kind (dimension, frame, bloc, actor)."""
        return {"dimension": self.dimension_counts, "frame": self.frame_counts, "bloc": self.bloc_counts,
                "actor": self.actor_counts}[kind]

    def key_json(self, key: SentenceKey) -> int | str:
        """A sentence key as written in JSON: the index for one document, ``doc#index`` for a corpus."""
        return key[1] if self.single_document else f"{key[0]}#{key[1]}"

    # ---------------------------------------------------------------- serialisation
    def summary(self) -> dict[str, Any]:
        """The derived numbers (counts, shares, cross tables), for reading; recomputed on load."""
        r = _round_map
        return {
            "n_sentences": self.n_sentences,
            "n_mentions": self.n_mentions,
            "dimension_counts": self.dimension_counts,
            "dimension_shares": r(self.dimension_shares),
            "frame_counts": self.frame_counts,
            "frame_shares": r(self.frame_shares),
            "actor_counts": self.actor_counts,
            "actor_shares": r(self.actor_shares),
            "bloc_counts": self.bloc_counts,
            "bloc_shares": r(self.bloc_shares),
            "type_counts": self.type_counts,
            "dimension_frame": self.dimension_frame,
            "actor_frame": {a: {f: n for f, n in row.items() if n} for a, row in self.actor_frame.items()},
        }

    def to_dict(self, text: bool = False) -> dict[str, Any]:
        """JSON form: provenance, layers, actor inventory, summary and per-sentence label sets.

        Sentence text is written only with ``text=True``.
        """
        sents = []
        for s in self.sentences:
            item: dict[str, Any] = {"index": s.index}
            if not self.single_document:
                item["doc"] = s.doc
            if s.start >= 0:
                item["start"], item["end"] = s.start, s.end
            if s.sha:
                item["sha"] = s.sha
            item["dimensions"] = list(s.dimensions)
            item["frames"] = list(s.frames)
            item["mentions"] = [[m.actor, m.start, m.end] for m in s.mentions]
            if text and s.text:
                item["text"] = s.text
            sents.append(item)
        return {
            "format": PROFILE_FORMAT,
            "name": self.name,
            "codebook_version": codebook_version(),
            "provenance": dict(self.provenance),
            "layers": [x for x in LAYERS if x in self.layers],
            "doc_ids": list(self.doc_ids),
            "actors": {a: {"type": t, "bloc": b} for a, (t, b) in sorted(self.actor_info.items())},
            "summary": self.summary(),
            "sentences": sents,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Profile:
        """Rebuild a profile written by :meth:`to_dict`; the summary is recomputed, not trusted."""
        if d.get("format") != PROFILE_FORMAT:
            raise ModelError(f"not a profile file: format is {d.get('format')!r}, expected {PROFILE_FORMAT!r}")
        actors = d.get("actors") or {}
        doc_ids = tuple(d.get("doc_ids") or ())
        default_doc = doc_ids[0] if doc_ids else str(d.get("name", "doc"))
        sents = []
        for s in d.get("sentences", ()):
            ms = []
            for actor, start, end in s.get("mentions", ()):
                info = actors.get(actor)
                if info is None:
                    raise ModelError(f"profile {d.get('name')!r}: mention of {actor!r} has no entry in 'actors'")
                ms.append(MentionRef(actor, info["type"], info["bloc"], int(start), int(end)))
            sents.append(SentenceLabels(
                doc=s.get("doc", default_doc), index=int(s["index"]), dimensions=tuple(s.get("dimensions", ())),
                frames=tuple(s.get("frames", ())), mentions=tuple(ms), start=int(s.get("start", -1)),
                end=int(s.get("end", -1)), text=s.get("text", ""), sha=s.get("sha", "")))
        _check_labels(sents, f"profile {d.get('name')!r}")
        return cls(name=str(d.get("name", "profile")), sentences=tuple(sents),
                   layers=frozenset(d.get("layers", LAYERS)), doc_ids=doc_ids or (default_doc,),
                   provenance={**dict(d.get("provenance") or {}), "codebook_version": d.get("codebook_version")})

    # ---------------------------------------------------------------- pandas tables
    def _label_table(self, kind: str):
        import pandas as pd

        counts, shares = self.counts(kind), self.shares(kind)
        rows = [{"label": k, "name": _display(kind, k), "count": counts[k], "share": shares[k]} for k in counts]
        return pd.DataFrame(rows).set_index("label")

    def dimension_table(self):
        """Sentences per dimension (and ``none``): ``count`` and ``share`` as a DataFrame."""
        return self._label_table("dimension")

    def frame_table(self):
        """Sentences per frame (and ``none``): ``count`` and ``share`` as a DataFrame."""
        return self._label_table("frame")

    def bloc_table(self):
        """Mentions per bloc: ``count`` and ``share`` as a DataFrame."""
        return self._label_table("bloc")

    def actor_table(self):
        """Mentions per actor with type and bloc, as a DataFrame (most mentioned first)."""
        import pandas as pd

        rows = [{"actor": a, "type": self.actor_info[a][0], "bloc": self.actor_info[a][1], "count": n,
                 "share": self.actor_shares[a]} for a, n in self.actor_counts.items()]
        return pd.DataFrame(rows, columns=["actor", "type", "bloc", "count", "share"]).set_index("actor")

    def dimension_frame_table(self):
        """Dimension x frame sentence counts (``none`` row and column included) as a DataFrame."""
        import pandas as pd

        return pd.DataFrame.from_dict(self.dimension_frame, orient="index")

    def actor_frame_table(self):
        """Actor x frame sentence co-occurrence counts as a DataFrame."""
        import pandas as pd

        return pd.DataFrame.from_dict(self.actor_frame, orient="index", columns=list(frame_ids()))


def _round_map(m: Mapping[str, float], nd: int = 4) -> dict[str, float]:
    return {k: round(v, nd) for k, v in m.items()}


def _display(kind: str, label: str) -> str:
    """Display name of an element: the Korean name of a label, of a bloc (display.json) or of an actor
    (the lexicon's first Korean name); the id where none is known."""
    if label == NONE:
        return "없음" if kind in ("dimension", "frame") else label
    if kind in ("dimension", "frame"):
        try:
            return korean_name(label)
        except KeyError:
            return label
    if kind == "bloc":
        from .labels import display

        return display()["bloc_names"].get(label, label)
    if kind == "actor":
        from .lexicon import load_lexicon

        actor = load_lexicon().actors.get(label)
        return actor.display if actor is not None and actor.display else label
    return label


def display_name(kind: str, label: str) -> str:
    """Display name of an element (Korean for labels).

    >>> display_name("dimension", "tech_platform"), display_name("bloc", "CN"), display_name("actor", "OPENAI")
    ('기술·플랫폼 경쟁', '중국 진영', '오픈AI')
    """
    return _display(kind, label)


def _check_labels(sents: Iterable[SentenceLabels], where: str) -> None:
    dims, frs = set(dimension_ids()), set(frame_ids())
    for s in sents:
        bad = [x for x in s.dimensions if x not in dims] + [x for x in s.frames if x not in frs]
        if bad:
            raise ModelError(f"{where}: sentence {s.index} has unknown label(s) {', '.join(bad)}; allowed: "
                             f"{', '.join(sorted(dims | frs))}")


# --------------------------------------------------------------------------- constructors

def annotated_layers(doc: Document) -> frozenset[str]:
    """The annotation layers a document carries, from the stages that ran.

    A document built by hand (no stages recorded) is taken as fully annotated.

    >>> sorted(annotated_layers(Document("d", stages=("repair", "tokenize", "actors"))))
    ['actors']
    """
    if not doc.stages:
        return frozenset(LAYERS)
    return frozenset(x for x in LAYERS if x in doc.stages or f"gold_{x}" in doc.stages)


def document_profile(doc: Document, layers: Iterable[str] | None = None, name: str | None = None) -> Profile:
    """Profile of one annotated document (sentences' labels and the document's mentions).

    >>> from nlp.document import Document, Mention, Sentence
    >>> text = "미국은 중국을 견제했다."
    >>> s = Sentence(0, 0, len(text), text, 0, dimensions=("diplomacy_arms",), frames=("economic_security",))
    >>> ms = (Mention(0, 2, 0, 2, "미국", "US", "state", "US", 0, "t"),
    ...       Mention(4, 6, 4, 6, "중국", "CN", "state", "CN", 0, "t"))
    >>> p = document_profile(Document("d", text, sentences=(s,), mentions=ms))
    >>> p.bloc_counts["CN"], p.actor_frame["US"]["economic_security"]
    (1, 1)
    """
    if not doc.ok:
        raise InputError(f"document {doc.id!r} could not be analysed: {doc.error}")
    by_sent: dict[int, list[MentionRef]] = {}
    for m in doc.mentions:
        by_sent.setdefault(m.sentence, []).append(MentionRef(m.actor, m.type, m.bloc, m.start, m.end, m.text))
    sents = tuple(
        SentenceLabels(doc=doc.id, index=s.index, dimensions=tuple(s.dimensions), frames=tuple(s.frames),
                       mentions=tuple(by_sent.get(s.index, ())), start=s.start, end=s.end, text=s.text)
        for s in doc.sentences
    )
    _check_labels(sents, f"document {doc.id!r}")
    lay = frozenset(layers) if layers is not None else annotated_layers(doc)
    return Profile(name=name or doc.id, sentences=sents, layers=lay, doc_ids=(doc.id,),
                   provenance={"source": doc.source.path, "stages": list(doc.stages), "models": dict(doc.models)})


def corpus_profile(docs: Iterable[Document | Profile], name: str = "corpus") -> Profile:
    """Profile of several documents pooled at sentence level; documents with errors are listed, not used.

    The layers are those every document has.

    >>> from nlp.document import Document, Sentence
    >>> a = Document("a", "규제다.", sentences=(Sentence(0, 0, 4, "규제다.", 0, dimensions=("regulation_discourse",)),))
    >>> b = Document("b", "없다.", sentences=(Sentence(0, 0, 3, "없다.", 0),))
    >>> corpus_profile([a, b]).dimension_shares["regulation_discourse"]
    0.5
    """
    sents: list[SentenceLabels] = []
    ids: list[str] = []
    skipped: list[dict[str, str]] = []
    layers: frozenset[str] | None = None
    for d in docs:
        if isinstance(d, Document) and not d.ok:
            skipped.append({"id": d.id, "error": d.error or ""})
            continue
        p = d if isinstance(d, Profile) else document_profile(d)
        sents.extend(p.sentences)
        ids.extend(p.doc_ids)
        layers = p.layers if layers is None else layers & p.layers
    if len(set(ids)) != len(ids):
        dup = sorted(k for k, n in Counter(ids).items() if n > 1)
        raise InputError(f"corpus {name!r}: document ids must be unique; repeated: {', '.join(dup[:5])}")
    return Profile(name=name, sentences=tuple(sents), layers=layers if layers is not None else frozenset(),
                   doc_ids=tuple(ids), provenance={"documents": len(ids), "skipped": skipped})


def load_reference(path: str | Path | None = None) -> Profile:
    """The shipped reference profile (the essay's gold), or a profile JSON file.

    >>> load_reference().name
    'essay'
    """
    p = Path(path) if path else models_dir() / REFERENCE_FILE
    if not p.exists():
        raise ModelError(f"no reference profile at {p}; build it with scripts/build_reference_profile.py")
    try:
        data = loads_strict(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{p}: not a JSON profile ({exc})") from None
    if not isinstance(data, dict):
        raise ModelError(f"{p}: not a JSON profile (top level is {type(data).__name__})")
    try:
        prof = Profile.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a field missing or of the wrong type
        raise ModelError(f"{p}: malformed profile ({type(exc).__name__}: {exc})") from None
    if data.get("codebook_version") != codebook_version():
        raise ModelError(f"{p}: built for codebook {data.get('codebook_version')!r} but the labels are "
                         f"{codebook_version()!r}; rebuild it with scripts/build_reference_profile.py")
    return prof
