"""Annotation of one shard in a worker process: the per-process pipeline built from the run configuration."""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from ..document import Document, Source
from ..inputs import MAX_INPUT_BYTES, document_from_bytes
from ..pipeline import Pipeline
from .common import DEFAULT_SHARD_SIZE, TABLES
from .readers import Record, dataframe_input
from .shards import ShardTask
from .tables import _encode_tables, arrow_to_pandas, document_rows, to_arrow_tables

if TYPE_CHECKING:  # pandas is imported where it is used, so `tag` never loads it
    import pandas as pd


@dataclass(frozen=True)
class RunConfig:
    """Settings a worker needs: small, picklable, the same on every worker.

    ``pipeline`` is the pipeline configuration as JSON text (a resolved configuration:
    absolute paths, every parameter), "" for the shipped default; every engine's workers
    build their pipeline from it.
    """

    pipeline: str = ""
    out_format: str = "parquet"
    meta_columns: tuple[str, ...] = ()
    meta_types: tuple[tuple[str, str], ...] = ()  # (column, string | int64 | float64 | bool | date)
    max_bytes: int = MAX_INPUT_BYTES
    kiwi_threads: int | None = None
    profile: bool = True

    def pipeline_key(self) -> str:
        """Key of the per-process pipeline cache."""
        return self.pipeline


class ShardResult(NamedTuple):
    """What a worker returns for one shard: counts, digest, the encoded tables and model info."""
    index: int
    first: int
    records: int
    digest: str
    counts: dict
    payloads: dict  # table name -> file bytes
    models: dict


_PIPELINES: dict[str, Pipeline] = {}
_PROGRESS: Callable[[int], None] | None = None  # set by an engine: called with the shard index per document


def set_progress(report: Callable[[int], None] | None) -> None:
    """Make :func:`annotate_shard` in this process call ``report(shard_index)`` after each document."""
    global _PROGRESS
    _PROGRESS = report

_PIPELINE_LOCK = threading.Lock()
_RUN_LOCK = threading.Lock()


def _build_pipeline(config: RunConfig) -> Pipeline:
    return Pipeline.from_config(json.loads(config.pipeline) if config.pipeline else None)


def adopt_pipeline(config: RunConfig, pipeline: Pipeline) -> Pipeline:
    """Use an already built pipeline as this process's pipeline for ``config`` (in-process runs)."""
    with _PIPELINE_LOCK:
        return _PIPELINES.setdefault(config.pipeline_key(), pipeline)


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


def prepare_for_fork(config: RunConfig, pipeline: Pipeline) -> None:
    """Make ``pipeline`` this process's pipeline for ``config`` and do now, once, what each forked
    worker would otherwise do on its first shard: the stages' own preparation (the classifiers'
    compiled feature tables) and, for Parquet output, importing pyarrow and pandas.  Kiwi is not
    touched: every worker loads its own (see :func:`nlp.corpus.engines.fork_is_safe`).
    """
    adopt_pipeline(config, pipeline)
    for stage in pipeline.stages:
        prepare = getattr(stage, "prepare", None)
        if callable(prepare):
            prepare()
    if config.out_format == "parquet":
        import pandas  # noqa: F401 - pyarrow imports it on the first table it writes (~0.5 s)
        import pyarrow.parquet  # noqa: F401


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


# Young-generation threshold of the cyclic garbage collector while a shard is annotated. The stages
# allocate millions of small containers (morphemes, sentences, rows) that reference counting frees;
# with Python's default (700) the collector runs every few hundred allocations and scans them
# (0.4-0.7 s of 2.3-2.6 s main-thread CPU on 300 bench documents). Annotation makes no reference
# cycles (gc.get_stats() shows none collected), so fewer collections free the same memory.
_SHARD_GC_THRESHOLD = 100_000


@contextlib.contextmanager
def _few_collections() -> Iterator[None]:
    """Run the cyclic collector's young generation every ``_SHARD_GC_THRESHOLD`` allocations, then restore."""
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], _SHARD_GC_THRESHOLD), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def annotate_records(records: Iterable[Record], config: RunConfig, pipeline: Pipeline | None = None,
                     on_document: Callable[[], None] | None = None) -> tuple[dict[str, list[dict]], dict]:
    """Annotate records into rows of the three tables (in record order), and the models seen.

    ``on_document`` is called after each document (progress).
    """
    pipeline = pipeline or worker_pipeline(config)
    with _few_collections():
        return _annotate_records(list(records), config, pipeline, on_document)


def _annotate_records(recs: list[Record], config: RunConfig, pipeline: Pipeline,
                      on_document: Callable[[], None] | None) -> tuple[dict[str, list[dict]], dict]:
    rows: dict[str, list[dict]] = {t: [] for t in TABLES}
    models: dict[str, str] = {}
    for rec, doc in zip(recs, _stream_pipeline(pipeline, recs, config.max_bytes)):
        d, s, m = document_rows(doc, rec.index, config.meta_columns, config.profile)
        rows["documents"].append(d)
        rows["sentences"].extend(s)
        rows["mentions"].extend(m)
        models.update(doc.models)
        if on_document is not None:
            on_document()
    return rows, models


def annotate_shard(task: ShardTask, config: RunConfig, pipeline: Pipeline | None = None) -> ShardResult:
    """Annotate one shard and encode its three files; the task function of every engine.

    Without ``pipeline`` the process's own (see :func:`worker_pipeline`) is
    used, one shard at a time, so a Dask worker with several threads never
    runs two shards through the same stages at once.
    """
    report = _PROGRESS
    on_document = (lambda: report(task.index)) if report is not None else None
    if pipeline is None:
        with _RUN_LOCK:
            rows, models = annotate_records(task.records, config, worker_pipeline(config), on_document)
    else:
        rows, models = annotate_records(task.records, config, pipeline, on_document)
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
                       _encode_tables(rows, config.out_format, dict(config.meta_types)), models)


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
    [['0', 'ok', 2024], ['1', 'error', 2025]]
    """
    source = dataframe_input(df, text_col, id_col, metadata_cols)
    config = RunConfig(meta_columns=source.meta_columns, meta_types=tuple(sorted(source.meta_types.items())))
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
    tables = to_arrow_tables(rows, dict(config.meta_types))
    return CorpusTables(*(arrow_to_pandas(tables[t]) for t in TABLES))
