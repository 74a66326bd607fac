"""The classifier stage: labels and calibrated scores for every sentence of each document, for one task."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import fields, replace
from operator import attrgetter
from pathlib import Path

from ..document import Sentence
from ..errors import AnalyzerError, ModelError
from ..resources import models_dir
from ..stage import Stage, batched
from . import META_FILES, load_model
from .base import TASKS, SentenceClassifier

_SENTENCE_FIELDS = tuple(f.name for f in fields(Sentence))
_SENTENCE_VALUES = attrgetter(*_SENTENCE_FIELDS)  # every field's value, in constructor order
_SCORES_AT = _SENTENCE_FIELDS.index("scores")
_EXPLANATIONS_AT = _SENTENCE_FIELDS.index("explanations")


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

    def prepare(self) -> None:
        """Build what the model builds on its first large batch (the linear model's compiled feature
        tables), so that processes forked afterwards start with it."""
        prepare = getattr(self.model, "prepare", None)
        if callable(prepare):
            prepare()

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
        # each sentence is rebuilt from its field values with the task's labels and the scores replaced:
        # dataclasses.replace reads the field list and goes through keyword arguments every time (3-4 us
        # a sentence, twice per sentence with two classifier stages)
        task_at, fours = _SENTENCE_FIELDS.index(self.task), (4,) * len(labels)
        for s, item, p in zip(doc.sentences, items, rows):
            chosen = () if s.paragraph in headings else tuple(lab for lab, pj, tj in zip(labels, p, thr) if pj >= tj)
            values = list(_SENTENCE_VALUES(s))
            values[task_at] = chosen
            values[_SCORES_AT] = {**s.scores, **dict(zip(labels, map(round, p, fours)))}
            if self.explain and chosen:
                why = {lab: tuple(self.model.explain(item, lab, self.explain_k)) for lab in chosen}
                values[_EXPLANATIONS_AT] = {**s.explanations, **why}
            sents.append(Sentence(*values) if type(s) is Sentence else replace(s, **dict(zip(_SENTENCE_FIELDS, values))))
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
