"""Registry of the sub-commands beyond ``tag``; each module adds its own parser.

The modules import their heavy dependencies (pandas, scikit-learn, torch) inside
the command functions, so registering them keeps ``tag`` fast.
"""

from __future__ import annotations


def register(sub) -> None:
    from . import cli_batch, cli_compare, cli_models

    for mod in (cli_compare, cli_models, cli_batch):
        mod.register(sub)
