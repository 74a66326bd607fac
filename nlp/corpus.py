"""Batch annotation of corpora: readers, sharded atomic writers, manifest, resume, engines.

A run reads *records* from one input (a directory of ``.txt``/``.html`` files,
JSONL, CSV, Parquet or a pandas DataFrame), cuts the stream into *shards*
whose boundaries depend only on the input (``shard_size`` records or
``shard_bytes`` of text, whichever comes first), annotates each shard with the
pipeline and writes three tables per shard::

    OUT/manifest.json
    OUT/documents/part-00000.parquet   one row per input record (ok or error)
    OUT/sentences/part-00000.parquet   one row per sentence
    OUT/mentions/part-00000.parquet    one row per actor mention

Every file is written to a temporary name and renamed; a shard counts as done
only once the manifest (itself replaced atomically) lists it.  A run that was
killed starts again from the manifest: done shards are checked against the
input (a digest per shard) and skipped, the others are written again.  Because
shard boundaries are a function of the input, the rewritten files are the same
rows, so nothing is lost or duplicated, and a rerun of a finished run writes
nothing.

Engines: ``local`` (in this process, or ``workers`` processes) and ``dask``
(a ``distributed`` cluster; a local one on 127.0.0.1 without an address).  In
every engine the pipeline -- Kiwi included -- is built once per worker process,
lazily, and only records and settings travel with a task.

>>> import pandas as pd
>>> tables = annotate_dataframe(pd.DataFrame({"text": ["미국과 중국이 경쟁한다.", ""]}), "text")
>>> tables.documents[["id", "status", "n_sentences"]].to_dict("records")
[{'id': '0', 'status': 'ok', 'n_sentences': 1}, {'id': '1', 'status': 'error', 'n_sentences': 0}]
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .document import Document, Source
from .errors import AnalyzerError, InputError, UsageError
from .labels import blocs, codebook_version, dimension_ids, frame_ids
from .pipeline import MAX_INPUT_BYTES, Pipeline, document_from_bytes

if TYPE_CHECKING:  # pandas is imported where it is used, so `tag` never loads it
    import pandas as pd

MANIFEST = "manifest.json"
TABLES = ("documents", "sentences", "mentions")
FORMATS = ("parquet", "jsonl")
ENGINES = ("local", "dask")
INPUT_FORMATS = ("auto", "dir", "jsonl", "csv", "parquet")
DEFAULT_GLOBS = ("**/*.txt", "**/*.html", "**/*.htm")
DEFAULT_SHARD_SIZE = 500
DEFAULT_SHARD_BYTES = 1 << 20
MANIFEST_VERSION = 1
_TMP_MARK = ".tmp-"


class IntegrityError(AnalyzerError):
    """Output and input disagree (counts, shards or fingerprint), or the output folder is not ours."""


# --------------------------------------------------------------------------- records and inputs

@dataclass(frozen=True, slots=True)
class Record:
    """One input record: the unit that yields exactly one ``documents`` row.

    ``index`` is the record's position in the input stream and the key of all
    output rows; ``data`` is file bytes or a text field; ``error`` is set when
    the reader could not even get that far (bad JSON line, short CSV row).
    """

    index: int
    id: str
    data: bytes | str | None
    name: str
    metadata: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def size(self) -> int:
        if isinstance(self.data, bytes):
            return len(self.data)
        return len(self.data) * 3 if isinstance(self.data, str) else 0


@dataclass
class CorpusInput:
    """An input: how to stream its records, how many there are, and how to name it in the manifest."""

    kind: str
    description: dict
    meta_columns: tuple[str, ...]
    _records: Callable[[], Iterator[Record]]
    _count: Callable[[], int | None]

    def records(self) -> Iterator[Record]:
        return self._records()

    def count(self) -> int | None:
        """Number of records (a cheap pass over the input), or None where unknown."""
        return self._count()


def _jsonable(value: Any) -> Any:
    import pandas as pd
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # numpy scalar
        return _jsonable(value.item())
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _record_id(value: Any, fallback: str) -> str:
    value = _jsonable(value)
    if value is None or value == "":
        return fallback
    return str(value)


def _is_missing(value: Any) -> bool:
    import pandas as pd
    if value is None:
        return True
    try:
        return bool(pd.isna(value)) if not isinstance(value, (str, bytes, list, tuple, dict)) else False
    except (TypeError, ValueError):
        return False


def _text_record(index: int, rid: str, text: Any, name: str, metadata: dict, text_column: str) -> Record:
    if _is_missing(text):
        return Record(index, rid, None, name, metadata, f"{name}: no text (field {text_column!r} is missing or null)")
    if isinstance(text, bytes):
        return Record(index, rid, text, name, metadata)
    if not isinstance(text, str):
        return Record(index, rid, None, name, metadata,
                      f"{name}: field {text_column!r} is {type(text).__name__}, expected a string")
    return Record(index, rid, text, name, metadata)


def directory_input(root: str | Path, globs: Iterable[str] = DEFAULT_GLOBS, path_metadata: str | None = None,
                    max_bytes: int = MAX_INPUT_BYTES) -> CorpusInput:
    """Every file under ``root`` matching one of ``globs`` (recursive, sorted by relative path).

    The id is the relative path; metadata has ``path`` and the named groups of
    the ``path_metadata`` regular expression matched against it, e.g.
    ``(?P<outlet>[^/]+)/(?P<year>\\d{4})``.
    """
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    globs = tuple(globs) or DEFAULT_GLOBS
    pattern = None
    if path_metadata:
        try:
            pattern = re.compile(path_metadata)
        except re.error as exc:
            raise UsageError(f"--path-metadata {path_metadata!r} is not a regular expression: {exc}") from None
        if not pattern.groupindex:
            raise UsageError(f"--path-metadata {path_metadata!r} has no named group; write (?P<year>\\d{{4}})")
    meta_cols = ("path",) + tuple(pattern.groupindex) if pattern else ("path",)

    def paths() -> list[tuple[str, Path]]:
        found: dict[str, Path] = {}
        for g in globs:
            for p in root.glob(g):
                if p.is_file() or p.is_symlink():
                    rel = p.relative_to(root).as_posix()
                    found[rel] = p
        return sorted(found.items())

    def records() -> Iterator[Record]:
        for i, (rel, p) in enumerate(paths()):
            meta: dict[str, Any] = {"path": rel}
            if pattern:
                m = pattern.search(rel)
                meta.update({k: (m.group(k) if m else None) for k in pattern.groupindex})
            try:
                size = p.stat().st_size
                if size > max_bytes:
                    yield Record(i, rel, None, rel, meta,
                                 f"{rel}: {size:,} bytes is over the {max_bytes:,}-byte limit for one document")
                    continue
                data = p.read_bytes()
            except OSError as exc:
                yield Record(i, rel, None, rel, meta, f"{rel}: cannot read ({exc.strerror or exc})")
                continue
            yield Record(i, rel, data, rel, meta)

    desc = {"kind": "dir", "path": str(root.resolve()), "globs": list(globs), "path_metadata": path_metadata}
    return CorpusInput("dir", desc, meta_cols, records, lambda: len(paths()))


def jsonl_input(path: str | Path, id_column: str = "id", text_column: str = "text",
                metadata_columns: Iterable[str] | None = None) -> CorpusInput:
    """One record per non-blank line of a JSON Lines file (UTF-8, or CP949 per line).

    Fields other than id and text become metadata (all of them, or only
    ``metadata_columns``).  A line that is not a JSON object becomes an error row.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    wanted = tuple(metadata_columns) if metadata_columns is not None else None
    stem = path.name

    def records() -> Iterator[Record]:
        from .textrepair import decode_bytes

        index = 0
        with open(path, "rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                name = f"{stem}:{lineno}"
                fallback = name
                try:
                    line, _enc = decode_bytes(raw, name)
                    obj = json.loads(line)
                except InputError as exc:
                    yield Record(index, fallback, None, name, {}, str(exc))
                    index += 1
                    continue
                except ValueError as exc:
                    yield Record(index, fallback, None, name, {}, f"{name}: not valid JSON ({exc})")
                    index += 1
                    continue
                if not isinstance(obj, dict):
                    yield Record(index, fallback, None, name, {},
                                 f"{name}: a JSON {type(obj).__name__}, expected an object with {text_column!r}")
                    index += 1
                    continue
                rid = _record_id(obj.get(id_column), fallback)
                keys = wanted if wanted is not None else [k for k in obj if k not in (id_column, text_column)]
                meta = {k: _jsonable(obj.get(k)) for k in keys}
                yield _text_record(index, rid, obj.get(text_column), name, meta, text_column)
                index += 1

    def count() -> int:
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())

    desc = {"kind": "jsonl", "path": str(path.resolve()), "id_column": id_column, "text_column": text_column,
            "metadata_columns": list(wanted) if wanted is not None else None}
    return CorpusInput("jsonl", desc, wanted or (), records, count)


