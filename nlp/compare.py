"""Comparison of a profile with a reference profile (codebook §5).

:func:`compare_profiles` scores a profile against a reference with one
transparent similarity (method :data:`METHOD`, described in ``docs/compare.md``)
and lists the differences that explain it.

>>> from nlp.document import Document, Sentence
>>> from nlp.profile import document_profile
>>> s = Sentence(0, 0, 9, "미국은 규제했다.", 0, dimensions=("regulation_discourse",))
>>> p = document_profile(Document("d", "미국은 규제했다.", sentences=(s,)))
>>> round(compare_profiles(p, p).similarity, 3)
1.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import UsageError
from .labels import codebook_version
from .profile import (
    NONE,
    Profile,
    SentenceKey,
    _round_map,
    display_name,
)

METHOD = "weighted-js-v1"
METHOD_DESCRIPTION = (
    "weighted mean of four components: 1 - Jensen-Shannon distance (base 2) between the "
    "dimension distributions including 'none' (weight 0.30), between the frame distributions "
    "(0.30) and between the bloc distributions of actor mentions (0.15), plus the share of the "
    "reference's key elements the document covers (0.25); components a document cannot provide "
    "(a layer not annotated) are left out and the other weights rescaled"
)
METHOD_DESCRIPTION_KO = (
    "네 가지 점수의 가중 평균입니다: 경쟁 차원 분포(가중치 0.30), 프레임 분포(0.30), 진영별 행위자 언급 "
    "분포(0.15)가 기준 글과 얼마나 가까운지(1 − 젠슨-섀넌 거리)와, 기준 글의 핵심 요소를 문서가 얼마나 "
    "담고 있는지(0.25). 주석이 없는 층은 빼고 나머지 가중치를 다시 맞춥니다."
)
COMPONENT_NAMES_KO = {"dimensions": "경쟁 차원 분포", "frames": "프레임 분포", "blocs": "진영 분포",
                      "coverage": "핵심 요소 포함"}
KIND_NAMES_KO = {"dimension": "경쟁 차원", "frame": "프레임", "bloc": "진영", "actor": "행위자"}


def similarity_in_words(similarity: float) -> str:
    """The similarity score explained in plain Korean words, for a reader who does not know the method.

    The bands are a reading aid, not calibrated thresholds.

    >>> similarity_in_words(0.67)
    '0.67: 기준 글과 대체로 비슷한 초점입니다. 0은 전혀 다른 분포, 1은 같은 비율 분포를 뜻합니다.'
    """
    bands = ((0.8, "기준 글과 초점이 매우 비슷합니다"), (0.6, "기준 글과 대체로 비슷한 초점입니다"),
             (0.4, "기준 글과 부분적으로 겹칩니다"), (0.2, "기준 글과 초점이 많이 다릅니다"),
             (0.0, "기준 글과 거의 겹치지 않습니다"))
    words = next(w for limit, w in bands if similarity >= limit)
    return f"{similarity:.2f}: {words}. 0은 전혀 다른 분포, 1은 같은 비율 분포를 뜻합니다."


WEIGHTS: Mapping[str, float] = {"dimensions": 0.30, "frames": 0.30, "blocs": 0.15, "coverage": 0.25}

# Key elements of a reference: what a document "covers" if it has at least one of them.
KEY_MIN_DIMENSION_SHARE = 0.05   # of sentences
KEY_MIN_FRAME_SHARE = 0.03       # of sentences, and at least KEY_MIN_FRAME_SENTENCES
KEY_MIN_FRAME_SENTENCES = 2
KEY_MIN_BLOC_SHARE = 0.05        # of mentions
KEY_MIN_ACTOR_MENTIONS = 3
KEY_MAX_ACTORS = 12
# A difference is "notable" when shares differ by this much (absolute) and by this ratio.
NOTABLE_DELTA = 0.05
NOTABLE_RATIO = 1.5


# --------------------------------------------------------------------------- comparison

def js_similarity(p: Mapping[str, float], q: Mapping[str, float]) -> float:
    """1 - Jensen-Shannon distance (base 2) between two non-negative weightings, normalised first.

    Both empty gives 1; one empty gives 0.

    >>> js_similarity({"a": 1, "b": 1}, {"a": 2, "b": 2})
    1.0
    >>> js_similarity({"a": 1}, {"b": 1})
    0.0
    """
    keys = sorted(set(p) | set(q))
    sp, sq = sum(p.get(k, 0.0) for k in keys), sum(q.get(k, 0.0) for k in keys)
    if sp <= 0 and sq <= 0:
        return 1.0
    if sp <= 0 or sq <= 0:
        return 0.0
    jsd = 0.0
    for k in keys:
        a, b = p.get(k, 0.0) / sp, q.get(k, 0.0) / sq
        m = (a + b) / 2
        if a > 0:
            jsd += 0.5 * a * math.log2(a / m)
        if b > 0:
            jsd += 0.5 * b * math.log2(b / m)
    return max(0.0, min(1.0, 1.0 - math.sqrt(max(jsd, 0.0))))


@dataclass(frozen=True)
class Component:
    """One part of the similarity: its score, nominal weight, weight used, and what it measured."""

    name: str
    score: float | None
    weight: float
    used_weight: float
    detail: str

    @property
    def available(self) -> bool:
        """True when both profiles carry the layer this component needs."""
        return self.score is not None


@dataclass(frozen=True)
class KeyElement:
    """An element that characterises the reference, and whether the document has it."""

    kind: str
    label: str
    reference_share: float
    document_share: float | None
    present: bool | None  # None: the document's layer was not annotated


@dataclass(frozen=True)
class Difference:
    """How much more or less a document uses an element than the reference, and where."""

    kind: str                 # dimension | frame | bloc | actor
    label: str
    document_share: float
    reference_share: float
    direction: str            # over | under | same | absent | new
    ratio: float | None       # document / reference share; None where the reference share is 0
    delta: float              # document - reference share
    notable: bool
    document_sentences: tuple[SentenceKey, ...]
    reference_sentences: tuple[SentenceKey, ...]
    document_spans: tuple[tuple[str, int, int], ...] = ()

    @property
    def name(self) -> str:
        """Display name of the label (Korean for dimensions and frames)."""
        return display_name(self.kind, self.label)

    @property
    def unit(self) -> str:
        """What the shares count: sentences or mentions."""
        return "mentions" if self.kind in ("bloc", "actor") else "sentences"

    def describe(self) -> str:
        """One line, e.g. ``regulation_discourse: 2.1x the reference share (45% vs 21% of sentences)``."""
        d, r = f"{self.document_share:.0%}", f"{self.reference_share:.0%}"
        label = self.label if self.label != NONE else f"no {self.kind}"
        if self.direction == "absent":
            return f"{label}: absent (reference {r} of {self.unit})"
        if self.direction == "new":
            return f"{label}: {d} of {self.unit}, not in the reference"
        return f"{label}: {self.ratio:.1f}x the reference share ({d} vs {r} of {self.unit})"

    def describe_ko(self) -> str:
        """One Korean sentence, e.g. ``규제·담론 경쟁: 문서 문장의 45%, 기준 글은 21% (2.1배)``."""
        d, r = f"{self.document_share:.0%}", f"{self.reference_share:.0%}"
        unit = "언급" if self.unit == "mentions" else "문장"
        name = self.name if self.label != NONE else f"{KIND_NAMES_KO.get(self.kind, self.kind)} 없음"
        if self.direction == "absent":
            return f"{name}: 문서에는 없고, 기준 글은 {unit}의 {r}"
        if self.direction == "new":
            return f"{name}: 문서 {unit}의 {d}, 기준 글에는 없음"
        more = "더 많이" if self.delta > 0 else "더 적게"
        return f"{name}: 문서 {unit}의 {d}, 기준 글은 {r} (기준의 {self.ratio:.1f}배, {more} 다룸)"


@dataclass(frozen=True)
class Comparison:
    """A document profile scored against a reference profile (see :func:`compare_profiles`)."""

    document: Profile
    reference: Profile
    similarity: float
    components: tuple[Component, ...]
    differences: tuple[Difference, ...]
    key_elements: tuple[KeyElement, ...]
    bloc_balance: Mapping[str, Any]
    method: str = METHOD
    method_description: str = METHOD_DESCRIPTION

    @property
    def absent(self) -> tuple[KeyElement, ...]:
        """Key elements of the reference that the document lacks."""
        return tuple(k for k in self.key_elements if k.present is False)

    @property
    def missing_components(self) -> tuple[str, ...]:
        """Components left out because a layer is not annotated (the score is then partial)."""
        return tuple(c.name for c in self.components if c.score is None)

    @property
    def notable(self) -> tuple[Difference, ...]:
        """The differences large enough to report (see ``NOTABLE_DELTA`` and ``NOTABLE_RATIO``)."""
        return tuple(d for d in self.differences if d.notable)

    def component(self, name: str) -> Component:
        """The component named ``name``."""
        for c in self.components:
            if c.name == name:
                return c
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """JSON form of the comparison (scores, components, differences, absent elements, blocs)."""
        doc, ref = self.document, self.reference

        def keys(p: Profile, ks: Sequence[SentenceKey]) -> list:
            return [p.key_json(k) for k in ks]

        return {
            "document": doc.name,
            "reference": ref.name,
            "codebook_version": codebook_version(),
            "similarity": round(self.similarity, 4),
            "method": self.method,
            "method_description": self.method_description,
            "similarity_in_words": similarity_in_words(self.similarity),
            "partial": bool(self.missing_components),
            "missing_components": list(self.missing_components),
            "components": [{"name": c.name, "score": None if c.score is None else round(c.score, 4),
                            "weight": c.weight, "used_weight": round(c.used_weight, 4), "detail": c.detail}
                           for c in self.components],
            "differences": [
                {"kind": d.kind, "label": d.label, "name": d.name, "direction": d.direction,
                 "document_share": round(d.document_share, 4), "reference_share": round(d.reference_share, 4),
                 "ratio": None if d.ratio is None else round(d.ratio, 3), "delta": round(d.delta, 4),
                 "notable": d.notable, "description": d.describe(), "description_ko": d.describe_ko(),
                 "document_sentences": keys(doc, d.document_sentences),
                 "reference_sentences": keys(ref, d.reference_sentences),
                 **({"document_spans": [[s, e] if doc.single_document else [k, s, e]
                                        for k, s, e in d.document_spans]} if d.document_spans else {})}
                for d in self.differences
            ],
            "absent": [{"kind": k.kind, "label": k.label, "name": display_name(k.kind, k.label),
                        "reference_share": round(k.reference_share, 4)} for k in self.absent],
            "key_elements": [{"kind": k.kind, "label": k.label, "present": k.present,
                              "reference_share": round(k.reference_share, 4),
                              "document_share": None if k.document_share is None else round(k.document_share, 4)}
                             for k in self.key_elements],
            "bloc_balance": self.bloc_balance,
            "profiles": {"document": doc.summary(), "reference": ref.summary()},
        }

    def to_row(self) -> dict[str, Any]:
        """One flat row (scalars only) for batch tables."""
        over = [d for d in self.notable if d.direction in ("over", "new")]
        under = [d for d in self.notable if d.direction in ("under", "absent")]
        return _row(self.document, self.reference, self.similarity, self.components, self.key_elements,
                    self.bloc_balance.get("us_cn_balance", {}).get("document"),
                    over[0].describe() if over else "", under[0].describe() if under else "", self.method)

    def table(self):
        """The differences as a DataFrame (one row per element)."""
        import pandas as pd

        rows = [{"kind": d.kind, "label": d.label, "name": d.name, "document_share": d.document_share,
                 "reference_share": d.reference_share, "ratio": d.ratio, "delta": d.delta,
                 "direction": d.direction, "notable": d.notable, "description": d.describe(),
                 "document_sentences": [self.document.key_json(k) for k in d.document_sentences]}
                for d in self.differences]
        return pd.DataFrame(rows)


def key_elements_of(reference: Profile) -> list[tuple[str, str, float]]:
    """(kind, label, reference share) of the reference's key elements (thresholds in the module)."""
    out: list[tuple[str, str, float]] = []
    if "dimensions" in reference.layers:
        out += [("dimension", d, s) for d, s in reference.dimension_shares.items()
                if d != NONE and s >= KEY_MIN_DIMENSION_SHARE]
    if "frames" in reference.layers:
        out += [("frame", f, s) for f, s in reference.frame_shares.items()
                if f != NONE and s >= KEY_MIN_FRAME_SHARE and reference.frame_counts[f] >= KEY_MIN_FRAME_SENTENCES]
    if "actors" in reference.layers:
        out += [("bloc", b, s) for b, s in reference.bloc_shares.items() if s >= KEY_MIN_BLOC_SHARE]
        top = [(a, n) for a, n in reference.actor_counts.items() if n >= KEY_MIN_ACTOR_MENTIONS][:KEY_MAX_ACTORS]
        out += [("actor", a, reference.actor_shares[a]) for a, _n in top]
    return out


