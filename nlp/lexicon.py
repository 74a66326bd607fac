"""Actor lexicon (``models/actors.tsv``) and the resolver's cue words (``models/actor_cues.tsv``).

Columns: ``id type bloc names_ko names_en aliases context note``; list fields are
``|``-separated.  An alias written ``ctx:COND=surface`` only counts under a
context condition: ``COND`` is a bloc (``US``, ``CN``, ``KR``, ``EU``: that bloc
is mentioned in the same or the previous sentence) or ``regulation`` (the
sentence is about rules).  Users add their own file with the same columns
(``--lexicon my.tsv``); its rows extend or override shipped ids.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import LexiconError
from .labels import actor_types, blocs, models_dir

COLUMNS = ("id", "type", "bloc", "names_ko", "names_en", "aliases", "context", "note")
CONDITIONS = ("US", "CN", "KR", "EU", "regulation")


@dataclass(frozen=True)
class Actor:
    """A canonical actor: id, type, bloc and Korean/English display names."""
    id: str
    type: str
    bloc: str
    display: str


@dataclass(frozen=True)
class Surface:
    """One surface string of an actor, with an optional context condition."""

    text: str
    actor: str
    condition: str | None
    source: str  # "names_ko" | "names_en" | "aliases"


@dataclass(frozen=True)
class Lexicon:
    """The loaded lexicon: actors by id and surfaces (names and aliases) to actor ids."""
    actors: dict[str, Actor]
    surfaces: tuple[Surface, ...]
    paths: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.actors)


def _split(field: str) -> list[str]:
    return [x.strip() for x in (field or "").split("|") if x.strip()]


# --- limits (issue 15, added by the hardening helper): every name and line of a lexicon is bounded, so one
# huge name cannot cost memory quadratic in its length in the resolver's index
MAX_NAME_CHARS = 200
MAX_LINE_CHARS = 20_000


def _check_row(path: Path, lineno: int, header: list[str], row: list[str]) -> None:
    if len(row) > len(header):
        raise LexiconError(f"{path}:{lineno}: {len(row)} tab-separated fields but the header has {len(header)}; "
                           "is there a tab inside a name?")
    for col, value in zip(header, row):
        # a cell no longer than the limit holds no name over it (the common case, checked without splitting)
        if len(value) > MAX_NAME_CHARS and col in ("names_ko", "names_en", "aliases"):
            long = next((x for x in value.split("|") if len(x.strip()) > MAX_NAME_CHARS), None)
            if long is not None:
                raise LexiconError(f"{path}:{lineno}: a name in column {col} has {len(long.strip()):,} characters "
                                   f"(limit {MAX_NAME_CHARS})")
    if sum(map(len, row)) > MAX_LINE_CHARS:
        raise LexiconError(f"{path}:{lineno}: line longer than {MAX_LINE_CHARS:,} characters")


def _read_rows(path: Path) -> list[tuple[int, dict]]:
    try:
        if path.is_dir():
            raise LexiconError(f"{path}: is a directory, not a lexicon file")
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header is None:
                raise LexiconError(f"{path}: empty lexicon file; expected a header {'/'.join(COLUMNS)}")
            header = [h.strip() for h in header]
            missing = [c for c in COLUMNS[:4] if c not in header]
            if missing:
                raise LexiconError(f"{path}:1: header lacks column(s) {', '.join(missing)}; "
                                   f"expected {' '.join(COLUMNS)}")
            rows = []
            for lineno, row in enumerate(reader, start=2):
                if not row or not "".join(row).strip() or row[0].startswith("#"):
                    continue
                _check_row(path, lineno, header, row)
                rows.append((lineno, dict(zip(header, row))))
            return rows
    except FileNotFoundError:
        raise LexiconError(f"{path}: lexicon file not found") from None
    except UnicodeDecodeError:
        raise LexiconError(f"{path}: lexicon file is not UTF-8") from None
    except csv.Error as exc:  # e.g. a field over the csv module's own size limit
        raise LexiconError(f"{path}: not a readable lexicon ({exc})") from None
    except OSError as exc:
        raise LexiconError(f"{path}: cannot read the lexicon ({exc.strerror or exc})") from None


def _parse(paths: list[Path]) -> Lexicon:
    types, bloc_ids = set(actor_types()), set(blocs())
    actors: dict[str, Actor] = {}
    surfaces: dict[tuple[str, str, str | None], Surface] = {}
    owner: dict[str, tuple[str, str]] = {}  # unconditioned surface -> (actor, where)
    for path in paths:
        user_file = path != paths[0]
        for lineno, row in _read_rows(path):
            where = f"{path}:{lineno}"
            aid = (row.get("id") or "").strip()
            if not aid:
                raise LexiconError(f"{where}: empty id")
            atype = (row.get("type") or "").strip()
            if atype not in types:
                raise LexiconError(f"{where}: unknown type {atype!r} for {aid}; allowed: {', '.join(sorted(types))}")
            bloc = (row.get("bloc") or "").strip()
            if bloc not in bloc_ids:
                raise LexiconError(f"{where}: unknown bloc {bloc!r} for {aid}; allowed: {', '.join(sorted(bloc_ids))}")
            if user_file and aid in actors:
                # a user row overrides the shipped row for the same id
                for key in [k for k, s in surfaces.items() if s.actor == aid]:
                    del surfaces[key]
                for key in [k for k, (a, _) in owner.items() if a == aid]:
                    del owner[key]
            elif aid in actors:
                raise LexiconError(f"{where}: id {aid} defined twice")
            names = []
            for col in ("names_ko", "names_en", "aliases"):
                raw_field = row.get(col) or ""
                if raw_field.strip() and any(not x.strip() for x in raw_field.split("|")):
                    raise LexiconError(f"{where}: empty alias in column {col} of {aid}")
                for item in _split(raw_field):
                    cond = None
                    text = item
                    if item.startswith("ctx:"):
                        cond, _, text = item[4:].partition("=")
                        text = text.strip()
                        if cond not in CONDITIONS:
                            raise LexiconError(f"{where}: unknown context condition {cond!r} in {item!r}; "
                                               f"allowed: {', '.join(CONDITIONS)}")
                    if not text:
                        raise LexiconError(f"{where}: empty alias in column {col} of {aid}")
                    names.append((text, cond, col))
            if not names:
                raise LexiconError(f"{where}: actor {aid} has no name or alias")
            for text, cond, col in names:
                if cond is None:
                    prev = owner.get(text)
                    if prev and prev[0] != aid:
                        raise LexiconError(f"{where}: alias {text!r} of {aid} is already claimed by {prev[0]} "
                                           f"({prev[1]})")
                    owner[text] = (aid, where)
                surfaces[(text, aid, cond)] = Surface(text, aid, cond, col)
            display = names[0][0]
            actors[aid] = Actor(aid, atype, bloc, display)
    return Lexicon(actors, tuple(surfaces.values()), tuple(str(p) for p in paths))


def default_lexicon_path() -> Path:
    """The shipped lexicon (``actors.tsv`` of the shipped data)."""
    return models_dir() / "actors.tsv"


@lru_cache(maxsize=8)
def load_lexicon(*user_paths: str) -> Lexicon:
    """Shipped lexicon plus user files (later files override ids of earlier ones).

    >>> lex = load_lexicon()
    >>> lex.actors["US"].bloc, lex.actors["OPENAI"].type
    ('US', 'company')
    """
    return _parse([default_lexicon_path(), *[Path(p) for p in user_paths]])


# ---------------------------------------------------------------------------- cue words
# kind -> what its value must be: "" none, "actor" an actor id, "text" any text,
# "type" an actor type, "bloc" a bloc id; CHAR_KINDS take a one-character cue,
# BLOC_KINDS a bloc id as the cue.
CUE_KINDS: dict[str, str] = {
    "abbreviation": "actor", "separator": "", "relation_noun": "", "ambiguous_compound": "",
    "toward_always": "actor", "toward_ambiguous": "actor", "toward_gloss": "actor", "toward_trigger": "",
    "mi_office": "", "regulatory_cue": "", "regulatory_suffix": "", "state_suffix_reject": "",
    "demonym_suffix": "", "demonym_particle": "", "modifier_suffix": "", "government_noun": "",
    "epithet_marker": "", "name_prefix": "", "brand_prefix": "", "gloss": "text",
    # open-world names
    "home_bloc": "", "person_title": "", "surname": "", "name_stop": "", "company_class": "",
    "generic_latin": "", "org_suffix": "type", "org_suffix_after_state": "type", "org_stop": "",
    "org_generic_stem": "", "org_short_prefix": "", "local_suffix": "", "province": "", "us_state": "",
    "hereafter": "", "affiliation": "", "locative_particle": "", "analyst_class": "", "address_suffix": "",
    "title_stop": "", "list_abbreviation": "actor", "capital": "actor", "institute_suffix": "", "translated_name_suffix": "",
}
CHAR_KINDS = frozenset({"separator", "modifier_suffix", "demonym_particle"})
BLOC_KINDS = frozenset({"home_bloc"})  # the cue itself is a bloc id
_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


@dataclass(frozen=True)
class ActorCues:
    """Cue words of the actor resolver, by kind, in file order.

    ``entries[kind]`` is a tuple of ``(cue, value)``; ``words(kind)`` the cues alone
    and ``mapping(kind)`` a cue -> value dict.
    """

    entries: dict[str, tuple[tuple[str, str], ...]]
    path: str

    def words(self, kind: str) -> tuple[str, ...]:
        """The cues of one kind, in file order."""
        return tuple(c for c, _v in self.entries.get(kind, ()))

    def mapping(self, kind: str) -> dict[str, str]:
        """Cue -> value for one kind."""
        return dict(self.entries.get(kind, ()))


def default_cues_path() -> Path:
    """The shipped actor cue words (``actor_cues.tsv`` of the shipped data)."""
    return models_dir() / "actor_cues.tsv"


def _check_value(where: str, kind: str, cue: str, value: str) -> None:
    rule = CUE_KINDS[kind]
    if kind in BLOC_KINDS and cue not in blocs():
        raise LexiconError(f"{where}: unknown bloc {cue!r} for {kind}; allowed: {', '.join(sorted(blocs()))}")
    if kind in CHAR_KINDS and len(cue) != 1:
        raise LexiconError(f"{where}: cue {cue!r} of kind {kind} must be one character")
    if not rule:
        if value:
            raise LexiconError(f"{where}: kind {kind} takes no value, got {value!r} for cue {cue!r}")
        return
    if not value:
        raise LexiconError(f"{where}: kind {kind} needs a value ({rule}) for cue {cue!r}")
    if rule == "actor" and not (value[0].isalpha() and set(value) <= _ID_CHARS):
        raise LexiconError(f"{where}: value {value!r} of cue {cue!r} is not an actor id (UPPER_SNAKE)")
    if rule == "type" and value not in actor_types():
        raise LexiconError(f"{where}: unknown type {value!r} for cue {cue!r}; "
                           f"allowed: {', '.join(sorted(actor_types()))}")
    if rule == "bloc" and value not in blocs():
        raise LexiconError(f"{where}: unknown bloc {value!r} for cue {cue!r}; allowed: {', '.join(sorted(blocs()))}")


def parse_actor_cues(path: Path) -> ActorCues:
    """Read and validate a cue file (``kind<TAB>cue[<TAB>value[<TAB>note]]``).

    Every error is one line naming the file and line: an unknown kind, an empty cue,
    a missing or unexpected value, a value of the wrong kind, a duplicate cue.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise LexiconError(f"{path}: cue file not found") from None
    except UnicodeDecodeError:
        raise LexiconError(f"{path}: cue file is not UTF-8") from None
    entries: dict[str, list[tuple[str, str]]] = {k: [] for k in CUE_KINDS}
    seen: dict[tuple[str, str], int] = {}
    for lineno, line in enumerate(lines, start=1):
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path}:{lineno}"
        cols = line.split("\t")
        if len(cols) < 2 or len(cols) > 4:
            raise LexiconError(f"{where}: expected kind<TAB>cue[<TAB>value[<TAB>note]], got {len(cols)} column(s)")
        kind, cue = cols[0].strip(), cols[1]
        value = cols[2].strip() if len(cols) > 2 else ""
        if kind not in CUE_KINDS:
            raise LexiconError(f"{where}: unknown cue kind {kind!r}; allowed: {', '.join(sorted(CUE_KINDS))}")
        if not cue.strip() or cue != cue.strip():
            raise LexiconError(f"{where}: empty cue or cue with surrounding spaces {cue!r} (kind {kind})")
        _check_value(where, kind, cue, value)
        if (kind, cue) in seen:
            raise LexiconError(f"{where}: cue {cue!r} of kind {kind} already given on line {seen[(kind, cue)]}")
        seen[(kind, cue)] = lineno
        entries[kind].append((cue, value))
    return ActorCues({k: tuple(v) for k, v in entries.items()}, str(path))


@lru_cache(maxsize=8)
def load_actor_cues(path: str | None = None) -> ActorCues:
    """The shipped cue words (``models/actor_cues.tsv``) or a user's copy, parsed once.

    >>> cues = load_actor_cues()
    >>> cues.mapping("abbreviation")["미"], "수출" in cues.words("toward_trigger")
    ('US', True)
    """
    return parse_actor_cues(Path(path) if path else default_cues_path())
