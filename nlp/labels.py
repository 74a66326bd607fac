"""Label scheme (codebook) loaded from ``models/labels.json``: the one source of truth."""

from __future__ import annotations

import json
import re
from functools import lru_cache

from .errors import ModelError
from .resources import models_dir


@lru_cache(maxsize=1)
def scheme() -> dict:
    """The label scheme (``labels.json`` of the shipped data)."""
    with open(models_dir() / "labels.json", encoding="utf-8") as fh:
        return json.load(fh)


def codebook_version() -> str:
    """The codebook version every output names."""
    return scheme()["codebook_version"]


def dimension_ids() -> tuple[str, ...]:
    """Dimension label ids in codebook order.

    >>> dimension_ids()[0]
    'tech_platform'
    """
    return tuple(d["id"] for d in scheme()["dimensions"])


def frame_ids() -> tuple[str, ...]:
    """Frame label ids in codebook order."""
    return tuple(f["id"] for f in scheme()["frames"])


def korean_name(label_id: str) -> str:
    """The Korean display name of a dimension or frame id.

    >>> korean_name('sovereignty')
    'AI 주권·자립'
    """
    for item in scheme()["dimensions"] + scheme()["frames"]:
        if item["id"] == label_id:
            return item["ko"]
    raise KeyError(label_id)


def actor_types() -> tuple[str, ...]:
    """Allowed actor types."""
    return tuple(scheme()["actor_types"])


def blocs() -> tuple[str, ...]:
    """Allowed blocs."""
    return tuple(scheme()["blocs"])


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


@lru_cache(maxsize=1)
def display() -> dict:
    """Display names and colours of blocs, dimensions and difference directions (``display.json``), validated.

    >>> display()["bloc_names"]["CN"]
    '중국 진영'
    """
    path = models_dir() / "display.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: not a readable display table ({exc})") from None
    need = {"bloc_names": blocs(), "bloc_colors": blocs(), "dimension_colors": dimension_ids(),
            "direction_names": ("over", "under", "absent", "new", "same")}
    for key, ids in need.items():
        table = data.get(key)
        if not isinstance(table, dict):
            raise ModelError(f"{path}: {key!r} must be an object")
        missing = [i for i in ids if not isinstance(table.get(i), str) or not table[i]]
        if missing:
            raise ModelError(f"{path}: {key} lacks a value for {', '.join(missing)}")
        if key.endswith("_colors"):
            bad = [i for i, v in table.items() if not _COLOR.fullmatch(str(v))]
            if bad:
                raise ModelError(f"{path}: {key}[{bad[0]!r}] is not a #rrggbb colour")
    return data
