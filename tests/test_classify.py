"""Contract tests for every classifier backend, the data splits and the pipeline stage."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp.classify import BACKENDS, backend_class, load_model
from nlp.classify.base import SentenceItem, task_labels, tune_thresholds
from nlp.classify.data import (
    corpus_files,
    corpus_sha256,
    group_kfold,
    holdout_split,
    items_from_document,
    items_from_sentences,
    labels_matrix,
    load_team_corpus,
    stacked_targets,
)
from nlp.classify.stage import ClassifierStage
from nlp.errors import ModelError, UsageError

REPO = Path(__file__).resolve().parent.parent

# small, fast settings per backend (the shipped models use the defaults)
FAST = {"rules": {}, "linear": {"cv": 2, "min_df": 1}}


@pytest.fixture(scope="session")
def small():
    """The first 10 documents of each team file (about 300 sentences), tokenized."""
    return load_team_corpus(max_docs_per_file=10)


@pytest.fixture(scope="session")
def full_untokenized():
    return load_team_corpus(tokenize=False)


@pytest.fixture(scope="session")
def fitted(small):
    """One fitted classifier per (backend, task)."""
    out = {}
    for name in FAST:
        for task in ("dimensions", "frames"):
            clf = backend_class(name)(task=task, **FAST[name])
            out[name, task] = clf.fit(list(small.items), small.Y[task])
    return out


CASES = [(b, t) for b in FAST for t in ("dimensions", "frames")]  # transformer: tests/test_transformer.py


# --------------------------------------------------------------------------- interface contract

@pytest.mark.parametrize("backend,task", CASES)
def test_fit_predict_shapes(fitted, small, backend, task):
    clf = fitted[backend, task]
    n, n_labels = len(small), len(task_labels(task))
    proba = clf.predict_proba(list(small.items))
    assert proba.shape == (n, n_labels)
    assert proba.min() >= 0.0 and proba.max() <= 1.0
    pred = clf.predict(list(small.items))
    assert pred.shape == (n, n_labels) and set(np.unique(pred)) <= {0, 1}
    assert np.asarray(clf.thresholds_).shape == (n_labels,)
    assert clf.labels == task_labels(task)


@pytest.mark.parametrize("backend,task", CASES)
def test_predict_respects_thresholds(fitted, small, backend, task):
    clf = fitted[backend, task]
    items = list(small.items[:40])
    proba = clf.predict_proba(items)
    saved = clf.thresholds_
    try:
        clf.thresholds_ = np.full(len(clf.labels), 0.999999)
        assert clf.predict(items).sum() == int((proba >= 0.999999).sum())
        clf.thresholds_ = np.zeros(len(clf.labels))
        assert clf.predict(items).all()
        mid = np.linspace(0.2, 0.8, len(clf.labels))
        clf.thresholds_ = mid
        assert (clf.predict(items) == (proba >= mid[None, :])).all()
    finally:
        clf.thresholds_ = saved


@pytest.mark.parametrize("backend,task", CASES)
def test_save_load_identical(fitted, small, tmp_path, backend, task):
    clf = fitted[backend, task]
    clf.save(tmp_path / "m")
    again = load_model(tmp_path / "m", task=task)
    assert type(again) is type(clf)
    items = list(small.items[:60])
    assert np.array_equal(again.predict_proba(items), clf.predict_proba(items))
    assert np.array_equal(again.thresholds_, clf.thresholds_)
    # the folder holds JSON, npz and the linear model's feature lines only, and npz arrays load without pickle
    for f in (tmp_path / "m").iterdir():
        assert f.suffix in {".json", ".npz"} or (backend == "linear" and f.name == "features.txt")
        if f.suffix == ".npz":
            with np.load(f, allow_pickle=False) as z:
                assert all(z[k].dtype != object for k in z.files)


def test_backend_registry():
    from nlp.classify.base import SentenceClassifier

    assert set(FAST) <= set(BACKENDS)
    for name in BACKENDS:
        cls = backend_class(name)
        assert issubclass(cls, SentenceClassifier) and cls.backend == name


@pytest.mark.parametrize("backend", list(FAST))
def test_fit_returns_self_and_checks_y(small, backend):
    items = list(small.items[:30])
    clf = backend_class(backend)(task="dimensions", **FAST[backend])
    with pytest.raises(UsageError, match="shape"):
        clf.fit(items, small.Y["frames"][:30])
    with pytest.raises(UsageError, match="0 and 1"):
        clf.fit(items, small.Y["dimensions"][:30] * 2)
    with pytest.raises(ModelError, match="not fitted"):
        clf.predict_proba(items)


@pytest.mark.parametrize("backend", list(FAST))
def test_explain_lists_cues(fitted, backend):
    clf = fitted[backend, "frames"]
    item = items_from_sentences(["중국은 인공지능 자율살상무기 개발로 군비경쟁을 가속하고 있다."])[0]
    why = clf.explain(item, "military_security", k=3)
    assert 1 <= len(why) <= 4 and all(isinstance(w, str) for w in why)
    assert any(("군비" in w) or ("무기" in w) or ("살상" in w) for w in why), why
    with pytest.raises(ModelError, match="unknown frames label"):
        clf.explain(item, "tech_platform")


def test_rule_classifier_cues_are_data():
    """Cues live in models/cues.json, one entry per label of each task."""
    cues = json.loads((REPO / "models" / "cues.json").read_text(encoding="utf-8"))
    for task in ("dimensions", "frames"):
        assert set(cues[task]) == set(task_labels(task))
        for entry in cues[task].values():
            assert entry["morphemes"] or entry["text"]


def test_rule_morpheme_cue_does_not_match_inside_words(small):
    clf = backend_class("rules")("dimensions").fit(list(small.items), small.Y["dimensions"])
    j = clf.labels.index("regulation_discourse")
    a, b = items_from_sentences(["AI를 쓰는 방법이 다양하다.", "AI 법이 통과됐다."])
    assert not any("법 (" in w for w in clf.explain(a, "regulation_discourse"))
    assert any(w.startswith("법 (") for w in clf.explain(b, "regulation_discourse"))
    assert clf.predict_proba([b])[0, j] > clf.predict_proba([a])[0, j]


def test_linear_context_features_change_scores(small):
    """With context on, the previous sentence's words enter the features (prefixed prev:)."""
    clf = backend_class("linear")("dimensions", cv=0, min_df=1).fit(list(small.items), small.Y["dimensions"])
    assert any(f.startswith("prev:") for f in clf.features_)
    plain = SentenceItem("이는 불과 3년 전의 두 배가 넘는 수준이다.")
    ctx = SentenceItem(plain.text, prev_text="엔비디아의 AI 반도체 매출이 크게 늘었다.")
    assert not np.allclose(clf.predict_proba([plain]), clf.predict_proba([ctx]))
    off = backend_class("linear")("dimensions", cv=0, min_df=1, context=False).fit(
        list(small.items), small.Y["dimensions"])
    assert not any(f.startswith(("prev:", "next:")) for f in off.features_)
    assert np.allclose(off.predict_proba([plain]), off.predict_proba([ctx]))


