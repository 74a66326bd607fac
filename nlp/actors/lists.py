"""Candidate spans, and the resolver's rules about lists and places: a context-dependent name
listed with names of one bloc, one-syllable states in dotted lists, capitals as places and short
names defined inside a bracket (a mixin of ``ActorResolver``)."""

from __future__ import annotations

import re
from typing import NamedTuple

# a one-character item of a dotted list: after a middle dot, or opening the list before one
_LIST_ITEM = re.compile(r"(?<=[·ㆍ・])([^\W\d_])(?=[·ㆍ・,\s]|$)|(?<![^\W_])([^\W\d_])(?=[·ㆍ・])")
_LIST_GAP = re.compile(r"\s*[,·ㆍ・]\s*")
_LIST_BEFORE = re.compile(r"[,·ㆍ・] ?$")
_LIST_AFTER = re.compile(r" ?[,·ㆍ・] ?")


class _Cand(NamedTuple):
    """A candidate span (a NamedTuple: cheaper to make than a dataclass)."""

    start: int
    end: int
    actors: tuple[str, ...]  # empty: a blocker
    rule: str
    conds: tuple[tuple[str, str], ...] = ()  # (condition, actor) alternatives for context-dependent names


class ListRules:
    """List and place methods of :class:`~nlp.actors.resolver.ActorResolver` (a mixin; they use its
    lexicon and cue tables)."""

    def _by_list(self, text: str, c: _Cand, chosen: list[_Cand]) -> str | None:
        """국방부, 외교부, 산업통상자원부: a context-dependent name listed (by commas or middle dots)
        with names of one bloc's states or agencies takes that bloc, the nearest listed one first."""
        if not c.conds or "regulation" in dict(c.conds):
            return None
        by_bloc = dict(c.conds)
        default = c.actors[0] if c.actors else None
        if default in self.lexicon.actors:
            by_bloc.setdefault(self.lexicon.actors[default].bloc, default)
        k = chosen.index(c)
        for step in (-1, 1):
            j, cur = k + step, c
            while 0 <= j < len(chosen):
                nb = chosen[j]
                gap = text[nb.end:cur.start] if step < 0 else text[cur.end:nb.start]
                if not _LIST_GAP.fullmatch(gap):
                    break
                if nb.actors and not nb.conds and nb.rule != "blocker":
                    a = self.lexicon.actors.get(nb.actors[0])
                    if a is not None and a.type in ("state", "agency") and a.bloc in by_bloc:
                        return by_bloc[a.bloc]
                cur, j = nb, j + step
        return None

    def _list_items(self, text: str, chosen: list[_Cand], lo: int, hi: int) -> list[_Cand]:
        """호주·캐·EU·프·독: one-syllable state names as items of a list (joined by middle dots) that
        also names a state or the EU in full are mentions each (B-R10)."""
        added = []
        for m in _LIST_ITEM.finditer(text, lo, hi):
            p = m.start(1) if m.group(1) else m.start(2)
            actor = self.all_abbreviations.get(text[p])
            if actor is None or any(c.start <= p < c.end for c in chosen):
                continue
            a, b = p, p + 1
            while a > lo and (text[a - 1].isalnum() or text[a - 1] in self.separators):
                a -= 1
            while b < hi and (text[b].isalnum() or text[b] in self.separators):
                b += 1
            if any(a <= c.start and c.end <= b and c.end - c.start >= 2 and len(c.actors) == 1 and c.rule == "lexicon"
                   and (self.lexicon.actors[c.actors[0]].type == "state" or c.actors[0] == "EU")
                   for c in chosen if c.actors and c.actors[0] in self.lexicon.actors):
                added.append(_Cand(p, p + 1, (actor,), "list-item"))
        return sorted(chosen + added, key=lambda c: c.start) if added else chosen

    def _drop_locations(self, text: str, chosen: list[_Cand]) -> list[_Cand]:
        """A capital as a place, not its government (중국 베이징, 베이징·상하이), and a short
        name defined inside the bracket of the same actor's name (국가인권위원회(…, 이하 ‘인권위’))."""
        out: list[_Cand] = []
        starts = {c.start for c in chosen}
        for c in chosen:
            if len(c.actors) == 1 and self.capitals.get(text[c.start:c.end]) == c.actors[0]:
                prev = out[-1] if out else None
                if prev is not None and prev.actors == c.actors and text[prev.end:c.start] == " ":
                    continue  # 중국 베이징
                before = _LIST_BEFORE.search(text, max(0, c.start - 2), c.start)
                after = _LIST_AFTER.match(text, c.end)
                if (before and text[before.start() - 1:before.start()].isalnum()
                        and not any(x.end == before.start() for x in chosen)) or (
                        after and after.end() < len(text) and text[after.end()].isalnum()
                        and after.end() not in starts):
                    continue  # listed with other places: 베이징·상하이·선전
            if c.actors and text.endswith("이하 ", 0, c.start - (text[c.start - 1] in "'‘\"“")):
                open_ = text.rfind("(", max(0, c.start - 80), c.start)  # a bracket of a name, not the document
                if open_ > 0 and ")" not in text[open_:c.start] and any(
                        x.end == open_ and x.actors == c.actors for x in out):
                    continue
            out.append(c)
        return out