_KIND_LAYER = {"dimension": "dimensions", "frame": "frames", "bloc": "actors", "actor": "actors"}


def _difference_values(doc: Profile, ref: Profile, kind: str):
    """``(label, document share, reference share, direction, ratio, notable)`` per label of one kind, in the
    order of the differences (reference labels first); nothing where a profile lacks the kind's layer."""
    if _KIND_LAYER[kind] not in doc.layers or _KIND_LAYER[kind] not in ref.layers:
        return
    ds, rs = doc.shares(kind), ref.shares(kind)
    yield from _label_values(ds, rs, dict.fromkeys([*rs, *ds]))


def _notable_values(doc: Profile, ref: Profile, kind: str):
    """The values of :func:`_difference_values` whose ``notable`` is true, in the same order, without
    computing the many reference labels the document lacks: their share 0 makes them notable exactly
    when the reference's share reaches ``NOTABLE_DELTA`` (a ratio of 0 is always large)."""
    if _KIND_LAYER[kind] not in doc.layers or _KIND_LAYER[kind] not in ref.layers:
        return
    ds, rs = doc.shares(kind), ref.shares(kind)
    labels = [lab for lab, r in rs.items() if lab in ds or r >= NOTABLE_DELTA] + [lab for lab in ds if lab not in rs]
    for v in _label_values(ds, rs, labels):
        if v[5]:
            yield v


