"""The resolver's cue words are data (models/actor_cues.tsv): validation and user copies."""

import pytest

from nlp import LexiconError, Pipeline, document_from_text
from nlp.actors import ActorStage
from nlp.lexicon import default_cues_path, load_actor_cues, parse_actor_cues


def test_shipped_cues_cover_every_rule():
    cues = load_actor_cues()
    assert cues.mapping("abbreviation")["中"] == "CN"
    assert cues.mapping("toward_ambiguous") == {"대중": "CN", "대미": "US"}
    assert "의회" in cues.words("mi_office") and "규제" in cues.words("regulatory_cue")
    assert sum(len(v) for v in cues.entries.values()) >= 150


@pytest.mark.parametrize("line,needle", [
    ("toward_triger\t수출", "unknown cue kind 'toward_triger'"),
    ("mi_office\t ", "empty cue"),
    ("abbreviation\t미", "needs a value"),
    ("abbreviation\t미\tus", "not an actor id"),
    ("mi_office\t의회\tUS", "takes no value"),
    ("modifier_suffix\t산업", "must be one character"),
    ("mi_office", "got 1 column"),
    ("relation_noun\t관계\nrelation_noun\t관계", "already given on line 2"),
])
def test_cue_file_errors_name_file_and_line(tmp_path, line, needle):
    f = tmp_path / "cues.tsv"
    f.write_text("# my cues\n" + line + "\n", encoding="utf-8")
    with pytest.raises(LexiconError) as err:
        parse_actor_cues(f)
    message = str(err.value)
    assert needle in message and "\n" not in message
    assert f"{f}:{line.count(chr(10)) + 2}" in message


def test_user_copy_of_the_cues_changes_the_rule(tmp_path):
    f = tmp_path / "cues.tsv"
    f.write_text(default_cues_path().read_text(encoding="utf-8") + "toward_trigger\t원조\n", encoding="utf-8")
    tok = Pipeline.default(["tokenize"])
    doc = tok(document_from_text("정부는 대중 원조를 늘렸다.", "t"))
    shipped = ActorStage()(doc)
    mine = ActorStage(cues_path=str(f))(doc)
    assert [m.actor for m in shipped.mentions] == []
    assert [(m.text, m.actor, m.rule) for m in mine.mentions] == [("대중", "CN", "toward")]
