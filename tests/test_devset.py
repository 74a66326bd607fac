"""Tests for the development-set library and the agreement in scripts/devset.py (our own sentences)."""

import importlib.util
import json
from pathlib import Path

import pytest

from nlp.devset import load_devset, looks_complete, sentence_sha

ROOT = Path(__file__).resolve().parent.parent


def _script():
    spec = importlib.util.spec_from_file_location("devset_script", ROOT / "scripts" / "devset.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sha_ignores_whitespace_only():
    a = sentence_sha("정부는 국산 AI 반도체를 키운다.")
    assert a == sentence_sha("정부는 국산 AI\n반도체를   키운다.")
    assert a != sentence_sha("정부는 국산 AI 반도체를 키웠다.")
    assert len(a) == 16 and int(a, 16) >= 0


@pytest.mark.parametrize("text,done", [("미국이 규제를 강화했다.", True), ("“주권이 중요하다”", True),
                                       ("국가 전략을 발표함", True), ("중국은 자체 칩을", False)])
def test_looks_complete(text, done):
    assert looks_complete(text) is done


def test_load_devset_groups_and_orders(tmp_path):
    assert load_devset(tmp_path) is None
    rows = [{"doc": "d1", "index": 1, "text": "둘째 문장이다.", "dimensions": [], "frames": [], "actors": []},
            {"doc": "d1", "index": 0, "text": "한국이 GPU를 확보했다.", "dimensions": ["tech_platform"],
             "frames": [], "actors": [{"start": 0, "end": 2, "id": "KR", "type": "state", "bloc": "KR"}]}]
    (tmp_path / "sentences.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows),
                                              encoding="utf-8")
    docs = load_devset(tmp_path)
    assert [s["index"] for s in docs[0]["sentences"]] == [0, 1]
    assert docs[0]["sentences"][0]["actors"][0]["id"] == "KR"


def test_shorthand_actor_offsets():
    mod = _script()
    lex = mod.lexicon_actors()
    sent = "미중 갈등 속에 미국과 과학기술정보통신부가 움직였다."
    both = mod.parse_actor("미중=US,CN", sent, lex, "t")
    assert [(m["start"], m["end"], m["id"]) for m in both] == [(0, 2, "US"), (0, 2, "CN")]
    second = mod.parse_actor("미국=US", sent, lex, "t")[0]
    assert sent[second["start"]:second["end"]] == "미국"
    agency = mod.parse_actor("과학기술정보통신부=~/agency/KR", sent, lex, "t")[0]
    assert agency["id"] is None and agency["name"] == "과학기술정보통신부" and agency["bloc"] == "KR"
    with pytest.raises(mod.DevsetError):
        mod.parse_actor("일본=JP", sent, lex, "t")


def test_agreement_counts():
    mod = _script()

    def rec(labels, actors):
        return [{"url": "u", "sentences": [{"sha": str(i), "dimensions": d, "frames": [], "actors": a}
                                           for i, (d, a) in enumerate(zip(labels, actors))]}]
    kr = {"start": 0, "end": 2, "id": "KR"}
    us = {"start": 0, "end": 2, "id": "US"}
    first = rec([["tech_platform"], [], ["tech_platform"], []], [[kr], [], [], []])
    second = rec([["tech_platform"], [], [], []], [[us], [], [], []])
    res = mod.agreement(first, second)
    assert res["sentences"] == 4
    assert res["tasks"]["dimensions"]["labels"]["tech_platform"]["kappa"] == 0.5
    assert res["tasks"]["dimensions"]["exact_match"] == 0.75
    assert res["actors_span_id"]["f1"] == 0.0 and res["actors_span_only"]["f1"] == 1.0


def test_segment_drops_the_cut_last_sentence():
    from nlp import Pipeline
    from nlp.devset import segment_excerpt

    pipe = Pipeline.default(stages=("tokenize",), strict=True)
    excerpt = "정부는 GPU 3만 장을 확보한다.\n업계는 환영했다. 다만 전력 공급이"
    sents = segment_excerpt(excerpt, pipe)
    assert [excerpt[s["start"]:s["end"]] for s in sents] == ["정부는 GPU 3만 장을 확보한다.", "업계는 환영했다."]
    assert all(s["sha"] == sentence_sha(s["text"]) for s in sents)
    dotted = segment_excerpt("중국은 자체 칩을 늘린다.\n미국은 통제를 강화..", pipe)
    assert [s["text"] for s in dotted] == ["중국은 자체 칩을 늘린다."]


def test_validate_record_names_each_problem():
    mod = _script()
    lex = mod.lexicon_actors()
    excerpt = "미국은 수출통제를 강화했다. 한국은 GPU를 늘린다."
    good = {"id": "dev-x-001", "url": "u", "query": "q", "outlet": "예시", "register": "news", "year": 2025,
            "topic": "ai", "annotator": "A",
            "sentences": [{"start": 0, "end": 15, "sha": sentence_sha(excerpt[0:15]),
                           "dimensions": ["regulation_discourse"], "frames": [],
                           "actors": [{"start": 0, "end": 2, "id": "US", "type": "state", "bloc": "US"}]}]}
    assert mod.validate_record(good, lex, {"u": [{"excerpt": excerpt}]}) == []
    bad = json.loads(json.dumps(good))
    bad["register"] = "tweet"
    bad["sentences"][0]["frames"] = ["cyber"]
    bad["sentences"][0]["actors"][0].update(end=40, bloc="CN")
    bad["sentences"][0]["sha"] = "0" * 16
    problems = " | ".join(mod.validate_record(bad, lex, {"u": [{"excerpt": excerpt}]}))
    for needle in ("register 'tweet'", "unknown frame 'cyber'", "outside the sentence", "differ from the lexicon",
                   "hash does not match"):
        assert needle in problems


def test_pair_files_pairs_each_second_pass_with_the_documents_it_relabels(tmp_path):
    mod = _script()

    def write(name, ids):
        (tmp_path / name).write_text("".join(json.dumps({"id": i}) + "\n" for i in ids), encoding="utf-8")
    write("documents_c.jsonl", ["dev-c-001", "dev-c-002"])
    write("documents_d.jsonl", ["dev-d-001"])
    write("second_pass_c.jsonl", ["dev-d-001"])
    write("second_pass_d.jsonl", ["dev-c-002"])
    pairs = [(p.name, q.name) for p, q in mod.pair_files(tmp_path)]
    assert pairs == [("documents_d.jsonl", "second_pass_c.jsonl"), ("documents_c.jsonl", "second_pass_d.jsonl")]
