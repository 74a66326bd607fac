"""Where the shipped data lives: the package ``nlp.models`` (the repo folder ``models/``).

The label scheme, actor lexicon, cue lists, pipeline configurations, shipped models and the
reference profile are package data, found through :mod:`importlib.resources`, so an installed
wheel behaves exactly like an editable checkout.  ``KDISCOURSE_MODELS`` points elsewhere
(a folder with the same layout) for experiments.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@lru_cache(maxsize=1)
def _package_models_dir() -> Path:
    return Path(str(resources.files("nlp.models")))


def models_dir() -> Path:
    """Folder of the shipped data (``KDISCOURSE_MODELS`` overrides it).

    >>> (models_dir() / "labels.json").is_file()
    True
    """
    env = os.environ.get("KDISCOURSE_MODELS")
    return Path(env) if env else _package_models_dir()


def shipped_models_dir() -> Path:
    """The installed package's own data folder, whatever ``KDISCOURSE_MODELS`` says.

    ``train`` refuses to write here unless asked explicitly.
    """
    return _package_models_dir()


def repo_path(*parts: str) -> Path:
    """A path inside the source checkout (team corpus, essay gold); it may not exist in a wheel install."""
    return REPO_ROOT.joinpath(*parts)
