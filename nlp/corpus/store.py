"""The output folder: shard files, the manifest (written atomically), verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_bytes_atomic as atomic_write
from ..errors import UsageError
from ..labels import codebook_version
from .common import _TMP_MARK, MANIFEST, TABLES, IntegrityError
from .readers import CorpusInput
from .tables import arrow_to_pandas
from .worker import RunConfig

if TYPE_CHECKING:  # pandas is imported where it is used, so `tag` never loads it
    import pandas as pd




def shard_path(out_dir: Path, table: str, index: int, out_format: str) -> Path:
    """Path of one table's shard file in an output folder."""
    return out_dir / table / f"part-{index:05d}.{out_format}"


def read_manifest(out_dir: str | Path) -> dict | None:
    """The manifest of an output folder, or None when there is none."""
    p = Path(out_dir) / MANIFEST
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IntegrityError(f"{p}: unreadable manifest ({exc}); remove the folder or overwrite it") from None


def _write_manifest(out_dir: Path, manifest: dict) -> None:
    data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=False, allow_nan=False).encode("utf-8") + b"\n"
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
    from .._version import __version__

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
        "metadata_types": dict(config.meta_types),
    }


def _diff(a: dict, b: dict) -> list[str]:
    return [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]



def _read_table_file(path: Path, out_format: str, columns: list[str] | None = None) -> pd.DataFrame:
    import pandas as pd
    if out_format == "jsonl":
        df = pd.read_json(path, lines=True, dtype=False) if path.stat().st_size else pd.DataFrame()
        return df[[c for c in columns if c in df.columns]] if columns else df
    import pyarrow.parquet as pq

    if columns:
        names = pq.ParquetFile(path).schema_arrow.names
        columns = [c for c in columns if c in names]
    return arrow_to_pandas(pq.read_table(path, columns=columns))


def check_complete(out_dir: str | Path, manifest: dict) -> None:
    """Refuse an output folder whose run has not finished (killed, still running, or failed).

    Its tables hold only the shards written so far, so any aggregate of them would
    silently describe part of the corpus.
    """
    if manifest.get("status") == "complete":
        return
    from .lock import LOCK_FILE, lock_holder

    shards = manifest.get("shards") or []
    done = sum(int(s.get("records", 0)) for s in shards if isinstance(s, dict))
    holder = f"; last writer: {lock_holder(out_dir)}" if (Path(out_dir) / LOCK_FILE).exists() else ""
    raise IntegrityError(f"{out_dir}: the run is incomplete (status {manifest.get('status')!r}, {len(shards)} shards "
                         f"with {done:,} records written so far{holder}); run annotate again with the same "
                         "input and output to finish it")


def read_table(out_dir: str | Path, table: str = "documents", columns: list[str] | None = None,
               partial: bool = False) -> pd.DataFrame:
    """One output table as a DataFrame, shards concatenated in input order.

    An incomplete run (see :func:`check_complete`) is refused unless ``partial`` is true.

    >>> read_table("/nonexistent")
    Traceback (most recent call last):
    ...
    nlp.corpus.common.IntegrityError: /nonexistent: no manifest.json; not a kdiscourse output folder
    """
    import pandas as pd
    if table not in TABLES:
        raise UsageError(f"table {table!r}; allowed: {', '.join(TABLES)}")
    out = Path(out_dir)
    manifest = read_manifest(out) if out.is_dir() else None
    if manifest is None:
        raise IntegrityError(f"{out}: no {MANIFEST}; not a kdiscourse output folder")
    if not partial:
        check_complete(out, manifest)
    fmt = manifest["settings"]["format"]
    parts = [_read_table_file(shard_path(out, table, s["index"], fmt), fmt, columns)
             for s in sorted(manifest["shards"], key=lambda s: s["index"])]
    parts = [p for p in parts if len(p.columns)]
    if not parts:
        return pd.DataFrame(columns=columns or [])
    return pd.concat(parts, ignore_index=True)


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


def group_values(docs: pd.DataFrame, name: str) -> pd.Series:
    """A documents-table column, a ``meta_`` column or a field of the metadata JSON, typed values kept
    (missing values as ``None``); used to group documents by year, outlet, register ..."""
    import pandas as pd

    for col in (name, f"meta_{name}"):
        if col in docs.columns:
            return docs[col]
    if "metadata" in docs.columns:
        values = [json.loads(s).get(name) if isinstance(s, str) else None for s in docs["metadata"]]
        if any(v is not None for v in values):
            return pd.Series(values, index=docs.index, dtype=object)
    fields = sorted({k for s in docs.get("metadata", pd.Series(dtype=object)).dropna().head(1000)
                     for k in json.loads(s)})
    raise UsageError(f"no column or metadata field {name!r}; metadata fields: {', '.join(fields) or '(none)'}")