def _label_values(ds: Mapping[str, float], rs: Mapping[str, float], labels):
    """The values of :func:`_difference_values` for ``labels`` (document and reference shares ``ds``, ``rs``)."""
    for lab in labels:
        d, r = ds.get(lab, 0.0), rs.get(lab, 0.0)
        if d == 0 and r == 0:
            continue
        ratio = d / r if r > 0 else None
        if r > 0 and d == 0:
            direction = "absent"
        elif r == 0:
            direction = "new"
        elif ratio is not None and abs(math.log(ratio)) < math.log(1.1):
            direction = "same"
        else:
            direction = "over" if d > r else "under"
        big_ratio = ratio is None or ratio == 0 or ratio >= NOTABLE_RATIO or ratio <= 1 / NOTABLE_RATIO
        yield lab, d, r, direction, ratio, abs(d - r) >= NOTABLE_DELTA and big_ratio


def _differences(doc: Profile, ref: Profile, kind: str) -> list[Difference]:
    return [Difference(kind=kind, label=lab, document_share=d, reference_share=r, direction=direction,
                       ratio=ratio, delta=d - r, notable=notable,
                       document_sentences=doc.sentence_keys_with(kind, lab),
                       reference_sentences=ref.sentence_keys_with(kind, lab),
                       document_spans=doc.spans_with(kind, lab))
            for lab, d, r, direction, ratio, notable in _difference_values(doc, ref, kind)]


