"""Transformer backend on a tiny offline BERT (built from the team corpus by scripts/build_tiny_model.py)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from nlp.classify.base import SentenceItem, task_labels  # noqa: E402
from nlp.classify.transformer import TransformerClassifier  # noqa: E402
from nlp.errors import ModelError, UsageError  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
N_SENTENCES = 200


def _load_script():
    spec = importlib.util.spec_from_file_location("build_tiny_model", REPO / "scripts" / "build_tiny_model.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    return _load_script().build(tmp_path_factory.mktemp("tiny") / "bert")


@pytest.fixture(scope="session")
def corpus_items():
    labels = task_labels("dimensions")
    items, rows = [], []
    for f in sorted((REPO / "corpus" / "team").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            for s in doc["sentences"]:
                items.append(SentenceItem(s["text"], doc_id=doc["id"]))
                rows.append([int(lab in s["dimensions"]) for lab in labels])
    # every 2nd sentence: a spread over all registers, still ~200 sentences
    idx = list(range(0, len(items), 2))[:N_SENTENCES]
    return [items[i] for i in idx], np.asarray([rows[i] for i in idx])


@pytest.fixture(scope="session")
def fitted(tiny_model_dir, corpus_items):
    items, Y = corpus_items
    clf = TransformerClassifier(str(tiny_model_dir), task="dimensions", epochs=2, lr=1e-3, batch_size=32,
                                max_length=64, seed=7)
    return clf.fit(items, Y)


def test_tiny_model_is_safetensors_bert(tiny_model_dir):
    cfg = json.loads((tiny_model_dir / "config.json").read_text())
    assert (cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]) == (64, 2, 2)
    assert 1000 < cfg["vocab_size"] <= 4000
    assert (tiny_model_dir / "model.safetensors").is_file()
    assert not list(tiny_model_dir.glob("*.bin"))


def test_fit_records_history_thresholds_and_truncation(fitted, corpus_items):
    items, _ = corpus_items
    assert 1 <= len(fitted.history_) <= 2
    assert all(np.isfinite(r["val_loss"]) for r in fitted.history_)
    assert fitted.metadata_["n_validation"] >= 0.1 * len(items)
    assert fitted.metadata_["n_train"] + fitted.metadata_["n_validation"] == len(items)
    assert fitted.thresholds_.shape == (3,)
    assert ((fitted.thresholds_ >= 0.1) & (fitted.thresholds_ <= 0.9)).all()
    assert isinstance(fitted.truncated_, int) and 0 <= fitted.truncated_ < len(items)


def test_truncation_is_counted(fitted):
    long = SentenceItem("반도체 수출통제 " * 80 + "강화했다.")
    fitted.predict_proba([long, SentenceItem("짧은 문장이다.")])
    assert fitted.last_truncated_ == 1


def test_predict_proba_shape_range_and_thresholds(fitted, corpus_items):
    items, _ = corpus_items
    proba = fitted.predict_proba(items[:40])
    assert proba.shape == (40, 3)
    assert ((proba >= 0) & (proba <= 1)).all()
    assert np.array_equal(fitted.predict(items[:40]), (proba >= fitted.thresholds_[None, :]).astype(int))
    saved = fitted.thresholds_
    try:
        fitted.thresholds_ = np.array([0.0, 1.01, 0.0])
        assert fitted.predict(items[:40])[:, [0, 2]].all() and not fitted.predict(items[:40])[:, 1].any()
    finally:
        fitted.thresholds_ = saved


def test_batch_size_does_not_change_predictions(fitted, corpus_items):
    items, _ = corpus_items
    a = fitted.predict_proba(items[:20])
    fitted.batch_size, saved = 3, fitted.batch_size
    try:
        b = fitted.predict_proba(items[:20])
    finally:
        fitted.batch_size = saved
    assert np.allclose(a, b, atol=1e-5)


def test_each_row_is_predicted_alone_as_in_a_batch(fitted, corpus_items):
    # predict_proba sorts by length and puts rows back: row i must be item i's probabilities
    items, _ = corpus_items
    subset = [items[i] for i in (5, 0, 17, 3, 11)]
    together = fitted.predict_proba(subset)
    alone = np.vstack([fitted.predict_proba([it]) for it in subset])
    assert np.allclose(together, alone, atol=1e-5)
    assert len({round(float(p), 6) for p in together[:, 0]}) > 1  # rows differ, so a mix-up would show


def test_trim_padding_cuts_to_the_longest_row_and_keeps_left_padding():
    import torch

    from nlp.classify.transformer import _trim_padding

    ids = torch.tensor([[5, 6, 7, 0, 0], [5, 6, 0, 0, 0]])
    mask = (ids > 0).long()
    out = _trim_padding({"input_ids": ids, "attention_mask": mask}, torch.device("cpu"))
    assert out["input_ids"].tolist() == [[5, 6, 7], [5, 6, 0]] and out["attention_mask"].shape == (2, 3)
    left = {"input_ids": ids.flip(1), "attention_mask": mask.flip(1)}
    assert _trim_padding(left, torch.device("cpu"))["input_ids"].shape == (2, 5)


def test_freeze_layers_keeps_lower_blocks_fixed(tiny_model_dir, corpus_items):
    from safetensors.torch import load_file

    items, Y = corpus_items
    clf = TransformerClassifier(str(tiny_model_dir), task="dimensions", epochs=1, lr=1e-2, batch_size=32,
                                max_length=64, seed=7, freeze_layers=2).fit(items[:80], Y[:80])
    start = {k.removeprefix("bert."): v for k, v in load_file(tiny_model_dir / "model.safetensors").items()}
    now = {k.removeprefix("bert."): v for k, v in clf.model_.state_dict().items()}

    def changed(prefix):
        keys = [k for k in start if k.startswith(prefix) and k in now and "position_ids" not in k]
        assert keys, prefix
        return any(not np.allclose(start[k].numpy(), now[k].numpy()) for k in keys)

    assert not changed("embeddings.") and not changed("encoder.layer.0.")  # blocks 1-2: embeddings, layer 1
    assert changed("encoder.layer.1.")
    with pytest.raises(UsageError, match="exceeds"):
        TransformerClassifier(str(tiny_model_dir), task="dimensions", epochs=1, freeze_layers=4).fit(
            items[:80], Y[:80])


def test_save_load_round_trip(fitted, corpus_items, tmp_path):
    items, _ = corpus_items
    fitted.save(tmp_path / "m", metrics={"micro_f1": 0.5}, training_data_sha256="ab" * 32)
    meta = json.loads((tmp_path / "m" / "kdiscourse_meta.json").read_text())
    assert meta["task"] == "dimensions" and meta["labels"] == list(task_labels("dimensions"))
    assert meta["metrics"] == {"micro_f1": 0.5} and meta["training_data_sha256"] == "ab" * 32
    assert (tmp_path / "m" / "model.safetensors").is_file() and (tmp_path / "m" / "tokenizer.json").is_file()
    loaded = TransformerClassifier.load(tmp_path / "m")
    assert loaded.version == "transformer-abababab"
    assert np.allclose(loaded.predict_proba(items), fitted.predict_proba(items), atol=1e-6)
    assert np.array_equal(loaded.predict(items), fitted.predict(items))
    assert np.array_equal(loaded.thresholds_, fitted.thresholds_)


def test_missing_path_is_model_error(tmp_path):
    with pytest.raises(ModelError, match="directory missing"):
        TransformerClassifier.load(tmp_path / "nope")
    clf = TransformerClassifier(str(tmp_path / "no-checkpoint"), epochs=1)
    with pytest.raises(ModelError, match="no checkpoint at"):
        clf.fit([SentenceItem("가.")], np.zeros((1, 3), dtype=int))


def test_directory_without_config_is_model_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="config.json missing"):
        TransformerClassifier.load(tmp_path / "empty")


def test_plain_pretrained_checkpoint_is_refused(tiny_model_dir):
    # a bare BERT (no problem_type / id2label / kdiscourse_meta.json) is a starting point, not a classifier
    with pytest.raises(ModelError, match="problem_type is None"):
        TransformerClassifier.load(tiny_model_dir)


def test_mismatched_labels_are_refused(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    cfg_file = tmp_path / "m" / "config.json"
    cfg = json.loads(cfg_file.read_text())
    cfg["id2label"] = {"0": "a", "1": "b", "2": "c"}
    cfg_file.write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="id2label"):
        TransformerClassifier.load(tmp_path / "m")
    (tmp_path / "m" / "kdiscourse_meta.json").unlink()
    with pytest.raises(ModelError, match="kdiscourse_meta.json missing"):
        TransformerClassifier.load(tmp_path / "m")


def test_pickle_weights_are_never_loaded(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").rename(tmp_path / "m" / "pytorch_model.bin")
    with pytest.raises(ModelError, match="model.safetensors missing"):
        TransformerClassifier.load(tmp_path / "m")


def test_explain_returns_words(fitted, corpus_items):
    items, _ = corpus_items
    out = fitted.explain(items[0], "tech_platform", k=3)
    assert len(out) <= 3 and all("(" in s for s in out)


def test_tag_does_not_import_torch():
    code = ("import sys\nfrom nlp.cli import main\n"
            "rc = main(['tag', 'corpus/samples/sample_ko.txt', '--stages', 'tokenize'])\n"
            "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
            "print('HEAVY', heavy, file=sys.stderr)\nsys.exit(rc or (3 if heavy else 0))\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in r.stderr, r.stderr[-2000:]
    assert r.returncode == 0, r.stderr[-2000:]


def test_evaluate_puts_transformer_next_to_linear_and_rules(tiny_model_dir, tmp_path, capsys):
    """`kdiscourse evaluate` trains all three backends on the same split and reports them side by side."""
    from nlp.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = []
    for f in sorted((REPO / "corpus" / "team").glob("*.jsonl")):
        lines += f.read_text(encoding="utf-8").splitlines()[:12]  # 12 documents per register file
    (corpus / "small.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "metrics.json"
    rc = main(["evaluate", "--classifiers", "rules,linear,transformer", "--tasks", "dimensions", "--test",
               "--corpus", str(corpus), "--format", "json", "--output", str(out), "--quiet",
               "--param", f"transformer.model_name_or_path={tiny_model_dir}", "--param", "transformer.epochs=1",
               "--param", "transformer.max_length=64", "--param", "linear.cv=3"])
    assert rc == 0, capsys.readouterr().err
    text = out.read_text(encoding="utf-8")
    for backend in ("rules", "linear", "transformer"):
        assert f'"{backend}"' in text
    assert '"macro"' in text


def test_balanced_pos_weight_lifts_a_rare_label(tiny_model_dir, corpus_items):
    """With one rare label (diplomacy_arms kept on one sentence in ten positives), "balanced" weighs
    its positives up: after the same training its mean probability on those positives is higher."""
    items, Y = corpus_items
    Y = Y.copy()
    rare = np.flatnonzero(Y[:, 2])
    Y[rare[rare % 10 != 0], 2] = 0  # keep about a tenth of diplomacy_arms' positives
    assert 1 <= Y[:, 2].sum() <= 0.05 * len(Y)

    def mean_positive_proba(pos_weight):
        clf = TransformerClassifier(str(tiny_model_dir), task="dimensions", epochs=1, lr=1e-3, batch_size=32,
                                    max_length=64, seed=7, pos_weight=pos_weight).fit(items, Y)
        return clf, float(clf.predict_proba([items[i] for i in np.flatnonzero(Y[:, 2])])[:, 2].mean())

    plain_clf, plain = mean_positive_proba(None)
    balanced_clf, balanced = mean_positive_proba("balanced")
    assert balanced > plain + 0.05, (plain, balanced)
    assert balanced_clf._params()["pos_weight"] == "balanced" and plain_clf._params()["pos_weight"] is None
    with pytest.raises(UsageError, match="pos_weight"):
        TransformerClassifier(str(tiny_model_dir), task="dimensions", pos_weight="auto").fit(items[:40], Y[:40])
