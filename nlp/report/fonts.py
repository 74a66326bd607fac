"""A font with Hangul glyphs for matplotlib charts.

System fonts come first (Noto Sans CJK from Debian's fonts-noto-cjk, Nanum, …); without
one, the NanumGothic files that the ``koreanize-matplotlib`` package (a dependency) ships
are registered -- found on disk, without importing that package, which would change
matplotlib's global settings.  No font at all is a clear error, never empty boxes.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from ..errors import ModelError


def _bundled_fonts() -> list[str]:
    """Font files shipped inside PyPI packages we depend on (koreanize-matplotlib's NanumGothic)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.origin:
        return []
    folder = Path(spec.origin).parent / "fonts"
    return sorted(str(p) for p in folder.glob("NanumGothic*.ttf"))


PREFERRED_FONTS = ("Noto Sans CJK KR", "Noto Sans KR", "Noto Sans CJK JP", "Noto Sans CJK SC", "Noto Sans CJK TC",
                   "Source Han Sans KR", "NanumGothic", "NanumBarunGothic", "Malgun Gothic", "Apple SD Gothic Neo",
                   "UnDotum", "Baekmuk Gulim")
FILE_HINTS = ("notosanscjk", "notosanskr", "sourcehansans", "nanum", "malgun", "applesdgothic", "undotum", "baekmuk")
HANGUL_PROBE = "한국어"


def _has_hangul(path: str) -> bool:
    from matplotlib.ft2font import FT2Font

    try:
        font = FT2Font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(ch)) for ch in HANGUL_PROBE)


@lru_cache(maxsize=1)
def korean_font() -> str:
    """The family name of an installed font that has Hangul glyphs.

    Raises :class:`~nlp.errors.ModelError` naming the fonts looked for when none is installed.
    """
    from matplotlib import font_manager

    def scan() -> dict[str, str]:
        return {f.name: f.fname for f in font_manager.fontManager.ttflist}

    fonts = scan()
    for name in PREFERRED_FONTS:
        if name in fonts and _has_hangul(fonts[name]):
            return name
    # The font cache may predate the font's installation: register matching system files.
    for path in font_manager.findSystemFonts():
        if any(h in Path(path).name.lower().replace("-", "").replace("_", "") for h in FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    for path in _bundled_fonts():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            continue
    fonts = scan()
    for name in PREFERRED_FONTS:
        if name in fonts and _has_hangul(fonts[name]):
            return name
    raise ModelError("no font with Korean (Hangul) glyphs found for the PNG chart; looked for "
                     f"{', '.join(PREFERRED_FONTS[:4])}, ...; install one (e.g. the Debian package fonts-noto-cjk or the PyPI package koreanize-matplotlib)")
