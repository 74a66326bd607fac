"""Label scheme (codebook) loaded from ``models/labels.json``: the one source of truth."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

_DEFAULT_DIR = Path(__file__).resolve().parent.parent / "models"


def models_dir() -> Path:
    """Directory of shipped data (labels, lexicon, models, reference profile).

    ``KDISCOURSE_MODELS`` overrides the default ``<repo>/models``.
    """
    return Path(os.environ.get("KDISCOURSE_MODELS", _DEFAULT_DIR))


@lru_cache(maxsize=1)
def scheme() -> dict:
    with open(models_dir() / "labels.json", encoding="utf-8") as fh:
        return json.load(fh)


def codebook_version() -> str:
    return scheme()["codebook_version"]


def dimension_ids() -> tuple[str, ...]:
    """>>> dimension_ids()[0]
    'tech_platform'
    """
    return tuple(d["id"] for d in scheme()["dimensions"])


def frame_ids() -> tuple[str, ...]:
    return tuple(f["id"] for f in scheme()["frames"])


def korean_name(label_id: str) -> str:
    """>>> korean_name('sovereignty')
    'AI 주권·자립'
    """
    for item in scheme()["dimensions"] + scheme()["frames"]:
        if item["id"] == label_id:
            return item["ko"]
    raise KeyError(label_id)


def actor_types() -> tuple[str, ...]:
    return tuple(scheme()["actor_types"])


def blocs() -> tuple[str, ...]:
    return tuple(scheme()["blocs"])
