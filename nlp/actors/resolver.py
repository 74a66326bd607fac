"""Actor recognition on Kiwi morphemes: lexicon lookup plus the codebook's hard-case rules.

Candidates start and end on morpheme boundaries (never a raw substring search):
a lexicon surface must begin where a morpheme begins and end where one ends, and
its first morpheme must be nominal.  Rules (codebook §3):

- ``lexicon``: a name, English name or alias; longest match wins;
- ``lexicon:ctx``: a bare name that needs context (상무부 → the state the context gives;
  유럽 → EU only near regulatory words);
- ``compound``: 미중, 한미일, 미·중, 한·EU → one mention per actor on the shared span;
- ``toward``: 대중 수출통제 / 대중국 → CN (대미 → US); 대중 문화 / 일반 대중 → nothing;
- ``prefix-mi``: 미 before an office noun (미 의회) → US on 미;
- ``bracket``: 유럽연합(EU) counts once, the span covering both;
- ``nested``: with ``nested=True``, names inside a longer name (미국 in 미국 상무부).

Names in ``models/actor_blockers.txt`` (한국노총, 중국어, 남중국해, ...) take the span
and give no mention.

>>> from nlp import Pipeline, document_from_text
>>> doc = Pipeline.default(["tokenize", "actors"])(document_from_text("미중 갈등 속에 미 상무부가 대중 제재를 발표했다.", "d"))
>>> [(m.text, m.actor) for m in doc.mentions]
[('미중', 'US'), ('미중', 'CN'), ('미 상무부', 'US_COMMERCE'), ('대중', 'CN')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..document import Morpheme
from ..labels import models_dir
from ..lexicon import ActorCues, Lexicon, load_actor_cues
from .lists import ListRules, _Cand

QUOTE_SPAN = 30  # an epithet in quotes: opening and closing quote at most this many characters apart
_LATIN = re.compile(r"[A-Za-z0-9]")
_HANGUL_WORD = re.compile(r"[가-힣]+")
_LATIN_PHRASE = re.compile(r"[A-Za-z][A-Za-z0-9 .&'-]{3,80}")
_NOMINAL = ("NN", "SL", "SH", "SN", "XPN", "NR")


@dataclass
class Scope:
    """What the paragraph and the document have named before the current sentence.

    ``paragraph_blocs``: blocs of state and agency mentions of the paragraph (last one
    last); ``paragraph_actors`` / ``document_actors``: ids named explicitly (not through
    context) in the paragraph / document, last one last.
    """

    paragraph_blocs: list[str] = field(default_factory=list)
    paragraph_actors: list[str] = field(default_factory=list)
    document_actors: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def load_blockers() -> frozenset[str]:
    """Names that are never mentions though they start with an actor's name (``actor_blockers.txt``)."""
    path = models_dir() / "actor_blockers.txt"
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


