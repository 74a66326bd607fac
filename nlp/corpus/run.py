"""The run: shards through an engine into the output folder, resumable from the manifest."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..config import PipelineConfig, as_config
from ..errors import UsageError
from ..inputs import MAX_INPUT_BYTES
from ..pipeline import Pipeline
from .common import DEFAULT_SHARD_BYTES, FORMATS, MANIFEST, MANIFEST_VERSION, TABLES, IntegrityError
from .engines import _make_engine, fork_is_safe
from .lock import LOCK_FILE, folder_lock
from .readers import CorpusInput, Record
from .shards import ShardTask, auto_shard_size, iter_shards
from .store import (
    _clear_output,
    _diff,
    _read_table_file,
    _remove_stale_tmp,
    _settings,
    _write_manifest,
    atomic_write,
    read_manifest,
    shard_path,
    verify_output,
)
from .tables import profile_support
from .worker import RunConfig, adopt_pipeline, prepare_for_fork


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
        """True when every input record has its documents row."""
        return self.input_records == self.documents

    def line(self) -> str:
        """One summary line for the terminal."""
        rate = (self.documents_written / self.seconds) if self.seconds else 0.0
        resumed = f", {self.shards_resumed} done earlier" if self.shards_resumed else ""
        return (f"{self.input_records:,} input records -> {self.documents:,} document rows "
                f"({self.ok:,} ok, {self.error:,} error), {self.sentences:,} sentences, {self.mentions:,} mentions; "
                f"counts match; {self.shards} shards ({self.shards_written} written{resumed}); "
                f"{self.seconds:.1f} s, {rate:,.1f} docs/s annotated; output: {self.out_dir}")


def annotate_corpus(source: CorpusInput, out_dir: str | Path, *, engine: str = "local", workers: int = 1,
                    scheduler: str | None = None, out_format: str = "parquet",
                    shard_size: int | None = None, shard_bytes: int = DEFAULT_SHARD_BYTES,
                    config: PipelineConfig | Mapping | str | None = None,
                    overwrite: bool = False, progress: bool = True, pipeline: Pipeline | None = None,
                    max_bytes: int = MAX_INPUT_BYTES, kiwi_threads: int | None = None,
                    progress_file=None) -> RunSummary:
    """Annotate a corpus into ``out_dir``, resuming from its manifest if an earlier run stopped.

    Every input record yields exactly one ``documents`` row; at the end the
    counts of input records and rows are checked (:class:`IntegrityError` if
    they differ).  A finished output folder is verified and left untouched.
    ``config`` is the pipeline configuration (object, dict, shipped name or path; None for
    the default) that every worker builds; ``pipeline`` (in-process engine only) reuses an
    already built pipeline of that configuration.  ``shard_size`` None: the earlier run's
    (resume), else :func:`~nlp.corpus.shards.auto_shard_size` of the input's record count.
    """
    t0 = time.perf_counter()
    if out_format not in FORMATS:
        raise UsageError(f"output format {out_format!r}; allowed: {', '.join(FORMATS)}")
    if shard_size is None:
        shard_size = _resolve_shard_size(source, out_dir, workers, overwrite)
    if shard_size < 1 or shard_bytes < 1:
        raise UsageError(f"shard size {shard_size} records / {shard_bytes} bytes: both must be 1 or more")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a folder")
    if kiwi_threads is None and workers > 1:
        kiwi_threads = max(1, (os.cpu_count() or 1) // workers)
    if pipeline is None:
        # cheap: Kiwi itself loads lazily on first use, so building the stage list here costs no model load
        pipeline = Pipeline.from_config(as_config(config))
    run_config = RunConfig(pipeline=json.dumps(pipeline.config, ensure_ascii=False, sort_keys=True),
                           out_format=out_format, meta_columns=source.meta_columns,
                           meta_types=tuple(sorted(source.meta_types.items())), max_bytes=max_bytes,
                           kiwi_threads=kiwi_threads)
    if engine == "local" and workers == 1:
        pipeline = adopt_pipeline(run_config, pipeline)
    elif engine == "local" and fork_is_safe():
        prepare_for_fork(run_config, pipeline)  # the workers are forked with the models loaded
    config = run_config
    model_info: dict[str, str] = {}
    for st in pipeline.stages:
        model_info.update(st.model_info())
    profile_status = profile_support()[3]
    settings = _settings(source, config, pipeline.names, pipeline.missing, model_info, shard_size, shard_bytes,
                         profile_status)
    settings["pipeline"] = pipeline.config

    with folder_lock(out):  # one writer per output folder, for the whole run
        return _locked_run(source, out, overwrite, settings, config, pipeline, engine, workers, scheduler,
                           kiwi_threads, progress, progress_file, shard_size, shard_bytes, out_format, t0)


def _locked_run(source, out, overwrite, settings, config, pipeline, engine, workers, scheduler, kiwi_threads,
                progress, progress_file, shard_size, shard_bytes, out_format, t0) -> RunSummary:
    if overwrite and out.is_dir():
        _clear_output(out)  # the manifest, shard files and temporary files of a run; nothing else
    manifest = read_manifest(out) if out.exists() else None
    if manifest is None:
        if out.exists() and any(p.name not in (*TABLES, LOCK_FILE) for p in out.iterdir()) and not overwrite:
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
                             "overwrite it to start over, or choose another output folder")
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
    progress_lock = threading.Lock()
    reported: dict[int, int] = {}  # shard index -> documents reported by the workers so far

    def on_document(index: int) -> None:  # from the engine, per annotated document (any thread)
        if bar is None:
            return
        with progress_lock:
            if index in done:
                return
            reported[index] = reported.get(index, 0) + 1
            bar.update(1)

    def pending_tasks() -> Iterator[ShardTask]:
        for task in iter_shards(_counted(source.records(), seen), shard_size, shard_bytes):
            seen["shards"] += 1
            prev = done.get(task.index)
            if prev is not None:
                if prev["first"] != task.first or prev["records"] != len(task.records) or prev["digest"] != task.digest:
                    raise IntegrityError(f"{out}: the input changed since the earlier run (shard {task.index}, "
                                         f"records {task.first}-{task.first + len(task.records) - 1} differ); "
                                         "overwrite it to start over")
                continue
            yield task

    runner = _make_engine(engine, workers, scheduler, pipeline, kiwi_threads, not progress,
                          on_document if progress else None)
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
                with progress_lock:
                    bar.update(res.records - reported.pop(res.index, 0))
    finally:
        runner.close()
        if bar is not None:
            bar.close()

    if seen["shards"] < len(done):
        raise IntegrityError(f"{out}: the input has {seen['records']:,} records in {seen['shards']} shards, but the "
                             f"earlier run wrote {len(done)} shards; the input changed; overwrite the output to start over")
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


def _resolve_shard_size(source: CorpusInput, out_dir: str | Path, workers: int, overwrite: bool) -> int:
    """The shard size of the earlier run in ``out_dir`` (a resume), else one sized from the input."""
    out = Path(out_dir)
    if not overwrite and out.is_dir():
        earlier = read_manifest(out)
        size = (earlier or {}).get("settings", {}).get("shard_size")
        if isinstance(size, int) and size >= 1:
            return size
    return auto_shard_size(source.count() if workers > 1 else None, workers)


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
