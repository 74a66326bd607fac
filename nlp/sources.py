"""Documents and profiles from whatever path a user gives: a text file, annotated JSON, a JSONL
corpus (tag output or the team gold format), a profile JSON or a folder of text files.

Text is annotated by a pipeline built from a configuration (see :mod:`nlp.config`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from .document import Document, Sentence, Source
from .errors import InputError, UsageError
from .formats import validate_team_document

LABEL_STAGES = ("dimensions", "actors", "frames")


def document_from_record(rec: dict, line: int = 0, where: str | None = None) -> Document:
    """A document from one JSON record: the JSON contract or the team gold format.

    The team format (``corpus/team/FORMAT.md``) has sentences with text and labels
    but no offsets and no mentions: the text is the sentences joined by spaces and
    only the dimension and frame layers count as annotated.

    >>> d = document_from_record({"id": "x", "sentences": [{"text": "미국이다.", "dimensions": [], "frames": []},
    ...                                                   {"text": "중국이다.", "dimensions": [], "frames": []}]})
    >>> d.text, d.sentences[1].start
    ('미국이다. 중국이다.', 6)
    """
    where = where or f"line {line}"
    if not isinstance(rec, dict) or "sentences" not in rec:
        raise InputError(f"{where}: not a document record (needs 'sentences')")
    sents = rec["sentences"]
    if not isinstance(sents, list):
        raise InputError(f"{where}: sentences must be a list, got {type(sents).__name__}")
    if "text" in rec and all(isinstance(s, dict) and "start" in s for s in sents):
        return Document.from_dict(rec, where)
    validate_team_document(rec, where)
    parts, out, pos = [], [], 0
    for i, s in enumerate(sents):
        t = s["text"]
        out.append(Sentence(i, pos, pos + len(t), t, 0, dimensions=tuple(s.get("dimensions", ())),
                            frames=tuple(s.get("frames", ()))))
        parts.append(t)
        pos += len(t) + 1
    text = " ".join(parts)
    meta = {k: v for k, v in rec.items() if k not in ("id", "sentences")}
    return Document(id=str(rec.get("id", f"line{line}")), text=text, source=Source(None, "utf-8"),
                    sentences=tuple(out), paragraphs=((0, len(text), "paragraph"),), metadata=meta,
                    stages=("gold_dimensions", "gold_frames"))


def documents_from_jsonl(path: str | Path) -> Iterator[Document]:
    """Documents from a JSONL file, one per line (see :func:`document_from_record`)."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from exc
            yield document_from_record(rec, n, f"{path}:{n}")


def add_actors(docs: list[Document]) -> list[Document]:
    """Add actor mentions to gold documents that lack them, if the actor stage is installed.

    Mentions are attached to the gold sentence that contains them; labels are kept.
    """
    todo = [d for d in docs if d.ok and "gold_dimensions" in d.stages and "actors" not in d.stages]
    if not todo:
        return docs
    from .errors import ModelError
    from .pipeline import Pipeline, document_from_text

    try:
        pipe = Pipeline.default(["tokenize", "actors"], strict=True)
    except ModelError:
        return docs
    done = {}
    for d, tagged in zip(todo, pipe.pipe(document_from_text(d.text, d.id) for d in todo)):
        if not tagged.ok:
            continue
        ms = []
        for m in tagged.mentions:
            # offsets into the text as given (repair may have normalised characters)
            a, b = (m.start, m.end) if tagged.text == d.text else tagged.to_raw(m.start, m.end)
            s = next((s for s in d.sentences if s.start <= a < s.end), None)
            if s is not None:
                ms.append(replace(m, start=a, end=b, raw_start=a, raw_end=b, text=d.text[a:b], sentence=s.index))
        done[d.id] = replace(d, mentions=tuple(ms), stages=d.stages + ("actors",),
                             models={**d.models, **tagged.models})
    return [done.get(d.id, d) for d in docs]


def _annotate(paths: list[Path], config=None) -> list[Document]:
    from .pipeline import Pipeline, document_from_path

    pipe = Pipeline.from_config(config)
    docs = list(pipe.pipe(document_from_path(p) for p in paths))
    lacking = [s for s in LABEL_STAGES if s in pipe.missing]
    if len(lacking) == len(LABEL_STAGES):
        raise UsageError("comparison needs annotated text, but none of the labelling stages is installed ("
                         + "; ".join(f"{k}: {pipe.missing[k]}" for k in lacking)
                         + "); give an annotated JSON/JSONL file instead")
    for k in lacking:
        print(f"kdiscourse: note: stage {k} is not installed ({pipe.missing[k]}); its part of the "
              "comparison is left out", file=sys.stderr)
    return docs


