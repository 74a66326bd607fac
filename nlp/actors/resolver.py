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
from dataclasses import dataclass, replace
from functools import lru_cache

from .document import Document, Mention, Morpheme
from .labels import models_dir
from .lexicon import Lexicon, load_lexicon
from .pipeline import Stage

# single-syllable state abbreviations used in compounds (미중, 한미일, 한·중)
ABBREVIATIONS = {"미": "US", "중": "CN", "한": "KR", "일": "JP", "러": "RU", "북": "KP", "美": "US", "中": "CN",
                 "韓": "KR", "日": "JP"}
# unseparated compounds that are ambiguous in ordinary Korean are not read as actors
RELATION_NOUNS = ("관계", "갈등", "경쟁", "무역", "정상", "협상", "대화", "양국", "전략", "관세", "패권")
AMBIGUOUS_COMPOUNDS = {"중미", "북미", "남북", "한일자", "일미", "중일전쟁"}
# words after 대중/대미 that make it "toward China/US"
TOWARD_TRIGGERS = (
    "수출", "수입", "제재", "투자", "견제", "압박", "규제", "봉쇄", "무역", "관세", "정책", "강경", "전략", "공세",
    "포위", "의존", "반도체", "협상", "외교", "통제", "적자", "흑자", "공조", "라인", "전선", "기술", "조치",
    "경계", "관계", "협력", "접근", "노선", "포용", "매파", "비둘기", "첨단", "AI", "칩", "장비", "강硬",
)
# office nouns after a bare 미 that make it the United States
MI_OFFICES = ("정부", "당국", "행정부", "의회", "상원", "하원", "대통령", "국무부", "국방부", "국방성", "재무부",
              "법무부", "군", "해군", "공군", "육군", "측", "연방", "백악관", "무역대표부", "정보당국", "국가안보국",
              "대사", "대사관", "공공", "기업", "빅테크", "반도체", "정가", "조야", "국채", "증시")
REGULATORY_CUES = ("규제", "법", "규칙", "규범", "입법", "규정", "지침", "의무", "제재", "과징금", "벌금", "GDPR",
                   "표준", "거버넌스", "감독", "윤리", "금지", "심사", "인증", "준수", "요구", "고위험", "공개하도록",
                   "투명성", "벌칙")
STATE_SUFFIX_REJECT = {"인", "어", "계", "인들", "말", "글"}
STATE_MODIFIER_SUFFIXES = set("판산발형향식측내")
GOVERNMENT_NOUNS = ("정부", "당국", "측")
EPITHET_MARKERS = {"판"}
_LATIN = re.compile(r"[A-Za-z0-9]")
_LATIN_PHRASE = re.compile(r"[A-Za-z][A-Za-z0-9 .&'-]{3,80}")
_PREFIXES = frozenset(("탈", "친", "반", "對"))
_NOMINAL = ("NN", "SL", "SH", "SN", "XPN", "NR")
_SEPARATORS = "·ㆍ・–/-"


@dataclass(frozen=True)
class _Cand:
    start: int
    end: int
    actors: tuple[str, ...]  # empty: a blocker
    rule: str
    conds: tuple[tuple[str, str], ...] = ()  # (condition, actor) alternatives for context-dependent names


@lru_cache(maxsize=1)
def load_blockers() -> frozenset[str]:
    path = models_dir() / "actor_blockers.txt"
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


