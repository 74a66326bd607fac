"""Terminal tables that stay aligned with Korean text (East Asian wide characters count as two columns)."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:  # pandas is imported where it is used
    import pandas as pd


def display_width(text: str) -> int:
    """Columns a string takes in a terminal: wide and full-width characters take two, combining marks none.

    >>> display_width("미국"), display_width("US"), display_width("미국 US")
    (4, 2, 7)
    """
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns (with an ellipsis when cut)."""
    if display_width(text) <= width:
        return text
    out, used = [], 0
    for ch in text:
        w = display_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…"


def _cell(value, float_format: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, float):
        return float_format.format(value)
    return str(value)


def select_columns(frame: pd.DataFrame, columns: Sequence[str] | None) -> pd.DataFrame:
    """Only ``columns`` (in that order); an unknown name is refused with the known ones."""
    if not columns:
        return frame
    unknown = [c for c in columns if c not in frame.columns]
    if unknown:
        raise UsageError(f"no column {unknown[0]!r}; columns: {', '.join(map(str, frame.columns))}")
    return frame[list(columns)]


def format_table(frame: pd.DataFrame, columns: Sequence[str] | None = None, *, max_cell: int = 40,
                 float_format: str = "{:.3f}") -> str:
    """A plain-text table: one header line, a rule, one line per row; cells padded by display width,
    numbers right-aligned, text left-aligned, long cells cut to ``max_cell`` columns.

    >>> import pandas as pd
    >>> print(format_table(pd.DataFrame({"매체": ["한겨레", "KBS"], "n": [12, 3]})))
    매체    n
    ------ --
    한겨레 12
    KBS     3
    """
    import pandas as pd

    frame = select_columns(frame, columns)
    heads = [str(c) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    cells = [[_fit(_cell(v, float_format), max_cell) for v in row] for row in frame.itertuples(index=False)]
    widths = [max([display_width(h)] + [display_width(r[k]) for r in cells]) for k, h in enumerate(heads)]

    def line(values: list[str]) -> str:
        parts = []
        for k, v in enumerate(values):
            pad = " " * (widths[k] - display_width(v))
            parts.append(pad + v if numeric[k] else v + pad)
        return " ".join(parts).rstrip()

    out = [line(heads), " ".join("-" * w for w in widths)]
    out.extend(line(r) for r in cells)
    return "\n".join(out)
