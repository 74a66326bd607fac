"""Tagged documents to export: the JSON contract (JSON / JSONL) or an ``annotate`` output folder.

Only documents with ``status == "ok"`` are exported; the others are counted
and named in :class:`Loaded` so the caller can report them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..document import Document, Mention, Sentence
from ..errors import InputError


@dataclass(frozen=True)
class Loaded:
    """Documents read from an input, and the ids of error records that were left out."""

    documents: tuple[Document, ...]
    skipped: tuple[str, ...]


def _from_dicts(items: list, where: str) -> Loaded:
    docs, skipped = [], []
    for i, d in enumerate(items):
        if not isinstance(d, dict) or "id" not in d:
            raise InputError(f"{where}: item {i} is not a document of the JSON contract (no 'id')")
        if d.get("status", "ok") != "ok":
            skipped.append(str(d["id"]))
            continue
        try:
            docs.append(Document.from_dict(d))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: document {d['id']!r} does not follow the JSON contract ({exc!r})") from None
    return Loaded(tuple(docs), tuple(skipped))


def _text_from_sentences(sentences: list[Sentence], n_chars: int | None) -> str:
    """Rebuild a document text from its sentences: sentence texts at their offsets, spaces between.

    The ``annotate`` tables do not store the whole text; this keeps every offset exact.
    """
    size = max([s.end for s in sentences] + [n_chars or 0])
    buf = [" "] * size
    for s in sentences:
        buf[s.start:s.end] = list(s.text)
    return "".join(buf)


def _from_annotate_folder(root: Path) -> Loaded:
    from ..corpus import read_table

    docs_t = read_table(root, "documents")
    sents_t = read_table(root, "sentences")
    ments_t = read_table(root, "mentions")
    sents_by: dict[int, list] = {k: g for k, g in sents_t.groupby("input_index")} if len(sents_t) else {}
    ments_by: dict[int, list] = {k: g for k, g in ments_t.groupby("input_index")} if len(ments_t) else {}
    docs, skipped = [], []
    for row in docs_t.itertuples(index=False):
        if row.status != "ok":
            skipped.append(str(row.id))
            continue
        sents = []
        g = sents_by.get(row.input_index)
        score_cols = [c for c in (g.columns if g is not None else ()) if c.startswith(("score_dim_", "score_frame_"))]
        for s in (g.sort_values("sentence").itertuples(index=False) if g is not None else ()):
            # one float column per label (score_dim_<id>, score_frame_<id>); null where the stage did not run
            scores = {c.split("_", 2)[2]: float(getattr(s, c)) for c in score_cols
                      if getattr(s, c) is not None and getattr(s, c) == getattr(s, c)}
            sents.append(Sentence(index=int(s.sentence), start=int(s.start), end=int(s.end), text=s.text,
                                  paragraph=int(s.paragraph), dimensions=tuple(s.dimensions),
                                  frames=tuple(s.frames), scores=scores))
        ments = []
        g = ments_by.get(row.input_index)
        for m in (g.itertuples(index=False) if g is not None else ()):
            ments.append(Mention(int(m.start), int(m.end), int(m.raw_start), int(m.raw_end), m.text, m.actor, m.type,
                                 m.bloc, int(m.sentence), m.rule or ""))
        stages = tuple(x for x in row.stages.split(",") if x) if isinstance(row.stages, str) else ()
        metadata = json.loads(row.metadata) if isinstance(row.metadata, str) else {}
        models = json.loads(row.models) if isinstance(row.models, str) else {}
        docs.append(Document(id=str(row.id), text=_text_from_sentences(sents, int(row.n_chars)),
                             sentences=tuple(sents), mentions=tuple(ments), stages=stages, models=models,
                             metadata=metadata))
    return Loaded(tuple(docs), tuple(skipped))


def read_documents(path: str | Path) -> Loaded:
    """Tagged documents from ``kdiscourse tag`` JSON/JSONL or an ``annotate`` output folder.

    >>> read_documents("/nonexistent.json")
    Traceback (most recent call last):
    ...
    nlp.errors.InputError: /nonexistent.json: no such file or folder
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    if p.is_dir():
        if not (p / "manifest.json").exists():
            raise InputError(f"{p}: a folder must be a 'kdiscourse annotate' output (no manifest.json)")
        return _from_annotate_folder(p)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read ({exc})") from None
    try:
        if p.suffix == ".jsonl":
            items = [json.loads(ln) for ln in text.splitlines() if ln.strip()]
        else:
            loaded = json.loads(text)
            items = loaded if isinstance(loaded, list) else [loaded]
    except ValueError as exc:
        raise InputError(f"{p}: not JSON/JSONL of the tag contract ({exc})") from None
    return _from_dicts(items, str(p))