def _sniff_encoding(path: Path) -> str:
    from .textrepair import decode_bytes

    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if len(head) == 1 << 16 and b"\n" in head:
        head = head[: head.rindex(b"\n") + 1]
    try:
        _text, enc = decode_bytes(head, str(path))
    except InputError as exc:
        raise UsageError(str(exc)) from None
    return enc


def _check_columns(path: Path, columns: list[str], id_column: str, text_column: str,
                   metadata_columns: Iterable[str] | None) -> tuple[bool, tuple[str, ...]]:
    """Validate the requested columns of a table input; returns (has id column, metadata columns).

    A missing ``id`` column is allowed when it is the default (ids then come from row numbers).
    """
    if text_column not in columns:
        raise UsageError(f"{path}: no text column {text_column!r}; columns: {', '.join(columns)}")
    has_id = id_column in columns
    if not has_id and id_column != "id":
        raise UsageError(f"{path}: no id column {id_column!r}; columns: {', '.join(columns)}")
    if metadata_columns is None:
        return has_id, tuple(c for c in columns if c not in (id_column, text_column))
    meta_cols = tuple(metadata_columns)
    lacking = [c for c in meta_cols if c not in columns]
    if lacking:
        raise UsageError(f"{path}: no metadata column {', '.join(map(repr, lacking))}; columns: {', '.join(columns)}")
    return has_id, meta_cols


def csv_input(path: str | Path, id_column: str = "id", text_column: str = "text",
              metadata_columns: Iterable[str] | None = None, delimiter: str | None = None) -> CorpusInput:
    """One record per CSV row (header required; encoding sniffed as for text files; ``.tsv`` is tab-separated).

    A row with the wrong number of fields, or with bytes that do not decode,
    becomes an error row.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    delimiter = delimiter or ("\t" if path.suffix.lower() == ".tsv" else ",")
    enc = _sniff_encoding(path)
    with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
        header = next(csv.reader(fh, delimiter=delimiter), None)
    if not header:
        raise UsageError(f"{path}: empty CSV file (no header row)")
    has_id, meta_cols = _check_columns(path, header, id_column, text_column, metadata_columns)
    pos = {c: i for i, c in enumerate(header)}
    stem = path.name
    csv.field_size_limit(2**31 - 1)

    def records() -> Iterator[Record]:
        with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            next(reader, None)
            for index, row in enumerate(reader):
                name = f"{stem}:{reader.line_num}"
                fallback = f"{stem}:{index + 1}"
                rid = _record_id(row[pos[id_column]] if has_id and len(row) > pos[id_column] else None, fallback)
                meta = {c: (row[pos[c]] if len(row) > pos[c] else None) for c in meta_cols}
                if len(row) != len(header):
                    yield Record(index, rid, None, name, meta,
                                 f"{name}: {len(row)} fields, the header has {len(header)}")
                    continue
                text = row[pos[text_column]]
                if any("\udc80" <= ch <= "\udcff" for ch in text):
                    yield Record(index, rid, None, name, meta, f"{name}: text is not valid {enc}")
                    continue
                yield _text_record(index, rid, text, name, meta, text_column)

    def count() -> int:
        with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
            return max(0, sum(1 for _ in csv.reader(fh, delimiter=delimiter)) - 1)

    desc = {"kind": "csv", "path": str(path.resolve()), "encoding": enc, "delimiter": delimiter,
            "id_column": id_column, "text_column": text_column, "metadata_columns": list(meta_cols)}
    return CorpusInput("csv", desc, meta_cols, records, count)


def parquet_input(path: str | Path, id_column: str = "id", text_column: str = "text",
                  metadata_columns: Iterable[str] | None = None, batch_rows: int = 1024) -> CorpusInput:
    """One record per row of a Parquet file, read in row batches (only the needed columns)."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise UsageError(f"{path}: not a Parquet file ({exc})") from None
    names = list(pf.schema_arrow.names)
    has_id, meta_cols = _check_columns(path, names, id_column, text_column, metadata_columns)
    columns = [text_column] + ([id_column] if has_id else []) + [c for c in meta_cols if c not in (id_column,)]
    stem = path.name

    def records() -> Iterator[Record]:
        index = 0
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=columns):
            for row in batch.to_pylist():
                name = f"{stem}:row {index}"
                rid = _record_id(row.get(id_column) if has_id else None, f"{stem}:{index}")
                meta = {c: _jsonable(row.get(c)) for c in meta_cols}
                yield _text_record(index, rid, row.get(text_column), name, meta, text_column)
                index += 1

    desc = {"kind": "parquet", "path": str(path.resolve()), "id_column": id_column, "text_column": text_column,
            "metadata_columns": list(meta_cols)}
    return CorpusInput("parquet", desc, meta_cols, records, lambda: pf.metadata.num_rows)


def dataframe_input(df: pd.DataFrame, text_column: str, id_column: str | None = None,
                    metadata_columns: Iterable[str] | None = None) -> CorpusInput:
    """Records from a DataFrame's rows; ids from ``id_column`` or else the index."""
    if text_column not in df.columns:
        raise UsageError(f"no text column {text_column!r}; columns: {', '.join(map(str, df.columns))}")
    if id_column is not None and id_column not in df.columns:
        raise UsageError(f"no id column {id_column!r}; columns: {', '.join(map(str, df.columns))}")
    if metadata_columns is None:
        meta_cols = tuple(str(c) for c in df.columns if c not in (id_column, text_column))
    else:
        meta_cols = tuple(metadata_columns)
        lacking = [c for c in meta_cols if c not in df.columns]
        if lacking:
            raise UsageError(f"no metadata column {', '.join(map(repr, lacking))}; "
                             f"columns: {', '.join(map(str, df.columns))}")

    def records() -> Iterator[Record]:
        texts = df[text_column].tolist()
        ids = df[id_column].tolist() if id_column is not None else list(df.index)
        metas = {c: df[c].tolist() for c in meta_cols}
        for i, (rid, text) in enumerate(zip(ids, texts)):
            rid_s = _record_id(rid, str(i))
            meta = {c: _jsonable(metas[c][i]) for c in meta_cols}
            yield _text_record(i, rid_s, text, f"row {rid_s}", meta, text_column)

    desc = {"kind": "dataframe", "rows": len(df), "id_column": id_column, "text_column": text_column,
            "metadata_columns": list(meta_cols)}
    return CorpusInput("dataframe", desc, meta_cols, records, lambda: len(df))


