"""What the annotation tools need from the codebook: label sets, the actor inventory, offsets.

Everything is read from ``models/labels.json`` and ``models/actors.tsv`` (via
:mod:`nlp.labels` and :mod:`nlp.lexicon`), never repeated here.
"""

from __future__ import annotations

from ..errors import InputError
from ..labels import actor_types, blocs, dimension_ids, frame_ids, korean_name
from ..lexicon import Actor, load_lexicon

TASKS = ("dimensions", "frames")

# Display colours per bloc (tool configs only; no meaning beyond the UI).
BLOC_COLORS = {"US": "#4e79a7", "CN": "#e15759", "KR": "#59a14f", "EU": "#edc948",
               "multilateral": "#b07aa1", "other": "#9c755f"}


def task_labels(task: str) -> list[tuple[str, str]]:
    """``[(id, Korean name)]`` of a sentence task in codebook order.

    >>> task_labels("dimensions")[0]
    ('tech_platform', '기술·플랫폼 경쟁')
    """
    ids = dimension_ids() if task == "dimensions" else frame_ids()
    return [(i, korean_name(i)) for i in ids]


def actors(lexicons: tuple[str, ...] = ()) -> list[Actor]:
    """The actor inventory (shipped lexicon plus user lexicons), sorted by id."""
    return sorted(load_lexicon(*lexicons).actors.values(), key=lambda a: a.id)


def resolve_actor(actor_id: str, type_: str | None = None, bloc: str | None = None,
                  lexicons: tuple[str, ...] = (), where: str = "") -> tuple[str, str]:
    """``(type, bloc)`` of an actor id: from the lexicon, else from the values the tool carried.

    >>> resolve_actor("NVIDIA")
    ('company', 'US')
    """
    known = load_lexicon(*lexicons).actors.get(actor_id)
    if known is not None:
        return known.type, known.bloc
    if type_ in actor_types() and bloc in blocs():
        return type_, bloc
    raise InputError(f"{where}: actor id {actor_id!r} is not in the lexicon and has no valid type/bloc "
                     f"(type {type_!r}, bloc {bloc!r}); add it with --lexicon")


def utf16_offset(text: str, index: int) -> int:
    """A code-point offset into ``text`` as a UTF-16 code-unit offset (JavaScript string index).

    >>> utf16_offset("😀미국", 1), utf16_offset("미국", 2)
    (2, 2)
    """
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def codepoint_offset(text: str, units: int) -> int:
    """Inverse of :func:`utf16_offset`; raises :class:`InputError` inside a surrogate pair.

    >>> codepoint_offset("😀미국", 2)
    1
    """
    pos = 0
    for i, ch in enumerate(text):
        if pos == units:
            return i
        pos += 2 if ord(ch) > 0xFFFF else 1
        if pos > units:
            raise InputError(f"offset {units} falls inside the character {ch!r} of {text!r}")
    if pos == units:
        return len(text)
    raise InputError(f"offset {units} is past the end of a text of {pos} UTF-16 units")
