"""Pipeline configurations: a plain, serialisable description of a pipeline.

A configuration is JSON (or TOML) of this shape::

    {"format": "kdiscourse.pipeline/1", "name": "default",
     "description": "...",
     "imports": ["my_package.stages", "stages/my_stage.py"],
     "stages": [{"factory": "tokenize"},
                {"factory": "dimensions", "config": {"model": "shipped:dimensions"}},
                {"factory": "actors", "config": {"lexicons": ["my_lexicon.tsv"]}},
                {"factory": "frames", "config": {"model": "shipped:frames"}}]}

``tag``, ``compare``, ``annotate`` (every engine) and ``serve`` build their pipeline
from one configuration, and write the *resolved* configuration (every parameter,
defaults filled in, paths absolute) into their output, so a run says exactly what
produced it.  Shipped configurations live in ``models/pipelines/NAME.json`` and are
picked by name (``--pipeline NAME``); any other value is a path.

Path values: ``shipped:REL`` is a path inside the shipped data; a relative path is
relative to the configuration file's folder (the current folder for a configuration
built in code).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import PipelineError
from .formats import loads_strict
from .resources import models_dir

CONFIG_FORMAT = "kdiscourse.pipeline/1"
DEFAULT_PIPELINE = "default"
SHIPPED_PREFIX = "shipped:"
# parameter names whose values are paths (resolved against the configuration's folder)
PATH_KEYS = frozenset({"model", "lexicons", "path", "paths", "cues"})
_TOP_KEYS = frozenset({"format", "name", "description", "imports", "stages", "source", "not_selected"})
_STAGE_KEYS = frozenset({"factory", "name", "config"})


def pipelines_dir() -> Path:
    """Folder of the shipped named configurations."""
    return models_dir() / "pipelines"


def shipped_pipelines() -> list[str]:
    """Names of the shipped configurations.

    >>> "default" in shipped_pipelines()
    True
    """
    return sorted(p.stem for p in pipelines_dir().glob("*.json"))


@dataclass(frozen=True)
class StageConfig:
    """One stage of a configuration: the factory, the stage's name and its parameters."""

    factory: str
    name: str
    config: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        """JSON form."""
        return {"factory": self.factory, "name": self.name, "config": copy.deepcopy(dict(self.config))}