def open_input(path: str | Path, input_format: str = "auto", *, id_column: str = "id", text_column: str = "text",
               metadata_columns: Iterable[str] | None = None, globs: Iterable[str] | None = None,
               path_metadata: str | None = None, max_bytes: int = MAX_INPUT_BYTES) -> CorpusInput:
    """Open ``path`` as a corpus; ``auto`` picks by kind: directory, ``.jsonl``, ``.csv``/``.tsv``, ``.parquet``.

    A single ``.txt``/``.html`` file is read as a directory of one file.
    """
    if input_format not in INPUT_FORMATS:
        raise UsageError(f"input format {input_format!r}; allowed: {', '.join(INPUT_FORMATS)}")
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{p}: no such file or directory")
    fmt = input_format
    if fmt == "auto":
        suffix = "".join(p.suffixes[-1:]).lower()
        if p.is_dir():
            fmt = "dir"
        elif suffix in (".jsonl", ".ndjson", ".json"):
            fmt = "jsonl"
        elif suffix in (".csv", ".tsv"):
            fmt = "csv"
        elif suffix in (".parquet", ".pq"):
            fmt = "parquet"
        elif suffix in (".txt", ".html", ".htm"):
            return directory_input(p.parent, (p.name,), path_metadata, max_bytes)
        else:
            raise UsageError(f"{p}: cannot tell the input format from {suffix or 'no suffix'!r}; "
                             f"use --input-format {'|'.join(INPUT_FORMATS[1:])}")
    if fmt == "dir":
        return directory_input(p, globs or DEFAULT_GLOBS, path_metadata, max_bytes)
    if fmt == "jsonl":
        return jsonl_input(p, id_column, text_column, metadata_columns)
    if fmt == "csv":
        return csv_input(p, id_column, text_column, metadata_columns)
    return parquet_input(p, id_column, text_column, metadata_columns)


# --------------------------------------------------------------------------- shards

class ShardTask(NamedTuple):
    """A run of consecutive records; what a worker receives (no models, no pipeline)."""

    index: int
    first: int
    records: tuple[Record, ...]
    digest: str


