"""Inter-annotator agreement on imported gold: per label kappa and alpha, actor spans per pair.

The statistics are :func:`nlp.evaluate.cohen_kappa` and
:func:`nlp.evaluate.krippendorff_alpha` (not re-implemented here).  A unit is a
sentence, keyed by ``(document id, sentence index)`` as in
:func:`nlp.evaluate.read_annotations`:

- ``alpha`` per label: Krippendorff's alpha (nominal, binary) over *all*
  annotators, a unit counting where at least two rated it;
- ``kappa`` per label: Cohen's kappa for each pair of annotators on the units
  both rated, and their mean (with two annotators: Cohen's kappa);
- actors: for each pair, span-and-id matches on shared units where both
  recorded actors (precision/recall/F1 of B against A).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from ..evaluate import cohen_kappa, krippendorff_alpha
from ..labels import dimension_ids, frame_ids
from .gold import GoldDocument, GoldSentence


def _r(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), 4)


def _mean(xs: Sequence[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def units_by_annotator(docs: Sequence[GoldDocument]) -> dict[str, dict[tuple, GoldSentence]]:
    """``{annotator: {(doc id, sentence index): sentence}}``."""
    out: dict[str, dict[tuple, GoldSentence]] = {}
    for d in docs:
        who = d.annotator or "unknown"
        for i, s in enumerate(d.sentences):
            out.setdefault(who, {})[(d.id, s.index if s.index is not None else i)] = s
    return out


def agreement(docs: Sequence[GoldDocument]) -> dict:
    """Agreement between the annotators of ``docs`` (gold documents of two or more annotators).

    Returns a JSON-ready dict; per-label values are ``None`` where undefined (a label
    nobody used: kappa and alpha need variation).
    """
    by = units_by_annotator(docs)
    names = sorted(by)
    units = sorted(set().union(*(set(u) for u in by.values()))) if by else []
    pairs = list(itertools.combinations(names, 2))
    result: dict = {"setting": "agreement", "annotators": names,
                    "units": {"total": len(units), "rated_by_2_or_more": sum(
                        1 for k in units if sum(k in by[n] for n in names) >= 2)},
                    "tasks": {}, "pairs": [], "actors": []}
    for task, labels in (("dimensions", dimension_ids()), ("frames", frame_ids())):
        per = {}
        for lab in labels:
            rows = [[(int(lab in getattr(by[n][k], task)) if k in by[n] else None) for k in units] for n in names]
            alpha = krippendorff_alpha(rows) if len(names) >= 2 else float("nan")
            kappas = []
            for a, b in pairs:
                shared = [k for k in units if k in by[a] and k in by[b]]
                xa = [int(lab in getattr(by[a][k], task)) for k in shared]
                xb = [int(lab in getattr(by[b][k], task)) for k in shared]
                kappas.append(_r(cohen_kappa(xa, xb)) if shared else None)
            per[lab] = {"alpha": _r(alpha), "kappa": _mean(kappas),
                        "kappa_pairs": {f"{a}|{b}": k for (a, b), k in zip(pairs, kappas)},
                        "positives": {n: sum(lab in getattr(s, task) for s in by[n].values()) for n in names}}
        result["tasks"][task] = {"labels": per, "mean_alpha": _mean([v["alpha"] for v in per.values()]),
                                 "mean_kappa": _mean([v["kappa"] for v in per.values()])}
    for a, b in pairs:
        shared = [k for k in units if k in by[a] and k in by[b]]
        exact = {task: _r(sum(getattr(by[a][k], task) == getattr(by[b][k], task) for k in shared) / len(shared))
                 if shared else None for task in ("dimensions", "frames")}
        result["pairs"].append({"a": a, "b": b, "shared_units": len(shared), "exact_set_agreement": exact})
        both = [k for k in shared if by[a][k].actors is not None and by[b][k].actors is not None]
        sa = {(k, x.start, x.end, x.id) for k in both for x in by[a][k].actors}
        sb = {(k, x.start, x.end, x.id) for k in both for x in by[b][k].actors}
        tp = len(sa & sb)
        p = tp / len(sb) if sb else None
        r = tp / len(sa) if sa else None
        f1 = 2 * tp / (len(sa) + len(sb)) if sa or sb else None
        result["actors"].append({"a": a, "b": b, "units": len(both), "spans_a": len(sa), "spans_b": len(sb),
                                 "matched": tp, "precision": _r(p), "recall": _r(r), "f1": _r(f1)})
    return result


def render(res: dict) -> str:
    """The agreement report as a terminal table."""

    def fmt(x) -> str:
        return "-" if x is None else f"{x:.3f}"

    lines = [f"== agreement between {', '.join(res['annotators'])}: {res['units']['total']} sentences, "
             f"{res['units']['rated_by_2_or_more']} rated by two or more"]
    for task, t in res["tasks"].items():
        lines.append(f"-- {task}: mean alpha {fmt(t['mean_alpha'])}, mean kappa {fmt(t['mean_kappa'])}")
        lines.append(f"{'label':<24}{'alpha':>8}{'kappa':>8}  positives")
        for lab, s in t["labels"].items():
            pos = ", ".join(f"{n}={c}" for n, c in s["positives"].items())
            lines.append(f"{lab:<24}{fmt(s['alpha']):>8}{fmt(s['kappa']):>8}  {pos}")
    for pair, act in zip(res["pairs"], res["actors"]):
        ex = pair["exact_set_agreement"]
        lines.append(f"-- {pair['a']} vs {pair['b']}: {pair['shared_units']} shared sentences; exact label sets "
                     f"dimensions {fmt(ex['dimensions'])}, frames {fmt(ex['frames'])}; actor spans+ids "
                     f"{act['matched']}/{act['spans_a']}|{act['spans_b']} matched, F1 {fmt(act['f1'])}")
    return "\n".join(lines) + "\n"
