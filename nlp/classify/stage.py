"""The classifier stage: labels and calibrated scores for every sentence of each document, for one task."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from ..errors import AnalyzerError, ModelError
from ..resources import models_dir
from ..stage import Stage, batched
from . import META_FILES, load_model
from .base import TASKS, SentenceClassifier


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
    def from_path(cls, task: str, path: str | Path, explain: bool = False, batch_docs: int = 32,
                  name: str | None = None) -> ClassifierStage:
        """A stage with the saved model in folder ``path`` (ModelError if it is missing)."""
        if task not in TASKS:
            raise ModelError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
        p = Path(path)
        if not any((p / f).is_file() for f in META_FILES):
            raise ModelError(f"no {task} model at {p}; train one (kdiscourse train) into that folder")
        stage = cls(task, load_model(p, task=task), explain=explain, batch_docs=batch_docs)
        if name:
            stage.name = name
        return stage

    @classmethod
    def default(cls, task: str, explain: bool = False, path: str | Path | None = None) -> ClassifierStage:
        """The shipped model from ``models/<task>/`` (ModelError if it is missing)."""
        return cls.from_path(task, Path(path) if path is not None else models_dir() / task, explain=explain)

    def model_info(self) -> dict[str, str]:
        """The model's version under the task's name."""
        return {self.task: self.model.version}

    def process(self, doc):
        """Annotate one document (``Stage.__call__`` adds the stage name and model info)."""
        from .data import items_from_document

        items = items_from_document(doc)
        return self._annotate(doc, items, self.model.predict_proba(items) if items else [])

    def _annotate(self, doc, items, proba):
        """Write labels and scores. Codebook §2 rule 4: sentences of heading blocks
        (titles, bylines, section headings) get no label; their scores are kept."""
        labels, thr = self.model.labels, self.model.thresholds_.tolist()
        headings = {k for k, (_a, _b, kind) in enumerate(doc.paragraphs) if kind == "heading"}
        sents = []
        rows = proba.tolist() if hasattr(proba, "tolist") else [list(map(float, p)) for p in proba]
        for s, item, p in zip(doc.sentences, items, rows):
            chosen = () if s.paragraph in headings else tuple(lab for lab, pj, tj in zip(labels, p, thr) if pj >= tj)
            kw = {self.task: chosen, "scores": {**s.scores, **dict(zip(labels, [round(pj, 4) for pj in p]))}}
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