CORPUS_SUFFIXES = (".csv", ".tsv", ".parquet", ".pq")


def _jsonl_is_annotated(p: Path) -> bool:
    """True when the first record of a JSONL file is an annotated document (has ``sentences``)."""
    with open(p, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.strip():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    return True  # let the annotated reader report the bad line
                return not (isinstance(rec, dict) and "text" in rec and "sentences" not in rec)
    return True


def count_documents(spec: str | Path) -> int | None:
    """How many documents a path holds, counted without annotating (None when it cannot tell cheaply).

    A folder counts its text and HTML files; CSV, Parquet and JSONL files their records.
    """
    from .corpus.readers import open_input

    p = Path(spec)
    if str(spec) == "essay" or not p.exists():
        return None
    if p.is_dir():
        return sum(1 for x in p.iterdir() if x.suffix.lower() in (".txt", ".text", ".html", ".htm"))
    if p.suffix.lower() in CORPUS_SUFFIXES or p.suffix.lower() in (".jsonl", ".ndjson"):
        try:
            return open_input(p).count()
        except (InputError, UsageError):
            return None
    return 1 if p.suffix.lower() != ".json" else None


def _annotate_corpus_file(p: Path, config=None) -> list[Document]:
    """A CSV, Parquet or raw-text JSONL corpus (``id``/``text`` columns, the rest metadata), annotated."""
    from .corpus.readers import open_input
    from .inputs import document_from_bytes, document_from_text
    from .pipeline import Pipeline

    source = open_input(p)

    def docs() -> Iterator[Document]:
        for r in source.records():
            if r.error is not None:
                yield Document(id=r.id, source=Source(r.name, None), metadata=dict(r.metadata), status="error",
                               error=r.error)
            elif isinstance(r.data, bytes):
                yield document_from_bytes(r.data, r.id, r.name, dict(r.metadata))
            else:
                yield document_from_text(r.data, r.id, dict(r.metadata), r.name)

    pipe = Pipeline.from_config(config)
    return list(pipe.pipe(docs()))


def read_documents(spec: str | Path, config=None) -> list[Document]:
    """Documents from a path: text file, JSON document(s), JSONL (annotated documents or a corpus of
    ``id``/``text`` records), CSV/TSV or Parquet corpus, or a directory of ``*.txt``/``*.html``.

    Text is annotated with the pipeline ``config`` (None: the shipped default).
    """
    p = Path(spec)
    if p.is_dir():
        files = sorted(x for x in p.iterdir() if x.suffix.lower() in (".txt", ".text", ".html", ".htm"))
        if not files:
            raise InputError(f"{p}: directory has no .txt/.html files")
        return _annotate(files, config)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.suffix.lower() in CORPUS_SUFFIXES:
        return _annotate_corpus_file(p, config)
    if p.suffix.lower() in (".jsonl", ".ndjson"):
        if not _jsonl_is_annotated(p):
            return _annotate_corpus_file(p, config)
        return add_actors(list(documents_from_jsonl(p)))
    if p.suffix.lower() == ".json":
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not a JSON file ({exc})") from exc
        recs = data if isinstance(data, list) else [data]
        return add_actors([document_from_record(r, i + 1, f"{p}" if len(recs) == 1 else f"{p}[{i}]")
                           for i, r in enumerate(recs)])
    return _annotate([p], config)


def load_profile(spec: str | Path | None, name: str | None = None, config=None):
    """A profile from ``essay`` (the shipped reference), a profile JSON, or documents (see :func:`read_documents`)."""
    from .profile import PROFILE_FORMAT, corpus_profile, document_profile, load_reference

    if spec is None or str(spec) == "essay":
        return load_reference(), []
    p = Path(spec)
    if p.suffix.lower() == ".json" and p.is_file():
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{p}: not a JSON file ({exc})") from exc
        if isinstance(data, dict) and data.get("format") == PROFILE_FORMAT:
            return load_reference(p), []
    docs = read_documents(p, config)
    bad = [d for d in docs if not d.ok]
    good = [d for d in docs if d.ok]
    if not good:
        raise InputError(f"{p}: no document could be analysed: {bad[0].error if bad else 'empty'}")
    if len(good) == 1 and len(docs) == 1:
        return document_profile(good[0], name=name or good[0].id), docs
    return corpus_profile(docs, name=name or p.name), docs