class ActorResolver(ListRules):
    """Finds actor mentions in tokenized sentences.

    Parameters
    ----------
    lexicon : Lexicon
        Actors and their surfaces.
    nested : bool
        Also report names nested in a longer name (rule ``nested``).
    cues : ActorCues or None
        Cue words of the rules (``models/actor_cues.tsv`` when None).
    """

    def __init__(self, lexicon: Lexicon, nested: bool = False, cues: ActorCues | None = None) -> None:
        self.lexicon = lexicon
        self.nested = nested
        self.cues = cues = cues or load_actor_cues()
        self.abbreviations = cues.mapping("abbreviation")
        # one-syllable names of states in headline lists (캐·프·독), beside the compound abbreviations
        self.all_abbreviations = {**cues.mapping("list_abbreviation"), **self.abbreviations}
        self.separators = "".join(cues.words("separator"))
        self.separators_re = re.compile("[" + re.escape(self.separators) + "]")
        self.relation_nouns = cues.words("relation_noun")
        self.ambiguous_compounds = frozenset(cues.words("ambiguous_compound"))
        self.toward_always = cues.mapping("toward_always")
        self.toward_ambiguous = cues.mapping("toward_ambiguous")
        self.toward_gloss = cues.mapping("toward_gloss")
        self.toward_triggers = cues.words("toward_trigger")
        self.toward_first = frozenset(w[0] for w in (*self.toward_always, *self.toward_ambiguous))
        self.mi_offices = cues.words("mi_office")
        self.regulatory_cues = cues.words("regulatory_cue")
        self.regulatory_suffixes = cues.words("regulatory_suffix")
        self.state_suffix_reject = cues.words("state_suffix_reject")
        self.demonym_suffixes = frozenset(cues.words("demonym_suffix"))
        self.demonym_particles = frozenset(cues.words("demonym_particle"))
        self.modifier_suffixes = frozenset(cues.words("modifier_suffix"))
        self.government_nouns = cues.words("government_noun")
        # the marker ends right before the target: '중국판 구글', '한국의 엔비디아' (not '시장의 자유(미국)')
        self.epithet = re.compile("(" + "|".join(map(re.escape, cues.words("epithet_marker"))) + ") $")
        self.capitals = cues.mapping("capital")
        self.institute_suffixes = cues.words("institute_suffix")
        self.translated_suffixes = cues.words("translated_name_suffix")
        self.name_prefixes = frozenset(cues.words("name_prefix"))
        self.brand_prefixes = frozenset(cues.words("brand_prefix"))
        self.brand_lengths = sorted({len(b) for b in self.brand_prefixes})
        plain: dict[str, list[str]] = {}
        cond: dict[str, list[tuple[str, str]]] = {}
        for s in lexicon.surfaces:
            if s.condition is None:
                plain.setdefault(s.text, []).append(s.actor)
            else:
                cond.setdefault(s.text, []).append((s.condition, s.actor))
        # Korean writers often gloss 인공지능 as 인공지능(AI); accept that form of every name
        for word, glossed in cues.entries["gloss"]:
            for text, ids in list(plain.items()):
                if word in text and glossed not in text:
                    plain.setdefault(text.replace(word, glossed), ids)
        self.plain = {k: v[0] for k, v in plain.items()}
        # Latin aliases without case: 딥시크(Deepseek), 깃허브(Github) in bracket lists
        self.plain_folded = {k.casefold(): v for k, v in self.plain.items() if k.isascii()}
        self.cond = cond
        self.blockers = {b for b in load_blockers() if b not in self.plain}
        self.max_len = max((len(k) for k in [*self.plain, *self.cond, *self.blockers]), default=1)
        self.first_chars = {k[0] for k in [*self.plain, *self.cond, *self.blockers]}
        self.prefixes = {k[:i] for k in [*self.plain, *self.cond, *self.blockers] for i in range(1, len(k) + 1)}
        self.single_chars = frozenset(k for k in [*self.plain, *self.cond, *self.blockers] if len(k) == 1)
        # characters a candidate can start with: a name, a compound, 대중/대미, 미
        self.start_chars = frozenset((*self.first_chars, *self.abbreviations, *self.toward_first, "미"))
        # the same, by the first two characters (the filter in ``candidates``): the first two of a longer
        # name, or a first character that is a candidate by itself (or the text's last character)
        self.two_char_starts = frozenset(k for k in self.prefixes if len(k) == 2)
        self.one_char_starts = frozenset((*self.single_chars, *self.abbreviations, *self.toward_first, "미"))
        # a compound with separators needs one after the first part: 미·중, 한·EU (the part is alphanumeric)
        self._separator_ahead = re.compile(r"[^\W_]{1,12}[" + re.escape(self.separators) + "]")

    # ------------------------------------------------------------------ candidates
    def _lookup(self, surface: str) -> tuple[tuple[str, ...], str, tuple] | None:
        if surface in self.plain:
            return (self.plain[surface],), "lexicon", tuple(self.cond.get(surface, ()))
        if surface in self.cond:
            return (), "lexicon:ctx", tuple(self.cond[surface])
        if surface in self.blockers:
            return (), "blocker", ()
        return None

    def _is_state_like(self, hit) -> bool:
        actors, _rule, conds = hit
        ids = list(actors) + [a for _c, a in conds]
        return any(self.lexicon.actors[a].type == "state" or a == "EU" for a in ids if a in self.lexicon.actors)

    @staticmethod
    def _word_start(text: str, p: int) -> bool:
        if p == 0:
            return True
        prev = text[p - 1]
        return not (prev.isalnum() or prev in "_")

    def candidates(self, text: str, morphs: Sequence[Morpheme]) -> list[_Cand]:
        """All candidate spans in one sentence (``text`` is the document text)."""
        out: list[_Cand] = []
        morphs = tuple(morphs)
        ends = {m.end for m in morphs}
        n = len(morphs)
        tlen = len(text)
        lookup = self._lookup
        name_prefixes, modifier_suffixes = self.name_prefixes, self.modifier_suffixes
        abbreviations, toward_first = self.abbreviations, self.toward_first
        separators = self.separators
        first_chars, start_chars, prefixes = self.first_chars, self.start_chars, self.prefixes
        single_chars = self.single_chars
        two_char_starts, one_char_starts = self.two_char_starts, self.one_char_starts
        for i, m in enumerate(morphs):
            p = m.start
            # most morphemes start nothing: their first two characters begin no name, and their first
            # is no one-character name, abbreviation, 대 of 대중/대미 or 미 (nor is the form 미)
            head = text[p:p + 2]
            if head not in two_char_starts and head[:1] not in one_char_starts and m.form != "미":
                continue
            ch = text[p] if p < tlen else ""
            if ch not in start_chars:  # no name, compound or cue starts with this character
                continue
            word_start = p == 0 or not text[p - 1].isalnum() or text[p - 1] in separators
            if not word_start and not (i and morphs[i - 1].form in name_prefixes):
                continue
            # a name can start here only if it has one character or its first two characters are here
            if ch in first_chars and (ch in single_chars or text[p:p + 2] in prefixes):
                nominal = m.tag.startswith(_NOMINAL) or m.tag == "NP"
                e = p + 1
                while e <= tlen and text[p:e] in prefixes:
                    surface = text[p:e]
                    hit = lookup(surface) if (e in ends or (e < tlen and text[e] in modifier_suffixes)) else None
                    e += 1
                    if hit is None:
                        continue
                    end = e - 1
                    if not nominal and " " not in surface:
                        continue
                    if end not in ends and not self._is_state_like(hit):
                        continue
                    if end < tlen and _LATIN.match(surface[-1]) and _LATIN.match(text[end]):
                        continue
                    if p > 0 and _LATIN.match(surface[0]) and _LATIN.match(text[p - 1]):
                        continue
                    actors, rule, conds = hit
                    out.append(_Cand(p, end, actors, rule, conds))
            if not word_start:
                continue
            if ch in abbreviations and (text[p + 1:p + 2] in abbreviations or self._separator_ahead.match(text, p)):
                c = self._compound(text, morphs, i)
                if c:
                    out.append(c)
            if ch in toward_first:
                c = self._toward(text, morphs, i)
                if c:
                    out.append(c)
            if m.form == "미" and i + 1 < n:
                nxt = morphs[i + 1]
                if nxt.start == m.end + 1 and text[m.end] == " " and (any(
                        text.startswith(o, nxt.start) for o in self.mi_offices) or self._company_at(text, nxt.start)):
                    out.append(_Cand(p, m.end, ("US",), "prefix-mi"))
        return out

    def _company_at(self, text: str, pos: int) -> bool:
        """A lexicon company name starts at ``pos``, perhaps in quotes (미 엔비디아, 미 ‘딥시크’ 제재)."""
        if pos < len(text) and text[pos] in "'‘\"“":
            pos += 1
        for e in range(min(len(text), pos + self.max_len), pos + 1, -1):
            actor = self.plain.get(text[pos:e])
            if actor is not None and (e == len(text) or not text[e].isalnum() or text[e] >= "가"):
                a = self.lexicon.actors.get(actor)
                return a is not None and a.type == "company"
        return False

    def _compound(self, text: str, morphs: Sequence[Morpheme], i: int) -> _Cand | None:
        """미중 / 한미일 (one token) and 미·중 / 한·EU (separated) compounds."""
        m = morphs[i]
        p = m.start
        # separated: X·Y(·Z) where each part is an abbreviation or a lexicon name (미·중의, 한·EU); the
        # abbreviations of lists (영, 캐, 프) only in a compound of abbreviations alone (한·영)
        for abbreviations in (self.all_abbreviations, self.abbreviations):
            j, parts, end, abbreviated, named = p, [], p, False, False
            while True:
                k = j
                while k < len(text) and text[k].isalnum() and k - j < 12:
                    k += 1
                run = text[j:k]
                part = next((run[:n] for n in range(len(run), 0, -1)
                             if run[:n] in abbreviations or run[:n] in self.plain), "")
                if not part:
                    break
                abbreviated |= part in self.abbreviations
                named |= part not in abbreviations
                parts.append(abbreviations.get(part) or self.plain[part])
                end = j + len(part)
                if end == k and k + 1 < len(text) and text[k] in self.separators and not text[k + 1].isspace():
                    j = k + 1
                    continue
                break
            if named and abbreviations is self.all_abbreviations:
                continue  # 일·싱·미국: list items, not one compound
            ids = tuple(dict.fromkeys(parts))
            if len(parts) >= 2 and len(ids) >= 2 and abbreviated:
                return _Cand(p, end, ids, "compound")
            break
        abbreviations = self.abbreviations
        # unseparated: 미중, 한미일 — the whole string made of abbreviations, ending at a morpheme end
        k = p
        while k < len(text) and text[k] in abbreviations and k - p < 4:
            k += 1
        ends = {x.end for x in morphs}
        for e in range(k, p + 1, -1):
            s = text[p:e]
            relation = any(text.startswith(r, e) or text.startswith(" " + r, e) for r in self.relation_nouns)
            if e in ends and len(set(s)) == len(s) and (s not in self.ambiguous_compounds or relation) \
                    and s not in self.plain:
                ids = tuple(abbreviations[c] for c in s)
                if len(set(ids)) >= 2:
                    return _Cand(p, e, ids, "compound")
        return None

    def _toward(self, text: str, morphs: Sequence[Morpheme], i: int) -> _Cand | None:
        """대중국 always, 대중/대미 when a trade/security noun follows: toward China/US."""
        m = morphs[i]
        p = m.start
        for form, actor in self.toward_always.items():
            if text.startswith(form, p):
                return _Cand(p, p + len(form), (actor,), "toward")
        for form, actor in self.toward_ambiguous.items():
            end = p + len(form)
            if not text.startswith(form, p) or (end < len(text) and text[end].isalnum()):
                continue
            rest = text[end:end + 12].lstrip(" (")
            gloss = next((a for g, a in self.toward_gloss.items() if rest.startswith(g)), None)
            if gloss is not None or any(rest.startswith(t) for t in self.toward_triggers):
                return _Cand(p, end, (actor,), "toward")
            return None
        return None

    # ------------------------------------------------------------------ selection
    def _reject(self, text: str, c: _Cand, morphs: Sequence[Morpheme]) -> bool:
        if not c.actors and c.rule != "lexicon:ctx":
            return False
        actor = c.actors[0] if c.actors else None
        atype = self.lexicon.actors[actor].type if actor in self.lexicon.actors else None
        nxt = text[c.end:c.end + 2]
        if atype == "state" and len(c.actors) == 1:
            for suf in self.state_suffix_reject:
                if nxt.startswith(suf):
                    after = text[c.end + len(suf):c.end + len(suf) + 1]
                    if not after or not after[0].isalnum() or suf in self.demonym_suffixes and \
                            after in self.demonym_particles:
                        return True
        # epithets: '중국판 구글', '한국의 엔비디아', '제2의 화웨이' — the target is not a mention
        # only quotes less than QUOTE_SPAN apart count, so both searches stay in a window around the
        # candidate (searching to the ends of the text made long documents quadratic)
        q_open = max(text.rfind(q, max(0, c.end - QUOTE_SPAN), c.start) for q in "'‘\"“")
        if q_open >= 0:
            q_close = min((x for x in (text.find(q, c.end, q_open + QUOTE_SPAN) for q in "'’\"”") if x >= 0),
                          default=-1)
            inner_before = text[q_open + 1:c.start]
            if (q_close >= 0 and "\n" not in text[q_open:q_close] and q_close - q_open < QUOTE_SPAN and inner_before.strip()
                    and self.epithet.search(inner_before)):
                return True
        for k in self.brand_lengths:
            if k <= c.start and text[c.start - k:c.start] in self.brand_prefixes:
                return True
        if atype == "state" and c.end < len(text) and text[c.end].isalnum():
            # 중국경제연구소, 중국학과: a state name opening the name of an institute or a department
            k = c.end
            while k < len(text) and text[k].isalnum():
                k += 1
            word = text[c.end:k]
            for x in self.institute_suffixes:
                at = word.find(x)
                if at >= 0 and len(word) - at - len(x) <= 2:  # the suffix, then at most a particle
                    return True
        if c.rule == "lexicon" and " " in text[c.start:c.end] and c.end < len(text) and text[c.end].isalnum():
            # 대한민국 정부기관: a name ending in 정부/당국 that runs into a noun is the shorter name
            last = text[c.start:c.end].rsplit(" ", 1)[1]
            if last in self.government_nouns and any(
                    m.start == c.end and m.tag.startswith("NN") for m in morphs):
                return True
        return False

    def resolve_sentence(self, text: str, morphs: Sequence[Morpheme], context_blocs: list[str],
                         scope: Scope | None = None) -> list[tuple[int, int, str, str]]:
        """Mentions ``(start, end, actor, rule)`` of one sentence.

        ``context_blocs`` holds the blocs of state-like mentions of the previous sentence
        (last one last), for context-dependent names; ``scope`` what the paragraph and
        the document named before.
        """
        return self.resolve(text, morphs, context_blocs, scope)[0]

    def resolve(self, text: str, morphs: Sequence[Morpheme], context_blocs: list[str], scope: Scope | None = None,
                ) -> tuple[list[tuple[int, int, str, str]], list[tuple[int, int]]]:
        """Like :meth:`resolve_sentence`, also returning the spans of blocker names."""
        cands = [c for c in self.candidates(text, morphs) if not self._reject(text, c, morphs)]
        if not cands:  # most sentences: nothing to choose, absorb, drop or list
            return [], []
        for k, c in enumerate(cands):
            end = self._bracket_extend(text, c)
            if end != c.end:
                cands[k] = c._replace(end=end, rule="bracket")
        cands.sort(key=lambda c: (c.start, -(c.end - c.start), c.rule == "blocker"))
        chosen: list[_Cand] = []
        pos = -1
        for c in cands:
            if c.start >= pos:
                chosen.append(c)
                pos = c.end
        chosen = self._absorb_states(text, chosen, morphs)
        chosen = self._drop_locations(text, chosen)
        if self.separators_re.search(text, morphs[0].start if morphs else 0, morphs[-1].end if morphs else 0):
            chosen = self._list_items(text, chosen, morphs[0].start, morphs[-1].end)
        out: list[tuple[int, int, str, str]] = []
        blocked = [(c.start, c.end) for c in chosen if c.rule == "blocker"]
        sentence_blocs: list[tuple[int, str]] = []
        pending: list[_Cand] = []
        for c in chosen:
            if c.rule == "blocker":
                continue
            if not c.actors or c.conds:
                pending.append(c)
                continue
            end = c.end
            for a in c.actors:
                out.append((c.start, end, a, c.rule))
                act = self.lexicon.actors.get(a)
                if act and act.type in ("state", "agency"):
                    sentence_blocs.append((c.start, act.bloc))
            if self.nested:
                out.extend(self._nested(text, morphs, c))
        for c in pending:
            actor = self._by_list(text, c, chosen) or self._by_context(text, c, sentence_blocs, context_blocs, scope)
            if actor:
                out.append((c.start, c.end, actor, c.rule if c.actors and actor == c.actors[0] else "lexicon:ctx"))
            elif c.actors:
                out.extend((c.start, c.end, a, c.rule) for a in c.actors)
            else:
                blocked.append((c.start, c.end))  # a conditional name whose condition failed
        out.sort(key=lambda x: (x[0], x[1]))
        return out, blocked

    def _by_context(self, text: str, c: _Cand, sentence_blocs: list[tuple[int, str]],
                    context_blocs: list[str], scope: Scope | None = None) -> str | None:
        """The actor a context-dependent name takes, or None.

        Nearest evidence first: a state named earlier in the sentence, in the previous
        sentence, later in the sentence; then an explicit mention of one of the
        candidate actors earlier in the paragraph, a state named earlier in the
        paragraph, an explicit mention earlier in the document.  A name with a default
        actor (bare 외교부 -> KR_MOFA) keeps it when the nearest state is the default's.
        """
        conds = dict(c.conds)
        if "regulation" in conds:
            window = text[c.start:c.end + 40]
            if any(cue in window for cue in self.regulatory_cues) or any(
                    text.startswith(x, c.end) for x in self.regulatory_suffixes):
                return conds["regulation"]
            return None
        default = c.actors[0] if c.actors else None
        by_bloc = dict(conds)
        if default in self.lexicon.actors:
            by_bloc.setdefault(self.lexicon.actors[default].bloc, default)
        before = [b for s, b in sentence_blocs if s < c.start and b in by_bloc]
        if before:
            return by_bloc[before[-1]]
        prev = [b for b in context_blocs if b in by_bloc]
        if prev:
            return by_bloc[prev[-1]]
        after = [b for s, b in sentence_blocs if s > c.start and b in by_bloc]
        if after:
            return by_bloc[after[0]]
        if scope is not None:
            ids = set(by_bloc.values())
            named = [a for a in scope.paragraph_actors if a in ids]
            if named:
                return named[-1]
            para = [b for b in scope.paragraph_blocs if b in by_bloc]
            if para:
                return by_bloc[para[-1]]
            named = [a for a in scope.document_actors if a in ids]
            if named:
                return named[-1]
        return None

    def _bracket_extend(self, text: str, c: _Cand) -> int:
        """유럽연합(EU), ‘…정상회의’(G7, Group of Seven): extend the span over a
        bracketed alias list of the same actor (a closing quote may stand before it)."""
        if not c.actors:
            return c.end
        i = c.end
        if i < len(text) and text[i] in "’'”\"":
            i += 1
        if i < len(text) and text[i] == "(":
            close = text.find(")", i, i + 80)
            if close > 0:
                parts = [x.strip() for x in text[i + 1:close].split(",")]
                # every part an alias of the same actor, or an alias followed by its
                # spelled-out Latin-script expansion: (REAIM, Responsible AI in ...)
                if parts and self._alias(parts[0]) == c.actors[0] and all(
                        self._alias(x) == c.actors[0] or _LATIN_PHRASE.fullmatch(x) for x in parts[1:]):
                    return close + 1
                # DARPA(국방고등연구계획국): a Latin name glossed by an unlisted Korean name of an organisation
                inner = text[i + 1:close]
                if (i == c.end and _LATIN.match(text[c.start]) and _HANGUL_WORD.fullmatch(inner)
                        and len(inner) >= 4 and inner not in self.plain
                        and any(inner.endswith(x) for x in self.translated_suffixes)):
                    return close + 1
        return c.end

    def _alias(self, name: str) -> str | None:
        """The actor of a name, Latin names also in another case (Deepseek for DeepSeek)."""
        actor = self.plain.get(name)
        if actor is None and name.isascii():
            actor = self.plain_folded.get(name.casefold())
        return actor

    def _absorb_states(self, text: str, chosen: list[_Cand], morphs: Sequence[Morpheme] = ()) -> list[_Cand]:
        """미국 상무부 / 중국 전국인민대표회의: an agency name absorbs the state before it."""
        if self.nested:
            return chosen
        out: list[_Cand] = []
        ends = nouns = None  # morpheme ends and noun starts, made when a state runs into a noun
        for c in chosen:
            a = self.lexicon.actors.get(c.actors[0]) if len(c.actors) == 1 else None
            if a and a.type == "state" and c.rule == "lexicon":
                for noun in self.government_nouns:
                    # 중국 정부, 중국정부 (a particle may follow); not 中정부 (the hanja abbreviation alone)
                    for gap in (" ", "") if c.end - c.start >= 2 else (" ",):
                        e = c.end + len(gap) + len(noun)
                        if not text.startswith(gap + noun, c.end):
                            continue
                        if text[e:e + 1].isalnum() and ends is None:
                            ends = {m.end for m in morphs}
                            nouns = {m.start for m in morphs if m.tag.startswith("NN") or m.tag in ("XSN", "SL")}
                        if not text[e:e + 1].isalnum() or (e in ends and e not in nouns):
                            c = c._replace(end=e)
                            break
                    else:
                        continue
                    break
            prev = out[-1] if out else None
            if (prev and len(prev.actors) == 1 and c.actors == prev.actors and c.start == prev.end + 1
                    and text[prev.end] == " " and a is not None and a.type == "agency"):
                # 국회 과방위, 상무부 BIS: a body named with its own sub-unit of the same id is one mention
                out[-1] = _Cand(prev.start, c.end, c.actors, "agency-absorbs-state")
                continue
            if (prev and len(prev.actors) == 1 and a is not None and a.type == "state" and c.start == prev.end + 1
                    and text[prev.end] == " " and text[c.start:c.end].endswith(self.government_nouns + ("행정부",))):
                person = self.lexicon.actors.get(prev.actors[0])
                if person is not None and person.type == "person" and person.bloc == a.bloc:
                    # 도널드 트럼프 미국 행정부: the leader's name and the state's government are one state mention
                    out[-1] = _Cand(prev.start, c.end, c.actors, "lexicon")
                    continue
            if (prev and len(prev.actors) == 1 and len(c.actors) == 1 and c.start == prev.end + 1
                    and text[prev.end] == " "):
                st, ag = self.lexicon.actors.get(prev.actors[0]), self.lexicon.actors.get(c.actors[0])
                if st and ag and st.type == "state" and ag.type == "agency" and st.bloc == ag.bloc:
                    out[-1] = _Cand(prev.start, c.end, c.actors, "agency-absorbs-state")
                    continue
            out.append(c)
        return out

    def _nested(self, text: str, morphs: Sequence[Morpheme], c: _Cand) -> list[tuple[int, int, str, str]]:
        inner = [x for x in self.candidates(text, [m for m in morphs if c.start <= m.start < c.end])
                 if x.end <= c.end and (x.start, x.end) != (c.start, c.end) and x.actors]
        return [(x.start, x.end, a, "nested") for x in inner for a in x.actors]
