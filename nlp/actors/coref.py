"""In-document coreference for open-world names: bracketed acronyms and short forms, surnames with titles."""

from __future__ import annotations

from .names import _ACRONYM, _HANGUL, _NAME_CHARS, Found, Memory


class CoreferenceRules:
    """Coreference methods of :class:`~nlp.actors.openworld.OpenWorld` (a mixin; they use its cue tables)."""

    def _register_surname(self, memory: Memory, key: str, f: Found) -> None:
        prev = memory.surnames.get(key, f)
        memory.surnames[key] = f if prev is not None and prev.actor == f.actor else None

    def _define_acronyms(self, text: str, mentions: list[Found], memory: Memory) -> list[Found]:
        """``name(ACR)``: remember ACR as another name of the mention's actor; an
        open-world name's span takes the bracket in (a lexicon name's span is the
        lexicon's business)."""
        out: list[Found] = []
        bracket = (-1, -1)  # a bracket an earlier mention took in
        for f in mentions:
            if bracket[0] <= f.start and f.end <= bracket[1]:
                continue
            if f.end < len(text) and text[f.end] == "(":
                close = text.find(")", f.end, f.end + 16)
                inner = text[f.end + 1:close] if close > 0 else ""
                hereafter = inner.startswith(self.hereafter)
                acr = inner[len(self.hereafter):].strip(" '‘’\"“”") if hereafter else inner
                same = f.actor in self.surface_actors.get(acr, ())
                if same or self._abbreviation_of(acr, text[f.start:f.end]):
                    if not same:
                        memory.acronyms.setdefault(acr, f)
                    out.append(f._replace(end=close + 1, rule="bracket" if f.known else f.rule))
                    bracket = (f.end, close + 1)
                    continue
            out.append(f)
        return out

    def _named_by_bracket(self, text, words, out, taken, by_end) -> None:
        """국방고등연구계획국(DARPA): an unlisted name followed by a bracketed lexicon
        alias is that actor, one span over both (an agency absorbs its state before it)."""
        starts = {w.end: w for w in words}
        for k, f in enumerate(out):
            if f.start < 2 or text[f.start - 1] != "(" or text[f.end:f.end + 1] != ")" or f.type in ("state", "person"):
                continue
            w = starts.get(f.start - 1)
            if w is None or not w.bare or w.end - w.start < 3 or not _NAME_CHARS.fullmatch(text[w.start:w.end]):
                continue
            inner = [g for g in out if w.start <= g.start and g.end <= w.end]
            if any(g.actor != f.actor for g in inner):
                continue
            if not self._free([t for t in taken if t not in {(g.start, g.end) for g in inner}], w.start, w.end):
                continue
            start = w.start
            state = by_end.get(start - 1) if text[start - 1:start] == " " else None
            if state is not None and state.type == "state" and f.type == "agency" and state.bloc == f.bloc:
                start = state.start
            else:
                state = None
            for g in [*inner, state, f]:
                if g is not None:
                    taken.remove((g.start, g.end))
                    out[out.index(g)] = g._replace(start=-1)
            new = f._replace(start=start, end=f.end + 1, rule="bracket-alias")
            out[k] = new
            taken.append((new.start, new.end))
            by_end[new.end] = new

    def _abbreviation_of(self, acr: str, name: str) -> bool:
        """A Latin acronym (two capitals or more, not a generic word), or a Hangul
        short form whose syllables occur in the name in order (중대본 of
        중앙재난안전대책본부) and that is not a generic word (위원회)."""
        if acr in self.surfaces or acr.upper() in self.generic_latin:
            return False
        if _ACRONYM.fullmatch(acr):
            return sum(c.isupper() for c in acr) >= 2
        if not _HANGUL.fullmatch(acr) or not 2 <= len(acr) < len(name) or acr in self.org_stop or \
                acr in self.org_suffix:
            return False
        it = iter(name)
        return all(ch in it for ch in acr)

    def _acronym_uses(self, text, words, memory, taken, by_end, add) -> None:
        if not memory.acronyms:
            return
        for w in words:
            # the word without its particles, whatever Kiwi made of a short form (미래/위)
            k = len(w.morphs)
            while k and w.morphs[k - 1].tag.startswith("J"):
                k -= 1
            end = w.morphs[k - 1].end if k else w.start
            noun = text[w.start:end]
            src = memory.acronyms.get(noun) if _HANGUL.fullmatch(noun) else None
            if src is not None and self._free(taken, w.start, end) and not (
                    w.start and text[w.start - 1] == "(" and by_end.get(w.start - 1) is not None):
                add(Found(w.start, end, src.actor, src.type, src.bloc, "coref:abbrev", src.known))
                continue
            for m in w.morphs:
                src = memory.acronyms.get(m.form) if m.tag == "SL" else None
                if src is None or not self._free(taken, m.start, m.end):
                    continue
                if m.start and text[m.start - 1] == "(" and by_end.get(m.start - 1) is not None:
                    continue  # a repeated definition: name(ACR)
                if (m.start and text[m.start - 1].isascii() and text[m.start - 1].isalnum()) or (
                        m.end < len(text) and text[m.end].isascii() and text[m.end].isalnum()):
                    continue
                add(Found(m.start, m.end, src.actor, src.type, src.bloc, "coref:abbrev", src.known))

    # ------------------------------------------------------------------ persons
