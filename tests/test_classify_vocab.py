"""The linear model's feature index and its feature file (nlp.classify.vocab, nlp.formats)."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from nlp.classify import load_model
from nlp.classify import vocab as vocab_module
from nlp.classify.base import SentenceItem
from nlp.classify.linear import LinearClassifier
from nlp.classify.vocab import FeatureIndex, features_digest, shared_index
from nlp.errors import ModelError
from nlp.formats import feature_file_bytes, write_feature_file

# feature strings of every kind the linear model makes, Korean and Latin, some sharing prefixes
FEATURES = sorted({
    "m:미국/NNP", "m:미국인/NNG", "m:중국/NNP", "m:반도체/NNG", "m:AI/SL", "m:규제/NNG", "m:하/XSV",
    "b:미국/NNP+중국/NNP", "b:반도체/NNG+수출/NNG", "b:AI/SL+칩/NNG",
    "c: 미", "c: 미국", "c:미국", "c:미국 ", "c:국 ", "c:반도", "c:도체", "c:ai", "c: ai ", "c:칩 ",
    "prev:미국/NNP", "next:중국/NNP", "next:수출/NNG", "c:a+b", "m:a+b/SW", "c:ab", "c:é", "c:z",
})


def _linear(features: list[str], seed: int = 3) -> LinearClassifier:
    """A linear dimensions model with the given features and random weights (no training, no Kiwi);
    the idf depends on the features only, the weights on ``seed``."""
    rng = np.random.default_rng(seed)
    clf = LinearClassifier("dimensions", context=True)
    L = len(clf.labels)
    clf._index = FeatureIndex.from_list(features)
    clf.idf_ = np.random.default_rng(len(features)).uniform(1.0, 3.0, len(features)).astype(np.float32)
    clf.coef_ = rng.normal(0, 1, (len(features), L)).astype(np.float32)
    clf.intercept_ = rng.normal(0, 0.3, L).astype(np.float32)
    clf.thresholds_ = np.full(L, 0.5)
    clf.metadata_ = {"codebook_version": "test", "n_features": len(features)}
    return clf


def _items() -> list[SentenceItem]:
    """Sentences with their morphemes given, so that no Kiwi is needed."""
    return [
        SentenceItem("미국 AI 칩", (("미국", "NNP"), ("AI", "SL"), ("칩", "NNG")),
                     extra={"prev_morphemes": (("중국", "NNP"),), "next_morphemes": (("수출", "NNG"),)}),
        SentenceItem("반도체 규제", (("반도체", "NNG"), ("수출", "NNG"), ("규제", "NNG"))),
        SentenceItem("없는 말", (("없", "VA"), ("는", "ETM"), ("말", "NNG"))),
    ]


def test_binary_search_answers_like_the_dict():
    blob = feature_file_bytes(FEATURES)
    ix = FeatureIndex.from_lines(blob, sorted_lines=True)
    assert len(ix) == len(FEATURES) and ix.digest == features_digest(FEATURES)
    queries = FEATURES + ["c:미", "m:미국/NN", "m:미국/NNPX", "", "zzz", "c: 미국 ", "a", "m:\udcff/SL"]
    for q in queries:
        expected = FEATURES.index(q) if q in FEATURES else None
        assert ix.get(q) == expected, q
    assert ix._dict is None  # all of that without building the dict
    assert [ix[i] for i in range(len(ix))] == FEATURES and ix[-1] == FEATURES[-1]
    with pytest.raises(IndexError):
        ix[len(FEATURES)]
    assert ix.tolist() == FEATURES and ix.todict() == {f: i for i, f in enumerate(FEATURES)}


def test_many_lookups_switch_to_the_dict(monkeypatch):
    monkeypatch.setattr(vocab_module, "DICT_AFTER", 5)
    ix = FeatureIndex.from_lines(feature_file_bytes(FEATURES), sorted_lines=True)
    answers = [ix.get(f) for f in FEATURES]
    assert answers == list(range(len(FEATURES)))
    assert ix._dict is not None and ix._lookups == 5


def test_unsorted_lines_are_looked_up_in_the_dict():
    unsorted = ["m:하/XSV", "c:미국", "b:a/SL+b/SL", "c:가"]
    ix = FeatureIndex.from_lines(feature_file_bytes(unsorted), sorted_lines=False)
    assert [ix.get(f) for f in unsorted] == [0, 1, 2, 3] and ix.get("c:나") is None


def test_random_features_agree_with_the_dict():
    rng = random.Random(7)
    alphabet = "가나다라미국중AIaz +/:é"
    feats = sorted({"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(3000)})
    ix = FeatureIndex.from_lines(feature_file_bytes(feats), sorted_lines=True)
    truth = {f: i for i, f in enumerate(feats)}
    for _ in range(3000):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
        assert ix.get(q) == truth.get(q), q


def test_feature_file_round_trip_gives_the_same_probabilities(tmp_path):
    clf = _linear(FEATURES)
    clf.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert "features" not in meta and meta["features_file"] == "features.txt"
    assert meta["features_count"] == len(FEATURES) and meta["features_sorted"] is True
    assert (tmp_path / "m" / "features.txt").read_text(encoding="utf-8") == "".join(f + "\n" for f in FEATURES)
    again = load_model(tmp_path / "m", task="dimensions")
    assert again._index._dict is None and again._index._list is None  # loaded lazily
    items = _items()
    assert np.array_equal(again.predict_proba(items), clf.predict_proba(items))
    assert again.explain(items[0], "tech_platform", 3) == clf.explain(items[0], "tech_platform", 3)
    assert again.features_ == FEATURES and again.vocabulary_ == clf.vocabulary_


def test_models_with_one_feature_file_share_the_index(tmp_path):
    _linear(FEATURES, seed=1).save(tmp_path / "a")
    _linear(FEATURES, seed=2).save(tmp_path / "b")
    a, b = load_model(tmp_path / "a"), load_model(tmp_path / "b")
    assert a._index is b._index and not np.array_equal(a.coef_, b.coef_)
    assert a._feature_space() == b._feature_space()  # same features and idf: one row cache for both
    other = FEATURES[:-1]
    _linear(other).save(tmp_path / "c")
    assert load_model(tmp_path / "c")._index is not a._index


def test_features_no_line_can_hold_stay_inline(tmp_path):
    odd = sorted(FEATURES + ["c:두\n줄"])
    assert feature_file_bytes(odd) is None and write_feature_file(tmp_path, odd) is None
    clf = _linear(odd)
    clf.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert meta["features"] == odd and not (tmp_path / "m" / "features.txt").exists()
    again = load_model(tmp_path / "m")
    assert again.features_ == odd
    assert np.array_equal(again.predict_proba(_items()), clf.predict_proba(_items()))


def test_models_saved_with_inline_features_still_load(tmp_path):
    clf = _linear(FEATURES)
    clf.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    for key in ("features_file", "features_sha256", "features_count", "features_sorted"):
        del meta[key]
    meta["features"] = FEATURES
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "m" / "features.txt").unlink()
    again = load_model(tmp_path / "m")
    assert again.features_ == FEATURES
    assert np.array_equal(again.predict_proba(_items()), clf.predict_proba(_items()))


def test_a_changed_or_missing_feature_file_is_a_model_error(tmp_path):
    _linear(FEATURES).save(tmp_path / "m")
    path = tmp_path / "m" / "features.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0], lines[1] = lines[1], lines[0]  # same features, other rows: the weights would not match
    path.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    with pytest.raises(ModelError, match="sha256"):
        load_model(tmp_path / "m")
    path.unlink()
    with pytest.raises(ModelError, match="feature file missing"):
        load_model(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    meta["features_file"] = "../elsewhere.txt"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="outside the model folder"):
        load_model(tmp_path / "m")
    del meta["features_file"]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="neither a 'features' list nor a 'features_file'"):
        load_model(tmp_path / "m")


def test_a_wrong_count_is_a_model_error(tmp_path):
    _linear(FEATURES).save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    meta["features_count"] += 1
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="features_count"):
        load_model(tmp_path / "m")


def test_shared_index_checks_the_digest():
    blob = feature_file_bytes(FEATURES)
    with pytest.raises(ModelError, match="sha256"):
        shared_index(blob, "0" * 64, True, "x/features.txt")
    ix = shared_index(blob, features_digest(FEATURES), True)
    assert shared_index(bytes(blob), features_digest(FEATURES), True) is ix


def test_a_loaded_model_copies_and_pickles(tmp_path):
    import copy
    import pickle

    _linear(FEATURES).save(tmp_path / "m")
    model = load_model(tmp_path / "m")
    for other in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert other._index.tolist() == FEATURES and other._index.get("c:미국") == FEATURES.index("c:미국")
        assert np.array_equal(other.predict_proba(_items()), model.predict_proba(_items()))
