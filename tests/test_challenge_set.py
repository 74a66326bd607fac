"""The lens-presence challenge set (corpus/challenge): valid team format, kept out of training, agreement as reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlp.classify.data import corpus_files, load_team_corpus
from nlp.evaluate import agreement

REPO = Path(__file__).resolve().parent.parent
CHALLENGE = REPO / "corpus" / "challenge"
SECOND = REPO / "corpus" / "agreement" / "second_pass_targeted2.jsonl"

pytestmark = pytest.mark.skipif(not CHALLENGE.is_dir(), reason="run from a checkout (corpus/ is not installed)")


def test_challenge_files_load_and_hold_the_documented_counts():
    d = load_team_corpus(CHALLENGE, tokenize=False)
    assert d.n_documents == 184 and len(d) == 1349
    dims = d.Y["dimensions"].any(1)
    framed = d.Y["frames"].any(1)
    assert int(dims.sum()) == 990 and int(framed.sum()) == 387
    assert not (framed & ~dims).any()  # a frame needs a dimension (codebook)
    # the point of the set: most on-topic sentences carry no frame (README: 60.9%)
    assert round(1 - framed.sum() / dims.sum(), 3) == 0.609


def test_challenge_set_is_not_training_data():
    names = {p.name for p in corpus_files()}
    assert not {p.name for p in CHALLENGE.glob("*.jsonl")} & names
    assert not any(n.startswith("targeted2") for n in names)


def test_blind_second_pass_agreement_matches_the_readme():
    res = agreement(CHALLENGE, SECOND)
    assert res["n"] == 185 and res["only_in_b"] == 0
    assert res["tasks"]["dimensions"]["mean_kappa"] == pytest.approx(0.933, abs=5e-4)
    assert res["tasks"]["frames"]["mean_kappa"] == pytest.approx(0.971, abs=5e-4)
    assert res["tasks"]["frames"]["exact_set_agreement"] == pytest.approx(0.978, abs=5e-4)