@dataclass(frozen=True)
class PipelineConfig:
    """A pipeline description: stages in order, modules to import, where it came from."""

    stages: tuple[StageConfig, ...]
    name: str = "custom"
    description: str = ""
    imports: tuple[str, ...] = ()
    base_dir: str = ""  # folder relative paths are resolved against ("" = current folder)
    source: str = ""    # the file it was read from, or "shipped:NAME"
    not_selected: tuple[str, ...] = ()  # stages of the configuration left out by select()

    # ------------------------------------------------------------------ reading

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "<config>", base_dir: str = "") -> PipelineConfig:
        """Validate and read a configuration; errors are one line naming ``where`` and the field."""
        if not isinstance(data, Mapping):
            raise PipelineError(f"{where}: a pipeline configuration must be an object, got {type(data).__name__}")
        unknown = set(data) - _TOP_KEYS
        if unknown:
            raise PipelineError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                                f"allowed: {', '.join(sorted(_TOP_KEYS))}")
        fmt = data.get("format", CONFIG_FORMAT)
        if fmt != CONFIG_FORMAT:
            raise PipelineError(f"{where}: format {fmt!r} is not {CONFIG_FORMAT!r}")
        stages_raw = data.get("stages")
        if not isinstance(stages_raw, list) or not stages_raw:
            raise PipelineError(f"{where}: 'stages' must be a non-empty list")
        imports = data.get("imports", [])
        if not isinstance(imports, list) or not all(isinstance(x, str) and x for x in imports):
            raise PipelineError(f"{where}: 'imports' must be a list of module names or .py paths")
        stages, seen = [], set()
        for i, st in enumerate(stages_raw):
            at = f"{where}: stages[{i}]"
            if isinstance(st, str):
                st = {"factory": st}
            if not isinstance(st, Mapping):
                raise PipelineError(f"{at} must be an object or a factory name")
            bad = set(st) - _STAGE_KEYS
            if bad:
                raise PipelineError(f"{at}: unknown field(s) {', '.join(sorted(bad))}; "
                                    f"allowed: {', '.join(sorted(_STAGE_KEYS))}")
            factory = st.get("factory")
            if not isinstance(factory, str) or not factory:
                raise PipelineError(f"{at}: 'factory' must be a stage factory name")
            name = st.get("name", factory)
            if not isinstance(name, str) or not name:
                raise PipelineError(f"{at}: 'name' must be a non-empty string")
            if name in seen:
                raise PipelineError(f"{at}: stage name {name!r} is used twice")
            seen.add(name)
            conf = st.get("config", {})
            if not isinstance(conf, Mapping):
                raise PipelineError(f"{at}: 'config' must be an object")
            stages.append(StageConfig(factory, name, dict(conf)))
        for key in ("name", "description"):
            if key in data and not isinstance(data[key], str):
                raise PipelineError(f"{where}: {key!r} must be a string")
        not_selected = data.get("not_selected", [])
        if not isinstance(not_selected, list) or not all(isinstance(x, str) for x in not_selected):
            raise PipelineError(f"{where}: 'not_selected' must be a list of stage names")
        return cls(tuple(stages), data.get("name", "custom"), data.get("description", ""), tuple(imports),
                   base_dir, str(data.get("source") or where), tuple(not_selected))

    @classmethod
    def from_file(cls, path: str | Path) -> PipelineConfig:
        """Read a JSON or TOML configuration file."""
        p = Path(path)
        if not p.is_file():
            raise PipelineError(f"pipeline configuration {p} does not exist or is not a file")
        try:
            raw = p.read_bytes()
            if p.suffix.lower() == ".toml":
                import tomllib

                data = tomllib.loads(raw.decode("utf-8"))
            else:
                data = loads_strict(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise PipelineError(f"{p}: not a readable pipeline configuration ({exc})") from None
        return cls.from_dict(data, str(p), str(p.resolve().parent))

    @classmethod
    def named(cls, name_or_path: str | Path | None = None) -> PipelineConfig:
        """A shipped configuration by name (``default``, ``rules`` …) or a configuration file by path."""
        spec = str(name_or_path or DEFAULT_PIPELINE)
        shipped = pipelines_dir() / f"{spec}.json"
        if "/" not in spec and "\\" not in spec and not spec.endswith((".json", ".toml")):
            if not shipped.is_file():
                raise PipelineError(f"unknown pipeline {spec!r}; shipped: {', '.join(shipped_pipelines())}, "
                                    "or give the path of a configuration file")
            cfg = cls.from_file(shipped)
            return cls(cfg.stages, cfg.name, cfg.description, cfg.imports, cfg.base_dir, f"{SHIPPED_PREFIX}{spec}")
        return cls.from_file(spec)

    # ------------------------------------------------------------------ deriving

    def stage_names(self) -> tuple[str, ...]:
        """Stage names in order."""
        return tuple(s.name for s in self.stages)

    def select(self, names: Iterable[str]) -> PipelineConfig:
        """Only the named stages (in configuration order); unknown names are an error."""
        wanted = list(names)
        unknown = [n for n in wanted if n not in self.stage_names()]
        if unknown:
            raise PipelineError(f"unknown stage(s) {', '.join(unknown)}; this pipeline has "
                                f"{', '.join(self.stage_names())}")
        kept = tuple(s for s in self.stages if s.name in wanted)
        dropped = self.not_selected + tuple(s.name for s in self.stages if s.name not in wanted)
        return PipelineConfig(kept, self.name, self.description, self.imports, self.base_dir, self.source, dropped)

    def with_params(self, factory: str, **params: Any) -> PipelineConfig:
        """Set parameters on every stage built by ``factory`` (no-op when there is none)."""
        return self._with(tuple(StageConfig(s.factory, s.name, {**s.config, **params}) if s.factory == factory
                                else s for s in self.stages))

    def add_to_list(self, factory: str, key: str, values: Iterable[str]) -> PipelineConfig:
        """Append ``values`` to a list parameter of every stage built by ``factory``."""
        values = list(values)
        if not values:
            return self
        return self._with(tuple(
            StageConfig(s.factory, s.name, {**s.config, key: [*s.config.get(key, []), *values]})
            if s.factory == factory else s for s in self.stages))

    def with_models(self, folder: str | Path) -> PipelineConfig:
        """Point every classifier stage at ``folder/<stage name>`` (as written by ``train --output-dir``)."""
        root = Path(folder)
        if not root.is_dir():
            raise PipelineError(f"model folder {root} does not exist")
        classifier = [s for s in self.stages if "model" in s.config or s.factory in ("dimensions", "frames")]
        found = [s for s in classifier if (root / s.name).is_dir()]
        if not found:
            raise PipelineError(f"{root} holds no model folder for any of {', '.join(s.name for s in classifier)}")
        stages = tuple(StageConfig(s.factory, s.name, {**s.config, "model": str((root / s.name).resolve())})
                       if s in found else s for s in self.stages)
        return self._with(stages)

    def _with(self, stages: tuple[StageConfig, ...]) -> PipelineConfig:
        return PipelineConfig(stages, self.name, self.description, self.imports, self.base_dir, self.source,
                              self.not_selected)

    # ------------------------------------------------------------------ resolving

    def resolve_path(self, value: str) -> str:
        """Absolute form of a path value (``shipped:`` prefix or relative to the configuration's folder)."""
        if value.startswith(SHIPPED_PREFIX):
            return str(models_dir() / value[len(SHIPPED_PREFIX):])
        p = Path(value).expanduser()
        if not p.is_absolute():
            p = Path(self.base_dir or ".") / p
        return str(p.resolve())

    def resolved_params(self, stage: StageConfig, defaults: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid by the stage's parameters, with every path made absolute."""
        unknown = set(stage.config) - set(defaults)
        if defaults and unknown:
            raise PipelineError(f"{self.source or self.name}: stage {stage.name!r} ({stage.factory}) has no "
                                f"parameter(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(defaults))}")
        params = {**copy.deepcopy(dict(defaults)), **copy.deepcopy(dict(stage.config))}
        for key in PATH_KEYS & set(params):
            v = params[key]
            if isinstance(v, str) and v:
                params[key] = self.resolve_path(v)
            elif isinstance(v, list):
                params[key] = [self.resolve_path(x) if isinstance(x, str) and x else x for x in v]
        return params

    def to_dict(self) -> dict:
        """JSON form (as written; relative paths stay relative)."""
        return {"format": CONFIG_FORMAT, "name": self.name, "description": self.description,
                "imports": list(self.imports), "stages": [s.to_dict() for s in self.stages]}

    def write(self, path: str | Path) -> Path:
        """Write the JSON form atomically."""
        from .atomic import write_text_atomic

        return write_text_atomic(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n")


def as_config(spec: PipelineConfig | Mapping | str | Path | None) -> PipelineConfig:
    """Any accepted form (object, dict, name or path, None for the default) as a :class:`PipelineConfig`."""
    if isinstance(spec, PipelineConfig):
        return spec
    if isinstance(spec, Mapping):
        return PipelineConfig.from_dict(spec, "<config>")
    return PipelineConfig.named(spec)


__all__ = ["CONFIG_FORMAT", "DEFAULT_PIPELINE", "PipelineConfig", "StageConfig", "as_config", "pipelines_dir",
           "shipped_pipelines"]
