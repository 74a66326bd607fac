"""Scoring saved models on a user's own gold: sentence labels (with bootstrap intervals) and actor spans.

The gold is team-format JSONL (``corpus/team/FORMAT.md``), a folder of such files, or what
``kdiscourse import`` writes from Label Studio, doccano or INCEpTION (the same format with
offsets, actor spans and an annotator).  Models are saved folders: the shipped ones, or a
folder written by ``kdiscourse train --output-dir DIR`` (``DIR/dimensions``, ``DIR/frames``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from .errors import InputError, ModelError, UsageError

TASKS = ("dimensions", "frames")


def gold_files(path: str | Path) -> list[Path]:
    """The gold file itself, or every ``*.jsonl`` of a folder, sorted."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.jsonl"))
        if not files:
            raise InputError(f"{p}: folder without *.jsonl gold files")
        return files
    if p.is_file():
        return [p]
    raise InputError(f"{p}: no such file or folder")


def read_gold_path(path: str | Path) -> list:
    """Gold documents from a file or every ``*.jsonl`` of a folder (several annotators' files are kept apart)."""
    from .interop.gold import read_gold

    p = Path(path)
    docs = []
    for f in gold_files(p):
        for d in read_gold(f):
            docs.append((f.stem, d))
    if not docs:
        raise InputError(f"{p}: no gold documents")
    return docs


def gold_labelled_data(docs: Sequence) -> object:
    """The gold sentences as :class:`~nlp.classify.data.LabelledData`, one group per (file, document)."""
    from .classify.data import LabelledData, _tokenize_texts, items_from_sentences, labels_matrix

    texts, dims, frames, groups, spans = [], [], [], [], []
    for source, d in docs:
        start = len(texts)
        for s in d.sentences:
            texts.append(s.text)
            dims.append(list(s.dimensions))
            frames.append(list(s.frames))
            groups.append(f"{source}/{d.id}")
        spans.append((f"{source}/{d.id}", start, len(texts)))
    morphs = _tokenize_texts(texts)
    items = []
    for gid, a, b in spans:
        items.extend(items_from_sentences(texts[a:b], morphs[a:b], gid))
    Y = {"dimensions": labels_matrix(dims, "dimensions"), "frames": labels_matrix(frames, "frames")}
    return LabelledData(tuple(items), Y, np.asarray(groups), np.asarray(["gold"] * len(texts)), "", ())


def gold_training_data(paths: Sequence[str | Path]) -> object:
    """The user's gold files (``kdiscourse import`` output, team format) as training data (``train --add-gold``).

    A document may be in only one file: several annotators' versions of one document are to be
    adjudicated first (or one annotator's file chosen), not trained on twice.  The data hash is that of
    the files, so ``model.json`` records what was added.
    """
    from .formats import files_sha256

    docs, files, where = [], [], {}
    for path in paths:
        for f in gold_files(path):
            if f in files:
                continue
            files.append(f)
            for source, d in read_gold_path(f):
                if d.id in where:
                    raise InputError(f"document {d.id!r} is in both {where[d.id]} and {f}: adjudicate the "
                                     "annotators' versions first, or add one annotator's file")
                where[d.id] = f
                docs.append((source, d))
    data = gold_labelled_data(docs)
    return replace(data, data_hash=files_sha256(files), sources=tuple(str(f) for f in files))


def load_task_models(models: str | Path | None, tasks: Sequence[str] = TASKS) -> dict:
    """Saved classifiers per task from ``models`` (a folder with ``dimensions/`` and ``frames/``) or the shipped ones."""
    from .classify import load_model
    from .resources import models_dir

    root = Path(models) if models else models_dir()
    out = {}
    for task in tasks:
        folder = root / task
        if not folder.is_dir():
            raise ModelError(f"{root} holds no {task} model folder")
        out[task] = load_model(folder, task=task)
    return out


def score_labels(model, task: str, data, n_boot: int = 1000) -> dict:
    """Per-label P/R/F1, micro/macro, confusions, Brier and document-grouped bootstrap intervals."""
    from .evaluate import bootstrap_intervals, multilabel_report

    proba = model.predict_proba(list(data.items))
    pred = (proba >= np.asarray(model.thresholds_)[None, :]).astype(int)
    rep = multilabel_report(data.Y[task], pred, model.labels, proba)
    rep["ci"] = bootstrap_intervals(data.Y[task], pred, model.labels, data.doc_ids, n_boot)
    rep["model"] = getattr(model, "version", model.backend)
    return rep


def score_actors(docs: Sequence, lexicons: Sequence[str] = ()) -> dict | None:
    """Actor span P/R/F1 per type against gold spans (exact span and id), or None when the gold has none.

    Each gold sentence is run through the actor stage on its own text, so offsets compare directly.
    """
    from .pipeline import Pipeline, configure

    sents = [s for _src, d in docs for s in d.sentences if s.actors is not None]
    if not sents:
        return None
    pipe = Pipeline.from_config(configure("actors", lexicons=lexicons), strict=True)
    counts: dict[str, list[int]] = {}

    def add(kind: str, k: int) -> None:
        counts.setdefault(kind, [0, 0, 0])[k] += 1

    for s, doc in zip(sents, pipe.pipe([s.text for s in sents])):
        gold = {(a.start, a.end, a.id): a.type for a in s.actors}
        pred = {(m.start, m.end, m.actor): m.type for m in doc.mentions}
        for key, typ in gold.items():
            add(typ, 0 if key in pred else 2)
            add("ALL", 0 if key in pred else 2)
        for key, typ in pred.items():
            if key not in gold:
                add(typ, 1)
                add("ALL", 1)
    out = {}
    for kind, (tp, fp, fn) in sorted(counts.items()):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[kind] = {"precision": round(p, 4), "recall": round(r, 4),
                     "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0, "support": tp + fn}
    return {"sentences": len(sents), "by_type": out}


def evaluate_gold(gold: str | Path, models: str | Path | None = None, tasks: Sequence[str] = TASKS,
                  lexicons: Sequence[str] = (), n_boot: int = 1000,
                  also: dict[str, str | Path] | None = None) -> list[dict]:
    """Score saved models on a gold file or folder; one result per task (+ actors).

    The shipped models (or ``models``) are always scored; ``also`` adds more model folders by name
    (``--saved NAME=DIR``), side by side on the same sentences and bootstrap draws.
    """
    docs = read_gold_path(gold)
    data = gold_labelled_data(docs)
    named = {f"saved:{Path(models).name}" if models else "shipped": load_task_models(models, tasks)}
    for name, folder in (also or {}).items():
        if name in named:
            raise UsageError(f"--saved {name}: that name is already used; pick another")
        named[name] = load_task_models(folder, tasks)
    results = []
    for task in tasks:
        reps = {name: score_labels(m[task], task, data, n_boot) for name, m in named.items()}
        results.append({"setting": "gold", "task": task, "gold": str(gold), "classifiers": reps})
    actors = score_actors(docs, lexicons)
    if actors is not None:
        results.append({"setting": "gold-actors", "gold": str(gold), "actors": actors})
    return results
