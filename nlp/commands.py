"""Registry of the sub-commands beyond ``tag``; each module adds its own parser."""

from __future__ import annotations

import importlib

COMMAND_MODULES = ("cli_compare", "cli_models", "cli_batch")


def register(sub) -> None:
    for name in COMMAND_MODULES:
        try:
            mod = importlib.import_module(f"{__package__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__package__}.{name}":
                continue
            raise
        mod.register(sub)
