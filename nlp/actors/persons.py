"""Person rules of open-world recognition: a name before a title, names listed before one title,
a title opening a bracket, surnames and full names coming back (a mixin of ``OpenWorld``)."""

from __future__ import annotations

from .names import _HANGUL, Found, Memory, _Word, generated_id

_LIST_GAPS = ("·", "ㆍ", ", ", ",")
_NAME_TAGS = ("NNP", "NNG", "XSN")  # 박/충/권: Kiwi cuts unknown names into pieces
_LOOSE_NAME_TAGS = ("NNP", "NNG", "XSN", "NNB", "NR", "MM")  # 김/남/중, 진종/오


class PersonRules:
    """Person methods of :class:`~nlp.actors.openworld.OpenWorld` (a mixin; they use its cue tables)."""

    def _title_at(self, text: str, w: _Word) -> str | None:
        if not w.nom or not (w.particles_only or all(m.tag[0] in "JE" or m.tag == "VCP" for m in w.morphs[w.nom:])):
            return None  # 의원은, 의원이다
        noun = text[w.start:w.nom_end]
        t = self.titles.match(noun)
        stop = self.title_stop.match(noun)
        if t is None or len(noun) - len(t) > 4 or stop is not None and len(stop) >= len(t):
            return None  # 본회의장 is a hall, not a 의장 (국회의장, a longer title, is one)
        return t

    def _name_word(self, text: str, w: _Word, taken, loose: bool = False) -> bool:
        """A word that can be (part of) a person's name: Hangul nouns, one of them a proper noun;
        ``loose``: a Korean full name Kiwi read as common nouns (김장/겸) also counts."""
        name = text[w.start:w.end]
        return (w.bare and bool(_HANGUL.fullmatch(name)) and len(name) <= 6 and name not in self.name_stop
                and name not in self.surfaces and name not in self.affiliations
                and all(m.tag in (_LOOSE_NAME_TAGS if loose else _NAME_TAGS) for m in w.morphs)
                and (any(m.tag == "NNP" for m in w.morphs) or loose and self._korean_full(name))
                and self._free(taken, w.start, w.end))

    def _korean_name(self, name: str) -> bool:
        if not _HANGUL.fullmatch(name):
            return False
        if len(name) == 4:
            return name[:2] in self.surnames2
        return len(name) in (2, 3) and name[0] in self.surnames1

    def _korean_full(self, name: str) -> bool:
        """A Korean name of three syllables (four with a two-syllable surname)."""
        return self._korean_name(name) and len(name) >= 3

    def _persons(self, text, words, memory, taken, by_end, add) -> None:
        for i, w in enumerate(words):
            if self._title_at(text, w) is None:
                continue
            # a name inside the title (상원의원 with 상원 -> US_CONGRESS), then up to two
            # organisations, states, parties or a state abbreviation (미 상무장관) between name and title
            inside = next((f for f in by_end.values() if w.start <= f.start and f.end <= w.nom_end), None)
            j, pos, bloc_between = i - 1, w.start, inside.bloc if inside else None
            prev_word = words[j] if j >= 0 and words[j].end == w.start - 1 and text[w.start - 1] == " " else None
            if prev_word is not None and prev_word.end - prev_word.start <= 2:
                key = text[prev_word.start:prev_word.end]
                ref = memory.surnames.get(key)
                if ref is not None and self._free(taken, prev_word.start, prev_word.end) and \
                        (prev_word.start == 0 or not text[prev_word.start - 1].isalnum()):
                    add(Found(prev_word.start, prev_word.end, ref.actor, ref.type, ref.bloc, "coref:surname", ref.known))
                    continue
            skipped = False
            for _ in range(2):
                if pos == 0 or text[pos - 1] != " ":
                    break
                f = by_end.get(pos - 1)
                if f is None and pos >= 2 and text[pos - 2] == ")":  # 미 국가정보국(DNI) 국장
                    f = by_end.get(text.rfind("(", 0, pos - 2))
                if f is not None and f.type != "person":
                    bloc_between = bloc_between or f.bloc
                    pos = f.start
                    skipped = True
                else:
                    prev = text[words[j].start:words[j].end] if j >= 0 and words[j].end == pos - 1 else ""
                    if prev not in self.affiliations and prev not in self.abbreviation_blocs:
                        break
                    bloc_between = bloc_between or self.abbreviation_blocs.get(prev)
                    pos = words[j].start
                    skipped = True
                while j >= 0 and words[j].start >= pos:
                    j -= 1
            names: list[_Word] = []
            while j >= 0 and len(names) < 2:
                cand = words[j]
                # a Korean name Kiwi did not tag as a proper noun still counts after a party or an
                # organisation (김장겸 국민의힘 의원) or at the end of a list of names (…·이도현 의원)
                listed = j > 0 and text[words[j - 1].end:cand.start] in _LIST_GAPS and \
                    self._korean_full(text[words[j - 1].start:words[j - 1].end])
                if cand.end != pos - 1 or text[cand.end] != " " or not self._name_word(
                        text, cand, taken, loose=not names and (skipped or listed)):
                    break
                names.insert(0, cand)
                pos = cand.start
                j -= 1
            if not names:
                continue
            if len(names) == 2:
                far, near = (self._korean_full(text[x.start:x.end]) for x in names)
                if far and not near:
                    names = names[:1]  # 정지은 코딧 대표: a Korean name, then an unlisted affiliation
                elif near and not far:
                    names = names[1:]  # 코딧 정지은 대표: an unlisted affiliation, then a Korean name
            start, end = names[0].start, names[-1].end
            name = text[start:end]
            bloc_before = None
            f = by_end.get(start - 1) or by_end.get(start - 2)
            if f is not None and f.type != "person" and text[f.end:start].strip() in ("", "의"):
                bloc_before = f.bloc
            single = len(names) == 1
            ref = memory.surnames.get(name) if single else None
            if ref is not None:
                add(Found(start, end, ref.actor, ref.type, ref.bloc, "coref:surname", ref.known))
                continue
            if single and not self._korean_name(name):
                continue
            korean = single
            bloc = bloc_between or bloc_before or (self.home_bloc if korean else "other")
            f = Found(start, end, generated_id("person", name), "person", bloc, "open:person", False)
            add(f)
            self._register_person(memory, name, memory.first.get(f.actor, f))
            if korean:
                self._coordinated(text, words, words.index(names[0]), bloc, memory, taken, add)

    def _coordinated(self, text, words, j, bloc, memory, taken, add) -> None:
        """서영교·박주민, 진성준 의원: Korean full names listed before one title."""
        while j > 0:
            prev, cur = words[j - 1], words[j]
            gap = text[prev.end:cur.start]
            name = text[prev.start:prev.end]
            if gap not in _LIST_GAPS or not self._name_word(text, prev, taken, loose=True) or not (
                    self._korean_full(name) or self._korean_name(name) and prev.morphs[0].tag == "NNP"):
                break  # a two-syllable name (김건) only as a proper noun
            f = Found(prev.start, prev.end, generated_id("person", name), "person", bloc, "open:person", False)
            add(f)
            self._register_person(memory, name, memory.first.get(f.actor, f))
            j -= 1

    def _register_known_persons(self, text, known, memory: Memory) -> None:
        """Lexicon persons: their last word (황 CEO) or Korean surname (최 부총리) may come back
        with a title in later sentences."""
        tb = self.type_bloc
        for s, e, a, r in known:
            if tb.get(a, ("",))[0] == "person":
                self._register_person(memory, text[s:e], Found(s, e, a, *tb[a], r, True))

    def _register_person(self, memory: Memory, name: str, f: Found) -> None:
        """Remember a person's full name: its surname (Korean) or last word (foreign) for
        ``coref:surname``, and, for a generated id, the whole name for ``coref:name``."""
        if " " in name:
            self._register_surname(memory, name.split()[-1], f)
        elif self._korean_full(name):
            self._register_surname(memory, name[:2] if len(name) == 4 else name[0], f)
        else:
            return
        if not f.known:
            memory.names.setdefault(name, f)

    def _title_first(self, text, morphs, memory, taken, by_end, add) -> None:
        """국회입법조사처(처장 홍길순): a title and a Korean name opening the bracket after an organisation."""
        base = morphs[0].start
        starts, ends = {m.start for m in morphs}, {m.end for m in morphs}
        for m in self.bracket_title.finditer(text, base, morphs[-1].end):
            start, end = m.start(1), m.end(1)
            name = m.group(1)
            if not self._korean_full(name) or name in self.surfaces or start not in starts or end not in ends \
                    or not self._free(taken, start, end):
                continue
            org = by_end.get(m.start())
            bloc = org.bloc if org is not None and org.type in ("agency", "state", "company") else self.home_bloc
            f = Found(start, end, generated_id("person", name), "person", bloc, "open:person", False)
            add(f)
            self._register_person(memory, name, memory.first.get(f.actor, f))

    def _name_repeats(self, text, morphs, memory, taken, add) -> None:
        """A generated person's full name again, without a title (김하늘 의원 … 김하늘은): the same id."""
        lo, hi = morphs[0].start, morphs[-1].end
        starts, ends = {m.start for m in morphs}, {m.end for m in morphs}
        for name, ref in memory.names.items():
            k = text.find(name, lo, hi)
            while k >= 0:
                e = k + len(name)
                if k in starts and e in ends and (k == 0 or not text[k - 1].isalnum()) and self._free(taken, k, e):
                    add(Found(k, e, ref.actor, ref.type, ref.bloc, "coref:name", ref.known))
                k = text.find(name, e, hi)
