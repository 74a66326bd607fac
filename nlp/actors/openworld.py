"""Names the lexicon has never seen, and in-document coreference (issue 12.2, 12.3).

Everything works on Kiwi morphemes grouped into words (runs of morphemes with no
gap and no punctuation between them); offsets come from the morphemes, never from
searching the text for a surface string.  Cue words are data
(``models/actor_cues.tsv``, the open-world kinds).

Rules (``Mention.rule``):

- ``open:person``: a name before a title (김철수 장관, 리처드 스미스 의원), optionally
  with an organisation or state between (김철수 과기정통부 장관, 지나 러몬도 미국
  상무장관).  A one-word name must be Korean (2-3 syllables starting with a surname);
  a foreign name needs two words.  The span is the name only.
- ``open:org``: a word ending in an organisation suffix (…위원회, …진흥원, …테크, …랩스,
  …부/청/처 when compound or a proper noun; …성 only right after a state name).
- ``open:company``: a proper-noun-like word right after a company noun
  (중국 AI 스타트업 즈후아는).
- ``open:local``: a Korean local government (수원시, 양평군, 경기도);
  ``open:us-state``: 텍사스주, 캘리포니아 주.
- ``coref:abbrev``: an acronym defined in brackets after a name (…연구원(FTPI)) and then
  used alone; ``coref:surname``: 김 대표 / 러몬도 장관 after the full name;
  ``coref:short``: a name without its 한국/국립/국가 prefix after the full name.

Generated ids are ``~<type>:<name>`` (name with spaces as ``_``): lexicon ids are
UPPER_SNAKE, so the two can never be confused, and the same name gives the same id
in every document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress
from operator import itemgetter

from ..document import Morpheme
from ..lexicon import ActorCues, Lexicon
from .coref import CoreferenceRules
from .names import (
    _COMPANY,
    _HANGUL,
    _NAME_CHARS,
    _NOMINAL,
    _ORG,
    _PLACE,
    _TITLE,
    _WORD_S,
    Found,
    Memory,
    _Ends,
    _Memo,
    _Word,
    generated_id,
)
from .persons import PersonRules

_FORM = itemgetter(0)
# tags of morphemes that can be a title, an organisation suffix, a place or a company noun
_FLAG_TAGS = frozenset(("NNG", "NNP", "NNB", "SL", "XSN", "SH"))


class OpenWorld(CoreferenceRules, PersonRules):
    """Finds unlisted persons, organisations and local governments, and resolves
    in-document coreference (see the module docstring for the rules).

    Parameters
    ----------
    lexicon : Lexicon
        The lexicon (for types and blocs of known mentions and its surfaces).
    cues : ActorCues
        Cue words (open-world kinds).
    """

    def __init__(self, lexicon: Lexicon, cues: ActorCues) -> None:
        self.lexicon = lexicon
        self.surfaces = frozenset(s.text for s in lexicon.surfaces)
        self.type_bloc = {a.id: (a.type, a.bloc) for a in lexicon.actors.values()}
        self.surface_actors: dict[str, set[str]] = {}
        for sf in lexicon.surfaces:
            self.surface_actors.setdefault(sf.text, set()).add(sf.actor)
        self.home_bloc = (cues.words("home_bloc") or ("KR",))[0]
        self.titles = _Ends(cues.words("person_title"))
        # a title before a Korean name at the opening of a bracket: 국회입법조사처(처장 홍길순)
        self.bracket_title = re.compile(r"\((?:" + "|".join(map(re.escape, sorted(
            cues.words("person_title"), key=len, reverse=True))) + r") ([가-힣]{2,4})(?=[,)])")
        # morphemes that can end a title word (장관, 의원; 경영자 of 최고경영자)
        self.title_morphs = frozenset(t[i:] for t in self.titles.items for i in range(len(t) - 1))
        surnames = cues.words("surname")
        self.surnames1 = frozenset(s for s in surnames if len(s) == 1)
        self.surnames2 = frozenset(s for s in surnames if len(s) == 2)
        self.name_stop = frozenset(cues.words("name_stop"))
        self.company_class = _Ends(cues.words("company_class"))
        self.title_stop = _Ends(cues.words("title_stop"))
        self.generic_latin = frozenset(w.upper() for w in cues.words("generic_latin"))
        self.org_suffix = cues.mapping("org_suffix")
        self.org_suffix_after_state = cues.mapping("org_suffix_after_state")
        self.org_ends = _Ends(self.org_suffix)
        self.org_ends_after_state = _Ends([*self.org_suffix, *self.org_suffix_after_state])
        self.org_stop = frozenset(cues.words("org_stop"))
        self.org_stop_ends = _Ends(self.org_stop)
        # per morpheme form, memoised: the organisation suffix it ends with (never a stop word), and
        # whether a proper noun of that form can be a place
        self._org_form = _Memo(lambda f: None if f in self.org_stop else self.org_ends_after_state.match(f))
        self._form_flags = _Memo(self._flags)
        self.generic_stem = frozenset(cues.words("org_generic_stem"))
        self.short_prefixes = cues.words("org_short_prefix")
        self.local_suffix = cues.words("local_suffix")
        self.local_ends = _Ends(self.local_suffix)
        self.provinces = frozenset(cues.words("province"))
        self.us_states = frozenset(cues.words("us_state"))
        self.hereafter = (cues.words("hereafter") or ("이하 ",))[0] + " "
        self.affiliations = frozenset(cues.words("affiliation"))
        self.locatives = frozenset(cues.words("locative_particle"))
        self.address_ends = _Ends([*self.local_suffix, *cues.words("address_suffix")])
        self.analyst_class = _Ends(cues.words("analyst_class"))
        self.abbreviation_blocs = {k: self.lexicon.actors[v].bloc for k, v in cues.mapping("abbreviation").items()
                                   if v in self.lexicon.actors}

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def words(morphs: Sequence[Morpheme]) -> list[_Word]:
        """Group morphemes into words: no gap and no punctuation between them."""
        words: list[_Word] = []
        cur: list[Morpheme] = []
        end = -1
        nom = 0  # length of the nominal prefix of cur; -1 once it ended
        for m in morphs:
            tag = m.tag
            punct = tag[0] == "S" and tag not in _WORD_S
            if cur and (punct or m.start > end):
                words.append(_Word(cur[0].start, end, tuple(cur), nom if nom >= 0 else -nom - 1))
                cur = []
            if punct:
                continue
            if not cur:
                nom, end = 0, m.end
            if nom >= 0:
                nom = nom + 1 if tag in _NOMINAL else -nom - 1
            cur.append(m)
            end = max(end, m.end)
        if cur:
            words.append(_Word(cur[0].start, end, tuple(cur), nom if nom >= 0 else -nom - 1))
        return words

    def _actor(self, aid: str) -> tuple[str, str]:
        a = self.lexicon.actors.get(aid)
        return (a.type, a.bloc) if a else ("state", "other")

    @staticmethod
    def _free(taken: list[tuple[int, int]], start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in taken)

    def _stem_generic(self, forms: list[str]) -> bool:
        forms = [f for f in forms if f]
        return not forms or all(f in self.generic_stem or f.upper() in self.generic_latin for f in forms)

    # ------------------------------------------------------------------ main entry
    def find(self, text: str, morphs: Sequence[Morpheme], known: Sequence[tuple[int, int, str, str]],
             blocked: Sequence[tuple[int, int]], memory: Memory) -> list[Found] | None:
        """All mentions of one sentence: the lexicon's (``known``) plus open-world ones,
        or None when there is nothing to add or change (the common case, kept cheap).

        ``blocked`` are spans of blocker names (never mentions); ``memory`` carries the
        document's names from sentence to sentence and is updated.
        """
        if not morphs:
            return None
        tb = self.type_bloc
        fire = self._triggers(text, morphs, memory, known)
        if not fire:
            self._register_known_persons(text, known, memory)
            return None
        out = [Found(s, e, a, *tb.get(a, ("state", "other")), r, True) for s, e, a, r in known]
        if set(fire) == {"define"}:
            self._register_known_persons(text, known, memory)
            return self._define_acronyms(text, out, memory)
        words = self.words(morphs)
        taken = [(f.start, f.end) for f in out] + list(blocked)
        by_end = {f.end: f for f in out}
        new: list[Found] = []

        def add(f: Found) -> None:
            first = memory.first.setdefault(f.actor, f) if not f.known else None
            if first is not None and first is not f:
                f = f._replace(type=first.type, bloc=first.bloc)
            new.append(f)
            taken.append((f.start, f.end))
            by_end[f.end] = f

        if "bracket" in fire:
            self._named_by_bracket(text, words, out, taken, by_end)
        if "person" in fire:
            self._persons(text, words, memory, taken, by_end, add)
        if "title_first" in fire:
            self._title_first(text, morphs, memory, taken, by_end, add)
        if "name" in fire:
            self._name_repeats(text, morphs, memory, taken, add)
        if "place" in fire:
            self._places(text, words, taken, add)
        if "company" in fire:
            self._companies_by_context(text, words, taken, by_end, add)
        if "org" in fire:
            self._orgs_by_form(text, words, memory, taken, by_end, out, add, fire["org"])
        if "acronym" in fire:
            self._acronym_uses(text, words, memory, taken, by_end, add)
        out = [f for f in out if f.start >= 0]
        self._register_known_persons(text, known, memory)
        return self._define_acronyms(text, sorted(out + new, key=lambda f: (f.start, f.end)), memory)

    def _flags(self, form: str) -> int:
        """What a morpheme of this form can start: a title, an organisation suffix, a place, a company
        noun (keyed by the form alone, a string whose hash Python keeps; the tag is checked per hit)."""
        return ((_TITLE if form in self.title_morphs else 0)
                | (_ORG if self._org_form[form] is not None else 0)
                | (_PLACE if self._place_form(form) else 0)
                | (_COMPANY if self.company_class.match(form) is not None else 0))

    def _place_form(self, form: str) -> bool:
        """A form that ``_places`` can take: a province, a local government with two syllables or
        more before its suffix (수원시, not 인도 or the particle 도), a US state."""
        suffix = self.local_ends.match(form, proper=True)
        return form in self.provinces or form in self.us_states or (
            suffix is not None and len(form) - len(suffix) >= 2)

    @staticmethod
    def _named_word(morphs: Sequence[Morpheme], k: int) -> bool:
        """Morpheme ``k`` or one attached before it in the same word is a proper noun or Latin."""
        m = morphs[k]
        if m[1] in ("NNP", "SL"):
            return True
        while k and morphs[k - 1][3] == morphs[k][2]:
            k -= 1
            if morphs[k][1] in ("NNP", "SL"):
                return True
        return False

    def _triggers(self, text: str, morphs: Sequence[Morpheme], memory: Memory,
                  known: Sequence[tuple[int, int, str, str]]) -> dict[str, set[int]]:
        """Which rules can fire in this sentence, with the end offsets of the morphemes
        that call for them: one pass with a memoised lookup per morpheme form, so that
        sentences without a title, suffix, place or bracket cost almost nothing."""
        fire: dict[str, set[int]] = {}
        sentence = text[morphs[0][2]:morphs[-1][3]]
        # one pass over the morphemes; what a form can start is memoised per form
        flags = list(map(self._form_flags.__getitem__, map(_FORM, morphs)))  # C-level loops
        hits = [(i, flags[i]) for i in compress(range(len(flags)), flags)] if any(flags) else ()
        if not hits and not memory.acronyms and not memory.names and "(" not in sentence:
            return fire
        org = []
        for i, fl in hits:
            m = morphs[i]
            if m[1] not in _FLAG_TAGS:
                continue  # only nouns: the particle 도 is no province, the ending 시 no city
            if fl & _PLACE and m[1] == "NNP":
                fire.setdefault("place", set()).add(m[3])
            if fl & _TITLE:
                # a proper noun among the 8 morphemes before: 에이브릴 헤인스 미 국가정보국(DNI) 국장;
                # 한 대표 after 한도윤 (한 read as a determiner)
                if any(x[1] == "NNP" for x in morphs[max(0, i - 8):i]) or (i and morphs[i - 1][0] in memory.surnames):
                    fire.setdefault("person", set()).add(m[3])
            if fl & _ORG and m[1] in _NOMINAL:
                org.append(i)
            if fl & _COMPANY and i + 1 < len(morphs):
                nxt = morphs[i + 1]  # a name-like morpheme after a space: 스타트업 즈/후/아, 업체 하이곤
                if nxt[2] == m[3] + 1 and (nxt[1] in ("NNP", "SL") or len(nxt[0]) == 1 and nxt[1] in ("NNG", "NP")):
                    fire["company"] = set()
        org_form = self._org_form
        if org:
            spans = [(k[0], k[1]) for k in known]
            tb = self.type_bloc
            state_ends = [k[1] for k in known if tb.get(k[2], ("",))[0] == "state"]
            for k in org:
                m = morphs[k]
                suf = org_form[m.form]
                # …성 only right after a state name (일본 경제산업성): one ends in the 16 characters before
                if suf in self.org_suffix_after_state and not any(m.start - 16 <= e <= m.start for e in state_ends):
                    continue
                prev = morphs[k - 1] if k else None
                if self.org_suffix.get(suf) == "company" and not self._named_word(morphs, k):
                    continue  # …반도체, …AI: a company only with a proper noun or a Latin name in the word
                attached = prev is not None and prev.end == m.start and prev.tag in _NOMINAL
                if len(suf) == 1 and len(m.form) < 4 and not attached:
                    continue  # 신청, 거부, 바우처: one short word with a one-syllable suffix is a common noun
                if (len(m.form) > len(suf) or attached) and not any(s <= m.start < e for s, e in spans):
                    fire.setdefault("org", set()).add(m.end)
        if "(" in sentence:
            for k in known:
                if text[k[1]:k[1] + 1] == "(":
                    fire["define"] = set()  # name(ACR), name(이하 X)
                if k[0] and text[k[0] - 1] == "(" and text[k[1]:k[1] + 1] == ")":
                    fire["bracket"] = set()  # 국방고등연구계획국(DARPA)
        if memory.acronyms and any(a in sentence for a in memory.acronyms):
            fire["acronym"] = set()
        if "(" in sentence and self.bracket_title.search(sentence):
            fire["title_first"] = set()  # 국회입법조사처(처장 홍길순)
        if memory.names and any(n in sentence for n in memory.names):
            fire["name"] = set()
        return fire

    # ------------------------------------------------------------------ places
    def _located(self, text: str, words: list[_Word], i: int, last: int, tail_word: int | None = None) -> bool:
        """A place used as a location, not as an actor: a locative particle follows
        (인디애나주에, 종로구에서) or a place name stands right before (서울 종로구).
        The particles are those of word ``tail_word`` (default ``i``) after morpheme ``last``."""
        w = words[i]
        t = words[i if tail_word is None else tail_word]
        tail = "".join(m.form for m in t.morphs[last:] if m.tag.startswith("J"))
        if any(tail.startswith(x) for x in self.locatives):
            return True
        prev = words[i - 1] if i else None
        if prev and prev.end == w.start - 1 and prev.bare and prev.nom and all(m.tag == "NNP" for m in prev.morphs):
            return True
        # an address goes on: 광주시 남한산성면, 수원시 영통구
        nxt = words[i + 1] if i + 1 < len(words) and t is w and w.bare else None
        if nxt is None or nxt.start != w.end + 1 or not nxt.nom:
            return False
        noun = text[nxt.start:nxt.nom_end]
        return self.address_ends.match(noun, proper=True) is not None

    def _places(self, text, words, taken, add) -> None:
        for i, w in enumerate(words):
            if not w.nom or not w.particles_only or not self._free(taken, w.start, w.nom_end):
                continue
            noun = text[w.start:w.nom_end]
            ms = w.morphs[:w.nom]
            if self.org_stop_ends.match(noun) is not None:
                continue
            # US states: 텍사스주, 캘리포니아 주
            if ms[0].tag == "NNP" and ms[0].form in self.us_states:
                if noun == ms[0].form + "주" and not self._located(text, words, i, w.nom):
                    add(Found(w.start, w.nom_end, generated_id("agency", noun), "agency", "US", "open:us-state",
                              False))
                    continue
                nxt = words[i + 1] if i + 1 < len(words) else None
                if (noun == ms[0].form and w.bare and nxt is not None and nxt.start == w.end + 1
                        and nxt.morphs[0].form == "주" and nxt.morphs[0].tag == "NNG"
                        and (nxt.nom == 1 or nxt.morphs[1].tag.startswith("J"))
                        and self._free(taken, nxt.start, nxt.morphs[0].end)
                        and not self._located(text, words, i, 1, tail_word=i + 1)):
                    add(Found(w.start, nxt.morphs[0].end, generated_id("agency", noun + "주"), "agency", "US",
                              "open:us-state", False))
                    continue
            # Korean local governments: one proper noun that Kiwi knows (수원시, 양평군, 경기도)
            if len(ms) == 1 and ms[0].tag == "NNP" and not self._located(text, words, i, w.nom) and (
                    noun in self.provinces or len(noun) - len(self.local_ends.match(noun, proper=True) or noun) >= 2):
                add(Found(w.start, w.nom_end, generated_id("agency", noun), "agency", self.home_bloc, "open:local",
                          False))

    # ------------------------------------------------------------------ companies and organisations
    def _name_like(self, text: str, w: _Word) -> bool:
        ms = w.morphs[:w.nom]
        noun = text[w.start:w.nom_end]
        if not _NAME_CHARS.fullmatch(noun) or noun in self.org_stop or noun in self.name_stop:
            return False
        if any(m.tag == "SL" for m in ms) and all(
                m.form.upper() in self.generic_latin for m in ms if m.tag == "SL"):
            return False
        if any(m.tag in ("NNP", "SL") for m in ms):
            return True
        # an unknown transliteration that Kiwi cut into single syllables (즈/후/아)
        return len(ms) >= 2 and all(len(m.form) == 1 for m in ms) and bool(_HANGUL.fullmatch(noun))

    def _state_bloc_before(self, text: str, pos: int, by_end, max_gap_words: int = 0) -> str | None:
        """Bloc of a state mention that ends right before ``pos`` (``X의`` allowed),
        skipping up to ``max_gap_words`` modifier words."""
        for _ in range(max_gap_words + 1):
            for gap in (1, 2):
                f = by_end.get(pos - gap)
                if f is not None and f.type == "state" and text[f.end:pos].strip() in ("", "의"):
                    return f.bloc
            k = text.rfind(" ", 0, max(pos - 1, 0))
            if k < 0:
                return None
            pos = k + 1
        return None

    def _companies_by_context(self, text, words, taken, by_end, add) -> None:
        for i in range(len(words) - 1):
            w, nxt = words[i], words[i + 1]
            noun = text[w.start:w.nom_end]
            phrase = text[words[i - 1].start if i else w.start:w.nom_end].replace(" ", "")
            if not w.bare or self.company_class.match(noun) is None or self.analyst_class.match(phrase) is not None:
                continue  # 시장조사 업체 가트너: analysts are not actors
            if nxt.start != w.end + 1 or not nxt.nom or not nxt.particles_only:
                continue
            name = text[nxt.start:nxt.nom_end]
            if (not self._free(taken, nxt.start, nxt.nom_end) or not self._name_like(text, nxt)
                    or self.company_class.match(name) is not None):
                continue
            bloc = self._state_bloc_before(text, w.start, by_end, max_gap_words=2) or self.home_bloc
            add(Found(nxt.start, nxt.nom_end, generated_id("company", name), "company", bloc, "open:company", False))

    def _org_suffix(self, text: str, w: _Word, after_state: bool) -> tuple[str, str] | None:
        noun = text[w.start:w.nom_end]
        suf = (self.org_ends_after_state if after_state else self.org_ends).match(noun, proper=True)
        if suf is None:
            return None
        return suf, self.org_suffix.get(suf) or self.org_suffix_after_state[suf]

    def _orgs_by_form(self, text, words, memory, taken, by_end, out, add, ends: set[int]) -> None:
        by_end_spans = {(f.start, f.end) for f in by_end.values()}
        for w in words:
            if not w.nom or w.nom_end not in ends or not w.particles_only:
                continue
            ms = list(w.morphs[:w.nom])
            start = w.start
            # a lexicon state at the start of the word (한국인공지능협회): the word is the organisation
            prefix_state = next((f for f in out if f.start == start and f.end < w.nom_end
                                 and f.type in ("state", "agency") and f.rule == "lexicon"), None)
            blocked = [(s, e) for s, e in taken if not (prefix_state and (s, e) == (prefix_state.start,
                                                                                   prefix_state.end))]
            if not self._free(blocked, start, w.nom_end):
                continue
            noun = text[start:w.nom_end]
            if not _NAME_CHARS.fullmatch(noun) or self.org_stop_ends.match(noun) is not None:
                continue
            state_bloc = self._state_bloc_before(text, start, by_end)
            hit = self._org_suffix(text, w, after_state=state_bloc is not None)
            if hit is None:
                continue
            suf, atype = hit
            short = memory.shorts.get(noun)
            if short is not None:
                add(Found(start, w.nom_end, short.actor, short.type, short.bloc, "coref:short", short.known))
                continue
            last = ms[-1]
            stem_forms = [m.form for m in ms[:-1]] + ([last.form[:-len(suf)]] if last.form.endswith(suf) else [])
            if prefix_state is not None:
                stem_forms = [f for m, f in zip(ms, stem_forms) if m.start >= prefix_state.end]
            if self._stem_generic(stem_forms) or not any(ch.isalpha() for ch in "".join(stem_forms)):
                continue
            if start >= 2 and text[start - 1] == " ":
                prev = text[text.rfind(" ", 0, start - 1) + 1:start - 1]
                if prev in self.affiliations or any(b[1] == start - 1 for b in taken if b not in by_end_spans):
                    continue  # 노동당 중앙위원회, 중국공산당 통일전선공작부: organs of parties are not actors
            if suf == "AI" and not (len(ms) >= 2 and ms[-2].tag == "NNP" and not self._korean_full(ms[-2].form)):
                continue
            if prefix_state is not None and atype != "agency":
                # 한국…협회: associations and firms named after a state are not actors (the blockers'
                # rule), and not the state either (codebook §3)
                taken.remove((prefix_state.start, prefix_state.end))
                out[out.index(prefix_state)] = prefix_state._replace(start=-1)
                continue
            nnp = any(m.tag == "NNP" for m in ms)
            latin = any(m.tag == "SL" and m.form.upper() not in self.generic_latin for m in ms)
            if atype == "company" and not (nnp or latin):
                continue  # generic compounds end like companies too (시스템반도체, 의료바이오)
            if len(ms) == 1 and len(noun) < 4 and (len(suf) == 1 or not nnp):
                continue  # 요청, 바우처, 조달청: one short word is a common noun or a listed agency
            # an agency right before an unlisted body absorbs into it (국회 법제사법위원회)
            parent = by_end.get(start - 1) if start and text[start - 1] == " " else None
            if parent is None or not parent.known or parent.type != "agency" or atype != "agency" or \
                    parent.rule not in ("lexicon", "lexicon:ctx"):
                parent = None
            bloc = state_bloc or (prefix_state.bloc if prefix_state else None) or (
                parent.bloc if parent else None) or self.home_bloc
            f = Found(start, w.nom_end, generated_id(atype, noun), atype, bloc, "open:org", False)
            for absorbed in (prefix_state, parent):
                if absorbed is not None:
                    taken.remove((absorbed.start, absorbed.end))
                    out[out.index(absorbed)] = absorbed._replace(start=-1)
            if parent is not None:
                f = f._replace(start=parent.start)
            add(f)
            first = memory.first.get(f.actor, f)
            for p in self.short_prefixes:
                if noun.startswith(p) and len(noun) - len(p) >= 4:
                    memory.shorts.setdefault(noun[len(p):], first)
