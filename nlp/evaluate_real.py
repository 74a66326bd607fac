"""Evaluation with real labelled text: devset-augmented training, and saved (fine-tuned) models side by side.

- :func:`evaluate_devset_folds` -- "what a user gets by adding their own labelled real text": the
  development set is cut into k document-grouped folds; for each fold a fresh model is trained on the
  whole team corpus *plus the other devset folds* and scores the held-out fold.  Pooled out-of-fold
  predictions are scored with document-bootstrap intervals.  Real sentences can be given a weight; the
  weight is fixed by the caller (a priori), never chosen on the held-out folds.
- :func:`add_saved_model` -- scores a saved model folder (``DIR/dimensions``, ``DIR/frames``; any backend
  that :func:`nlp.classify.load_model` reads, e.g. a fine-tuned transformer) on the held-out split, the
  essay and the devset, next to the classifiers :func:`nlp.evaluate.evaluate_many` trained.  Team CV is
  not run for it: that would mean one fine-tune per fold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

from .errors import UsageError
from .evaluate import Factory, bootstrap_intervals, folds_report, multilabel_report
from .labels import codebook_version

SAVED_NOTE = ("team CV not run for a saved model (it would need one fine-tune per fold); it is scored on "
              "the held-out split, the essay and the devset only")


def evaluate_devset_folds(make: Factory, task: str, data, devset, k: int = 5, weight: float = 1.0,
                          bootstrap: int = 1000, seed: int | None = None, fraction: float = 1.0) -> dict:
    """Train on the team corpus plus k-1 devset folds, score the held-out devset fold; pooled report.

    Parameters
    ----------
    make : task -> unfitted classifier.
    data, devset : :class:`~nlp.classify.data.LabelledData` (team corpus, real-text development set).
    k : document-grouped folds over the devset (multi-label stratified, :func:`group_kfold`).
    weight : sample weight of every devset sentence in training (team sentences weigh 1); 1 = unweighted.
        Fixed a priori by the caller.
    fraction : share of each fold's training documents actually added (a seeded random subset of whole
        documents; the held-out folds stay complete), for a learning curve over real labelled text.
    """
    from .classify.data import DEFAULT_SEED, concat_data, group_kfold, stacked_targets

    if weight <= 0:
        raise UsageError(f"the weight of real sentences must be positive, got {weight}")
    if not 0.0 <= fraction <= 1.0:
        raise UsageError(f"the fraction of real training documents must be in [0, 1], got {fraction}")
    folds = group_kfold(stacked_targets(devset), devset.doc_ids, k, DEFAULT_SEED if seed is None else seed)
    if fraction < 1.0:
        folds = [(_document_subset(tr, devset.doc_ids, fraction, DEFAULT_SEED if seed is None else seed), va)
                 for tr, va in folds]
    n_labels = devset.Y[task].shape[1]
    proba = np.zeros((len(devset), n_labels))
    pred = np.zeros((len(devset), n_labels), dtype=int)
    fold_f1, labels = [], ()
    for tr, va in folds:
        train = concat_data(data, devset.subset(tr))
        clf = make(task)
        if weight == 1.0:
            clf.fit(list(train.items), train.Y[task])
        else:
            sw = np.concatenate([np.ones(len(data)), np.full(len(tr), float(weight))])
            clf.fit(list(train.items), train.Y[task], groups=train.doc_ids, sample_weight=sw)
        labels = clf.labels
        p = clf.predict_proba([devset.items[i] for i in va])
        proba[va] = p
        pred[va] = (p >= np.asarray(clf.thresholds_)[None, :]).astype(int)
        fold_f1.append(multilabel_report(devset.Y[task][va], pred[va], labels)["macro"]["f1"])
    rep = folds_report(devset.Y[task], pred, proba, labels, devset.doc_ids, fold_f1, bootstrap)
    rep["real_weight"] = float(weight)
    rep["real_fraction"] = float(fraction)
    rep["real_train_sentences"] = int(round(np.mean([len(tr) for tr, _va in folds])))
    return rep


def _document_subset(idx: np.ndarray, doc_ids: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """The positions in ``idx`` whose documents fall in a seeded random ``fraction`` of its documents.

    >>> _document_subset(np.arange(6), np.array(list("aabbcc")), 0.34, 1).tolist() in ([0, 1], [2, 3], [4, 5])
    True
    """
    docs = sorted(set(doc_ids[idx].tolist()))
    keep = np.random.default_rng(seed).permutation(len(docs))[:int(round(fraction * len(docs)))]
    chosen = {docs[i] for i in keep}
    return np.asarray([i for i in idx if doc_ids[i] in chosen], dtype=int)


def evaluate_devset_folds_many(factories: Mapping[str, Factory], tasks: Sequence[str], data, devset, k: int = 5,
                               weight: float = 1.0, bootstrap: int = 1000,
                               progress: Callable[[str], None] | None = None, fraction: float = 1.0) -> list[dict]:
    """:func:`evaluate_devset_folds` for several classifiers side by side (one result per task)."""
    results = []
    setting = (f"devset+team-cv{k}" + (f" (real weight {weight:g})" if weight != 1.0 else "")
               + (f" (real fraction {fraction:g})" if fraction != 1.0 else ""))
    for task in tasks:
        res = {"setting": setting, "task": task, "codebook_version": codebook_version(),
               "training_data_sha256": data.data_hash, "devset_sha256": devset.data_hash, "classifiers": {},
               "notes": [f"each devset fold scored by a model trained on the team corpus + the other {k - 1} "
                         f"devset folds (grouped by document); real-sentence weight {weight:g}, fixed a priori"
                         + (f"; only a seeded {fraction:g} of each fold's training documents added"
                            if fraction != 1.0 else "")]}
        for name, make in factories.items():
            if progress:
                progress(f"{setting} {task} {name}")
            res["classifiers"][name] = evaluate_devset_folds(make, task, data, devset, k, weight, bootstrap,
                                                             fraction=fraction)
        results.append(res)
    return results


def score_saved(model_dir: str | Path, task: str, gold, bootstrap: int = 1000) -> dict:
    """Scores of the saved model ``model_dir/<task>`` on ``gold`` (its own thresholds), with intervals."""
    from .classify import load_model
    from .evaluate import bootstrap_groups

    clf = load_model(Path(model_dir) / task, task=task)
    proba = np.asarray(clf.predict_proba(list(gold.items)), dtype=float)
    pred = (proba >= np.asarray(clf.thresholds_)[None, :]).astype(int)
    rep = multilabel_report(gold.Y[task], pred, clf.labels, proba)
    if bootstrap:
        rep["ci"] = bootstrap_intervals(gold.Y[task], pred, clf.labels, bootstrap_groups(gold), bootstrap)
    rep["model"] = {"path": str(Path(model_dir) / task), "version": clf.version, "backend": clf.backend}
    return rep


def add_saved_model(results: list[dict], name: str, model_dir: str | Path, data, essay=None, devset=None,
                    bootstrap: int = 1000, progress: Callable[[str], None] | None = None) -> list[dict]:
    """Add the saved model ``model_dir`` as classifier ``name`` to every result of :func:`evaluate_many`.

    ``test``: the held-out part of the team split (fair only if the model was trained on the training
    part; the model's own metadata says what it was trained on); ``essay`` and ``devset``: the gold sets.
    Settings that train per fold (team CV, devset folds) get a note instead of scores.
    """
    from .classify.data import DEFAULT_SEED, holdout_split

    test = None
    for res in results:
        setting, task = res["setting"], res["task"]
        gold = None
        if setting == "test":
            if test is None:
                test = data.subset(holdout_split(data, seed=DEFAULT_SEED)[1])
            gold = test
        elif setting == "essay":
            gold = essay
        elif setting == "devset":
            gold = devset
        if gold is None:
            res.setdefault("notes", []).append(f"{name}: {SAVED_NOTE}")
            continue
        if progress:
            progress(f"{setting} {task} {name} (saved model {model_dir})")
        res["classifiers"][name] = score_saved(model_dir, task, gold, bootstrap)
    return results
