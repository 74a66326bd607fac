"""Scorers on hand-computed examples, agreement coefficients on textbook examples, the CLI."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from nlp.cli import build_parser, main
from nlp.evaluate import (
    agreement,
    cohen_kappa,
    confusions,
    evaluate_cv,
    evaluate_holdout,
    krippendorff_alpha,
    multilabel_report,
    render_table,
    to_csv_rows,
)

NAN = float("nan")


# --------------------------------------------------------------------------- multi-label scores

def test_report_hand_computed():
    # gold / predicted for labels a, b, c over 4 sentences
    Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
    P = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 0], [1, 0, 0]])
    r = multilabel_report(Y, P, ["a", "b", "c"])
    a, b, c = r["labels"]["a"], r["labels"]["b"], r["labels"]["c"]
    assert (a["tp"], a["fp"], a["fn"], a["tn"], a["support"]) == (1, 1, 1, 1, 2)
    assert (a["precision"], a["recall"], a["f1"]) == (0.5, 0.5, 0.5)
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (1, 0, 1, 2)
    assert (b["precision"], b["recall"], b["f1"]) == (1.0, 0.5, 0.6667)
    assert (c["tp"], c["fp"], c["fn"], c["support"], c["f1"]) == (0, 1, 0, 0, 0.0)
    # micro: tp=2, fp=2, fn=2
    assert r["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}
    assert r["macro"]["f1"] == round((0.5 + 2 / 3 + 0.0) / 3, 4)
    assert r["exact_match"] == 0.25 and r["n"] == 4  # only the first sentence is exactly right


def test_brier_per_label_and_mean():
    Y = np.array([[1, 0], [0, 0]])
    proba = np.array([[0.8, 0.5], [0.2, 0.0]])
    r = multilabel_report(Y, (proba >= 0.5).astype(int), ["a", "b"], proba)
    assert r["labels"]["a"]["brier"] == round((0.04 + 0.04) / 2, 4)
    assert r["labels"]["b"]["brier"] == round((0.25 + 0.0) / 2, 4)
    assert r["brier_mean"] == round((0.04 + 0.125) / 2, 4)


def test_confusions_counts_pairs():
    Y = [[1, 0, 0], [1, 0, 0], [0, 0, 0], [0, 1, 0]]
    P = [[0, 1, 0], [0, 1, 1], [0, 0, 1], [0, 1, 0]]
    conf = {(c["gold"], c["predicted"]): c["count"] for c in confusions(Y, P, ["a", "b", "c"])}
    assert conf == {("a", "b"): 2, ("a", "c"): 1, ("(none)", "c"): 1}


def test_report_rejects_bad_shapes():
    from nlp.errors import UsageError

    with pytest.raises(UsageError):
        multilabel_report([[1, 0]], [[1, 0, 0]], ["a", "b"])


# --------------------------------------------------------------------------- agreement (textbook examples)

def test_cohen_kappa_textbook():
    # Cohen's kappa, the common two-rater yes/no table: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> 0.4
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)
    assert cohen_kappa([1, 0, 1], [1, 0, 1]) == 1.0


def test_krippendorff_alpha_textbook():
    # Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", example A: binary, 2 observers
    a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]
    assert krippendorff_alpha([a, b]) == pytest.approx(0.095, abs=5e-4)
    assert krippendorff_alpha([a, b]) == pytest.approx(1 - 19 * 4 / (14 * 6))
    # example C: nominal, 4 observers, missing data -> 0.743
    data = [[1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
            [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
            [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
            [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha([[1, 0, 1], [1, 0, 1]]) == 1.0
    assert math.isnan(krippendorff_alpha([[0, 0], [0, 0]])) and math.isnan(cohen_kappa([0, 0], [0, 0]))


def _write_jsonl(path, docs):
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")


@pytest.fixture()
def two_annotations(tmp_path):
    sents_a = [{"text": "가.", "dimensions": ["tech_platform"], "frames": []},
               {"text": "나.", "dimensions": ["tech_platform", "diplomacy_arms"], "frames": ["sovereignty"]},
               {"text": "다.", "dimensions": [], "frames": []},
               {"text": "라.", "dimensions": ["regulation_discourse"], "frames": ["human_security"]}]
    sents_b = [dict(s) for s in sents_a]
    sents_b[1] = {"text": "나.", "dimensions": ["tech_platform"], "frames": ["sovereignty"]}
    sents_b[2] = {"text": "다.", "dimensions": ["tech_platform"], "frames": []}
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _write_jsonl(a, [{"id": "d1", "sentences": sents_a}])
    _write_jsonl(b, [{"id": "d1", "sentences": sents_b}, {"id": "d2", "sentences": sents_b[:1]}])
    return a, b


def test_agreement_between_files(two_annotations):
    a, b = two_annotations
    res = agreement(a, b)
    assert res["n"] == 4 and res["only_in_a"] == 0 and res["only_in_b"] == 1
    tp = res["tasks"]["dimensions"]["labels"]["tech_platform"]
    # A: 1 1 0 0, B: 1 1 1 0 -> po = .75, pe = .5*.75 + .5*.25 = .5 -> kappa .5
    assert tp["kappa"] == 0.5 and tp["observed_agreement"] == 0.75
    assert tp["alpha"] == pytest.approx(krippendorff_alpha([[1, 1, 0, 0], [1, 1, 1, 0]]), abs=1e-4)
    assert res["tasks"]["frames"]["labels"]["sovereignty"]["kappa"] == 1.0
    assert res["tasks"]["dimensions"]["exact_set_agreement"] == 0.5
    # a label nobody used has undefined kappa, reported as null
    assert res["tasks"]["frames"]["labels"]["military_security"]["kappa"] is None
    assert "agreement" in render_table([res])


def test_agreement_tsv(tmp_path):
    head = "index\tstart\tend\tsha\tdimensions\tframes\tnote\n"
    (tmp_path / "a.tsv").write_text(head + "0\t0\t5\t\ttech_platform\t\t\n1\t6\t9\t\t\t\theading\n", encoding="utf-8")
    (tmp_path / "b.tsv").write_text(head + "0\t0\t5\t\ttech_platform,diplomacy_arms\t\t\n1\t6\t9\t\t\t\t\n",
                                    encoding="utf-8")
    res = agreement(tmp_path / "a.tsv", tmp_path / "b.tsv")
    assert res["n"] == 2
    assert res["tasks"]["dimensions"]["labels"]["tech_platform"]["observed_agreement"] == 1.0
    assert res["tasks"]["dimensions"]["labels"]["diplomacy_arms"]["positives_b"] == 1


# --------------------------------------------------------------------------- evaluation settings

class _Majority:
    """A trivial classifier: predicts each label's training prevalence."""

    backend = "majority"

    def __init__(self, task):
        from nlp.classify.base import task_labels

        self.task, self.labels = task, task_labels(task)

    def fit(self, items, Y):
        self.p_ = np.asarray(Y).mean(0)
        self.thresholds_ = np.full(len(self.labels), 0.3)
        return self

    def predict_proba(self, items):
        return np.tile(self.p_, (len(items), 1))


