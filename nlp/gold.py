"""Gold annotation files as profiles and documents: the essay gold TSVs (codebook §5 reference).

:func:`profile_from_gold` builds the reference profile from ``corpus/essay/*.tsv`` (standoff:
offsets and labels, the essay text read at run time); :func:`document_with_labels` puts gold
labels onto an annotated document.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

from .document import Document
from .errors import InputError
from .formats import file_sha256, read_tsv_rows, sentence_sha
from .labels import models_dir
from .profile import LAYERS, NONE, MentionRef, Profile, SentenceLabels, _check_labels


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
    srows = read_tsv_rows(Path(sentences_tsv))
    if not srows:
        raise InputError(f"{sentences_tsv}: no gold sentences")
    inv = actor_inventory(actors_tsv)
    by_index = {s.index: s for s in doc.sentences} if doc is not None else {}
    mentions: dict[int, list[MentionRef]] = {}
    if mentions_tsv is not None:
        for i, r in enumerate(read_tsv_rows(Path(mentions_tsv)), start=2):
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


