"""Document profiles and their comparison with a reference profile (codebook §5).

A :class:`Profile` is a list of per-sentence label records — dimensions,
frames and actor mentions — from which every count, share and table is
derived, so each number traces back to sentences and spans.  Profiles come
from an annotated document (:func:`document_profile`), from several documents
(:func:`corpus_profile`), from gold annotation files (:func:`profile_from_gold`)
or from a saved JSON file (:meth:`Profile.from_dict`, :func:`load_reference`;
the essay's profile ships as ``models/reference_profile.json``).

:func:`compare_profiles` scores a profile against a reference with one
transparent similarity (method :data:`METHOD`, described in ``docs/compare.md``)
and lists the differences that explain it.

>>> from nlp.document import Document, Sentence
>>> s = Sentence(0, 0, 9, "미국은 규제했다.", 0, dimensions=("regulation_discourse",))
>>> p = document_profile(Document("d", "미국은 규제했다.", sentences=(s,)))
>>> round(compare_profiles(p, p).similarity, 3)
1.0
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from .document import Document
from .errors import InputError, ModelError, UsageError
from .labels import blocs, codebook_version, dimension_ids, frame_ids, korean_name, models_dir

NONE = "none"
LAYERS = ("dimensions", "frames", "actors")
PROFILE_FORMAT = "kdiscourse.profile/1"
REFERENCE_FILE = "reference_profile.json"

METHOD = "weighted-js-v1"
METHOD_DESCRIPTION = (
    "weighted mean of four components: 1 - Jensen-Shannon distance (base 2) between the "
    "dimension distributions including 'none' (weight 0.30), between the frame distributions "
    "(0.30) and between the bloc distributions of actor mentions (0.15), plus the share of the "
    "reference's key elements the document covers (0.25); components a document cannot provide "
    "(a layer not annotated) are left out and the other weights rescaled"
)
WEIGHTS: Mapping[str, float] = {"dimensions": 0.30, "frames": 0.30, "blocs": 0.15, "coverage": 0.25}

# Key elements of a reference: what a document "covers" if it has at least one of them.
KEY_MIN_DIMENSION_SHARE = 0.05   # of sentences
KEY_MIN_FRAME_SHARE = 0.03       # of sentences, and at least KEY_MIN_FRAME_SENTENCES
KEY_MIN_FRAME_SENTENCES = 2
KEY_MIN_BLOC_SHARE = 0.05        # of mentions
KEY_MIN_ACTOR_MENTIONS = 3
KEY_MAX_ACTORS = 12
# A difference is "notable" when shares differ by this much (absolute) and by this ratio.
NOTABLE_DELTA = 0.05
NOTABLE_RATIO = 1.5

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
        return (self.doc, self.index)

    @property
    def actors(self) -> tuple[str, ...]:
        """Distinct actor ids mentioned, in order of first mention."""
        return tuple(dict.fromkeys(m.actor for m in self.mentions))

    def has(self, kind: str, label: str) -> bool:
        if kind == "dimension":
            return (not self.dimensions) if label == NONE else label in self.dimensions
        if kind == "frame":
            return (not self.frames) if label == NONE else label in self.frames
        if kind == "bloc":
            return any(m.bloc == label for m in self.mentions)
        if kind == "actor":
            return any(m.actor == label for m in self.mentions)
        raise ValueError(f"unknown element kind {kind!r}; allowed: dimension, frame, bloc, actor")


def sentence_sha(text: str) -> str:
    """The short sentence hash used in gold files (sha1, 12 hex digits).

    >>> sentence_sha("미중 AI 패권경쟁과 한국")
    '3b173854e41d'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


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
        return len(self.sentences)

    @cached_property
    def mentions(self) -> tuple[MentionRef, ...]:
        return tuple(m for s in self.sentences for m in s.mentions)

    @property
    def n_mentions(self) -> int:
        return len(self.mentions)

    @property
    def single_document(self) -> bool:
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
        return _shares(self.bloc_counts, self.n_mentions)

    @cached_property
    def type_counts(self) -> dict[str, int]:
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
        return {"dimension": self.dimension_shares, "frame": self.frame_shares, "bloc": self.bloc_shares,
                "actor": self.actor_shares}[kind]

    def counts(self, kind: str) -> dict[str, int]:
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
    """Display name of an element: the Korean name of a label, the id of an actor or bloc."""
    if label == NONE:
        return "없음" if kind in ("dimension", "frame") else label
    if kind in ("dimension", "frame"):
        try:
            return korean_name(label)
        except KeyError:
            return label
    return label