@pytest.fixture(scope="module")
def corpus_small():
    from nlp.classify.data import load_team_corpus

    return load_team_corpus(tokenize=False, max_docs_per_file=20)


def test_holdout_and_cv_plumbing(corpus_small):
    rep = evaluate_holdout(_Majority, "dimensions", corpus_small)
    n_test = rep["test"]["sentences"]
    assert rep["n"] == n_test and rep["train"]["sentences"] + n_test == len(corpus_small)
    assert set(rep["labels"]) == {"tech_platform", "regulation_discourse", "diplomacy_arms"}
    cv = evaluate_cv(_Majority, "frames", corpus_small, k=3)
    assert cv["n"] == len(corpus_small) and len(cv["folds"]["macro_f1"]) == 3
    # prevalence < 0.3 everywhere -> nothing predicted -> recall 0 for every frame
    assert all(s["recall"] == 0.0 for s in cv["labels"].values())
    res = [{"setting": "cv3", "task": "frames", "classifiers": {"majority": cv, "again": cv}}]
    table = render_table(res)
    assert "majority" in table and "again" in table and "macro avg" in table
    fields, rows = to_csv_rows(res)
    assert len(rows) == 2 * (9 + 2) and set(rows[0]) <= set(fields)


# --------------------------------------------------------------------------- CLI

def test_cli_agreement_csv_and_json(two_annotations, capsys, tmp_path):
    a, b = two_annotations
    assert main(["evaluate", "--agreement", str(a), str(b), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 12 and rows[0]["label"] == "tech_platform" and float(rows[0]["kappa"]) == 0.5
    out = tmp_path / "agree.json"
    assert main(["evaluate", "--agreement", str(a), str(b), "--format", "json", "--output", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["n"] == 4


def test_cli_errors_are_one_line(capsys, tmp_path):
    assert main(["evaluate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--test" in err
    assert main(["evaluate", "--test", "--classifiers", "rules,bogus"]) == 2
    assert "bogus" in capsys.readouterr().err
    assert main(["evaluate", "--agreement", str(tmp_path / "x.jsonl"), str(tmp_path / "y.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["train", "--tasks", "dimensions,actors", "--quiet"]) == 2
    assert "actors" in capsys.readouterr().err


def test_every_model_command_option_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("train", "evaluate"):
        p = sub.choices[name]
        assert p.description
        for action in p._actions:
            if action.dest != "help":
                assert action.help, f"{name} {action.option_strings} has no help text"


def test_agreement_of_the_team_corpus_and_the_second_pass():
    """The shipped second annotation pass aligns with the team corpus folder sentence by sentence."""
    from pathlib import Path

    from nlp.evaluate import agreement

    root = Path(__file__).resolve().parent.parent
    res = agreement(root / "corpus" / "team", root / "corpus" / "agreement" / "second_pass.jsonl")
    assert res["n"] == 340
    dims = res["tasks"]["dimensions"]
    assert set(dims["labels"]) == {"tech_platform", "regulation_discourse", "diplomacy_arms"}
    assert 0.8 <= dims["labels"]["tech_platform"]["kappa"] <= 1.0


def test_agreement_errors_are_one_line(tmp_path):
    import pytest

    from nlp.errors import InputError
    from nlp.evaluate import agreement

    (tmp_path / "x.bin").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="without .jsonl"):
        agreement(tmp_path, tmp_path)