def _record_digest(h, r: Record) -> None:
    h.update(f"{r.index}\x00{r.id}\x00{r.name}\x00{r.error or ''}\x00".encode("utf-8", "surrogatepass"))
    h.update(json.dumps(r.metadata, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"))
    data = r.data
    if isinstance(data, str):
        h.update(b"s")
        h.update(data.encode("utf-8", "surrogatepass"))
    elif data is not None:
        h.update(b"b")
        h.update(data)
    h.update(b"\x01")


def iter_shards(records: Iterable[Record], shard_size: int = DEFAULT_SHARD_SIZE,
                shard_bytes: int = DEFAULT_SHARD_BYTES) -> Iterator[ShardTask]:
    """Cut records into shards: a shard closes at ``shard_size`` records or ``shard_bytes`` of data.

    Boundaries depend only on the records, so the same input always gives the same shards.
    """
    buf: list[Record] = []
    size = 0
    k = 0
    first = 0
    h = hashlib.sha256()
    for r in records:
        if not buf:
            first = r.index
        buf.append(r)
        _record_digest(h, r)
        size += r.size
        if len(buf) >= shard_size or size >= shard_bytes:
            yield ShardTask(k, first, tuple(buf), h.hexdigest())
            k += 1
            buf, size, h = [], 0, hashlib.sha256()
    if buf:
        yield ShardTask(k, first, tuple(buf), h.hexdigest())


# --------------------------------------------------------------------------- annotation of one shard

@dataclass(frozen=True)
class RunConfig:
    """Settings a worker needs: small, picklable, the same on every worker."""

    stages: tuple[str, ...] | None = None
    lexicons: tuple[str, ...] = ()
    nested: bool = False
    out_format: str = "parquet"
    meta_columns: tuple[str, ...] = ()
    max_bytes: int = MAX_INPUT_BYTES
    kiwi_threads: int | None = None
    profile: bool = True

    def pipeline_key(self) -> tuple:
        return (self.stages, self.lexicons, self.nested)


class ShardResult(NamedTuple):
    index: int
    first: int
    records: int
    digest: str
    counts: dict
    payloads: dict  # table name -> file bytes
    models: dict


_PIPELINES: dict[tuple, Pipeline] = {}
_PIPELINE_LOCK = threading.Lock()
_RUN_LOCK = threading.Lock()


def _build_pipeline(config: RunConfig) -> Pipeline:
    kw = {"lexicons": config.lexicons, "nested": config.nested}
    if config.stages:
        return Pipeline.default(config.stages, **kw)
    return Pipeline.default(**kw)


def worker_pipeline(config: RunConfig) -> Pipeline:
    """The pipeline of this process for these settings: built on first use, then reused.

    This is the per-process singleton every engine relies on: a task carries
    only records and a :class:`RunConfig`; Kiwi and the models are loaded once
    per worker process.
    """
    key = config.pipeline_key()
    pipe = _PIPELINES.get(key)
    if pipe is None:
        with _PIPELINE_LOCK:
            pipe = _PIPELINES.get(key)
            if pipe is None:
                if config.kiwi_threads:
                    os.environ.setdefault("KDISCOURSE_KIWI_WORKERS", str(config.kiwi_threads))
                pipe = _build_pipeline(config)
                _PIPELINES[key] = pipe
    return pipe


def _document_from_record(rec: Record, max_bytes: int) -> Document:
    if rec.error is not None or rec.data is None:
        return Document(id=rec.id, source=Source(rec.name, None), metadata=dict(rec.metadata), status="error",
                        error=rec.error or f"{rec.name}: no data")
    data = rec.data
    if isinstance(data, str):
        try:
            data = data.encode("utf-8")
        except UnicodeEncodeError:
            return Document(id=rec.id, source=Source(rec.name, None), metadata=dict(rec.metadata), status="error",
                            error=f"{rec.name}: text has undecodable characters (lone surrogates)")
    if len(data) > max_bytes:
        return Document(id=rec.id, source=Source(rec.name, None), metadata=dict(rec.metadata), status="error",
                        error=f"{rec.name}: {len(data):,} bytes is over the {max_bytes:,}-byte limit for one document")
    return document_from_bytes(data, rec.id, rec.name, dict(rec.metadata))


def _stream_pipeline(pipeline: Pipeline, recs: list[Record], max_bytes: int) -> Iterator[Document]:
    """Records through the pipeline as one stream, in order, one document out per record.

    Documents are made lazily so that Kiwi's threads work ahead while rows are
    built.  An unexpected failure inside a stage (or a stage that drops a
    document) stops the stream; the remaining records then go one by one, and a
    document that still fails becomes an error row: a bug costs the documents it
    hits, never the shard.
    """
    made: list[Document] = []

    def source() -> Iterator[Document]:
        for r in recs:
            d = _document_from_record(r, max_bytes)
            made.append(d)
            yield d

    done = 0
    try:
        for out in pipeline.pipe(source()):
            if done >= len(made) or out.id != made[done].id:
                break
            done += 1
            yield out
    except Exception:  # noqa: BLE001 - retried one by one below
        pass
    for i in range(done, len(recs)):
        d = made[i] if i < len(made) else _document_from_record(recs[i], max_bytes)
        try:
            yield pipeline(d)
        except StopIteration:
            yield d.with_error("internal error in the pipeline: a stage returned no document")
        except Exception as exc:  # noqa: BLE001
            yield d.with_error(f"internal error in the pipeline: {type(exc).__name__}: {exc}")


def _profile_functions():
    """``(document_profile, compare_profiles, reference, status)`` from ``nlp.profile``, or Nones and why not."""
    try:
        from . import profile as prof
    except ImportError as exc:
        return None, None, None, f"not installed ({exc})"
    doc_profile = getattr(prof, "document_profile", None)
    compare = getattr(prof, "compare_profiles", None)
    if doc_profile is None:
        return None, None, None, "not installed (nlp.profile has no document_profile)"
    loader = next((getattr(prof, n) for n in ("load_reference", "reference_profile") if hasattr(prof, n)), None)
    if compare is None or loader is None:
        return doc_profile, None, None, "installed; no comparison (no compare_profiles or reference loader)"
    try:
        reference = loader()
    except Exception as exc:  # noqa: BLE001 - a missing reference disables the comparison, not the run
        return doc_profile, None, None, f"installed; no comparison ({exc})"
    method = getattr(prof, "METHOD", "?")
    return doc_profile, compare, reference, f"installed (reference {getattr(reference, 'name', '?')!r}, " \
                                           f"method {method})"


_PROFILE_CACHE: list = []
# fields of a comparison row that the documents row already has (or that name the reference: see the manifest);
# its dim_/frame_ shares are dropped too: the share_dim_/share_frame_ columns say null where a stage did not run
_PROFILE_ROW_SKIP = frozenset({"document", "reference", "similarity", "n_sentences", "n_mentions"})


def profile_support():
    if not _PROFILE_CACHE:
        _PROFILE_CACHE.append(_profile_functions())
    return _PROFILE_CACHE[0]


def _flat(prefix: str, row: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in row.items():
        v = _jsonable(v)
        out[f"{prefix}{k}"] = v if v is None or isinstance(v, (int, float, str, bool)) else json.dumps(
            v, ensure_ascii=False, sort_keys=True)
    return out


def document_rows(doc: Document, index: int, meta_columns: tuple[str, ...] = (), profile: bool = True,
                  ) -> tuple[dict, list[dict], list[dict]]:
    """The documents row, sentence rows and mention rows of one annotated document.

    >>> from nlp.pipeline import Pipeline, document_from_text
    >>> d, s, m = document_rows(Pipeline.default(["tokenize"])(document_from_text("미국이 이겼다. 중국도.", "a")), 0)
    >>> d["n_sentences"], [(r["start"], r["end"], r["text"]) for r in s]
    (2, [(0, 8, '미국이 이겼다.'), (9, 13, '중국도.')])
    """
    sents = doc.sentences
    n = len(sents)
    ran = set(doc.stages)
    row: dict[str, Any] = {
        "input_index": index, "id": doc.id, "status": doc.status, "error": doc.error,
        "source": doc.source.path, "encoding": doc.source.encoding, "layout": doc.source.layout,
        "n_chars": len(doc.text), "n_paragraphs": sum(1 for p in doc.paragraphs if p[2] == "paragraph"),
        "n_sentences": n, "n_mentions": len(doc.mentions),
    }
    dims_ok = doc.ok and "dimensions" in ran and n > 0
    frames_ok = doc.ok and "frames" in ran and n > 0
    for d in dimension_ids():
        row[f"share_dim_{d}"] = sum(1 for s in sents if d in s.dimensions) / n if dims_ok else None
    row["share_dim_none"] = sum(1 for s in sents if not s.dimensions) / n if dims_ok else None
    for f in frame_ids():
        row[f"share_frame_{f}"] = sum(1 for s in sents if f in s.frames) / n if frames_ok else None
    row["share_frame_none"] = sum(1 for s in sents if not s.frames) / n if frames_ok else None
    actors_ok = doc.ok and "actors" in ran
    for b in blocs():
        row[f"mentions_{b}"] = sum(1 for m in doc.mentions if m.bloc == b) if actors_ok else None
    if profile and doc.ok:
        doc_profile, compare, reference, _status = profile_support()
        if doc_profile is not None:
            try:
                prof = doc_profile(doc)
                if hasattr(prof, "to_row"):
                    row.update(_flat("profile_", prof.to_row()))
                cmp = None
                if compare is not None:
                    try:
                        cmp = compare(prof, reference)
                    except AnalyzerError:  # e.g. no annotation layer in common (--stages tokenize): no score
                        row["similarity"] = None
                if cmp is not None:
                    row["similarity"] = float(cmp.similarity)
                    if hasattr(cmp, "to_row"):
                        extra = {k: v for k, v in cmp.to_row().items()
                                 if k not in _PROFILE_ROW_SKIP and not k.startswith(("dim_", "frame_"))}
                        row.update(_flat("profile_", extra))
            except Exception as exc:  # noqa: BLE001 - a profile bug makes an error row, never a lost shard
                row["status"], row["error"] = "error", f"profile: {type(exc).__name__}: {exc}"
    meta = {str(k): _jsonable(v) for k, v in doc.metadata.items()}
    row["metadata"] = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    for c in meta_columns:
        v = meta.get(c)
        row[f"meta_{c}"] = None if v is None else (v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
    row["codebook_version"] = codebook_version()
    row["models"] = json.dumps(dict(doc.models), sort_keys=True)
    row["stages"] = ",".join(doc.stages)
    if row["status"] != "ok":
        return row, [], []
    d = doc.to_dict()
    srows = [
        {"input_index": index, "doc_id": doc.id, "sentence": s["index"], "paragraph": s["paragraph"],
         "start": s["start"], "end": s["end"], "raw_start": s["raw_start"], "raw_end": s["raw_end"],
         "text": s["text"], "dimensions": s["dimensions"], "frames": s["frames"],
         "scores": json.dumps(s["scores"], sort_keys=True) if s["scores"] else None}
        for s in d["sentences"]
    ]
    mrows = [
        {"input_index": index, "doc_id": doc.id, "sentence": m["sentence"], "start": m["start"], "end": m["end"],
         "raw_start": m["raw_start"], "raw_end": m["raw_end"], "text": m["text"], "actor": m["actor"],
         "type": m["type"], "bloc": m["bloc"], "rule": m["rule"]}
        for m in d["mentions"]
    ]
    return row, srows, mrows


def _arrow_schemas(doc_rows: list[dict]):
    """Fixed schemas, so that every shard of a table has the same columns and types."""
    import pyarrow as pa

    i64, f64, s = pa.int64(), pa.float64(), pa.string()
    sent = pa.schema([("input_index", i64), ("doc_id", s), ("sentence", i64), ("paragraph", i64), ("start", i64),
                      ("end", i64), ("raw_start", i64), ("raw_end", i64), ("text", s), ("dimensions", pa.list_(s)),
                      ("frames", pa.list_(s)), ("scores", s)])
    ment = pa.schema([("input_index", i64), ("doc_id", s), ("sentence", i64), ("start", i64), ("end", i64),
                      ("raw_start", i64), ("raw_end", i64), ("text", s), ("actor", s), ("type", s), ("bloc", s),
                      ("rule", s)])
    fields: dict[str, Any] = {}
    for r in doc_rows:
        for k, v in r.items():
            if k in fields and fields[k] != pa.null():
                continue
            if k in ("input_index", "n_chars", "n_paragraphs", "n_sentences", "n_mentions") or k.startswith("mentions_"):
                fields[k] = i64
            elif k.startswith("share_") or k == "similarity":
                fields[k] = f64
            elif v is None:
                # a profile field that is null throughout a shard is numeric (string fields of a comparison
                # row are never null), so that every shard has the same type for it
                fields.setdefault(k, pa.null())
            elif isinstance(v, bool):
                fields[k] = pa.bool_()
            elif isinstance(v, (int, float)):
                fields[k] = f64
            else:
                fields[k] = s
    docs = pa.schema([(k, ((f64 if k.startswith("profile_") else s) if t == pa.null() else t))
                      for k, t in fields.items()])
    return docs, sent, ment


def _encode_tables(rows: dict[str, list[dict]], out_format: str) -> dict[str, bytes]:
    if out_format == "jsonl":
        return {t: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rs).encode("utf-8")
                for t, rs in rows.items()}
    import pyarrow as pa
    import pyarrow.parquet as pq

    schemas = dict(zip(TABLES, _arrow_schemas(rows["documents"])))
    out = {}
    for t in TABLES:
        rs = rows[t]
        if t == "documents":
            rs = [{k: (float(v) if isinstance(v, int) and schemas[t].field(k).type == pa.float64() else v)
                   for k, v in r.items()} for r in rs]
        table = pa.Table.from_pylist(rs, schema=schemas[t])
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        out[t] = buf.getvalue()
    return out


def annotate_records(records: Iterable[Record], config: RunConfig, pipeline: Pipeline | None = None,
                     ) -> tuple[dict[str, list[dict]], dict]:
    """Annotate records into rows of the three tables (in record order), and the models seen."""
    pipeline = pipeline or worker_pipeline(config)
    recs = list(records)
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    models: dict[str, str] = {}
    for rec, doc in zip(recs, _stream_pipeline(pipeline, recs, config.max_bytes)):
        d, s, m = document_rows(doc, rec.index, config.meta_columns, config.profile)
        rows["documents"].append(d)
        rows["sentences"].extend(s)
        rows["mentions"].extend(m)
        models.update(doc.models)
    return rows, models


def annotate_shard(task: ShardTask, config: RunConfig, pipeline: Pipeline | None = None) -> ShardResult:
    """Annotate one shard and encode its three files; the task function of every engine.

    Without ``pipeline`` the process's own (see :func:`worker_pipeline`) is
    used, one shard at a time, so a Dask worker with several threads never
    runs two shards through the same stages at once.
    """
    if pipeline is None:
        with _RUN_LOCK:
            rows, models = annotate_records(task.records, config, worker_pipeline(config))
    else:
        rows, models = annotate_records(task.records, config, pipeline)
    docs = rows["documents"]
    counts = {
        "documents": len(docs),
        "ok": sum(1 for r in docs if r["status"] == "ok"),
        "error": sum(1 for r in docs if r["status"] != "ok"),
        "sentences": len(rows["sentences"]),
        "mentions": len(rows["mentions"]),
        "chars": sum(r["n_chars"] for r in docs),
    }
    return ShardResult(task.index, task.first, len(task.records), task.digest, counts,
                       _encode_tables(rows, config.out_format), models)


class CorpusTables(NamedTuple):
    """The three output tables as DataFrames."""

    documents: pd.DataFrame
    sentences: pd.DataFrame
    mentions: pd.DataFrame


def annotate_dataframe(df: pd.DataFrame, text_col: str, id_col: str | None = None,
                       metadata_cols: Iterable[str] | None = None, pipeline: Pipeline | None = None,
                       batch_size: int = DEFAULT_SHARD_SIZE) -> CorpusTables:
    """Annotate a DataFrame by its text column; one ``documents`` row per DataFrame row, in order.

    Ids come from ``id_col``, else the index; other columns are metadata
    (``meta_<name>`` columns and the ``metadata`` JSON).  Memory holds the
    result tables, so for corpora that do not fit use :func:`annotate_corpus`.

    >>> import pandas as pd
    >>> t = annotate_dataframe(pd.DataFrame({"t": ["중국이 반발했다.", None], "year": [2024, 2025]}), "t")
    >>> t.documents[["id", "status", "meta_year"]].values.tolist()
    [['0', 'ok', '2024'], ['1', 'error', '2025']]
    """
    import pandas as pd
    source = dataframe_input(df, text_col, id_col, metadata_cols)
    config = RunConfig(meta_columns=source.meta_columns)
    pipeline = pipeline or worker_pipeline(config)
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    it = source.records()
    while True:
        batch = list(itertools.islice(it, batch_size))
        if not batch:
            break
        part, _models = annotate_records(batch, config, pipeline)
        for t in TABLES:
            rows[t].extend(part[t])
    schemas = _arrow_schemas(rows["documents"])
    frames = []
    for t, schema in zip(TABLES, schemas):
        frames.append(pd.DataFrame(rows[t], columns=schema.names))
    return CorpusTables(*frames)


# --------------------------------------------------------------------------- files and manifest

def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never a half-written file."""
    tmp = path.with_name(f".{path.name}{_TMP_MARK}{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def shard_path(out_dir: Path, table: str, index: int, out_format: str) -> Path:
    return out_dir / table / f"part-{index:05d}.{out_format}"


def read_manifest(out_dir: str | Path) -> dict | None:
    p = Path(out_dir) / MANIFEST
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{p}: unreadable manifest ({exc}); remove the folder or use --overwrite") from None


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8") + b"\n"
    p = out_dir / MANIFEST
    if p.exists() and p.read_bytes() == data:
        return
    atomic_write(p, data)


def _clear_output(out_dir: Path) -> None:
    for t in TABLES:
        d = out_dir / t
        if d.is_dir():
            for f in d.iterdir():
                if f.is_file() and (f.name.startswith("part-") or _TMP_MARK in f.name):
                    f.unlink()
    for f in out_dir.glob(f".{MANIFEST}{_TMP_MARK}*"):
        f.unlink()
    (out_dir / MANIFEST).unlink(missing_ok=True)


def _remove_stale_tmp(out_dir: Path) -> None:
    for d in [out_dir] + [out_dir / t for t in TABLES]:
        if d.is_dir():
            for f in d.iterdir():
                if f.name.startswith(".") and _TMP_MARK in f.name:
                    f.unlink(missing_ok=True)


def _settings(source: CorpusInput, config: RunConfig, pipeline_names: tuple[str, ...], missing: dict,
              models: dict, shard_size: int, shard_bytes: int, profile_status: str) -> dict:
    from . import __version__

    return {
        "tool": f"kdiscourse {__version__}",
        "codebook_version": codebook_version(),
        "stages": list(pipeline_names),
        "not_installed": dict(missing),
        "models": dict(models),
        "profile": profile_status,
        "input": source.description,
        "format": config.out_format,
        "shard_size": shard_size,
        "shard_bytes": shard_bytes,
        "max_bytes": config.max_bytes,
        "metadata_columns": list(config.meta_columns),
    }


def _diff(a: dict, b: dict) -> list[str]:
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]


# --------------------------------------------------------------------------- engines

def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _init_process_worker(parent: int, kiwi_threads: int | None) -> None:
    """Process-pool initializer: exit if the parent dies (kill -9), set Kiwi's thread count."""
    if kiwi_threads:
        os.environ["KDISCOURSE_KIWI_WORKERS"] = str(kiwi_threads)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class _Engine:
    """Runs shard tasks with at most ``window`` in flight; yields results as they finish."""

    def run(self, tasks: Iterator[ShardTask], config: RunConfig) -> Iterator[ShardResult]:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass


class _InlineEngine(_Engine):
    def __init__(self, pipeline: Pipeline | None) -> None:
        self.pipeline = pipeline

    def run(self, tasks, config):
        for t in tasks:
            yield annotate_shard(t, config, self.pipeline)


class _ProcessEngine(_Engine):
    def __init__(self, workers: int, kiwi_threads: int | None) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                        initializer=_init_process_worker, initargs=(os.getpid(), kiwi_threads))

    def run(self, tasks, config):
        from concurrent.futures import FIRST_COMPLETED, wait

        pending = set()
        window = self.workers + 1
        for t in tasks:
            pending.add(self.pool.submit(annotate_shard, t, config))
            if len(pending) >= window:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in done:
                yield f.result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskEngine(_Engine):
    def __init__(self, scheduler: str | None, workers: int, kiwi_threads: int | None, quiet: bool) -> None:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise UsageError(f"--engine dask needs dask.distributed ({exc}); "
                             "install it with: pip install 'kdiscourse[dask]'") from None
        self.cluster = None
        level = logging.ERROR if quiet else logging.WARNING
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="30s")
            except (OSError, TimeoutError) as exc:
                raise UsageError(f"cannot reach the Dask scheduler at {scheduler!r}: {exc}") from None
        else:
            env = {"KDISCOURSE_KIWI_WORKERS": str(kiwi_threads)} if kiwi_threads else {}
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                        dashboard_address=None, silence_logs=level, env=env)
            self.client = Client(self.cluster)
        n = len(self.client.nthreads()) if scheduler else workers
        self.window = max(2, 2 * max(1, n))

    def run(self, tasks, config):
        from distributed import as_completed

        ac = as_completed()
        inflight = 0
        for t in tasks:
            ac.add(self.client.submit(annotate_shard, t, config, key=f"kdiscourse-shard-{t.index}-{t.digest[:16]}",
                                      pure=False, retries=1))
            inflight += 1
            if inflight >= self.window:
                fut = next(ac)
                inflight -= 1
                yield fut.result()
                fut.release()
        for fut in ac:
            yield fut.result()
            fut.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _make_engine(engine: str, workers: int, scheduler: str | None, pipeline: Pipeline | None,
                 kiwi_threads: int | None, quiet: bool) -> _Engine:
    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r}; allowed: {', '.join(ENGINES)}")
    if workers < 1:
        raise UsageError(f"--workers {workers}: must be 1 or more")
    if engine == "dask":
        return _DaskEngine(scheduler, workers, kiwi_threads, quiet)
    if scheduler:
        raise UsageError("--scheduler only applies to --engine dask")
    if workers == 1:
        return _InlineEngine(pipeline)
    return _ProcessEngine(workers, kiwi_threads)