def display_name(kind: str, label: str) -> str:
    """Display name of an element (Korean for labels).

    >>> display_name("dimension", "tech_platform")
    '기술·플랫폼 경쟁'
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


# --------------------------------------------------------------------------- gold files

def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


@lru_cache(maxsize=4)
def actor_inventory(path: str | None = None) -> dict[str, tuple[str, str]]:
    """Actor id -> (type, bloc) from the lexicon (``models/actors.tsv`` by default)."""
    p = Path(path) if path else models_dir() / "actors.tsv"
    with open(p, encoding="utf-8", newline="") as fh:
        return {row["id"]: (row["type"], row["bloc"]) for row in csv.DictReader(fh, delimiter="\t")
                if row.get("id") and not row["id"].startswith("#")}


def _split_labels(cell: str | None) -> tuple[str, ...]:
    if not cell:
        return ()
    parts = [p.strip() for p in cell.replace("|", ",").replace(";", ",").replace(" ", ",").split(",")]
    return tuple(p for p in parts if p and p not in ("-", NONE, "_"))


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def profile_from_gold(sentences_tsv: str | Path, mentions_tsv: str | Path | None = None, *,
                      doc: Document | None = None, doc_id: str = "essay", actors_tsv: str | None = None,
                      name: str | None = None, with_text: bool = False) -> Profile:
    """Profile from gold annotation files (``corpus/essay/sentences.tsv`` and ``mentions.tsv``).

    ``sentences.tsv`` has columns ``index start end sha dimensions frames [note]``
    (labels comma-separated, empty or ``-`` for none); ``mentions.tsv`` has
    ``sentence start end actor``.  Types and blocs come from the actor lexicon.
    With ``doc`` (the tokenized text the offsets index) sentence boundaries and
    hashes are checked and a mismatch is an error; text is kept only with
    ``with_text``.
    """
    srows = _read_tsv(Path(sentences_tsv))
    if not srows:
        raise InputError(f"{sentences_tsv}: no gold sentences")
    inv = actor_inventory(actors_tsv)
    by_index = {s.index: s for s in doc.sentences} if doc is not None else {}
    mentions: dict[int, list[MentionRef]] = {}
    if mentions_tsv is not None:
        for i, r in enumerate(_read_tsv(Path(mentions_tsv)), start=2):
            actor = (r.get("actor") or "").strip()
            if actor not in inv:
                raise InputError(f"{mentions_tsv}:{i}: actor {actor!r} is not in the actor lexicon "
                                 f"({actors_tsv or 'models/actors.tsv'})")
            t, b = inv[actor]
            mentions.setdefault(int(r["sentence"]), []).append(MentionRef(actor, t, b, int(r["start"]), int(r["end"])))
    sents = []
    for i, r in enumerate(srows, start=2):
        idx, start, end = int(r["index"]), int(r["start"]), int(r["end"])
        sha = (r.get("sha") or "").strip()
        text = ""
        if doc is not None:
            s = by_index.get(idx)
            if s is None or (s.start, s.end) != (start, end):
                got = f"[{s.start}, {s.end})" if s else "no such sentence"
                raise InputError(f"{sentences_tsv}:{i}: sentence {idx} is [{start}, {end}) in the gold file but "
                                 f"{got} in the tokenized text; the gold file and the tokenizer disagree")
            if sha and sentence_sha(s.text) != sha:
                raise InputError(f"{sentences_tsv}:{i}: sentence {idx} hash {sha} does not match the text "
                                 f"({sentence_sha(s.text)}); the gold file is for another version of the text")
            text = s.text if with_text else ""
        ms = tuple(sorted(mentions.pop(idx, ()), key=lambda m: (m.start, m.end, m.actor)))
        for m in ms:
            if not (start <= m.start < m.end <= end):
                raise InputError(f"{mentions_tsv}: mention {m.actor} [{m.start}, {m.end}) lies outside "
                                 f"sentence {idx} [{start}, {end})")
        sents.append(SentenceLabels(doc=doc_id, index=idx, dimensions=_split_labels(r.get("dimensions")),
                                    frames=_split_labels(r.get("frames")), mentions=ms, start=start, end=end,
                                    text=text, sha=sha))
    if mentions:
        raise InputError(f"{mentions_tsv}: mentions point at sentences missing from {sentences_tsv}: "
                         f"{', '.join(map(str, sorted(mentions)[:10]))}")
    sents.sort(key=lambda s: s.index)
    _check_labels(sents, str(sentences_tsv))
    prov = {"gold": {Path(sentences_tsv).name: file_sha256(sentences_tsv)}}
    if mentions_tsv is not None:
        prov["gold"][Path(mentions_tsv).name] = file_sha256(mentions_tsv)
    layers = frozenset(LAYERS) if mentions_tsv is not None else frozenset({"dimensions", "frames"})
    return Profile(name=name or doc_id, sentences=tuple(sents), layers=layers, doc_ids=(doc_id,), provenance=prov)


def document_with_labels(doc: Document, profile: Profile, rule: str = "gold") -> Document:
    """``doc`` carrying the labels and mentions of ``profile`` (e.g. gold), matched by sentence index and offsets.

    Used to render a gold-annotated text; sentences must agree on ``[start, end)``.
    """
    from dataclasses import replace

    from .document import Mention

    labels = {s.index: s for s in profile.sentences}
    sents = []
    for s in doc.sentences:
        g = labels.get(s.index)
        if g is None or (g.start >= 0 and (g.start, g.end) != (s.start, s.end)):
            raise InputError(f"document {doc.id!r} sentence {s.index} does not match profile {profile.name!r}")
        sents.append(replace(s, dimensions=g.dimensions, frames=g.frames))
    ments = tuple(Mention(m.start, m.end, *doc.to_raw(m.start, m.end), doc.text[m.start:m.end], m.actor, m.type,
                          m.bloc, g.index, rule)
                  for g in profile.sentences for m in g.mentions)
    stages = tuple(x for x in doc.stages if x not in LAYERS) + tuple(f"gold_{x}" for x in LAYERS if x in profile.layers)
    return replace(doc, sentences=tuple(sents), mentions=ments, stages=stages)


def load_reference(path: str | Path | None = None) -> Profile:
    """The shipped reference profile (the essay's gold), or a profile JSON file.

    >>> load_reference().name
    'essay'
    """
    p = Path(path) if path else models_dir() / REFERENCE_FILE
    if not p.exists():
        raise ModelError(f"no reference profile at {p}; build it with scripts/build_reference_profile.py")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{p}: not a JSON profile ({exc})") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{p}: not a JSON profile (top level is {type(data).__name__})")
    prof = Profile.from_dict(data)
    if data.get("codebook_version") != codebook_version():
        raise ModelError(f"{p}: built for codebook {data.get('codebook_version')!r} but the labels are "
                         f"{codebook_version()!r}; rebuild it with scripts/build_reference_profile.py")
    return prof


# --------------------------------------------------------------------------- comparison

def js_similarity(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """1 - Jensen-Shannon distance (base 2) between two non-negative weightings, normalised first.

    Both empty gives 1; one empty gives 0.

    >>> js_similarity({"a": 1, "b": 1}, {"a": 2, "b": 2})
    1.0
    >>> js_similarity({"a": 1}, {"b": 1})
    0.0
    """
    keys = sorted(set(p) | set(q))
    sp, sq = sum(p.get(k, 0.0) for k in keys), sum(q.get(k, 0.0) for k in keys)
    if sp <= 0 and sq <= 0:
        return 1.0
    if sp <= 0 or sq <= 0:
        return 0.0
    jsd = 0.0
    for k in keys:
        a, b = p.get(k, 0.0) / sp, q.get(k, 0.0) / sq
        m = (a + b) / 2
        if a > 0:
            jsd += 0.5 * a * math.log2(a / m)
        if b > 0:
            jsd += 0.5 * b * math.log2(b / m)
    return max(0.0, min(1.0, 1.0 - math.sqrt(max(jsd, 0.0))))


@dataclass(frozen=True)
class Component:
    """One part of the similarity: its score, nominal weight, weight used, and what it measured."""

    name: str
    score: float | None
    weight: float
    used_weight: float
    detail: str

    @property
    def available(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class KeyElement:
    """An element that characterises the reference, and whether the document has it."""

    kind: str
    label: str
    reference_share: float
    document_share: float | None
    present: bool | None  # None: the document's layer was not annotated


@dataclass(frozen=True)
class Difference:
    """How much more or less a document uses an element than the reference, and where."""

    kind: str                 # dimension | frame | bloc | actor
    label: str
    document_share: float
    reference_share: float
    direction: str            # over | under | same | absent | new
    ratio: float | None       # document / reference share; None where the reference share is 0
    delta: float              # document - reference share
    notable: bool
    document_sentences: tuple[SentenceKey, ...]
    reference_sentences: tuple[SentenceKey, ...]
    document_spans: tuple[tuple[str, int, int], ...] = ()

    @property
    def name(self) -> str:
        return display_name(self.kind, self.label)

    @property
    def unit(self) -> str:
        return "mentions" if self.kind in ("bloc", "actor") else "sentences"

    def describe(self) -> str:
        """One line, e.g. ``regulation_discourse: 2.1x the reference share (45% vs 21% of sentences)``."""
        d, r = f"{self.document_share:.0%}", f"{self.reference_share:.0%}"
        label = self.label if self.label != NONE else f"no {self.kind}"
        if self.direction == "absent":
            return f"{label}: absent (reference {r} of {self.unit})"
        if self.direction == "new":
            return f"{label}: {d} of {self.unit}, not in the reference"
        return f"{label}: {self.ratio:.1f}x the reference share ({d} vs {r} of {self.unit})"


@dataclass(frozen=True)
class Comparison:
    """A document profile scored against a reference profile (see :func:`compare_profiles`)."""

    document: Profile
    reference: Profile
    similarity: float
    components: tuple[Component, ...]
    differences: tuple[Difference, ...]
    key_elements: tuple[KeyElement, ...]
    bloc_balance: Mapping[str, Any]
    method: str = METHOD
    method_description: str = METHOD_DESCRIPTION

    @property
    def absent(self) -> tuple[KeyElement, ...]:
        """Key elements of the reference that the document lacks."""
        return tuple(k for k in self.key_elements if k.present is False)

    @property
    def missing_components(self) -> tuple[str, ...]:
        """Components left out because a layer is not annotated (the score is then partial)."""
        return tuple(c.name for c in self.components if c.score is None)

    @property
    def notable(self) -> tuple[Difference, ...]:
        return tuple(d for d in self.differences if d.notable)

    def component(self, name: str) -> Component:
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        doc, ref = self.document, self.reference

        def keys(p: Profile, ks: Sequence[SentenceKey]) -> list:
            return [p.key_json(k) for k in ks]

        return {
            "document": doc.name,
            "reference": ref.name,
            "codebook_version": codebook_version(),
            "similarity": round(self.similarity, 4),
            "method": self.method,
            "method_description": self.method_description,
            "partial": bool(self.missing_components),
            "missing_components": list(self.missing_components),
            "components": [{"name": c.name, "score": None if c.score is None else round(c.score, 4),
                            "weight": c.weight, "used_weight": round(c.used_weight, 4), "detail": c.detail}
                           for c in self.components],
            "differences": [
                {"kind": d.kind, "label": d.label, "name": d.name, "direction": d.direction,
                 "document_share": round(d.document_share, 4), "reference_share": round(d.reference_share, 4),
                 "ratio": None if d.ratio is None else round(d.ratio, 3), "delta": round(d.delta, 4),
                 "notable": d.notable, "description": d.describe(),
                 "document_sentences": keys(doc, d.document_sentences),
                 "reference_sentences": keys(ref, d.reference_sentences),
                 **({"document_spans": [[s, e] if doc.single_document else [k, s, e]
                                        for k, s, e in d.document_spans]} if d.document_spans else {})}
                for d in self.differences
            ],
            "absent": [{"kind": k.kind, "label": k.label, "name": display_name(k.kind, k.label),
                        "reference_share": round(k.reference_share, 4)} for k in self.absent],
            "key_elements": [{"kind": k.kind, "label": k.label, "present": k.present,
                              "reference_share": round(k.reference_share, 4),
                              "document_share": None if k.document_share is None else round(k.document_share, 4)}
                             for k in self.key_elements],
            "bloc_balance": self.bloc_balance,
            "profiles": {"document": doc.summary(), "reference": ref.summary()},
        }

    def to_row(self) -> dict[str, Any]:
        """One flat row (scalars only) for batch tables."""
        doc = self.document
        row: dict[str, Any] = {"document": doc.name, "reference": self.reference.name,
                               "similarity": round(self.similarity, 4), "method": self.method,
                               "partial": bool(self.missing_components),
                               "n_sentences": doc.n_sentences, "n_mentions": doc.n_mentions}
        for c in self.components:
            row[f"score_{c.name}"] = None if c.score is None else round(c.score, 4)
        for k, v in doc.dimension_shares.items():
            row[f"dim_{k}"] = round(v, 4)
        for k, v in doc.frame_shares.items():
            row[f"frame_{k}"] = round(v, 4)
        for k, v in doc.bloc_shares.items():
            row[f"bloc_{k}"] = round(v, 4)
        row["us_cn_balance"] = self.bloc_balance.get("us_cn_balance", {}).get("document")
        over = [d for d in self.notable if d.direction in ("over", "new")]
        under = [d for d in self.notable if d.direction in ("under", "absent")]
        row["top_over"] = over[0].describe() if over else ""
        row["top_under"] = under[0].describe() if under else ""
        row["absent"] = ";".join(f"{k.kind}:{k.label}" for k in self.absent)
        return row

    def table(self):
        """The differences as a DataFrame (one row per element)."""
        import pandas as pd

        rows = [{"kind": d.kind, "label": d.label, "name": d.name, "document_share": d.document_share,
                 "reference_share": d.reference_share, "ratio": d.ratio, "delta": d.delta,
                 "direction": d.direction, "notable": d.notable, "description": d.describe(),
                 "document_sentences": [self.document.key_json(k) for k in d.document_sentences]}
                for d in self.differences]
        return pd.DataFrame(rows)


def key_elements_of(reference: Profile) -> list[tuple[str, str, float]]:
    """(kind, label, reference share) of the reference's key elements (thresholds in the module)."""
    out: list[tuple[str, str, float]] = []
    if "dimensions" in reference.layers:
        out += [("dimension", d, s) for d, s in reference.dimension_shares.items()
                if d != NONE and s >= KEY_MIN_DIMENSION_SHARE]
    if "frames" in reference.layers:
        out += [("frame", f, s) for f, s in reference.frame_shares.items()
                if f != NONE and s >= KEY_MIN_FRAME_SHARE and reference.frame_counts[f] >= KEY_MIN_FRAME_SENTENCES]
    if "actors" in reference.layers:
        out += [("bloc", b, s) for b, s in reference.bloc_shares.items() if s >= KEY_MIN_BLOC_SHARE]
        top = [(a, n) for a, n in reference.actor_counts.items() if n >= KEY_MIN_ACTOR_MENTIONS][:KEY_MAX_ACTORS]
        out += [("actor", a, reference.actor_shares[a]) for a, _n in top]
    return out


_KIND_LAYER = {"dimension": "dimensions", "frame": "frames", "bloc": "actors", "actor": "actors"}


def _differences(doc: Profile, ref: Profile, kind: str) -> list[Difference]:
    if _KIND_LAYER[kind] not in doc.layers or _KIND_LAYER[kind] not in ref.layers:
        return []
    ds, rs = doc.shares(kind), ref.shares(kind)
    labels = list(dict.fromkeys([*rs, *ds]))
    out = []
    for lab in labels:
        d, r = ds.get(lab, 0.0), rs.get(lab, 0.0)
        if d == 0 and r == 0:
            continue
        ratio = d / r if r > 0 else None
        if r > 0 and d == 0:
            direction = "absent"
        elif r == 0:
            direction = "new"
        elif ratio is not None and abs(math.log(ratio)) < math.log(1.1):
            direction = "same"
        else:
            direction = "over" if d > r else "under"
        big_ratio = ratio is None or ratio == 0 or ratio >= NOTABLE_RATIO or ratio <= 1 / NOTABLE_RATIO
        notable = abs(d - r) >= NOTABLE_DELTA and big_ratio
        out.append(Difference(
            kind=kind, label=lab, document_share=d, reference_share=r, direction=direction, ratio=ratio,
            delta=d - r, notable=notable,
            document_sentences=doc.sentence_keys_with(kind, lab),
            reference_sentences=ref.sentence_keys_with(kind, lab),
            document_spans=doc.spans_with(kind, lab)))
    return out


def _balance(p: Profile) -> float | None:
    us, cn = p.bloc_counts.get("US", 0), p.bloc_counts.get("CN", 0)
    return (us - cn) / (us + cn) if us + cn else None


def compare_profiles(profile: Profile, reference: Profile, weights: Mapping[str, float] | None = None) -> Comparison:
    """Score ``profile`` against ``reference`` (method :data:`METHOD`) and explain the score.

    >>> from nlp.document import Document, Sentence
    >>> def doc(i, dims):
    ...     return Document(i, "가.", sentences=tuple(Sentence(k, 0, 2, "가.", 0, dimensions=d)
    ...                                              for k, d in enumerate(dims)))
    >>> ref = document_profile(doc("ref", [("tech_platform",), ("regulation_discourse",), ("diplomacy_arms",)]))
    >>> cmp = compare_profiles(document_profile(doc("d", [("tech_platform",)] * 3)), ref)
    >>> [k.label for k in cmp.absent]
    ['regulation_discourse', 'diplomacy_arms']
    """
    w = dict(WEIGHTS if weights is None else weights)
    unknown = set(w) - set(WEIGHTS)
    if unknown:
        raise UsageError(f"unknown similarity component(s) {', '.join(sorted(unknown))}; "
                         f"allowed: {', '.join(WEIGHTS)}")
    doc, ref = profile, reference
    both = doc.layers & ref.layers
    scores: dict[str, tuple[float | None, str]] = {}

    if "dimensions" in both:
        scores["dimensions"] = (js_similarity(doc.dimension_counts, ref.dimension_counts),
                                "dimension distributions, 'none' included")
    else:
        scores["dimensions"] = (None, "dimensions not annotated in " + _lacking(doc, ref, "dimensions"))
    if "frames" in both:
        dfc = {k: v for k, v in doc.frame_counts.items() if k != NONE}
        rfc = {k: v for k, v in ref.frame_counts.items() if k != NONE}
        scores["frames"] = (js_similarity(dfc, rfc), "frame distributions over labelled frames "
                            "(0 when one side has no frame)")
    else:
        scores["frames"] = (None, "frames not annotated in " + _lacking(doc, ref, "frames"))
    if "actors" in both:
        scores["blocs"] = (js_similarity(doc.bloc_counts, ref.bloc_counts),
                           "bloc distributions of actor mentions (0 when one side has no mention)")
    else:
        scores["blocs"] = (None, "actors not annotated in " + _lacking(doc, ref, "actors"))

    keys = []
    for kind, label, rshare in key_elements_of(ref):
        layer = _KIND_LAYER[kind]
        if layer in doc.layers:
            dshare = doc.shares(kind).get(label, 0.0)
            keys.append(KeyElement(kind, label, rshare, dshare, dshare > 0))
        else:
            keys.append(KeyElement(kind, label, rshare, None, None))
    judged = [k for k in keys if k.present is not None]
    by_kind: dict[str, list[bool]] = {}
    for k in judged:
        by_kind.setdefault(k.kind, []).append(bool(k.present))
    if by_kind:
        cov = sum(sum(v) / len(v) for v in by_kind.values()) / len(by_kind)
        parts = ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items())
        scores["coverage"] = (cov, f"mean over kinds of key elements present: {parts}")
    else:
        scores["coverage"] = (None, "no key element can be checked")

    avail = {k: w.get(k, 0.0) for k, (s, _) in scores.items() if s is not None and w.get(k, 0.0) > 0}
    total = sum(avail.values())
    if total <= 0:
        raise UsageError(f"cannot compare {doc.name!r} with {ref.name!r}: no annotation layer in common "
                         f"(document has {sorted(doc.layers) or 'none'}, reference has {sorted(ref.layers)}); "
                         "run the dimensions, frames and actors stages first")
    comps = tuple(Component(k, s, w.get(k, 0.0), avail.get(k, 0.0) / total, detail)
                  for k, (s, detail) in scores.items())
    sim = sum(c.score * c.used_weight for c in comps if c.score is not None)

    diffs = [d for kind in ("dimension", "frame", "bloc", "actor") for d in _differences(doc, ref, kind)]
    diffs.sort(key=lambda d: (not d.notable, -abs(d.delta)))

    balance: dict[str, Any] = {}
    if "actors" in both:
        balance = {
            "document": _round_map(doc.bloc_shares), "reference": _round_map(ref.bloc_shares),
            "document_counts": doc.bloc_counts, "reference_counts": ref.bloc_counts,
            "us_cn_balance": {"document": _r(_balance(doc)), "reference": _r(_balance(ref)),
                              "definition": "(US - CN) / (US + CN) mentions; +1 all US, -1 all CN"},
        }
    return Comparison(document=doc, reference=ref, similarity=max(0.0, min(1.0, sim)), components=comps,
                      differences=tuple(diffs), key_elements=tuple(keys), bloc_balance=balance)


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _lacking(doc: Profile, ref: Profile, layer: str) -> str:
    who = [p.name for p in (doc, ref) if layer not in p.layers]
    return " and ".join(repr(x) for x in who)
