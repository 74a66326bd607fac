"""The one interface every sentence classifier implements (rules, scikit-learn, transformers).

A classifier handles one *task*: ``"dimensions"`` or ``"frames"`` (label ids from
``models/labels.json``). Inputs are :class:`SentenceItem` values: the sentence text,
its Kiwi morphemes and its neighbours in the same document (for context features).

Contract (tested for every backend):
- ``fit(items, Y)`` with ``Y`` an ``(n_items, n_labels)`` 0/1 array returns ``self``;
- ``predict_proba(items)`` returns an ``(n_items, n_labels)`` float array in [0, 1];
- ``predict(items)`` returns a 0/1 array: ``proba >= thresholds_`` per label;
- ``thresholds_`` is an ``(n_labels,)`` array, tuned on validation folds (never the test split);
- ``save(dir)`` / ``load(dir)`` round-trip without pickle from user-swappable paths
  and give identical predictions;
- ``explain(item, label)`` returns the cues/features that drove the decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ModelError, UsageError
from ..formats import MODEL_FILE
from ..formats import read_model_json as _read_model_json
from ..labels import codebook_version, dimension_ids, frame_ids

TASKS = ("dimensions", "frames")


def task_labels(task: str) -> tuple[str, ...]:
    """Label ids of a task (``dimensions`` or ``frames``) in codebook order."""
    if task == "dimensions":
        return dimension_ids()
    if task == "frames":
        return frame_ids()
    raise ValueError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")


@dataclass(frozen=True)
class SentenceItem:
    """One sentence to classify, with its document context."""

    text: str
    morphemes: Sequence[tuple[str, str]] = ()  # (form, tag) pairs; empty -> computed by the backend if needed
    prev_text: str = ""
    next_text: str = ""
    doc_id: str = ""
    extra: dict = field(default_factory=dict)


class EstimatorParams:
    """scikit-learn's parameter protocol without importing scikit-learn.

    ``get_params``/``set_params`` read the parameter names from ``__init__`` (as
    ``sklearn.base.BaseEstimator`` does), so ``sklearn.base.clone``, grid search and
    pipelines work with every backend, while ``kdiscourse tag`` -- which only predicts
    from stored arrays -- never pays the import of scikit-learn (about 1 s warm, several
    seconds cold on this machine).
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        import inspect

        sig = inspect.signature(cls.__init__)
        return sorted(p.name for p in sig.parameters.values()
                      if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))

    def get_params(self, deep: bool = True) -> dict:
        """The constructor parameters and their current values."""
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self, **params) -> EstimatorParams:
        """Set constructor parameters; unknown names are an error. Returns ``self``."""
        valid = set(self._get_param_names())
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for {type(self).__name__}; valid: {', '.join(sorted(valid))}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


class SentenceClassifier(EstimatorParams):
    """Base class; subclasses implement ``fit``, ``predict_proba``, ``save``, ``load``, ``explain``.

    Constructors only store their keyword parameters (scikit-learn's convention), fitted
    state ends in ``_``, and ``fit`` returns ``self``.
    """

    task: str = "dimensions"
    backend: str = "base"

    @property
    def labels(self) -> tuple[str, ...]:
        """Label ids of this classifier's task."""
        return task_labels(self.task)

    def predict(self, items: Sequence[SentenceItem]) -> np.ndarray:
        """0/1 decisions, shape ``(n_items, n_labels)``: probability at or above each label's threshold."""
        proba = self.predict_proba(items)
        return (proba >= np.asarray(self.thresholds_)[None, :]).astype(int)

    def fit(self, items: Sequence[SentenceItem], Y: np.ndarray) -> SentenceClassifier:  # pragma: no cover
        """Fit on ``items`` and the 0/1 matrix ``Y``; returns ``self``."""
        raise NotImplementedError

    def predict_proba(self, items: Sequence[SentenceItem]) -> np.ndarray:  # pragma: no cover
        """Probabilities, shape ``(n_items, n_labels)``, in [0, 1]."""
        raise NotImplementedError

    def explain(self, item: SentenceItem, label: str, k: int = 5) -> list[str]:  # pragma: no cover
        """The cues or features behind ``label`` for ``item``, strongest first."""
        raise NotImplementedError

    def save(self, path) -> None:  # pragma: no cover
        """Write the fitted model into folder ``path`` (no pickle)."""
        raise NotImplementedError

    @classmethod
    def load(cls, path) -> SentenceClassifier:  # pragma: no cover
        """Read a model saved by :meth:`save` from folder ``path``."""
        raise NotImplementedError

    def pipe(self, items: Iterable[SentenceItem], batch_size: int = 256) -> Iterable[np.ndarray]:
        """Probabilities for a stream of items, one ``(n_labels,)`` row per item, computed in batches."""
        batch: list[SentenceItem] = []
        for it in items:
            batch.append(it)
            if len(batch) >= batch_size:
                yield from self.predict_proba(batch)
                batch = []
        if batch:
            yield from self.predict_proba(batch)

    @property
    def version(self) -> str:
        """``<backend>-<first 8 hex digits of the training-data hash>`` (``<backend>-untrained`` before fit)."""
        h = (getattr(self, "metadata_", None) or {}).get("training_data_sha256", "")
        return f"{self.backend}-{h[:8] or 'untrained'}"

    # ----------------------------------------------------------------- helpers shared by the backends

    def _check_fit_input(self, items: Sequence[SentenceItem], Y) -> np.ndarray:
        if self.task not in TASKS:
            raise UsageError(f"unknown task {self.task!r}; allowed: {', '.join(TASKS)}")
        Y = np.asarray(Y)
        if Y.ndim != 2 or Y.shape != (len(items), len(self.labels)):
            raise UsageError(f"Y has shape {Y.shape}; expected ({len(items)}, {len(self.labels)}) for task "
                             f"{self.task!r} ({', '.join(self.labels)})")
        if not np.isin(Y, (0, 1)).all():
            raise UsageError("Y must contain only 0 and 1")
        return Y.astype(np.int8)