# --------------------------------------------------------------------------- the run

@dataclass
class RunSummary:
    """What a run read and wrote, after the end-of-run check."""

    out_dir: str
    input_records: int = 0
    documents: int = 0
    ok: int = 0
    error: int = 0
    sentences: int = 0
    mentions: int = 0
    chars: int = 0
    shards: int = 0
    shards_written: int = 0
    shards_resumed: int = 0
    documents_written: int = 0
    seconds: float = 0.0
    errors_sample: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.input_records == self.documents

    def line(self) -> str:
        rate = (self.documents_written / self.seconds) if self.seconds else 0.0
        resumed = f", {self.shards_resumed} done earlier" if self.shards_resumed else ""
        return (f"{self.input_records:,} input records -> {self.documents:,} document rows "
                f"({self.ok:,} ok, {self.error:,} error), {self.sentences:,} sentences, {self.mentions:,} mentions; "
                f"counts match; {self.shards} shards ({self.shards_written} written{resumed}); "
                f"{self.seconds:.1f} s, {rate:,.1f} docs/s annotated; output: {self.out_dir}")


def _count_rows(path: Path, out_format: str) -> int:
    if out_format == "jsonl":
        with open(path, "rb") as fh:
            return sum(1 for line in fh if line.strip())
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


def verify_output(out_dir: str | Path, manifest: dict | None = None) -> dict:
    """Check the files against the manifest: shards contiguous, every file present with its row count.

    Returns the totals; raises :class:`IntegrityError` on any mismatch.
    """
    out_dir = Path(out_dir)
    manifest = manifest or read_manifest(out_dir)
    if manifest is None:
        raise IntegrityError(f"{out_dir}: no {MANIFEST}; not a kdiscourse output folder")
    fmt = manifest["settings"]["format"]
    shards = sorted(manifest["shards"], key=lambda s: s["index"])
    expect_first = 0
    totals = {"records": 0, "documents": 0, "ok": 0, "error": 0, "sentences": 0, "mentions": 0, "chars": 0}
    for k, s in enumerate(shards):
        if s["index"] != k or s["first"] != expect_first:
            raise IntegrityError(f"{out_dir}: shard {s['index']} starts at record {s['first']}, expected shard {k} "
                                 f"at record {expect_first}: records lost or duplicated")
        expect_first += s["records"]
        if s["counts"]["documents"] != s["records"]:
            raise IntegrityError(f"{out_dir}: shard {k} has {s['counts']['documents']} document rows for "
                                 f"{s['records']} input records")
        for t in TABLES:
            p = shard_path(out_dir, t, k, fmt)
            if not p.exists():
                raise IntegrityError(f"{p}: missing; the manifest lists shard {k} as done")
            n = _count_rows(p, fmt)
            if n != s["counts"][t]:
                raise IntegrityError(f"{p}: {n} rows, the manifest says {s['counts'][t]}")
        totals["records"] += s["records"]
        for c in ("documents", "ok", "error", "sentences", "mentions", "chars"):
            totals[c] += s["counts"][c]
    for t in TABLES:
        d = out_dir / t
        if d.is_dir():
            expected = {shard_path(out_dir, t, k, fmt).name for k in range(len(shards))}
            extra = sorted(f.name for f in d.iterdir() if f.name.startswith("part-") and f.name not in expected)
            if extra:
                raise IntegrityError(f"{d}: files no shard of the manifest accounts for: {', '.join(extra[:5])}")
    return totals