def test_linear_document_features_change_scores(small, monkeypatch):
    """With doc_context on, a sentence's scores depend on its document's other sentences and its lead."""
    from nlp.classify.data import _tokenize_texts

    # neighbour context off: only the document blocks can carry the other sentences into the score
    clf = backend_class("linear")("frames", cv=0, min_df=1, context=False, doc_context=True).fit(
        list(small.items), small.Y["frames"])
    assert clf.doc_context and any(f.startswith("doc:") for f in clf.features_)
    assert any(f.startswith("lead:") for f in clf.features_)
    target = "정부는 내년 예산안을 이번 주에 발표할 예정이다."
    arms = ["미국과 중국이 AI 무기 개발 경쟁에 나섰다.", "국방부는 자율살상무기 배치를 검토한다.", target]
    farm = ["올해 쌀 수확량이 작년보다 늘었다.", "농민들은 가격 하락을 걱정한다.", target]
    p_arms = clf.predict_proba(items_from_sentences(arms, _tokenize_texts(arms)))[2]
    p_farm = clf.predict_proba(items_from_sentences(farm, _tokenize_texts(farm)))[2]
    assert np.abs(p_arms - p_farm).max() > 1e-3  # same sentence, other document: other scores
    # the once-per-document score equals the reference rows with the document blocks merged in
    items = items_from_sentences(arms, _tokenize_texts(arms))
    ref = clf._proba(clf._rows(clf._with_doc_blocks(items, clf._analyze(items)), clf.vocabulary_, clf.idf_),
                     clf.coef_, clf.intercept_)
    np.testing.assert_allclose(clf.predict_proba(items), ref, rtol=0, atol=1e-12)
    from nlp.classify import linear  # the compiled batch path adds the same document score

    monkeypatch.setattr(linear, "_COMPILE_MIN_ITEMS", 0)
    monkeypatch.setattr(linear, "_BATCH_CACHE", type(linear._BATCH_CACHE)())
    assert clf._compiled() is not None
    np.testing.assert_allclose(clf.predict_proba(items), ref, rtol=0, atol=1e-12)
    off = backend_class("linear")("frames", cv=0, min_df=1, context=False, doc_context=False).fit(
        list(small.items), small.Y["frames"])
    assert not any(f.startswith(("doc:", "lead:")) for f in off.features_)
    p_arms = off.predict_proba(items_from_sentences(arms, _tokenize_texts(arms)))[2]
    p_farm = off.predict_proba(items_from_sentences(farm, _tokenize_texts(farm)))[2]
    np.testing.assert_allclose(p_arms, p_farm, rtol=0, atol=1e-12)