# --------------------------------------------------------------------------- thresholds

def tune_thresholds(Y: np.ndarray, proba: np.ndarray, grid: Sequence[float] | None = None,
                    default: float = 0.5) -> np.ndarray:
    """Per-label threshold that maximises F1 on (out-of-fold) probabilities.

    Ties go to the threshold closest to ``default``; a label with no positives keeps ``default``.

    Parameters
    ----------
    Y : array of shape (n_items, n_labels), 0/1 gold labels.
    proba : array of shape (n_items, n_labels), predicted probabilities (never from the test split).

    Returns
    -------
    thresholds : array of shape (n_labels,)

    >>> tune_thresholds(np.array([[1], [1], [0], [0]]), np.array([[0.9], [0.35], [0.3], [0.1]])).round(2).tolist()
    [0.35]
    """
    Y = np.asarray(Y).astype(bool)
    proba = np.asarray(proba, dtype=float)
    grid = np.round(np.arange(0.05, 0.951, 0.01), 2) if grid is None else np.asarray(grid, dtype=float)
    out = np.full(Y.shape[1], default, dtype=float)
    for j in range(Y.shape[1]):
        if not Y[:, j].any():
            continue
        pred = proba[:, j][:, None] >= grid[None, :]
        tp = (pred & Y[:, j][:, None]).sum(0)
        fp = (pred & ~Y[:, j][:, None]).sum(0)
        fn = (~pred & Y[:, j][:, None]).sum(0)
        f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
        best = f1.max()
        cands = grid[np.isclose(f1, best)]
        out[j] = float(cands[np.argmin(np.abs(cands - default))])
    return out


# --------------------------------------------------------------------------- model files

def read_model_json(path, backend: str | None = None, task: str | None = None) -> dict:
    """Read ``<dir>/model.json`` and check it against the installed codebook; one-line ModelError otherwise."""
    meta = _read_model_json(path, backend=backend, task=task)
    if meta["task"] not in TASKS:
        raise ModelError(f"{Path(path) / MODEL_FILE}: unknown task {meta['task']!r}; allowed: {', '.join(TASKS)}")
    if meta.get("codebook_version", codebook_version()) != codebook_version():
        raise ModelError(f"{Path(path) / MODEL_FILE}: model is for codebook {meta.get('codebook_version')!r}, "
                         f"the installed codebook is {codebook_version()!r}; retrain it")
    if tuple(meta.get("labels", ())) != task_labels(meta["task"]):
        raise ModelError(f"{Path(path) / MODEL_FILE}: labels {meta.get('labels')} do not match codebook "
                         f"{codebook_version()} ({', '.join(task_labels(meta['task']))}); retrain it")
    return meta


def item_morphemes(items: Sequence[SentenceItem]) -> list[Sequence[tuple[str, str]]]:
    """(form, tag) pairs of each item; items without morphemes are tokenized with Kiwi in one batch."""
    return _morphemes_or_tokenize([it.text for it in items], [it.morphemes for it in items])


def context_morphemes(items: Sequence[SentenceItem]) -> tuple[list, list]:
    """(form, tag) pairs of each item's previous and next sentence.

    Taken from ``extra["prev_morphemes"]`` / ``extra["next_morphemes"]`` when the
    data loader or the pipeline stage put them there, else tokenized in one batch.
    """
    prev = _morphemes_or_tokenize([it.prev_text for it in items],
                                  [it.extra.get("prev_morphemes", ()) for it in items])
    nxt = _morphemes_or_tokenize([it.next_text for it in items],
                                 [it.extra.get("next_morphemes", ()) for it in items])
    return prev, nxt


def _morphemes_or_tokenize(texts: Sequence[str], given: Sequence) -> list[tuple[tuple[str, str], ...]]:
    out: list = list(given)
    todo = [i for i, (t, ms) in enumerate(zip(texts, given)) if not ms and t.strip()]
    if todo:
        from ..tokenize import tokenize_blocks

        results = tokenize_blocks([texts[i] for i in todo])
        for i, sents in zip(todo, results):
            out[i] = tuple((m.form, m.tag) for _s, _e, ms in sents for m in ms)
    return [ms if isinstance(ms, tuple) and (not ms or len(ms[0]) == 2) else tuple((m[0], m[1]) for m in ms)
            for ms in out]
