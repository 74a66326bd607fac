"""Sentence selection for annotation: the ranking rules on small arrays, and ``select`` end to end."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

from nlp.cli import interop as cli
from nlp.errors import UsageError
from nlp.interop.select import binary_entropy, select, select_from_documents

LABELS = ["tech_platform", "sovereignty", "military_security"]


def test_most_uncertain_first_then_another_document():
    P = np.array([[0.5, 0.1, 0.1], [0.5, 0.1, 0.1], [0.9, 0.1, 0.1], [0.3, 0.1, 0.1]])
    pred = P >= 0.5
    got = select(P, pred, ["a", "a", "b", "c"], LABELS, 3, rare_weight=0.0, labelset_decay=1.0)
    # 0 and 1 tie on uncertainty; once one is taken the other is halved (same document), so c's 0.3 comes next
    assert got[0].position in (0, 1) and [c.position for c in got][1:] == [3, 2]
    assert got[0].uncertainty == pytest.approx(float(binary_entropy(P[0]).mean()), abs=1e-6)


def test_rare_frame_is_favoured_over_a_common_one():
    # rows 0 and 1 are equally uncertain; row 0 may carry sovereignty, which nobody is predicted to have,
    # row 1 military_security, which most of the pool carries
    P = np.array([[0.2, 0.4, 0.0], [0.2, 0.0, 0.4], [0.0, 0.0, 0.9], [0.0, 0.0, 0.9], [0.0, 0.0, 0.9]])
    pred = P >= 0.5
    got = select(P, pred, ["a", "b", "c", "d", "e"], LABELS, 1)
    assert got[0].position == 0 and got[0].rare_label == "sovereignty"
    assert got[0].rarity == pytest.approx(0.4)
    no_bonus = select(P, pred, ["a", "b", "c", "d", "e"], LABELS, 5, rare_weight=0.0, labelset_decay=1.0)
    assert no_bonus[0].score == pytest.approx(no_bonus[1].score, abs=1e-6)  # only the tie-break separates them


def test_same_predicted_label_set_is_penalised():
    P = np.array([[0.6, 0.4, 0.4], [0.6, 0.4, 0.4], [0.4, 0.6, 0.3]])
    pred = P >= 0.5
    u = binary_entropy(P).mean(1)
    got = select(P, pred, ["a", "b", "c"], LABELS, 2, rare_weight=0.0, doc_decay=1.0, labelset_decay=0.5)
    assert u[2] < u[0]
    assert [c.position for c in got][1] == 2  # 1 repeats 0's label set {tech_platform}: its score is halved


def test_selection_is_reproducible_and_validated():
    rng = np.random.default_rng(3)
    P = rng.random((40, 3))
    groups = [f"d{i % 7}" for i in range(40)]
    a = select(P, P > 0.5, groups, LABELS, 10, seed=5)
    assert a == select(P, P > 0.5, groups, LABELS, 10, seed=5)
    assert len({c.position for c in a}) == 10
    assert len(select(P, P > 0.5, groups, LABELS, 100)) == 40
    with pytest.raises(UsageError, match="same candidates"):
        select(P, P[:, :2] > 0.5, groups, LABELS, 3)
    with pytest.raises(UsageError, match="1 or more"):
        select(P, P > 0.5, groups, LABELS, 0)


DOCS = {
    "s-001": "미국은 동맹국에 대중 반도체 수출통제 동참을 요구했다. 네덜란드와 일본이 장비 수출을 제한했다. "
             "중국은 희토류 수출 규제로 맞섰다.",
    "s-002": "중국은 자체 AI 칩 개발로 기술 자립을 서두르고 있다. 화웨이는 새 가속기를 내놓았다.",
    "s-003": "유엔 총회는 군사 AI의 책임 있는 이용에 관한 결의를 채택했다. 한국은 공동 제안국으로 참여했다.",
}


@pytest.fixture(scope="module")
def tagged(pipeline):
    from nlp import document_from_text

    return [pipeline(document_from_text(t, i)) for i, t in DOCS.items()]


def test_select_command_exports_only_the_chosen_sentences(tagged, tmp_path, capsys):
    src = tmp_path / "tagged.jsonl"
    src.write_text("".join(d.to_json() + "\n" for d in tagged), encoding="utf-8")
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["select", str(src), "--n", "3", "--to", "label-studio", "--out", str(tmp_path / "b"),
                              "--doc-decay", "0.001"])
    assert args.func(args) == 0
    assert "selected 3 sentence(s) from 3 document(s)" in capsys.readouterr().out
    tasks = json.loads((tmp_path / "b" / "tasks.json").read_text(encoding="utf-8"))
    rows = [json.loads(x) for x in (tmp_path / "b" / "selection.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["rank"] for r in rows] == [1, 2, 3]
    assert {(t["data"]["doc_id"], t["data"]["sentence"]) for t in tasks} == {(r["doc_id"], r["sentence"]) for r in rows}
    assert len({r["doc_id"] for r in rows}) == 3  # one per document first: the strong document decay at work
    selection, report = select_from_documents(tagged, 3, doc_decay=0.001)
    assert [(r["doc_id"], r["sentence"]) for r in report] == [(r["doc_id"], r["sentence"]) for r in rows]
    assert sorted(selection) == sorted(DOCS)
    scores = [r["score"] for r in report]
    assert scores == sorted(scores, reverse=True)  # greedy: each pick is the best of what is left


def test_documents_without_scores_cannot_be_ranked(tagged):
    from dataclasses import replace

    bare = [replace(tagged[0], sentences=tuple(replace(s, scores={}) for s in tagged[0].sentences))]
    with pytest.raises(UsageError, match="no scores"):
        select_from_documents(bare, 2)
