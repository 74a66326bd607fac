"""Rendering of evaluation results: the terminal table and long-format CSV rows.

Split out of :mod:`nlp.evaluate` (which re-exports :func:`render_table` and :func:`to_csv_rows`).
"""

from __future__ import annotations

from collections.abc import Sequence

# --------------------------------------------------------------------------- rendering

def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.3f}"
    return str(x)


def render_table(results: Sequence[dict]) -> str:
    """Terminal table: per task/setting, labels as rows and P/R/F1 per classifier side by side."""
    lines: list[str] = []
    for res in results:
        if res.get("setting") == "agreement":
            lines.extend(_agreement_table(res))
            continue
        if res.get("setting") == "gold-actors":
            a = res["actors"]
            lines.append(f"== actors -- gold ({a['sentences']} sentences with actor spans; exact span and id)")
            lines.append(f"{'type':<12}{'P':>8}{'R':>8}{'F1':>8}{'support':>9}")
            for kind, sc in a["by_type"].items():
                lines.append(f"{kind:<12}{sc['precision']:>8.3f}{sc['recall']:>8.3f}{sc['f1']:>8.3f}{sc['support']:>9}")
            lines.append("")
            continue
        names = list(res["classifiers"])
        reps = [res["classifiers"][n] for n in names]
        any_rep = reps[0]
        labels = list(any_rep["labels"])
        extra = ""
        if "test" in any_rep and isinstance(any_rep["test"], dict):
            extra = f"; test {any_rep['test']['documents']} docs / {any_rep['test']['sentences']} sentences"
        lines.append(f"== {res['task']} -- {res['setting']} (n={any_rep['n']}{extra})")
        w = max(22, *(len(lab) + 2 for lab in labels))
        head = f"{'label':<{w}}{'support':>8}"
        for n in names:
            head += f" | {n[:16]:>16} P{'R':>7}{'F1':>7}{'Brier':>7}"
        lines.append(head)
        lines.append("-" * len(head))
        for lab in labels:
            row = f"{lab:<{w}}{any_rep['labels'][lab]['support']:>8}"
            for r in reps:
                s = r["labels"][lab]
                row += f" | {s['precision']:>18.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}{_fmt(s.get('brier')):>7}"
            lines.append(row)
        for avg in ("micro", "macro"):
            row = f"{avg + ' avg':<{w}}{'':>8}"
            for r in reps:
                s = r[avg]
                brier = r.get("brier_mean") if avg == "macro" else None
                row += f" | {s['precision']:>18.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}{_fmt(brier):>7}"
            lines.append(row)
        for n, r in zip(names, reps):
            if "ci" in r:
                ci = r["ci"]
                lo, hi = ci["macro_f1"]
                lines.append(f"{n}: macro-F1 {r['macro']['f1']:.3f}, {ci['level']:.0%} interval [{lo:.3f}, {hi:.3f}] "
                             f"(bootstrap over {ci['documents']} documents, {ci['n_boot']} draws); per label: "
                             + ", ".join(f"{lab} [{a:.2f}, {b:.2f}]" for lab, (a, b) in ci["labels"].items()))
            if "folds" in r:
                f = r["folds"]
                lines.append(f"{n}: fold macro-F1 {f['macro_f1_mean']:.3f} ± {f['macro_f1_std']:.3f} "
                             f"({', '.join(f'{x:.3f}' for x in f['macro_f1'])})")
            conf = ", ".join(f"{c['gold']}→{c['predicted']} {c['count']}" for c in r["confusions"][:5])
            if conf:
                lines.append(f"{n}: top confusions (gold→predicted): {conf}")
            if "ece_mean" in r:
                lines.append(f"{n}: calibration: Brier {r['brier_mean']:.4f}, ECE {r['ece_mean']:.4f} (mean over labels)")
        for note in res.get("notes", ()):
            lines.append(f"note: {note}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _agreement_table(res: dict) -> list[str]:
    lines = [f"== agreement: {res['files'][0]} vs {res['files'][1]} (n={res['n']} shared sentences; "
             f"only in A {res['only_in_a']}, only in B {res['only_in_b']})"]
    for task, t in res["tasks"].items():
        lines.append(f"-- {task}: exact set agreement {_fmt(t['exact_set_agreement'])}, mean kappa "
                     f"{_fmt(t['mean_kappa'])}, mean alpha {_fmt(t['mean_alpha'])}")
        lines.append(f"{'label':<24}{'kappa':>8}{'alpha':>8}{'agree':>8}{'pos A':>7}{'pos B':>7}")
        for lab, s in t["labels"].items():
            lines.append(f"{lab:<24}{_fmt(s['kappa']):>8}{_fmt(s['alpha']):>8}{_fmt(s['observed_agreement']):>8}"
                         f"{s['positives_a']:>7}{s['positives_b']:>7}")
    lines.append("")
    return lines


CSV_FIELDS = ("setting", "task", "classifier", "label", "precision", "recall", "f1", "support", "tp", "fp", "fn",
              "tn", "brier", "ece")
AGREEMENT_FIELDS = ("setting", "task", "label", "kappa", "alpha", "observed_agreement", "positives_a",
                    "positives_b")


def to_csv_rows(results: Sequence[dict]) -> tuple[tuple[str, ...], list[dict]]:
    """Long-format CSV rows (one per setting x task x classifier x label, plus micro/macro rows)."""
    if results and all(r.get("setting") == "agreement" for r in results):
        rows = [{"setting": "agreement", "task": task, "label": lab, **s}
                for res in results for task, t in res["tasks"].items() for lab, s in t["labels"].items()]
        return AGREEMENT_FIELDS, rows
    rows = []
    for res in results:
        if res.get("setting") == "gold-actors":
            for kind, sc in res["actors"]["by_type"].items():
                rows.append({"setting": "gold-actors", "task": "actors", "classifier": "actor stage", "label": kind,
                             **{k: sc.get(k, "") for k in ("precision", "recall", "f1", "support")}})
            continue
        for name, rep in res["classifiers"].items():
            base = {"setting": res["setting"], "task": res["task"], "classifier": name}
            for lab, s in rep["labels"].items():
                rows.append({**base, "label": lab, **{k: s.get(k, "") for k in CSV_FIELDS[4:]}})
            for avg in ("micro", "macro"):
                rows.append({**base, "label": f"{avg}_avg", **rep[avg],
                             "brier": rep.get("brier_mean", "") if avg == "macro" else "",
                             "ece": rep.get("ece_mean", "") if avg == "macro" else ""})
    return CSV_FIELDS, rows
