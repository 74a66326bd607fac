"""The real-text development set: standoff records, sentence hashes, the local cache.

The set's texts are third-party web pages, so the repository holds only
*standoff* records (``corpus/devset/documents_*.jsonl``): the page's URL, the
query that finds it with the search tool, and per sentence its character
offsets into the page excerpt, a hash of its text and its labels.  The texts
themselves are rebuilt into a git-ignored cache (``.cache/devset``) by
``scripts/devset.py build``; this module reads that cache for evaluation.

Offsets: a sentence's ``start``/``end`` index the excerpt string exactly as the
search tool returned it; an actor's ``start``/``end`` index the sentence text
(``excerpt[start:end]``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .formats import compact_sha

DEFAULT_CACHE = Path(".cache/devset")
SENTENCES_FILE = "sentences.jsonl"

_WHITESPACE = re.compile(r"\s+")
_FINAL_PUNCT = ".?!。？！…"
_CLOSERS = "'\"’”)]』」》〉」"
# Sentence-final endings that close a Korean sentence without punctuation
# (plain declaratives, polite forms, nominal endings of reports and bullets).
_TERMINAL_ENDINGS = ("다", "요", "까", "음", "함", "임", "됨", "봄", "것", "죠")


sentence_sha = compact_sha  # the one definition lives in nlp.formats


def looks_complete(text: str) -> bool:
    """Whether a sentence ends the way a finished sentence does (final
    punctuation, possibly followed by closing quotes or brackets, or a
    sentence-final ending).  Used to drop the sentence an excerpt cuts off.

    >>> looks_complete("정부는 GPU를 확보한다.")
    True
    >>> looks_complete("“AI 주권이 필요하다”")
    True
    >>> looks_complete("한편, 산")
    False
    """
    t = text.rstrip()
    while t and t[-1] in _CLOSERS:
        t = t[:-1].rstrip()
    if not t:
        return False
    return t[-1] in _FINAL_PUNCT or t.endswith(_TERMINAL_ENDINGS)


def segment_excerpt(excerpt: str, pipeline, drop_cut: bool = True) -> list[dict]:
    """Split an excerpt into sentences with the project's pipeline.

    ``pipeline`` is a ``Pipeline`` with at least the ``tokenize`` stage.  Each
    item has ``start``/``end`` into ``excerpt`` (the sentence's raw offsets),
    ``text`` (``excerpt[start:end]``) and ``sha``.  With ``drop_cut`` the last
    sentence is dropped when it does not look complete (the excerpt ends
    mid-sentence).  Empty slices are skipped.
    """
    from .pipeline import document_from_text

    doc = pipeline(document_from_text(excerpt, "excerpt"))
    if not doc.ok:
        raise ValueError(f"the excerpt could not be read: {doc.error}")
    out: list[dict] = []
    for s in doc.sentences:
        a, b = doc.to_raw(s.start, s.end)
        text = excerpt[a:b]
        if not text.strip():
            continue
        out.append({"start": a, "end": b, "text": text, "sha": sentence_sha(text)})
    if drop_cut and out and not excerpt[out[-1]["end"]:].strip():  # the last sentence ends the excerpt
        last = out[-1]["text"].rstrip()
        # cut mid-sentence, or cut and marked with a two-dot ellipsis ("보증금 회수..")
        if not looks_complete(last) or (last.endswith("..") and not last.endswith("...")):
            out.pop()
    return out


def iter_jsonl(path: str | Path) -> Iterator[dict]:
    """Records of a JSON-lines file, skipping blank lines."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def load_devset(cache_dir: str | Path = DEFAULT_CACHE, records_dir: str | Path | None = None) -> list[dict] | None:
    """The rebuilt development set as per-document dicts, or ``None`` when the
    cache has not been built (evaluation commands then say so).

    Each document: ``id``, ``url``, ``outlet``, ``register``, ``year``,
    ``topic``, ``annotator`` and ``sentences`` (in order), each sentence with
    ``index``, ``text``, ``dimensions``, ``frames`` and ``actors`` (offsets into
    the sentence text).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> load_devset(d) is None
    True
    >>> line = {"doc": "dev-a-001", "index": 0, "text": "한국은 소버린 AI를 키운다.",
    ...         "dimensions": ["regulation_discourse"], "frames": ["sovereignty"],
    ...         "actors": [{"start": 0, "end": 2, "id": "KR", "type": "state", "bloc": "KR"}],
    ...         "url": "https://example.org/1", "outlet": "예시", "register": "column",
    ...         "year": 2025, "topic": "ai", "annotator": "A"}
    >>> _ = (d / "sentences.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\\n", encoding="utf-8")
    >>> docs = load_devset(d)
    >>> docs[0]["id"], docs[0]["sentences"][0]["frames"]
    ('dev-a-001', ['sovereignty'])
    """
    path = Path(cache_dir) / SENTENCES_FILE
    if not path.is_file():
        return None
    return group_sentences(with_labels(iter_jsonl(path), records_dir))


def with_labels(rows: Iterable[dict], records_dir: str | Path | None = None) -> Iterator[dict]:
    """Cache rows (``doc``, ``index``, ``text``) joined with their labels and document fields from the
    tracked standoff records (``corpus/devset/documents_*.jsonl``); a row that already carries
    labels is kept as it is.  The cache holds only the third-party text, nothing derivable."""
    records: dict[str, dict] | None = None
    for r in rows:
        if "dimensions" in r:
            yield r
            continue
        if records is None:
            folder = Path(records_dir) if records_dir else Path(__file__).resolve().parent.parent / "corpus" / "devset"
            records = {d["id"]: d for f in sorted(folder.glob("documents_*.jsonl")) for d in iter_jsonl(f)}
        rec = records.get(r["doc"])
        if rec is None:
            continue  # a cached document whose record is gone
        s = rec["sentences"][r["index"]]
        yield {**{k: rec.get(k) for k in ("url", "outlet", "register", "year", "topic", "annotator")}, **r,
               "dimensions": s["dimensions"], "frames": s["frames"], "actors": s.get("actors", [])}


def group_sentences(rows: Iterable[dict]) -> list[dict]:
    """Group sentence rows (one per line of the cache) into documents, keeping
    first-seen document order and sentence index order."""
    docs: dict[str, dict] = {}
    for r in rows:
        doc = docs.get(r["doc"])
        if doc is None:
            doc = docs[r["doc"]] = {
                "id": r["doc"], "url": r.get("url"), "outlet": r.get("outlet"), "register": r.get("register"),
                "year": r.get("year"), "topic": r.get("topic"), "annotator": r.get("annotator"), "sentences": [],
            }
        doc["sentences"].append({
            "index": r["index"], "text": r["text"], "dimensions": list(r.get("dimensions", ())),
            "frames": list(r.get("frames", ())), "actors": list(r.get("actors", ())),
        })
    for doc in docs.values():
        doc["sentences"].sort(key=lambda s: s["index"])
    return list(docs.values())