def annotate_corpus(source: CorpusInput, out_dir: str | Path, *, engine: str = "local", workers: int = 1,
                    scheduler: str | None = None, out_format: str = "parquet",
                    shard_size: int = DEFAULT_SHARD_SIZE, shard_bytes: int = DEFAULT_SHARD_BYTES,
                    stages: Iterable[str] | None = None, lexicons: Iterable[str] = (), nested: bool = False,
                    overwrite: bool = False, progress: bool = True, pipeline: Pipeline | None = None,
                    max_bytes: int = MAX_INPUT_BYTES, kiwi_threads: int | None = None,
                    progress_file=None) -> RunSummary:
    """Annotate a corpus into ``out_dir``, resuming from its manifest if an earlier run stopped.

    Every input record yields exactly one ``documents`` row; at the end the
    counts of input records and rows are checked (:class:`IntegrityError` if
    they differ).  A finished output folder is verified and left untouched.
    ``pipeline`` (in-process engine only) reuses an already built pipeline.
    """
    t0 = time.perf_counter()
    if out_format not in FORMATS:
        raise UsageError(f"output format {out_format!r}; allowed: {', '.join(FORMATS)}")
    if shard_size < 1 or shard_bytes < 1:
        raise UsageError(f"shard size {shard_size} records / {shard_bytes} bytes: both must be 1 or more")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    stages_t = tuple(stages) if stages else None
    if kiwi_threads is None and workers > 1:
        kiwi_threads = max(1, (os.cpu_count() or 1) // workers)
    config = RunConfig(stages=stages_t, lexicons=tuple(lexicons), nested=nested, out_format=out_format,
                       meta_columns=source.meta_columns, max_bytes=max_bytes, kiwi_threads=kiwi_threads)
    if pipeline is None:
        # cheap: Kiwi itself loads lazily on first use, so building the stage list here costs no model load
        pipeline = worker_pipeline(config) if engine == "local" and workers == 1 else _build_pipeline(config)
    model_info: dict[str, str] = {}
    for st in pipeline.stages:
        model_info.update(st.model_info())
    profile_status = profile_support()[3]
    settings = _settings(source, config, pipeline.names, pipeline.missing, model_info, shard_size, shard_bytes,
                         profile_status)

    if overwrite and out.is_dir():
        _clear_output(out)  # the manifest, shard files and temporary files of a run; nothing else
    manifest = read_manifest(out) if out.exists() else None
    if manifest is None:
        if out.exists() and any(p.name not in TABLES for p in out.iterdir()) and not overwrite:
            raise UsageError(f"{out}: folder exists, is not empty and has no {MANIFEST}; choose a new or empty folder")
        out.mkdir(parents=True, exist_ok=True)
        for t in TABLES:
            (out / t).mkdir(exist_ok=True)
        manifest = {"manifest_version": MANIFEST_VERSION, "status": "running", "settings": settings,
                    "shards": [], "counts": None, "input_fingerprint": None}
        _write_manifest(out, manifest)
    else:
        before = manifest.get("settings", {})
        changed = _diff(before, settings)
        if changed:
            what = "; ".join(f"{k}: was {json.dumps(before.get(k), ensure_ascii=False)}, now "
                             f"{json.dumps(settings.get(k), ensure_ascii=False)}" for k in changed[:3])
            raise UsageError(f"{out}: was written with other settings ({what}); "
                             "use --overwrite to start over, or another output folder")
        for t in TABLES:
            (out / t).mkdir(exist_ok=True)
    _remove_stale_tmp(out)

    done = {s["index"]: s for s in manifest["shards"]}
    summary = RunSummary(out_dir=str(out))
    summary.shards_resumed = len(done)
    total = source.count() if progress else None
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=total, initial=sum(s["records"] for s in done.values()), unit="doc",
                   dynamic_ncols=True, smoothing=0.1, desc="annotate", file=progress_file or sys.stderr)
    seen = {"records": 0, "shards": 0}

    def pending_tasks() -> Iterator[ShardTask]:
        for task in iter_shards(_counted(source.records(), seen), shard_size, shard_bytes):
            seen["shards"] += 1
            prev = done.get(task.index)
            if prev is not None:
                if prev["first"] != task.first or prev["records"] != len(task.records) or prev["digest"] != task.digest:
                    raise IntegrityError(f"{out}: the input changed since the earlier run (shard {task.index}, "
                                         f"records {task.first}-{task.first + len(task.records) - 1} differ); "
                                         "use --overwrite to start over")
                continue
            yield task

    runner = _make_engine(engine, workers, scheduler, pipeline, kiwi_threads, not progress)
    try:
        for res in runner.run(pending_tasks(), config):
            for t in ("sentences", "mentions", "documents"):  # documents last: it is the row that counts
                atomic_write(shard_path(out, t, res.index, out_format), res.payloads[t])
            entry = {"index": res.index, "first": res.first, "records": res.records, "digest": res.digest,
                     "counts": res.counts}
            done[res.index] = entry
            manifest["shards"] = [done[k] for k in sorted(done)]
            seen_models = manifest.setdefault("models_seen", {})
            seen_models.update({k: v for k, v in sorted(res.models.items()) if k not in seen_models})
            _write_manifest(out, manifest)
            summary.shards_written += 1
            summary.documents_written += res.records
            if bar is not None:
                bar.update(res.records)
    finally:
        runner.close()
        if bar is not None:
            bar.close()

    if seen["shards"] < len(done):
        raise IntegrityError(f"{out}: the input has {seen['records']:,} records in {seen['shards']} shards, but the "
                             f"earlier run wrote {len(done)} shards; the input changed; use --overwrite")
    totals = verify_output(out, manifest)
    if totals["records"] != seen["records"] or totals["documents"] != seen["records"]:
        raise IntegrityError(f"{out}: {seen['records']:,} input records but {totals['documents']:,} document rows")
    fingerprint = hashlib.sha256("".join(done[k]["digest"] for k in sorted(done)).encode()).hexdigest()
    manifest.update({"status": "complete", "input_fingerprint": f"sha256:{fingerprint}",
                     "counts": {"input_records": seen["records"], **{k: totals[k] for k in totals if k != "records"}}})
    _write_manifest(out, manifest)
    summary.input_records = seen["records"]
    for c in ("documents", "ok", "error", "sentences", "mentions", "chars"):
        setattr(summary, c, totals[c])
    summary.shards = len(done)
    summary.shards_resumed = summary.shards - summary.shards_written
    summary.seconds = time.perf_counter() - t0
    if summary.error:
        summary.errors_sample = _error_sample(out, out_format, 5)
    return summary


