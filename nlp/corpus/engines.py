"""Engines: in this process, a local process pool, or Dask workers."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator

from ..errors import OutputError, UsageError
from ..pipeline import Pipeline
from .common import ENGINES
from .shards import ShardTask
from .worker import RunConfig, ShardResult, annotate_shard, set_progress


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(1)


def _init_process_worker(parent: int, kiwi_threads: int | None, progress=None) -> None:
    """Process-pool initializer: exit if the parent dies (kill -9), set Kiwi's thread count,
    send the shard index of each annotated document to the ``progress`` queue."""
    if kiwi_threads:
        os.environ["KDISCOURSE_KIWI_WORKERS"] = str(kiwi_threads)
    if progress is not None:
        set_progress(progress.put)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class _Engine:
    """Runs shard tasks with at most ``window`` in flight; yields results as they finish."""

    def run(self, tasks: Iterator[ShardTask], config: RunConfig) -> Iterator[ShardResult]:  # pragma: no cover
        raise NotImplementedError

    def close(self) -> None:
        pass


class _InlineEngine(_Engine):
    def __init__(self, pipeline: Pipeline | None, on_document=None) -> None:
        self.pipeline = pipeline
        self.on_document = on_document

    def run(self, tasks, config):
        set_progress(self.on_document)
        try:
            for t in tasks:
                yield annotate_shard(t, config, self.pipeline)
        finally:
            set_progress(None)


def _dead_worker(task: ShardTask, cause: object) -> OutputError:
    last = task.first + len(task.records) - 1
    return OutputError(f"shard {task.index} (records {task.first}-{last}): the worker process died twice ({cause}; "
                       "killed, or out of memory?); the shards written so far are kept, run again to resume")


def fork_is_safe() -> bool:
    """Whether the local engine's workers can be forked from this process rather than spawned.

    Forked workers start with the parent's imports, models and lexicon (about 1 s of CPU less
    per worker than a spawned one, which imports and loads everything again).  Only on Linux
    (fork is the platform's own default there) and only while this process has no Kiwi
    instance: Kiwi's worker threads would not exist in a forked child, whose Kiwi would then
    wait for them forever.  Each worker makes its own Kiwi, as a spawned one does.
    """
    import multiprocessing as mp

    from ..tokenize import kiwi_loaded

    return sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods() and not kiwi_loaded()


class _ProcessEngine(_Engine):
    def __init__(self, workers: int, kiwi_threads: int | None, on_document=None) -> None:
        import multiprocessing as mp

        self.ctx = mp.get_context("fork" if fork_is_safe() else "spawn")
        self.workers = workers
        self.kiwi_threads = kiwi_threads
        self.queue = self.reader = None
        if on_document is not None:  # per-document progress: workers put shard indices, a thread reads them
            self.queue = self.ctx.Queue()
            self.reader = threading.Thread(target=self._read_progress, args=(self.queue, on_document), daemon=True)
            self.reader.start()
        self.pool = self._new_pool(workers)

    def _new_pool(self, workers: int):
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=workers, mp_context=self.ctx, initializer=_init_process_worker,
                                   initargs=(os.getpid(), self.kiwi_threads, self.queue))

    @staticmethod
    def _read_progress(queue, on_document) -> None:
        while True:
            index = queue.get()
            if index is None:
                return
            on_document(index)

    def run(self, tasks, config):
        """Results as shards finish; a shard whose worker died is retried once, alone, then reported."""
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pending: dict = {}
        window = self.workers + 1

        def harvest(block_all: bool):
            done, _ = wait(list(pending), return_when="ALL_COMPLETED" if block_all else FIRST_COMPLETED)
            broken = []
            for f in done:
                task = pending.pop(f)
                try:
                    yield f.result()
                except BrokenProcessPool:
                    broken.append(task)
            if broken:
                # the pool is unusable: collect what the other in-flight shards did, then retry each lost one
                # alone in a fresh pool, so a shard that kills its worker again is the one reported
                for f in list(pending):
                    task = pending.pop(f)
                    try:
                        yield f.result()
                    except BrokenProcessPool:
                        broken.append(task)
                for task in sorted(broken, key=lambda t: t.index):
                    self.pool.shutdown(wait=True, cancel_futures=True)
                    self.pool = self._new_pool(self.workers)
                    try:
                        yield self.pool.submit(annotate_shard, task, config).result()
                    except BrokenProcessPool as exc:
                        raise _dead_worker(task, exc) from None
                self.pool.shutdown(wait=True, cancel_futures=True)
                self.pool = self._new_pool(self.workers)

        for t in tasks:
            pending[self.pool.submit(annotate_shard, t, config)] = t
            if len(pending) >= window:
                yield from harvest(False)
        while pending:
            yield from harvest(False)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.queue is not None:
            self.queue.put(None)
            self.reader.join(timeout=5)
            self.queue.close()


class _DaskEngine(_Engine):
    def __init__(self, scheduler: str | None, workers: int, kiwi_threads: int | None, quiet: bool) -> None:
        import logging

        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise UsageError(f"the dask engine needs dask.distributed ({exc}); "
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
        by_key = {}

        def result(fut):
            try:
                return fut.result()
            except Exception as exc:  # KilledWorker: the shard's worker died on both tries (retries=1)
                if type(exc).__name__ == "KilledWorker":
                    raise _dead_worker(by_key[fut.key], type(exc).__name__) from None
                raise

        for t in tasks:
            fut = self.client.submit(annotate_shard, t, config, key=f"kdiscourse-shard-{t.index}-{t.digest[:16]}",
                                     pure=False, retries=1)
            by_key[fut.key] = t
            ac.add(fut)
            inflight += 1
            if inflight >= self.window:
                fut = next(ac)
                inflight -= 1
                yield result(fut)
                fut.release()
        for fut in ac:
            yield result(fut)
            fut.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _make_engine(engine: str, workers: int, scheduler: str | None, pipeline: Pipeline | None,
                 kiwi_threads: int | None, quiet: bool, on_document=None) -> _Engine:
    """The engine for these options; ``on_document(shard_index)`` gets per-document progress
    (local engines; the Dask engine reports per shard)."""
    if engine not in ENGINES:
        raise UsageError(f"engine {engine!r}; allowed: {', '.join(ENGINES)}")
    if workers < 1:
        raise UsageError(f"workers {workers}: must be 1 or more")
    if engine == "dask":
        return _DaskEngine(scheduler, workers, kiwi_threads, quiet)
    if scheduler:
        raise UsageError("a scheduler address only applies to the dask engine")
    if workers == 1:
        return _InlineEngine(pipeline, on_document)
    return _ProcessEngine(workers, kiwi_threads, on_document)
