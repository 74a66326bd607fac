"""Corpus readers: a directory, JSONL, CSV, Parquet or a DataFrame become a stream of records."""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, UsageError
from ..inputs import MAX_INPUT_BYTES, read_file_bytes
from .common import DEFAULT_GLOBS, INPUT_FORMATS

if TYPE_CHECKING:  # pandas is imported where it is used, so `tag` never loads it
    import pandas as pd




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
        """Size of the record's text in bytes."""
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
    meta_types: dict[str, str] = field(default_factory=dict)  # column -> string | int64 | float64 | bool | date

    def records(self) -> Iterator[Record]:
        """The records, in input order (a fresh iterator each call)."""
        return self._records()

    def count(self) -> int | None:
        """Number of records (a cheap pass over the input), or None where unknown."""
        return self._count()


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # NaN and infinities are not JSON
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and not hasattr(value, "__len__"):  # numpy scalar
        return _jsonable(value.item())
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    import pandas as pd  # only here: a worker that never meets such a value does not import pandas (~0.9 s)

    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


_INT_TEXT = re.compile(r"[+-]?\d{1,18}")
_FLOAT_TEXT = re.compile(r"[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?")
_DATE_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}")


def _value_kind(value: Any, parse_text: bool = True) -> str | None:
    """The narrowest column type that holds ``value`` (None for a missing value); text is read as a number
    or a date only with ``parse_text`` (untyped sources: CSV, file paths)."""
    import datetime as dt

    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return None if math.isnan(value) else "float64"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, str) and parse_text:
        v = value.strip()
        if _INT_TEXT.fullmatch(v) and not (len(v) > 1 and v.lstrip("+-").startswith("0")):
            return "int64"
        if _FLOAT_TEXT.fullmatch(v):
            return "float64"
        if _DATE_TEXT.fullmatch(v):
            try:
                dt.date.fromisoformat(v)
                return "date"
            except ValueError:
                return "string"
    return "string"


def infer_meta_types(rows: Iterable[Mapping[str, Any]], columns: Iterable[str],
                     parse_text: bool = True) -> dict[str, str]:
    """Column types of metadata values: ``int64`` when every value is an integer (or integer text), ``float64``
    for numbers, ``date`` for ISO dates (YYYY-MM-DD), ``bool``, else ``string``; missing values do not count.

    Text is parsed only with ``parse_text`` (CSV and path values, which carry no type); a typed source
    (JSON, a DataFrame) keeps its strings as strings. Integer text with a leading zero (a code such
    as ``007``) stays a string.

    >>> infer_meta_types([{"year": "2023", "day": "2024-01-05", "outlet": "한겨레"}, {"year": 2024}],
    ...                  ["year", "day", "outlet"])
    {'year': 'int64', 'day': 'date', 'outlet': 'string'}
    """
    columns = tuple(columns)
    seen: dict[str, set[str]] = {c: set() for c in columns}
    for row in rows:
        for c in columns:
            k = _value_kind(row.get(c), parse_text)
            if k is not None:
                seen[c].add(k)
    out = {}
    for c in columns:
        kinds = seen[c]
        if len(kinds) == 1:
            out[c] = next(iter(kinds))
        elif kinds and kinds <= {"int64", "float64"}:
            out[c] = "float64"
        else:
            out[c] = "string"
    return out


def coerce_meta(value: Any, kind: str) -> Any:
    """A metadata value as the column type says: integer text to int, ``"3.5"`` to float, dates as ISO text.

    >>> coerce_meta("2023", "int64"), coerce_meta("", "int64"), coerce_meta(2, "string")
    (2023, None, '2')
    """
    import datetime as dt

    if value is None or (isinstance(value, str) and value.strip() == "" and kind != "string"):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if kind == "int64":
        return int(value)
    if kind == "float64":
        return float(value)
    if kind == "bool":
        return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
    if kind == "date":
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10]
        return dt.date.fromisoformat(str(value).strip()[:10]).isoformat()
    return value if isinstance(value, str) else str(value)


