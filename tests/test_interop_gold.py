"""The extended gold format: validation, round trip through files, and the existing loaders reading it."""

from __future__ import annotations

import json

import pytest

from nlp.classify.data import load_team_corpus
from nlp.errors import InputError
from nlp.evaluate import agreement as file_agreement
from nlp.evaluate import read_annotations
from nlp.interop.gold import GoldActor, GoldDocument, GoldSentence, gold_from_dict, read_gold, write_gold
from nlp.interop.scheme import codepoint_offset, resolve_actor, utf16_offset

S0 = "미국 상무부가 대중 수출통제를 강화했다."
S1 = "한국은 미중 사이에서 균형을 모색했다."


def _doc(annotator: str, frames0=("economic_security",)) -> GoldDocument:
    return GoldDocument("g-001", (
        GoldSentence(S0, ("regulation_discourse",), tuple(frames0), 0, 0, len(S0),
                     (GoldActor(0, 6, "US_COMMERCE", "agency", "US"), GoldActor(8, 10, "CN", "state", "CN"))),
        GoldSentence(S1, ("diplomacy_arms",), (), 1, len(S0) + 1, len(S0) + 1 + len(S1),
                     (GoldActor(0, 2, "KR", "state", "KR"), GoldActor(4, 6, "CN", "state", "CN"),
                      GoldActor(4, 6, "US", "state", "US"))),
    ), annotator, "news", "ai")


def test_write_read_round_trip_one_file_per_annotator(tmp_path):
    docs = [_doc("kim@example.org"), _doc("lee", frames0=())]
    paths = write_gold(docs, tmp_path)
    assert sorted(p.name for p in paths.values()) == ["kim@example.org.jsonl", "lee.jsonl"]
    back = read_gold(paths["kim@example.org"])
    assert back == [docs[0]]
    line = json.loads(paths["lee"].read_text(encoding="utf-8"))
    assert line["annotator"] == "lee" and line["register"] == "news"
    assert line["sentences"][1]["start"] == len(S0) + 1
    assert line["sentences"][1]["actors"][0] == {"start": 0, "end": 2, "id": "KR", "type": "state", "bloc": "KR"}


def test_gold_files_are_valid_team_corpus_for_the_existing_loaders(tmp_path):
    write_gold([_doc("kim")], tmp_path / "kim")
    data = load_team_corpus(tmp_path / "kim", tokenize=False)
    assert [it.text for it in data.items] == [S0, S1]
    assert data.Y["dimensions"].sum() == 2 and data.Y["frames"].sum() == 1
    ann = read_annotations(tmp_path / "kim" / "kim.jsonl")
    assert ann[("g-001", 1)] == {"dimensions": {"diplomacy_arms"}, "frames": set()}
    write_gold([_doc("lee", frames0=())], tmp_path / "lee")
    res = file_agreement(tmp_path / "kim" / "kim.jsonl", tmp_path / "lee" / "lee.jsonl")
    assert res["n"] == 2 and res["tasks"]["frames"]["labels"]["economic_security"]["positives_b"] == 0


def test_plain_team_corpus_reads_without_the_new_fields():
    docs = read_gold("corpus/team/news.jsonl")
    assert len(docs) > 5
    first = docs[0].sentences[0]
    assert first.start is None and first.actors is None and docs[0].annotator is None
    assert docs[0].register == "news"


@pytest.mark.parametrize("bad,needle", [
    ({"id": "x", "sentences": [{"text": S0, "dimensions": ["tech"], "frames": []}]}, "unknown dimensions"),
    ({"id": "x", "sentences": [{"text": S0, "start": 0, "end": 3}]}, "end - start = 3"),
    ({"id": "x", "sentences": [{"text": S0, "start": 0}]}, "go together"),
    ({"id": "x", "sentences": [{"text": S0, "actors": [{"start": 5, "end": 99, "id": "US", "type": "state",
                                                         "bloc": "US"}]}]}, "outside the sentence"),
    ({"id": "x", "sentences": [{"text": S0, "actors": [{"start": 0, "end": 2, "id": "US", "type": "country",
                                                         "bloc": "US"}]}]}, "actor type 'country'"),
    ({"sentences": []}, "needs 'id'"),
])
def test_invalid_gold_is_one_clear_error(bad, needle):
    with pytest.raises(InputError, match=needle):
        gold_from_dict(bad)


def test_utf16_offsets_round_trip_outside_the_bmp():
    text = "AI 🤖 규제와 𝐀𝐈 안보"
    for i in range(len(text) + 1):
        assert codepoint_offset(text, utf16_offset(text, i)) == i
    assert utf16_offset(text, text.index("규")) == text.index("규") + 1
    with pytest.raises(InputError, match="inside the character"):
        codepoint_offset(text, 4)


def test_actor_types_come_from_the_lexicon_else_from_the_tool():
    assert resolve_actor("HUAWEI") == ("company", "CN")
    assert resolve_actor("NEW_LAB", "company", "KR") == ("company", "KR")
    with pytest.raises(InputError, match="not in the lexicon"):
        resolve_actor("NEW_LAB", "lab", "KR")
