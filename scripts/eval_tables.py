"""Markdown tables from ``kdiscourse evaluate --format json`` results (the tables of docs/encoder.md).

    python scripts/eval_tables.py scratch/results/eval_linear.json scratch/results/eval_encoder_*.json

Prints, per task: macro-F1 with its 95 % bootstrap interval, Brier and ECE for every setting and
classifier; then per-label F1 with intervals.  Results of one setting and task from several files
are merged (classifiers side by side).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ORDER = ("rules", "linear", "encoder", "finetuned")


def load(paths: list[str]) -> dict[tuple[str, str], dict]:
    """``{(setting, task): {"n": ..., "classifiers": {...}, "notes": [...]}}`` merged over files."""
    merged: dict[tuple[str, str], dict] = {}
    for p in paths:
        data = json.loads(Path(p).read_text(encoding="utf-8"))
        for res in data if isinstance(data, list) else [data]:
            key = (res["setting"], res["task"])
            slot = merged.setdefault(key, {"classifiers": {}, "notes": []})
            slot["classifiers"].update(res["classifiers"])
            slot["notes"] += [n for n in res.get("notes", ()) if n not in slot["notes"]]
    return merged


def _ci(rep: dict, label: str | None = None) -> str:
    f1 = rep["macro"]["f1"] if label is None else rep["labels"][label]["f1"]
    ci = rep.get("ci")
    if not ci:
        return f"{f1:.3f}"
    lo, hi = ci["macro_f1"] if label is None else ci["labels"][label]
    return f"{f1:.3f} [{lo:.3f}, {hi:.3f}]"


def _names(clfs: dict) -> list[str]:
    return sorted(clfs, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))


def render(merged: dict[tuple[str, str], dict]) -> str:
    """The Markdown text."""
    lines = []
    tasks = sorted({t for _s, t in merged}, key=lambda t: (t != "dimensions", t))
    for task in tasks:
        lines += [f"#### {task}: macro-F1 [95% CI], Brier, ECE", "",
                  "| setting | n | classifier | macro-F1 [95% CI] | micro-F1 | Brier | ECE |", "|---|---|---|---|---|---|---|"]
        for (setting, t), res in merged.items():
            if t != task:
                continue
            for name in _names(res["classifiers"]):
                r = res["classifiers"][name]
                lines.append(f"| {setting} | {r['n']} | {name} | {_ci(r)} | {r['micro']['f1']:.3f} | "
                             f"{r.get('brier_mean', '–')} | {r.get('ece_mean', '–')} |")
        lines.append("")
    for task in tasks:
        for (setting, t), res in merged.items():
            if t != task:
                continue
            names = _names(res["classifiers"])
            first = res["classifiers"][names[0]]
            lines += [f"**{setting} — {task}** (n={first['n']}; F1 [95% CI])", "",
                      "| label | support | " + " | ".join(names) + " |", "|---|---|" + "---|" * len(names)]
            for lab in first["labels"]:
                lines.append(f"| {lab} | {first['labels'][lab]['support']} | "
                             + " | ".join(_ci(res["classifiers"][n], lab) for n in names) + " |")
            for note in res["notes"]:
                lines.append(f"\n{note}")
            lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render(load(sys.argv[1:])))