class ActorResolver:
    """Finds actor mentions in tokenized sentences.

    Parameters
    ----------
    lexicon : Lexicon
        Actors and their surfaces.
    nested : bool
        Also report names nested in a longer name (rule ``nested``).
    """

    def __init__(self, lexicon: Lexicon, nested: bool = False) -> None:
        self.lexicon = lexicon
        self.nested = nested
        plain: dict[str, list[str]] = {}
        cond: dict[str, list[tuple[str, str]]] = {}
        for s in lexicon.surfaces:
            if s.condition is None:
                plain.setdefault(s.text, []).append(s.actor)
            else:
                cond.setdefault(s.text, []).append((s.condition, s.actor))
        # Korean writers often gloss 인공지능 as 인공지능(AI); accept that form of every name
        for text, ids in list(plain.items()):
            if "인공지능" in text and "인공지능(AI)" not in text:
                plain.setdefault(text.replace("인공지능", "인공지능(AI)"), ids)
        self.plain = {k: v[0] for k, v in plain.items()}
        self.cond = cond
        self.blockers = {b for b in load_blockers() if b not in self.plain}
        self.max_len = max((len(k) for k in [*self.plain, *self.cond, *self.blockers]), default=1)
        self.first_chars = {k[0] for k in [*self.plain, *self.cond, *self.blockers]}
        self.prefixes = {k[:i] for k in [*self.plain, *self.cond, *self.blockers] for i in range(1, len(k) + 1)}

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
        for i, m in enumerate(morphs):
            p = m.start
            word_start = p == 0 or not text[p - 1].isalnum()
            if not word_start and not (i and morphs[i - 1].form in _PREFIXES):
                continue
            ch = text[p] if p < tlen else ""
            if ch in self.first_chars:
                nominal = m.tag.startswith(_NOMINAL) or m.tag == "NP"
                prefixes = self.prefixes
                e = p + 1
                while e <= tlen and text[p:e] in prefixes:
                    surface = text[p:e]
                    hit = lookup(surface) if (e in ends or (e < tlen and text[e] in STATE_MODIFIER_SUFFIXES)) else None
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
            if ch in ABBREVIATIONS:
                c = self._compound(text, morphs, i)
                if c:
                    out.append(c)
            if ch in "대對":
                c = self._toward(text, morphs, i)
                if c:
                    out.append(c)
            if m.form == "미" and i + 1 < n:
                nxt = morphs[i + 1]
                if nxt.start == m.end + 1 and text[m.end] == " " and any(
                        text.startswith(o, nxt.start) for o in MI_OFFICES):
                    out.append(_Cand(p, m.end, ("US",), "prefix-mi"))
        return out

    def _compound(self, text: str, morphs: Sequence[Morpheme], i: int) -> _Cand | None:
        """미중 / 한미일 (one token) and 미·중 / 한·EU (separated) compounds."""
        m = morphs[i]
        p = m.start
        # separated: X·Y(·Z) where each part is an abbreviation or a lexicon name (미·중의, 한·EU)
        j, parts, end, abbreviated = p, [], p, False
        while True:
            k = j
            while k < len(text) and text[k].isalnum() and k - j < 12:
                k += 1
            run = text[j:k]
            part = next((run[:n] for n in range(len(run), 0, -1)
                         if run[:n] in ABBREVIATIONS or run[:n] in self.plain), "")
            if not part:
                break
            abbreviated |= part in ABBREVIATIONS
            parts.append(ABBREVIATIONS.get(part) or self.plain[part])
            end = j + len(part)
            if end == k and k + 1 < len(text) and text[k] in _SEPARATORS and not text[k + 1].isspace():
                j = k + 1
                continue
            break
        ids = tuple(dict.fromkeys(parts))
        if len(parts) >= 2 and len(ids) >= 2 and abbreviated:
            return _Cand(p, end, ids, "compound")
        # unseparated: 미중, 한미일 — the whole string made of abbreviations, ending at a morpheme end
        k = p
        while k < len(text) and text[k] in ABBREVIATIONS and k - p < 4:
            k += 1
        ends = {x.end for x in morphs}
        for e in range(k, p + 1, -1):
            s = text[p:e]
            relation = any(text.startswith(r, e) or text.startswith(" " + r, e) for r in RELATION_NOUNS)
            if e in ends and len(set(s)) == len(s) and (s not in AMBIGUOUS_COMPOUNDS or relation) \
                    and s not in self.plain:
                ids = tuple(ABBREVIATIONS[c] for c in s)
                if len(set(ids)) >= 2:
                    return _Cand(p, e, ids, "compound")
        return None

    def _toward(self, text: str, morphs: Sequence[Morpheme], i: int) -> _Cand | None:
        """대중국 always, 대중/대미 when a trade/security noun follows: toward China/US."""
        m = morphs[i]
        p = m.start
        if text.startswith("대중국", p) or text.startswith("對中", p):
            e = p + (3 if text.startswith("대중국", p) else 2)
            return _Cand(p, e, ("CN",), "toward")
        form = text[p:p + 2]
        if form not in ("대중", "대미") or (p + 2 < len(text) and text[p + 2].isalnum()):
            return None
        m = Morpheme(form, "NNG", p, p + 2)
        rest = text[m.end:m.end + 12].lstrip(" (")
        if rest.startswith("對中)") or rest.startswith("對美)"):
            return _Cand(m.start, m.end, ("CN" if form == "대중" else "US",), "toward")
        if any(rest.startswith(t) for t in TOWARD_TRIGGERS):
            return _Cand(m.start, m.end, ("CN" if form == "대중" else "US",), "toward")
        return None

    # ------------------------------------------------------------------ selection
    def _reject(self, text: str, c: _Cand, morphs: Sequence[Morpheme]) -> bool:
        if not c.actors and c.rule != "lexicon:ctx":
            return False
        actor = c.actors[0] if c.actors else None
        atype = self.lexicon.actors[actor].type if actor in self.lexicon.actors else None
        nxt = text[c.end:c.end + 2]
        if atype == "state" and len(c.actors) == 1:
            for suf in STATE_SUFFIX_REJECT:
                if nxt.startswith(suf):
                    after = text[c.end + len(suf):c.end + len(suf) + 1]
                    if not after or not after[0].isalnum() or suf in ("인", "어") and after in "은는이가을를의과와도들":
                        return True
        # epithets: '중국판 구글', '한국의 엔비디아', '제2의 화웨이' — the target is not a mention
        q_open = max(text.rfind(q, 0, c.start) for q in "'‘\"“")
        if q_open >= 0:
            q_close = min((x for x in (text.find(q, c.end) for q in "'’\"”") if x >= 0), default=-1)
            inner_before = text[q_open + 1:c.start]
            if (q_close >= 0 and "\n" not in text[q_open:q_close] and q_close - q_open < 30 and inner_before.strip()
                    and re.search(r"(의|판|형) ", inner_before)):
                return True
        if text[max(0, c.start - 2):c.start] in ("K-", "k-"):
            return True
        return False

    def resolve_sentence(self, text: str, morphs: Sequence[Morpheme], context_blocs: list[str],
                         ) -> list[tuple[int, int, str, str]]:
        """Mentions ``(start, end, actor, rule)`` of one sentence.

        ``context_blocs`` holds the blocs of state-like mentions of the previous sentence
        (last one last), for context-dependent names.
        """
        cands = [c for c in self.candidates(text, morphs) if not self._reject(text, c, morphs)]
        for k, c in enumerate(cands):
            end = self._bracket_extend(text, c)
            if end != c.end:
                cands[k] = replace(c, end=end, rule="bracket")
        cands.sort(key=lambda c: (c.start, -(c.end - c.start), c.rule == "blocker"))
        chosen: list[_Cand] = []
        pos = -1
        for c in cands:
            if c.start >= pos:
                chosen.append(c)
                pos = c.end
        chosen = self._absorb_states(text, chosen)
        out: list[tuple[int, int, str, str]] = []
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
            actor = self._by_context(text, c, sentence_blocs, context_blocs)
            if actor:
                out.append((c.start, c.end, actor, "lexicon:ctx"))
            elif c.actors:
                out.extend((c.start, c.end, a, c.rule) for a in c.actors)
        out.sort(key=lambda x: (x[0], x[1]))
        return out

    def _by_context(self, text: str, c: _Cand, sentence_blocs: list[tuple[int, str]],
                    context_blocs: list[str]) -> str | None:
        conds = dict(c.conds)
        if "regulation" in conds:
            window = text[c.start:c.end + 40]
            if any(cue in window for cue in REGULATORY_CUES) or text.startswith("식", c.end):
                return conds["regulation"]
            return None
        before = [b for s, b in sentence_blocs if s < c.start and b in conds]
        if before:
            return conds[before[-1]]
        prev = [b for b in context_blocs if b in conds]
        if prev:
            return conds[prev[-1]]
        after = [b for s, b in sentence_blocs if s > c.start and b in conds]
        if after:
            return conds[after[0]]
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
                if parts and self.plain.get(parts[0]) == c.actors[0] and all(
                        self.plain.get(x) == c.actors[0] or _LATIN_PHRASE.fullmatch(x) for x in parts[1:]):
                    return close + 1
        return c.end

    def _absorb_states(self, text: str, chosen: list[_Cand]) -> list[_Cand]:
        """미국 상무부 / 중국 전국인민대표회의: an agency name absorbs the state before it."""
        if self.nested:
            return chosen
        out: list[_Cand] = []
        for c in chosen:
            a = self.lexicon.actors.get(c.actors[0]) if len(c.actors) == 1 else None
            if a and a.type == "state" and c.rule == "lexicon":
                for noun in GOVERNMENT_NOUNS:
                    if text.startswith(" " + noun, c.end) and not text[c.end + 1 + len(noun):][:1].isalnum():
                        c = replace(c, end=c.end + 1 + len(noun))
                        break
            prev = out[-1] if out else None
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