def test_linear_model_saved_without_doc_context_loads_with_it_off(fitted, tmp_path):
    """model.json of models trained before document features existed has no doc_context: it loads off."""
    model = backend_class("linear")("dimensions", cv=0, min_df=1, doc_context=False)
    src = fitted["linear", "dimensions"]
    model.coef_, model.intercept_, model.idf_, model.thresholds_ = src.coef_, src.intercept_, src.idf_, src.thresholds_
    model._index = src._index
    model.save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text("utf-8"))
    for key in ("doc_context", "doc_weight", "lead_weight"):
        del meta["params"][key]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta), "utf-8")
    loaded = load_model(tmp_path / "m", task="dimensions")
    assert loaded.doc_context is False
    item = SentenceItem("미국은 반도체 수출통제를 강화했다.")
    np.testing.assert_allclose(loaded.predict_proba([item]), model.predict_proba([item]), rtol=0, atol=0)


def test_tune_thresholds_picks_best_f1():
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 0]])
    P = np.array([[0.8, 0.1], [0.4, 0.2], [0.3, 0.9], [0.1, 0.3]])
    t = tune_thresholds(Y, P)
    assert 0.3 < t[0] <= 0.4  # catches both positives, not the 0.3 negative
    assert 0.3 < t[1] <= 0.9
    assert tune_thresholds(np.zeros((3, 1)), np.ones((3, 1)))[0] == 0.5


def test_load_errors(tmp_path, fitted):
    with pytest.raises(ModelError, match="no model"):
        load_model(tmp_path / "missing")
    fitted["linear", "dimensions"].save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    meta["labels"] = meta["labels"][:-1]
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ModelError, match="do not match codebook"):
        load_model(tmp_path / "m")
    with pytest.raises(ModelError, match="unknown classifier backend"):
        backend_class("nope")


# --------------------------------------------------------------------------- data and splits