def _balance(p: Profile) -> float | None:
    us, cn = p.bloc_counts.get("US", 0), p.bloc_counts.get("CN", 0)
    return (us - cn) / (us + cn) if us + cn else None


def compare_profiles(profile: Profile, reference: Profile, weights: Mapping[str, float] | None = None) -> Comparison:
    """Score ``profile`` against ``reference`` (method :data:`METHOD`) and explain the score.

    >>> from nlp.document import Document, Sentence
    >>> from nlp.profile import document_profile
    >>> def doc(i, dims):
    ...     return Document(i, "가.", sentences=tuple(Sentence(k, 0, 2, "가.", 0, dimensions=d)
    ...                                              for k, d in enumerate(dims)))
    >>> ref = document_profile(doc("ref", [("tech_platform",), ("regulation_discourse",), ("diplomacy_arms",)]))
    >>> cmp = compare_profiles(document_profile(doc("d", [("tech_platform",)] * 3)), ref)
    >>> [k.label for k in cmp.absent]
    ['regulation_discourse', 'diplomacy_arms']
    """
    doc, ref = profile, reference
    comps, sim, keys = _score(doc, ref, weights)
    diffs = [d for kind in ("dimension", "frame", "bloc", "actor") for d in _differences(doc, ref, kind)]
    diffs.sort(key=lambda d: (not d.notable, -abs(d.delta)))

    balance: dict[str, Any] = {}
    if "actors" in doc.layers & ref.layers:
        balance = {
            "document": _round_map(doc.bloc_shares), "reference": _round_map(ref.bloc_shares),
            "document_counts": doc.bloc_counts, "reference_counts": ref.bloc_counts,
            "us_cn_balance": {"document": _r(_balance(doc)), "reference": _r(_balance(ref)),
                              "definition": "(US - CN) / (US + CN) mentions; +1 all US, -1 all CN"},
        }
    return Comparison(document=doc, reference=ref, similarity=sim, components=comps,
                      differences=tuple(diffs), key_elements=tuple(keys), bloc_balance=balance)