class ActorStage(Stage):
    """Pipeline stage: fills ``Document.mentions``."""

    name = "actors"
    requires = ("sentences", "morphemes")
    assigns = ("mentions",)

    def __init__(self, lexicon_paths: tuple[str, ...] = (), nested: bool = False) -> None:
        self.lexicon = load_lexicon(*lexicon_paths)
        self.resolver = ActorResolver(self.lexicon, nested=nested)
        self.lexicon_paths = lexicon_paths

    def model_info(self) -> dict[str, str]:
        extra = f"+{len(self.lexicon_paths)} user" if self.lexicon_paths else ""
        return {"actors": f"lexicon-{len(self.lexicon)}{extra}"}

    def process(self, doc: Document) -> Document:
        mentions: list[Mention] = []
        prev_blocs: list[str] = []
        actors = self.lexicon.actors
        for s in doc.sentences:
            found = self.resolver.resolve_sentence(doc.text, tuple(s.morphemes), prev_blocs)
            blocs_here = []
            for start, end, aid, rule in found:
                a = actors.get(aid)
                atype, bloc = (a.type, a.bloc) if a else ("state", "other")
                rs, re_ = doc.to_raw(start, end)
                mentions.append(Mention(start, end, rs, re_, doc.text[start:end], aid, atype, bloc, s.index, rule))
                blocs_here.append(bloc)
            prev_blocs = blocs_here
        return replace(doc, mentions=tuple(mentions))