def test_corpus_loads_with_labels_and_context(full_untokenized):
    d = full_untokenized
    assert len(d) > 3000 and d.n_documents > 400
    assert d.Y["dimensions"].shape == (len(d), 3) and d.Y["frames"].shape == (len(d), 9)
    first = d.items[0]
    assert first.prev_text == "" and first.next_text == d.items[1].text and first.doc_id == d.items[1].doc_id
    assert len(d.data_hash) == 64


def test_labels_matrix_rejects_unknown():
    from nlp.errors import InputError

    with pytest.raises(InputError, match="unknown frames label"):
        labels_matrix([["tech_platform"]], "frames")


def test_corpus_hash_depends_on_content(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text("x\n", encoding="utf-8")
    h1 = corpus_sha256([a])
    a.write_text("y\n", encoding="utf-8")
    assert corpus_sha256([a]) != h1
    assert corpus_sha256(corpus_files()) == corpus_sha256(list(reversed(corpus_files())))


def test_holdout_split_by_document(full_untokenized):
    d = full_untokenized
    tr, te = holdout_split(d)
    assert len(set(tr) & set(te)) == 0 and len(tr) + len(te) == len(d)
    assert not set(d.doc_ids[tr]) & set(d.doc_ids[te])
    frac = len(set(d.doc_ids[te])) / d.n_documents
    assert 0.17 < frac < 0.23
    # every register/topic stratum is represented in the test part
    assert set(d.strata[te]) == set(d.strata)
    tr2, te2 = holdout_split(d)
    assert np.array_equal(te, te2)


def test_group_kfold_stratified_and_grouped(full_untokenized):
    d = full_untokenized
    Y = stacked_targets(d)
    folds = group_kfold(Y, d.doc_ids, k=5, seed=1)
    seen = np.concatenate([va for _, va in folds])
    assert sorted(seen.tolist()) == list(range(len(d)))
    for tr, va in folds:
        assert not set(d.doc_ids[tr]) & set(d.doc_ids[va])
        share = Y[va].sum(0) / Y.sum(0)
        assert (np.abs(share - 0.2) < 0.05).all(), share
    with pytest.raises(UsageError):
        group_kfold(Y[:3], ["a", "a", "b"], k=3)


# --------------------------------------------------------------------------- pipeline stage

def test_stage_writes_labels_scores_and_explanations(fitted, tmp_path):
    from nlp import Pipeline, document_from_text
    from nlp.tokenize import Tokenizer

    fitted["linear", "dimensions"].save(tmp_path / "dimensions")
    fitted["rules", "frames"].save(tmp_path / "frames")
    dims = ClassifierStage.default("dimensions", explain=True, path=tmp_path / "dimensions")
    frames = ClassifierStage.default("frames", explain=False, path=tmp_path / "frames")
    assert (dims.name, dims.requires, dims.assigns) == ("dimensions", ("sentences",), ("dimensions",))
    assert (frames.name, frames.assigns) == ("frames", ("frames",))
    pipe = Pipeline([Tokenizer(), dims, frames])
    text = "미국은 동맹국에 반도체 수출통제 동참을 요구했다. 중국은 AI 군비경쟁을 가속하고 있다."
    docs = list(pipe.pipe([document_from_text(text, "d1"), document_from_text("", "empty"),
                           document_from_text(text, "d2")]))
    assert [d.status for d in docs] == ["ok", "error", "ok"]
    d = docs[0]
    assert d.stages[-2:] == ("dimensions", "frames")
    assert d.models["dimensions"].startswith("linear-") and d.models["frames"].startswith("rules-")
    s = d.sentences[0]
    assert set(s.scores) == set(task_labels("dimensions")) | set(task_labels("frames"))
    assert all(round(v, 4) == v for v in s.scores.values())
    pred = dims.model.predict(items_from_document(d))
    for sent, row in zip(d.sentences, pred):
        assert sent.dimensions == tuple(lab for lab, v in zip(dims.model.labels, row) if v)
    for lab in s.dimensions:
        assert s.explanations[lab]
    assert not any(lab in s.explanations for lab in task_labels("frames"))
    assert docs[2].sentences[0].scores == s.scores  # batching does not change results
    one = dims(next(pipe.stages[0].pipe([document_from_text(text, "d3")])))  # the stage called on one document
    assert one.stages == ("repair", "tokenize", "dimensions")
    assert [x.dimensions for x in one.sentences] == [x.dimensions for x in d.sentences]


def test_stage_missing_model_is_one_line_error(tmp_path):
    with pytest.raises(ModelError) as exc:
        ClassifierStage.default("frames", path=tmp_path / "nothing")
    assert "\n" not in str(exc.value) and "kdiscourse train" in str(exc.value)
    with pytest.raises(ModelError, match="unknown task"):
        ClassifierStage.default("actors")


def test_shipped_models_load_and_match_corpus():
    for task in ("dimensions", "frames"):
        folder = REPO / "models" / task
        if not (folder / "model.json").exists():
            pytest.skip("shipped models not built yet (kdiscourse train)")
        clf = load_model(folder, task=task)
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
        assert metrics["training_data_sha256"] == clf.metadata_["training_data_sha256"]
        assert metrics["training_data_sha256"] == corpus_sha256(corpus_files()), \
            "corpus/team changed since the shipped model was trained; run `kdiscourse train`"
        assert sum(f.stat().st_size for f in folder.iterdir()) < 8_000_000


def test_tag_does_not_import_heavy_libraries(tmp_path):
    """`kdiscourse tag` must start fast: no pandas/torch/transformers (and no scikit-learn) on its path."""
    f = tmp_path / "in.txt"
    f.write_text("미국 상무부가 대중 수출통제를 강화했다.", encoding="utf-8")
    code = ("import sys, io, contextlib\n"
            "from nlp.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main(['tag', {str(f)!r}, '--format', 'json'])\n"
            "heavy = [m for m in ('pandas', 'torch', 'transformers', 'sklearn') if m in sys.modules]\n"
            "ours = sorted(m for m in sys.modules if m.startswith('nlp.'))\n"
            "print(rc, ','.join(heavy), ' '.join(ours))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    rc, heavy, ours = (out.stdout.strip().splitlines()[-1].split(" ", 2) + ["", ""])[:3]
    assert rc == "0"
    assert heavy == "", f"tag imported {heavy}; package modules loaded: {ours}"


def test_classifier_stages_import_no_heavy_libraries():
    """Building and running the classifier stages loads neither scikit-learn/scipy nor pandas/torch."""
    code = ("import sys\n"
            "from nlp import Pipeline, document_from_text\n"
            "p = Pipeline.default(['tokenize', 'dimensions', 'frames'], strict=True)\n"
            "d = p(document_from_text('미국 상무부가 대중 수출통제를 강화했다.'))\n"
            "assert d.ok and 'frames' in d.stages, d.error\n"
            "print(','.join(m for m in ('pandas', 'torch', 'transformers', 'sklearn', 'scipy') if m in sys.modules))\n")
    if not (REPO / "models" / "frames" / "model.json").exists():
        pytest.skip("shipped models not built yet (kdiscourse train)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_heading_blocks_get_no_label():
    """Codebook §2 rule 4: a title line is not labelled, even when its words are cue words."""
    from nlp import Pipeline, document_from_text

    text = "미중 반도체 수출통제와 군사 동맹 경쟁\n미국 상무부는 중국군의 무기 개발을 막으려고 첨단 반도체의 대중 수출을 금지했다."
    doc = Pipeline.default(["tokenize", "dimensions", "frames"], strict=True)(document_from_text(text, "h"))
    assert [p[2] for p in doc.paragraphs] == ["heading", "paragraph"]
    assert doc.sentences[0].dimensions == () and doc.sentences[0].frames == ()
    assert doc.sentences[0].scores  # the scores stay visible
    assert doc.sentences[1].dimensions


@pytest.mark.parametrize("task", ["dimensions", "frames"])
def test_compiled_features_give_the_reference_probabilities(task, monkeypatch):
    """The batch featuriser (nlp.classify.sparse) against the string features of _analyze/_rows."""
    from nlp.classify import linear
    from nlp.resources import models_dir

    model = load_model(models_dir() / task, task=task)
    texts = ["미국은 반도체 수출통제를 강화했다.", "중국 정부는 AI 칩 자립을 서두른다!", "EU도  규제 논의에 나섰다.",
             "부      칙", "(  ) 같은 기호만 — ?"]
    items = items_from_sentences(texts)  # no morphemes: both paths tokenize with Kiwi
    monkeypatch.setattr(linear, "_COMPILE_MIN_ITEMS", 0)
    monkeypatch.setattr(linear, "_BATCH_CACHE", type(linear._BATCH_CACHE)())
    fast = model.predict_proba(items)
    assert model._compiled() is not None
    ref = model._proba(model._rows(model._with_doc_blocks(items, model._analyze(items)), model.vocabulary_,
                                   model.idf_), model.coef_, model.intercept_)
    assert fast.shape == (len(texts), len(model.labels))
    np.testing.assert_allclose(fast, ref, rtol=0, atol=1e-12)
    assert ((fast >= model.thresholds_) == (ref >= model.thresholds_)).all()


def test_coo_proba_float32_weights_give_the_float64_bits():
    """``coo_proba`` gathers the saved float32 weights and multiplies in float64: the same bits as a float64 copy."""
    from nlp.classify.sparse import coo_proba

    rng = np.random.default_rng(7)
    W = rng.normal(size=(50, 4)).astype(np.float32)
    s = rng.integers(0, 6, 300)
    f = rng.integers(0, 50, 300)
    v = rng.random(300)
    b = rng.normal(size=4).astype(np.float32)
    as32 = coo_proba(6, (s, f, v), np.ascontiguousarray(W.T), b)
    as64 = coo_proba(6, (s, f, v), np.ascontiguousarray(W.T, dtype=np.float64), b)
    assert as32.dtype == np.float64 and np.array_equal(as32, as64)
    expected = 1 / (1 + np.exp(-(np.stack([np.bincount(s, weights=W[f, j].astype(np.float64) * v, minlength=6)
                                           for j in range(4)], axis=1) + b)))
    np.testing.assert_allclose(as32, expected, rtol=0, atol=1e-15)


def test_compiled_rows_read_pairs_morphemes_and_lists_alike():
    """The batch featuriser takes (form, tag) pairs as dictionary keys directly; Morpheme values and
    [form, tag] lists (JSON) must give the same rows."""
    from nlp.document import Morpheme
    from nlp.resources import models_dir

    model = load_model(models_dir() / "dimensions", task="dimensions")
    compiled = model._compiled()
    texts = ["미국은 반도체 수출통제를 강화했다.", "중국 정부는 새 규제를 내놓았다."]
    pairs = [(("미국", "NNP"), ("은", "JX"), ("반도체", "NNG"), ("수출", "NNG"), ("통제", "NNG"), ("를", "JKO"),
              ("강화", "NNG"), ("하", "XSV"), ("었", "EP"), ("다", "EF"), (".", "SF")),
             (("중국", "NNP"), ("정부", "NNG"), ("는", "JX"), ("새", "MM"), ("규제", "NNG"), ("를", "JKO"),
              ("내놓", "VV"), ("았", "EP"), ("다", "EF"), (".", "SF"), ("미등록어", "NNP"))]
    morphs = [tuple(Morpheme(f, t, k, k + 1) for k, (f, t) in enumerate(ms)) for ms in pairs]
    lists = [[[f, t] for f, t in ms] for ms in pairs]
    prev, nxt = [(), pairs[0]], [pairs[1], ()]
    want = compiled.rows(texts, pairs, prev, nxt)
    for own in (morphs, lists):
        got = compiled.rows(texts, own, prev, nxt)
        assert all(np.array_equal(a, b) for a, b in zip(got, want))