def comparison_row(profile: Profile, reference: Profile, weights: Mapping[str, float] | None = None,
                   ) -> tuple[float, dict[str, Any]]:
    """``(cmp.similarity, cmp.to_row())`` of ``cmp = compare_profiles(profile, reference, weights)``, without
    building the differences.

    A batch table's row shows only the largest notable over- and under-emphasis of all the
    differences, and none of the sentences behind them; this computes the row from the shares
    alone (about a third of the cost per document).

    >>> from nlp.document import Document, Sentence
    >>> from nlp.profile import document_profile
    >>> ref = document_profile(Document("r", "가.", sentences=(Sentence(0, 0, 2, "가.", 0,
    ...     dimensions=("tech_platform",)), Sentence(1, 0, 2, "가.", 0))))
    >>> doc = document_profile(Document("d", "가.", sentences=(Sentence(0, 0, 2, "가.", 0,
    ...     dimensions=("tech_platform",)),)))
    >>> cmp = compare_profiles(doc, ref)
    >>> comparison_row(doc, ref) == (cmp.similarity, cmp.to_row())
    True
    """
    doc, ref = profile, reference
    comps, sim, keys = _score(doc, ref, weights)
    notable = [(kind, *v) for kind in ("dimension", "frame", "bloc", "actor") for v in _notable_values(doc, ref, kind)]
    notable.sort(key=lambda v: -abs(v[2] - v[3]))  # stable, as the sort of all differences in compare_profiles

    def describe(v) -> str:
        kind, lab, d, r, direction, ratio, _notable = v
        return Difference(kind=kind, label=lab, document_share=d, reference_share=r, direction=direction,
                          ratio=ratio, delta=d - r, notable=True, document_sentences=(),
                          reference_sentences=()).describe()

    over = [v for v in notable if v[4] in ("over", "new")]
    under = [v for v in notable if v[4] in ("under", "absent")]
    return sim, _row(doc, ref, sim, comps, keys,
                     _r(_balance(doc)) if "actors" in doc.layers & ref.layers else None,
                     describe(over[0]) if over else "", describe(under[0]) if under else "")


