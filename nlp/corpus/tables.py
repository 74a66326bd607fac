"""Table rows and schemas: one documents row, sentence rows and mention rows per document."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..document import Document, json_safe
from ..errors import AnalyzerError
from ..labels import blocs, codebook_version, dimension_ids, frame_ids
from .common import TABLES
from .readers import _jsonable

if TYPE_CHECKING:  # pandas is imported where it is used
    import pandas as pd


def _profile_functions():
    """``(document_profile, comparison_row, reference, status)``; a missing reference disables the comparison."""
    from ..compare import METHOD, comparison_row
    from ..profile import document_profile, load_reference

    try:
        reference = load_reference()
    except Exception as exc:  # noqa: BLE001 - a missing reference disables the comparison, not the run
        return document_profile, None, None, f"installed; no comparison ({exc})"
    return document_profile, comparison_row, reference, \
        f"installed (reference {getattr(reference, 'name', '?')!r}, method {METHOD})"


_PROFILE_CACHE: list = []
# fields of a comparison row that the documents row already has (or that name the reference: see the manifest);
# its dim_/frame_ shares are dropped too: the share_dim_/share_frame_ columns say null where a stage did not run
_PROFILE_ROW_SKIP = frozenset({"document", "reference", "similarity", "n_sentences", "n_mentions", "name"})
# a profile row's dimension and frame shares repeat the share_dim_/share_frame_ columns: left out
_PROFILE_DUPLICATE_PREFIXES = ("dim_", "frame_")


def profile_support():
    """The profile functions and reference, loaded once per process."""
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
                    row.update(_flat("profile_", {k: v for k, v in prof.to_row().items()
                                                  if k not in _PROFILE_ROW_SKIP
                                                  and not k.startswith(_PROFILE_DUPLICATE_PREFIXES)}))
                if compare is not None:
                    try:
                        similarity, cmp_row = compare(prof, reference)
                    except AnalyzerError:  # e.g. no annotation layer in common (--stages tokenize): no score
                        row["similarity"] = None
                    else:
                        row["similarity"] = float(similarity)
                        row.update(_flat("profile_", {k: v for k, v in cmp_row.items() if k not in _PROFILE_ROW_SKIP
                                                      and not k.startswith(("dim_", "frame_"))}))
            except Exception as exc:  # noqa: BLE001 - a profile bug makes an error row, never a lost shard
                row["status"], row["error"] = "error", f"profile: {type(exc).__name__}: {exc}"
    meta = {str(k): _jsonable(v) for k, v in doc.metadata.items()}
    row["metadata"] = json.dumps(meta, ensure_ascii=False, sort_keys=True)
    for c in meta_columns:
        v = meta.get(c)
        row[f"meta_{c}"] = None if v is None else (
            v if isinstance(v, (str, int, float, bool)) else json.dumps(v, ensure_ascii=False))
    row["codebook_version"] = codebook_version()
    row["models"] = json.dumps(dict(doc.models), sort_keys=True)
    row["stages"] = ",".join(doc.stages)
    row["ext"] = json.dumps(_jsonable(dict(doc.ext)), ensure_ascii=False, sort_keys=True) if doc.ext else None
    if row["status"] != "ok":
        return row, [], []
    # built from the document's fields directly (the same values as doc.to_dict(), without its full copy)
    to_raw, doc_id, col = doc.to_raw, doc.id, _score_column_of()
    empty = dict.fromkeys(score_columns())
    srows = []
    for s in sents:
        rs, re_ = to_raw(s.start, s.end)
        scores = empty.copy()
        for label, v in (s.scores or {}).items():
            c = col.get(label)
            if c is not None:
                scores[c] = float(v)
        srows.append({"input_index": index, "doc_id": doc_id, "sentence": s.index, "paragraph": s.paragraph,
                      "start": s.start, "end": s.end, "raw_start": rs, "raw_end": re_, "text": s.text,
                      "dimensions": list(s.dimensions), "frames": list(s.frames), **scores,
                      "ext": json.dumps(json_safe(dict(s.ext)), ensure_ascii=False, sort_keys=True)
                      if s.ext else None})
    names = actor_names()
    mrows = [
        {"input_index": index, "doc_id": doc_id, "sentence": m.sentence, "start": m.start, "end": m.end,
         "raw_start": m.raw_start, "raw_end": m.raw_end, "text": m.text, "actor": m.actor,
         "name_ko": names.get(m.actor, (m.actor, m.actor))[0],
         "name_en": names.get(m.actor, (m.actor, m.actor))[1],
         "type": m.type, "bloc": m.bloc, "rule": m.rule, "known": m.known}
        for m in doc.mentions
    ]
    return row, srows, mrows


def score_columns() -> tuple[str, ...]:
    """Names of the per-label score columns of the sentences table (``score_dim_<id>``, ``score_frame_<id>``).

    >>> score_columns()[0]
    'score_dim_tech_platform'
    """
    return tuple(f"score_dim_{d}" for d in dimension_ids()) + tuple(f"score_frame_{f}" for f in frame_ids())


_SCORE_COLUMN: dict[str, str] = {}


def _score_column_of() -> dict[str, str]:
    """``{label: its score column}`` (dimensions first, so a label in both would be a dimension's)."""
    if not _SCORE_COLUMN:
        col = {f: f"score_frame_{f}" for f in frame_ids()}
        col.update({d: f"score_dim_{d}" for d in dimension_ids()})
        _SCORE_COLUMN.update(col)
    return _SCORE_COLUMN


_ACTOR_NAMES: dict[str, tuple[str, str]] = {}


def actor_names() -> dict[str, tuple[str, str]]:
    """``{actor id: (Korean display name, English name)}`` from the shipped lexicon (first names_ko, first names_en).

    >>> actor_names()["US"]
    ('미국', 'United States')
    """
    if not _ACTOR_NAMES:
        from ..lexicon import load_lexicon

        lex = load_lexicon()
        english: dict[str, str] = {}
        for surface in lex.surfaces:
            if surface.source == "names_en":
                english.setdefault(surface.actor, surface.text)
        _ACTOR_NAMES.update({a.id: (a.display or a.id, english.get(a.id, a.id)) for a in lex.actors.values()})
    return _ACTOR_NAMES


META_TYPES = ("string", "int64", "float64", "bool", "date")


def _meta_arrow_type(kind: str):
    import pyarrow as pa

    return {"int64": pa.int64(), "float64": pa.float64(), "bool": pa.bool_(), "date": pa.date32()}.get(
        kind, pa.string())


def sentence_schema():
    """Arrow schema of the sentences table (see docs/tables.md)."""
    import pyarrow as pa

    i64, f64, s = pa.int64(), pa.float64(), pa.string()
    return pa.schema([("input_index", i64), ("doc_id", s), ("sentence", i64), ("paragraph", i64), ("start", i64),
                      ("end", i64), ("raw_start", i64), ("raw_end", i64), ("text", s),
                      ("dimensions", pa.list_(s)), ("frames", pa.list_(s))]
                     + [(c, f64) for c in score_columns()] + [("ext", s)])


def mention_schema():
    """Arrow schema of the mentions table (see docs/tables.md)."""
    import pyarrow as pa

    i64, s = pa.int64(), pa.string()
    return pa.schema([("input_index", i64), ("doc_id", s), ("sentence", i64), ("start", i64), ("end", i64),
                      ("raw_start", i64), ("raw_end", i64), ("text", s), ("actor", s), ("name_ko", s),
                      ("name_en", s), ("type", s), ("bloc", s), ("rule", s), ("known", pa.bool_())])


def _arrow_schemas(doc_rows: list[dict], meta_types: Mapping[str, str] | None = None):
    """Fixed schemas, so that every shard of a table has the same columns and types."""
    import pyarrow as pa

    i64, f64, s = pa.int64(), pa.float64(), pa.string()
    sent, ment = sentence_schema(), mention_schema()
    meta_types = dict(meta_types or {})
    fields: dict[str, Any] = {}
    for r in doc_rows:
        for k, v in r.items():
            if k in fields and fields[k] != pa.null():
                continue
            if k.startswith("meta_") and k != "metadata":
                fields[k] = _meta_arrow_type(meta_types.get(k.removeprefix("meta_"), "string"))
            elif k in ("input_index", "n_chars", "n_paragraphs", "n_sentences", "n_mentions") or k.startswith("mentions_"):
                fields[k] = i64
            elif k.startswith("share_") or k == "similarity":
                fields[k] = f64
            elif k == "ext":
                fields[k] = s
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


def _arrow_value(value: Any, typ) -> Any:
    """A row value converted to what pyarrow expects for ``typ`` (ISO text to a date, ints to floats)."""
    import datetime as dt

    import pyarrow as pa

    if value is None:
        return None
    if typ == pa.float64() and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if typ == pa.date32() and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    return value


def to_arrow_tables(rows: dict[str, list[dict]], meta_types: Mapping[str, str] | None = None) -> dict:
    """The rows of the three tables as Arrow tables with the fixed schemas (typed metadata columns included)."""
    import pyarrow as pa

    schemas = dict(zip(TABLES, _arrow_schemas(rows["documents"], meta_types)))
    out = {}
    for t in TABLES:
        rs = rows[t]
        if t == "documents":
            rs = [{k: _arrow_value(v, schemas[t].field(k).type) for k, v in r.items()} for r in rs]
        out[t] = pa.Table.from_pylist(rs, schema=schemas[t])
    return out


def _encode_tables(rows: dict[str, list[dict]], out_format: str,
                   meta_types: Mapping[str, str] | None = None) -> dict[str, bytes]:
    if out_format == "jsonl":
        return {t: "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rs).encode("utf-8")
                for t, rs in rows.items()}
    import pyarrow.parquet as pq

    out = {}
    for t, table in to_arrow_tables(rows, meta_types).items():
        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        out[t] = buf.getvalue()
    return out


def arrow_to_pandas(table) -> pd.DataFrame:
    """An Arrow table as a DataFrame with the metadata types kept: integer ``meta_`` columns with a missing
    value become nullable ``Int64`` (not float), dates become ``datetime64``."""
    import pandas as pd
    import pyarrow as pa

    df = table.to_pandas(date_as_object=False)
    for f in table.schema:
        if f.name.startswith("meta_") and pa.types.is_integer(f.type) and table.column(f.name).null_count:
            df[f.name] = pd.array(table.column(f.name).to_pylist(), dtype="Int64")
    return df