def _coerce_all(meta: Mapping[str, Any], types: Mapping[str, str]) -> dict[str, Any]:
    """Every value as its column's type; a value that does not fit (a field of a malformed CSV row,
    which becomes an error row anyway) becomes null rather than breaking the shard's schema."""
    out = {}
    for k, v in meta.items():
        try:
            out[k] = coerce_meta(v, types[k]) if k in types else v
        except (TypeError, ValueError):
            out[k] = None
    return out


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
            raise UsageError(f"path metadata pattern {path_metadata!r} is not a regular expression: {exc}") from None
        if not pattern.groupindex:
            raise UsageError(f"path metadata pattern {path_metadata!r} has no named group; write (?P<year>\\d{{4}})")
    meta_cols = ("path",) + tuple(pattern.groupindex) if pattern else ("path",)

    def paths() -> list[tuple[str, Path]]:
        found: dict[str, Path] = {}
        for g in globs:
            for p in root.glob(g):
                if p.is_symlink() or not p.is_dir():  # special files too: they become error rows
                    rel = p.relative_to(root).as_posix()
                    found[rel] = p
        return sorted(found.items())

    def records() -> Iterator[Record]:
        for i, (rel, p) in enumerate(paths()):
            meta: dict[str, Any] = {"path": rel}
            if pattern:
                m = pattern.search(rel)
                meta.update({k: (m.group(k) if m else None) for k in pattern.groupindex})
            try:  # FIFOs, devices and links to them are error rows, never opened (a FIFO would block)
                data = read_file_bytes(p, max_bytes, name=rel)
            except InputError as exc:
                yield Record(i, rel, None, rel, meta, str(exc))
                continue
            yield Record(i, rel, data, rel, meta)

    types = {"path": "string"}
    if pattern:
        groups = [{k: (m.group(k) if m else None) for k in pattern.groupindex}
                  for m in (pattern.search(rel) for rel, _p in paths())]
        types.update(infer_meta_types(groups, pattern.groupindex))
    plain_records = records

    def typed_records() -> Iterator[Record]:
        for r in plain_records():
            yield Record(r.index, r.id, r.data, r.name, _coerce_all(r.metadata, types), r.error)

    desc = {"kind": "dir", "path": str(root.resolve()), "globs": list(globs), "path_metadata": path_metadata}
    return CorpusInput("dir", desc, meta_cols, typed_records, lambda: len(paths()), types)


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
        from ..textrepair import decode_bytes

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

    types = infer_meta_types((r.metadata for r in records()), wanted, parse_text=False) if wanted else {}
    plain_records = records

    def typed_records() -> Iterator[Record]:
        for r in plain_records():
            yield Record(r.index, r.id, r.data, r.name, _coerce_all(r.metadata, types), r.error)

    desc = {"kind": "jsonl", "path": str(path.resolve()), "id_column": id_column, "text_column": text_column,
            "metadata_columns": list(wanted) if wanted is not None else None}
    return CorpusInput("jsonl", desc, wanted or (), typed_records, count, types)


def _sniff_encoding(path: Path) -> str:
    from ..textrepair import decode_bytes

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
            index = -1
            while True:
                first_line = reader.line_num + 1  # a record's source is the line it starts on
                row = next(reader, None)
                if row is None:
                    break
                index += 1
                name = f"{stem}:{first_line}"
                fallback = f"{stem}:{index + 1}"
                rid = _record_id(row[pos[id_column]] if has_id and len(row) > pos[id_column] else None, fallback)
                meta = {c: (row[pos[c]] if len(row) > pos[c] else None) for c in meta_cols}
                if types:
                    meta = _coerce_all(meta, types)
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

    types: dict[str, str] = {}
    if meta_cols:
        with open(path, encoding=enc, errors="surrogateescape", newline="") as fh:
            rows = csv.reader(fh, delimiter=delimiter)
            next(rows, None)
            types = infer_meta_types(({c: row[pos[c]] for c in meta_cols} for row in rows if len(row) == len(header)),
                                     meta_cols)

    desc = {"kind": "csv", "path": str(path.resolve()), "encoding": enc, "delimiter": delimiter,
            "id_column": id_column, "text_column": text_column, "metadata_columns": list(meta_cols)}
    return CorpusInput("csv", desc, meta_cols, records, count, types)


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

    types = {c: _arrow_kind(pf.schema_arrow.field(c).type) for c in meta_cols}
    plain_records = records

    def typed_records() -> Iterator[Record]:
        for r in plain_records():
            yield Record(r.index, r.id, r.data, r.name, _coerce_all(r.metadata, types), r.error)

    desc = {"kind": "parquet", "path": str(path.resolve()), "id_column": id_column, "text_column": text_column,
            "metadata_columns": list(meta_cols)}
    return CorpusInput("parquet", desc, meta_cols, typed_records, lambda: pf.metadata.num_rows, types)


def _arrow_kind(typ) -> str:
    """The metadata column type of an Arrow type."""
    import pyarrow as pa

    if pa.types.is_integer(typ):
        return "int64"
    if pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return "float64"
    if pa.types.is_boolean(typ):
        return "bool"
    if pa.types.is_date(typ) or pa.types.is_timestamp(typ):
        return "date"
    return "string"


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

    types = infer_meta_types(({c: _jsonable(v) for c, v in zip(meta_cols, vals)}
                              for vals in zip(*(df[c].tolist() for c in meta_cols))), meta_cols, parse_text=False) \
        if meta_cols else {}
    plain_records = records

    def typed_records() -> Iterator[Record]:
        for r in plain_records():
            yield Record(r.index, r.id, r.data, r.name, _coerce_all(r.metadata, types), r.error)

    desc = {"kind": "dataframe", "rows": len(df), "id_column": id_column, "text_column": text_column,
            "metadata_columns": list(meta_cols)}
    return CorpusInput("dataframe", desc, meta_cols, typed_records, lambda: len(df), types)


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
                             f"name the input format ({'|'.join(INPUT_FORMATS[1:])})")
    if fmt == "dir":
        return directory_input(p, globs or DEFAULT_GLOBS, path_metadata, max_bytes)
    if fmt == "jsonl":
        return jsonl_input(p, id_column, text_column, metadata_columns)
    if fmt == "csv":
        return csv_input(p, id_column, text_column, metadata_columns)
    return parquet_input(p, id_column, text_column, metadata_columns)