def _score(doc: Profile, ref: Profile, weights: Mapping[str, float] | None,
           ) -> tuple[tuple[Component, ...], float, list[KeyElement]]:
    """The components, the similarity (clipped to [0, 1]) and the key elements of ``doc`` against ``ref``."""
    w = dict(WEIGHTS if weights is None else weights)
    unknown = set(w) - set(WEIGHTS)
    if unknown:
        raise UsageError(f"unknown similarity component(s) {', '.join(sorted(unknown))}; "
                         f"allowed: {', '.join(WEIGHTS)}")
    both = doc.layers & ref.layers
    scores: dict[str, tuple[float | None, str]] = {}

    if "dimensions" in both:
        scores["dimensions"] = (js_similarity(doc.dimension_counts, ref.dimension_counts),
                                "dimension distributions, 'none' included")
    else:
        scores["dimensions"] = (None, "dimensions not annotated in " + _lacking(doc, ref, "dimensions"))
    if "frames" in both:
        dfc = {k: v for k, v in doc.frame_counts.items() if k != NONE}
        rfc = {k: v for k, v in ref.frame_counts.items() if k != NONE}
        scores["frames"] = (js_similarity(dfc, rfc), "frame distributions over labelled frames "
                            "(0 when one side has no frame)")
    else:
        scores["frames"] = (None, "frames not annotated in " + _lacking(doc, ref, "frames"))
    if "actors" in both:
        scores["blocs"] = (js_similarity(doc.bloc_counts, ref.bloc_counts),
                           "bloc distributions of actor mentions (0 when one side has no mention)")
    else:
        scores["blocs"] = (None, "actors not annotated in " + _lacking(doc, ref, "actors"))

    keys = []
    for kind, label, rshare in key_elements_of(ref):
        layer = _KIND_LAYER[kind]
        if layer in doc.layers:
            dshare = doc.shares(kind).get(label, 0.0)
            keys.append(KeyElement(kind, label, rshare, dshare, dshare > 0))
        else:
            keys.append(KeyElement(kind, label, rshare, None, None))
    judged = [k for k in keys if k.present is not None]
    by_kind: dict[str, list[bool]] = {}
    for k in judged:
        by_kind.setdefault(k.kind, []).append(bool(k.present))
    if by_kind:
        cov = sum(sum(v) / len(v) for v in by_kind.values()) / len(by_kind)
        parts = ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in by_kind.items())
        scores["coverage"] = (cov, f"mean over kinds of key elements present: {parts}")
    else:
        scores["coverage"] = (None, "no key element can be checked")

    avail = {k: w.get(k, 0.0) for k, (s, _) in scores.items() if s is not None and w.get(k, 0.0) > 0}
    total = sum(avail.values())
    if total <= 0:
        raise UsageError(f"cannot compare {doc.name!r} with {ref.name!r}: no annotation layer in common "
                         f"(document has {sorted(doc.layers) or 'none'}, reference has {sorted(ref.layers)}); "
                         "run the dimensions, frames and actors stages first")
    comps = tuple(Component(k, s, w.get(k, 0.0), avail.get(k, 0.0) / total, detail)
                  for k, (s, detail) in scores.items())
    sim = sum(c.score * c.used_weight for c in comps if c.score is not None)
    return comps, max(0.0, min(1.0, sim)), keys


def _row(doc: Profile, ref: Profile, similarity: float, components: Sequence[Component],
         key_elements: Sequence[KeyElement], us_cn_balance: float | None, top_over: str, top_under: str,
         method: str = METHOD) -> dict[str, Any]:
    """The flat row of :meth:`Comparison.to_row` (shared with :func:`comparison_row`)."""
    row: dict[str, Any] = {"document": doc.name, "reference": ref.name,
                           "similarity": round(similarity, 4), "method": method,
                           "partial": any(c.score is None for c in components),
                           "n_sentences": doc.n_sentences, "n_mentions": doc.n_mentions}
    for c in components:
        row[f"score_{c.name}"] = None if c.score is None else round(c.score, 4)
    for k, v in doc.dimension_shares.items():
        row[f"dim_{k}"] = round(v, 4)
    for k, v in doc.frame_shares.items():
        row[f"frame_{k}"] = round(v, 4)
    for k, v in doc.bloc_shares.items():
        row[f"bloc_{k}"] = round(v, 4)
    row["us_cn_balance"] = us_cn_balance
    row["top_over"] = top_over
    row["top_under"] = top_under
    row["absent"] = ";".join(f"{k.kind}:{k.label}" for k in key_elements if k.present is False)
    return row


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _lacking(doc: Profile, ref: Profile, layer: str) -> str:
    who = [p.name for p in (doc, ref) if layer not in p.layers]
    return " and ".join(repr(x) for x in who)