def _counted(records: Iterator[Record], seen: dict) -> Iterator[Record]:
    for r in records:
        seen["records"] += 1
        yield r


def _error_sample(out: Path, out_format: str, limit: int) -> list[str]:
    found: list[str] = []
    for p in sorted((out / "documents").glob(f"part-*.{out_format}")):
        df = _read_table_file(p, out_format, ["id", "status", "error"])
        for rid, err in df.loc[df["status"] != "ok", ["id", "error"]].itertuples(index=False):
            found.append(err if str(err).startswith(f"{rid}:") else f"{rid}: {err}")
            if len(found) >= limit:
                return found
    return found


# --------------------------------------------------------------------------- reading results and summaries

def _read_table_file(path: Path, out_format: str, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd
    if out_format == "jsonl":
        df = pd.read_json(path, lines=True, dtype=False) if path.stat().st_size else pd.DataFrame()
        return df[[c for c in columns if c in df.columns]] if columns else df
    import pyarrow.parquet as pq

    if columns:
        names = pq.ParquetFile(path).schema_arrow.names
        columns = [c for c in columns if c in names]
    return pq.read_table(path, columns=columns).to_pandas()


def read_table(out_dir: str | Path, table: str = "documents", columns: list[str] | None = None) -> pd.DataFrame:
    """One output table as a DataFrame, shards concatenated in input order.

    >>> read_table("/nonexistent")
    Traceback (most recent call last):
    ...
    nlp.corpus.IntegrityError: /nonexistent: no manifest.json; not a kdiscourse output folder
    """
    import pandas as pd
    if table not in TABLES:
        raise UsageError(f"table {table!r}; allowed: {', '.join(TABLES)}")
    out = Path(out_dir)
    manifest = read_manifest(out) if out.is_dir() else None
    if manifest is None:
        raise IntegrityError(f"{out}: no {MANIFEST}; not a kdiscourse output folder")
    fmt = manifest["settings"]["format"]
    parts = [_read_table_file(shard_path(out, table, s["index"], fmt), fmt, columns)
             for s in sorted(manifest["shards"], key=lambda s: s["index"])]
    parts = [p for p in parts if len(p.columns)]
    if not parts:
        return pd.DataFrame(columns=columns or [])
    return pd.concat(parts, ignore_index=True)


def _group_column(docs: pd.DataFrame, name: str) -> pd.Series:
    import pandas as pd
    for col in (name, f"meta_{name}"):
        if col in docs.columns:
            return docs[col]
    if "metadata" in docs.columns:
        values = [json.loads(s).get(name) if isinstance(s, str) else None for s in docs["metadata"]]
        if any(v is not None for v in values):
            return pd.Series([v if v is None or isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                              for v in values], index=docs.index, dtype=object)
    metas = sorted({k for s in docs.get("metadata", pd.Series(dtype=object)).dropna().head(1000)
                    for k in json.loads(s)})
    raise UsageError(f"no column or metadata field {name!r}; metadata fields: {', '.join(metas) or '(none)'}")


def _sort_key(values: pd.Index) -> pd.Index:
    import pandas as pd
    num = pd.to_numeric(values, errors="coerce")
    return num if not num.isna().any() else values.astype(str)


def summarize(out_dir: str | Path, by: Iterable[str] = ()) -> pd.DataFrame:
    """Corpus-level aggregates of an output folder, one row per group of ``by`` (metadata fields or columns).

    Shares are sentence-weighted (label sentences / all sentences of the group);
    mention counts per bloc are sums; ``similarity`` is the mean over documents.
    """
    import pandas as pd
    docs = read_table(out_dir, "documents")
    by = list(by)
    if docs.empty:
        return pd.DataFrame()
    keys = []
    for name in by:
        docs[f"__{name}"] = _group_column(docs, name).fillna("(none)").astype(str)
        keys.append(f"__{name}")
    if not keys:
        docs["__all"] = "all"
        keys = ["__all"]
    ok = docs["status"] == "ok"
    docs["__ok"] = ok.astype(int)
    docs["__error"] = (~ok).astype(int)
    share_cols = [c for c in docs.columns if c.startswith("share_")]
    for c in share_cols:
        docs[f"__w_{c}"] = pd.to_numeric(docs[c], errors="coerce") * docs["n_sentences"]
        docs[f"__n_{c}"] = docs["n_sentences"].where(docs[c].notna(), 0)
    agg: dict[str, tuple[str, str]] = {"documents": ("id", "size"), "ok": ("__ok", "sum"), "error": ("__error", "sum"),
                                       "chars": ("n_chars", "sum"), "sentences": ("n_sentences", "sum"),
                                       "mentions": ("n_mentions", "sum")}
    for c in share_cols:
        agg[f"__w_{c}"] = (f"__w_{c}", "sum")
        agg[f"__n_{c}"] = (f"__n_{c}", "sum")
    for c in docs.columns:
        if c.startswith("mentions_"):
            agg[c] = (c, "sum")
    if "similarity" in docs.columns:
        agg["similarity_mean"] = ("similarity", "mean")
    g = docs.groupby(keys, dropna=False, sort=False).agg(**agg)
    for c in share_cols:
        denom = g.pop(f"__n_{c}")
        g[c] = (g.pop(f"__w_{c}") / denom).where(denom > 0)
    g.index.names = by or ["group"]
    g = g.sort_index(key=_sort_key) if len(keys) == 1 else g.sort_index()
    return g.reset_index()


_KOREAN_FONTS = ("NanumGothic", "NanumBarunGothic", "Noto Sans CJK KR", "Noto Sans KR", "Source Han Sans KR",
                 "Malgun Gothic", "AppleGothic", "UnDotum")


def plot_summary(summary: pd.DataFrame, path: str | Path, by: Iterable[str] = ()) -> Path:
    """Plot dimension and frame shares per group (one panel each) into an image file (PNG, SVG, PDF)."""
    import warnings

    import matplotlib
    import pandas as pd

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    korean = [f for f in _KOREAN_FONTS if f in installed]
    by = list(by) or ["group"]
    labels = summary[by].astype(str).agg(" / ".join, axis=1) if len(summary) else pd.Series(dtype=str)
    panels = [("dimensions", [c for c in summary.columns if c.startswith("share_dim_")]),
              ("frames", [c for c in summary.columns if c.startswith("share_frame_")]),
              ("actor mentions by bloc", [c for c in summary.columns if c.startswith("mentions_")])]
    panels = [(t, cs) for t, cs in panels if cs and summary[cs].notna().any().any()]
    if not panels:
        panels = [("documents", ["ok", "error"])]
    context = {"font.family": [korean[0], "sans-serif"]} if korean else {}
    with plt.rc_context(context), warnings.catch_warnings():
        # without a Korean font Hangul labels draw as boxes (apt-get install fonts-nanum fixes that)
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        return _draw_summary(summary, labels, panels, by, Path(path), plt)


def _draw_summary(summary, labels, panels, by, out: Path, plt) -> Path:
    import pandas as pd
    fig, axes = plt.subplots(len(panels), 1, figsize=(max(6, 0.6 * len(summary) + 4), 3.2 * len(panels)),
                             squeeze=False)
    for ax, (title, cols) in zip(axes[:, 0], panels):
        data = summary[cols].astype(float).set_axis(labels)
        data.columns = [c.removeprefix("share_dim_").removeprefix("share_frame_").removeprefix("mentions_")
                        for c in cols]
        if len(data) > 1 and pd.to_numeric(summary[by[0]], errors="coerce").notna().all() and len(by) == 1:
            data.plot(ax=ax, marker="o")
        else:
            data.plot.bar(ax=ax, rot=0)
        ax.set_title(f"{title} by {' / '.join(by)}")
        ax.set_ylabel("share of sentences" if title != "actor mentions by bloc" else "mentions")
        ax.legend(fontsize="small", ncol=3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


__all__ = [
    "CorpusInput", "CorpusTables", "IntegrityError", "Record", "RunConfig", "RunSummary", "ShardTask",
    "annotate_corpus", "annotate_dataframe", "annotate_records", "annotate_shard", "atomic_write", "csv_input",
    "dataframe_input", "directory_input", "document_rows", "iter_shards", "jsonl_input", "open_input",
    "parquet_input", "plot_summary", "read_manifest", "read_table", "summarize", "verify_output", "worker_pipeline",
]
