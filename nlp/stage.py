"""Stages and the stage registry.

A *stage* is a callable ``doc -> doc`` with a ``name`` and the annotations it
``requires`` and ``assigns``; ``pipe`` processes a stream (batched stages
override it).  Documents with ``status == "error"`` pass through untouched.

A *factory* builds a stage from keyword parameters.  Factories are registered
by name with their default configuration, in the spirit of spaCy's
``Language.factory``::

    @register_stage("count_cue", default_config={"cue": "수출통제"},
                    requires=("sentences",), assigns=("ext.count_cue",))
    def make_counter(cue):
        return CueCounter(cue)

The registry never imports the implementations it describes: the built-in
stages are named by module (imported on first use), third-party stages
register through the ``kdiscourse.stages`` entry-point group or through a
configuration's ``imports`` list (a module name or a ``.py`` file), which every
worker process imports before it builds its pipeline.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .document import Document
from .errors import AnalyzerError, PipelineError

ENTRY_POINT_GROUP = "kdiscourse.stages"

# built-in factories: name -> module whose import registers it (never imported here)
BUILTIN_MODULES: dict[str, str] = {
    "tokenize": "nlp.builtin",
    "dimensions": "nlp.builtin",
    "frames": "nlp.builtin",
    "actors": "nlp.builtin",
}


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of at most ``size`` items (the last may be shorter).

    >>> list(batched(range(5), 2))
    [[0, 1], [2, 3], [4]]
    """
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class Stage:
    """Base class of pipeline stages: subclasses implement :meth:`process` (and may override :meth:`pipe`)."""

    name: str = ""
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()

    def process(self, doc: Document) -> Document:  # pragma: no cover - abstract
        """Annotate one document and return the new document."""
        raise NotImplementedError

    def __call__(self, doc: Document) -> Document:
        if not doc.ok:
            return doc
        try:
            out = self.process(doc)
        except AnalyzerError as exc:
            return doc.with_error(f"{self.name}: {exc}")
        return replace(out, stages=out.stages + (self.name,), models={**out.models, **self.model_info()})

    def pipe(self, docs: Iterable[Document]) -> Iterator[Document]:
        """Annotate a stream of documents (one at a time unless a subclass batches)."""
        for d in docs:
            yield self(d)

    def model_info(self) -> dict[str, str]:
        """Names and versions of the models this stage used (merged into ``Document.models``)."""
        return {}


@dataclass(frozen=True)
class StageSpec:
    """A registered factory: its name, default configuration and declared annotations."""

    name: str
    factory: Callable[..., Stage]
    default_config: Mapping[str, Any] = field(default_factory=dict)
    requires: tuple[str, ...] = ()
    assigns: tuple[str, ...] = ()
    module: str = ""

    @property
    def doc(self) -> str:
        """First line of the factory's docstring."""
        return (self.factory.__doc__ or "").strip().split("\n")[0]


_REGISTRY: dict[str, StageSpec] = {}
_LOCK = threading.RLock()
_ENTRY_POINTS_LOADED = False


def register_stage(name: str, *, default_config: Mapping[str, Any] | None = None,
                   requires: Iterable[str] = (), assigns: Iterable[str] = ()) -> Callable:
    """Decorator registering a stage factory under ``name``.

    The factory is called with the stage's resolved configuration as keyword
    arguments (defaults overlaid by the pipeline configuration's values).
    Registering a name again replaces the earlier factory (the last import wins).

    >>> @register_stage("doctest_noop", default_config={"flag": False})
    ... def make_noop(flag):
    ...     "A stage that changes nothing."
    ...     return Stage()
    >>> get_stage_spec("doctest_noop").default_config
    {'flag': False}
    """

    def deco(factory: Callable[..., Stage]) -> Callable[..., Stage]:
        spec = StageSpec(name, factory, dict(default_config or {}), tuple(requires), tuple(assigns),
                         getattr(factory, "__module__", ""))
        with _LOCK:
            _REGISTRY[name] = spec
        return factory

    return deco


def import_plugin(spec: str, base: Path | None = None) -> None:
    """Import a module by name, or a ``.py`` file by path (relative to ``base``), so its stages register."""
    if spec.endswith(".py"):
        path = Path(spec)
        if not path.is_absolute() and base is not None:
            path = base / path
        if not path.is_file():
            raise PipelineError(f"stage module file {path} does not exist")
        mod_name = f"kdiscourse_plugin_{abs(hash(str(path.resolve())))}"
        if mod_name in sys.modules:
            return
        loader_spec = importlib.util.spec_from_file_location(mod_name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise PipelineError(f"cannot import stage module file {path}")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[mod_name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[mod_name]
            raise PipelineError(f"stage module file {path} failed to import: {exc}") from None
        return
    try:
        importlib.import_module(spec)
    except ImportError as exc:
        raise PipelineError(f"stage module {spec!r} cannot be imported: {exc}") from None


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must not break the built-in stages
            print(f"kdiscourse: warning: stage plugin {ep.name!r} ({ep.value}) failed to load: {exc}",
                  file=sys.stderr)
            continue
        if ep.name not in _REGISTRY and callable(obj):
            register_stage(ep.name)(obj)


def get_stage_spec(name: str) -> StageSpec:
    """The registered factory ``name``: built-in, imported plugin or entry point."""
    with _LOCK:
        if name in _REGISTRY:
            return _REGISTRY[name]
        module = BUILTIN_MODULES.get(name)
    if module:
        importlib.import_module(module)
    if name not in _REGISTRY:
        _load_entry_points()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise PipelineError(f"unknown stage {name!r}; registered: {', '.join(registered_stages())}") from None


def registered_stages() -> list[str]:
    """Names of all stages that can be built now (built-ins, imported plugins, entry points)."""
    _load_entry_points()
    return sorted(set(_REGISTRY) | set(BUILTIN_MODULES))


__all__ = ["BUILTIN_MODULES", "ENTRY_POINT_GROUP", "Stage", "StageSpec", "batched", "get_stage_spec",
           "import_plugin", "register_stage", "registered_stages"]
