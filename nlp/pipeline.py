"""The pipeline: an ordered list of stages built from a configuration through the registry.

The pipeline knows its stages only through the registry (:mod:`nlp.stage`) and its
configuration (:mod:`nlp.config`): a missing prerequisite is an error when the pipeline is
assembled, not deep inside a run.  ``Pipeline.from_config`` is the one way every command
(``tag``, ``compare``, ``annotate`` on every engine, ``serve``) builds its pipeline.

    >>> pipe = Pipeline.from_config("tokenize")
    >>> [len(d.sentences) for d in pipe.pipe(["미국과 중국이 경쟁한다. 한국은 고민한다.", "유럽은 규제한다."])]
    [2, 1]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .config import PipelineConfig, as_config
from .document import Document
from .errors import ExtraMissing, ModelError, PipelineError, os_error_line
from .inputs import (
    MAX_INPUT_BYTES,
    document_from_bytes,
    document_from_path,
    document_from_repaired,
    document_from_text,
)
from .stage import Stage, batched, get_stage_spec, import_plugin

# stages of the shipped default configuration, in order (kept for callers of the old API)
STAGE_ORDER = ("tokenize", "dimensions", "actors", "frames")


def _as_documents(items: Iterable[Any]) -> Iterator[Document]:
    """Documents pass through; strings become documents (ids from a pandas index when there is one)."""
    is_series = hasattr(items, "iloc") and hasattr(items, "index")  # a pandas Series: ids from its index
    values = items.tolist() if is_series else items
    labels = iter(items.index) if is_series else None
    for i, item in enumerate(values):
        label = next(labels) if labels is not None else i
        if isinstance(item, Document):
            yield item
        elif isinstance(item, str):
            yield document_from_text(item, f"doc-{label}")
        else:
            raise PipelineError(f"pipeline input #{i} is a {type(item).__name__}; expected a Document or a str")


class Pipeline:
    """An ordered list of stages, checked for prerequisites at assembly time.

    ``missing`` maps stages that could not be built (not installed) to the reason;
    ``config`` is the resolved configuration (every parameter, absolute paths).
    """

    def __init__(self, stages: list[Stage], missing: dict[str, str] | None = None,
                 config: Mapping[str, Any] | None = None) -> None:
        have = {"text"}
        for st in stages:
            lacking = [r for r in st.requires if r not in have]
            if lacking:
                raise PipelineError(f"stage {st.name!r} requires {', '.join(lacking)}, which no earlier stage "
                                    f"assigns; order: {', '.join(s.name for s in stages)}")
            have.update(st.assigns)
        self.stages = stages
        self.missing = dict(missing or {})
        self.config: dict[str, Any] = dict(config or {
            "name": "custom", "stages": [{"factory": s.name, "name": s.name, "config": {}} for s in stages]})

    @property
    def names(self) -> tuple[str, ...]:
        """Names of the stages that were built."""
        return tuple(s.name for s in self.stages)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_config(cls, config: PipelineConfig | Mapping | str | Path | None = None, *,
                    strict: bool = False) -> Pipeline:
        """Build the stages a configuration lists (a :class:`PipelineConfig`, its dict, a shipped name or a path).

        A stage whose optional extra is not installed (ImportError, :class:`~nlp.errors.ExtraMissing`)
        is listed in ``missing``; with ``strict`` it raises instead.  A model that is missing, corrupt
        or for another codebook is a :class:`~nlp.errors.ModelError` naming the stage.
        """
        cfg = as_config(config)
        base = Path(cfg.base_dir) if cfg.base_dir else None
        for module in cfg.imports:
            import_plugin(module, base)
        built: list[Stage] = []
        missing: dict[str, str] = {}
        resolved_stages = []
        for sc in cfg.stages:
            spec = get_stage_spec(sc.factory)
            params = cfg.resolved_params(sc, spec.default_config)
            resolved_stages.append({"factory": sc.factory, "name": sc.name, "config": params})
            try:
                stage = spec.factory(**params)
            except (ImportError, ExtraMissing) as exc:  # an optional extra is not installed: the stage is skipped
                if strict:
                    raise ModelError(f"stage {sc.name!r} is not installed: {exc}") from exc
                missing[sc.name] = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                continue
            except (ModelError, OSError) as exc:  # a model that exists but cannot load is an error, never a skip
                msg = str(exc) if isinstance(exc, ModelError) else os_error_line(exc)
                raise ModelError(f"stage {sc.name!r} cannot load its model: {msg}; leave the stage out "
                                 "to run without it") from None
            except TypeError as exc:
                raise PipelineError(f"stage {sc.name!r}: factory {sc.factory!r} rejected its parameters ({exc})") \
                    from None
            if not isinstance(stage, Stage):
                raise PipelineError(f"factory {sc.factory!r} returned {type(stage).__name__}, not a Stage")
            stage.name = sc.name
            if spec.requires and not stage.requires:
                stage.requires = spec.requires
            if spec.assigns and not stage.assigns:
                stage.assigns = spec.assigns
            built.append(stage)
        resolved = {"format": "kdiscourse.pipeline/1", "name": cfg.name, "description": cfg.description,
                    "source": cfg.source, "imports": [str(Path(base, m).resolve()) if base and m.endswith(".py")
                                                      else m for m in cfg.imports],
                    "stages": resolved_stages, "not_selected": list(cfg.not_selected)}
        return cls(built, missing, resolved)

    @classmethod
    def default(cls, stages: Iterable[str] | None = None, strict: bool = False, *, pipeline: str | None = None,
                lexicons: Iterable[str] = (), nested: bool = False, explain: bool = False,
                models: str | Path | None = None) -> Pipeline:
        """The shipped default configuration (or ``pipeline``), with the usual command-line overrides.

        ``stages`` keeps only the named stages; ``lexicons`` adds user actor lexicons; ``explain``
        records the cues behind each label; ``models`` points the classifiers at a folder written
        by ``train --output-dir``.
        """
        return cls.from_config(configure(pipeline, stages=stages, lexicons=lexicons, nested=nested,
                                         explain=explain, models=models), strict=strict)

    # ------------------------------------------------------------------ running

    def __call__(self, doc: Document | str) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document | str]) -> Iterator[Document]:
        """Run the stages over a stream of documents or strings (a list, a generator, a pandas Series)."""
        stream: Iterable[Document] = _as_documents(docs)
        for st in self.stages:
            stream = st.pipe(stream)
        return iter(stream)

    def output(self, doc: Document, morphemes: bool = False) -> dict:
        """The JSON contract of one document as every command writes it (``tag``, ``serve``):
        the document's fields, which stages did not run or are not installed, and the resolved configuration."""
        item = doc.to_dict(all_stages=self.all_stage_names(), morphemes=morphemes)
        item["stages"]["not_installed"] = dict(self.missing)
        item["pipeline"] = self.config
        return item

    def all_stage_names(self) -> tuple[str, ...]:
        """Every stage the configuration names (built or not), for the ``stages`` field of the output."""
        names = tuple(s["name"] for s in self.config.get("stages", ())) or self.names
        return names + tuple(self.config.get("not_selected", ()))


def configure(pipeline: PipelineConfig | str | Path | None = None, *, stages: Iterable[str] | None = None,
              lexicons: Iterable[str] = (), nested: bool = False, explain: bool = False,
              models: str | Path | None = None) -> PipelineConfig:
    """A configuration (shipped name, path or object) with the common overrides applied."""
    cfg = as_config(pipeline)
    if stages:
        cfg = cfg.select(list(stages))
    lexicons = [str(Path(p).resolve()) for p in lexicons]
    if lexicons:
        cfg = cfg.add_to_list("actors", "lexicons", lexicons)
    if nested:
        cfg = cfg.with_params("actors", nested=True)
    if explain:
        cfg = cfg.with_params("dimensions", explain=True).with_params("frames", explain=True)
    if models:
        cfg = cfg.with_models(models)
    return cfg


__all__ = [
    "MAX_INPUT_BYTES", "STAGE_ORDER", "Pipeline", "Stage", "batched", "configure", "document_from_bytes",
    "document_from_path", "document_from_repaired", "document_from_text",
]
