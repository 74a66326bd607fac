import pytest

from nlp import Document, Pipeline, PipelineError, Stage, document_from_text


class NeedsMentions(Stage):
    name = "needs"
    requires = ("mentions",)
    assigns = ("x",)


def test_missing_prerequisite_is_an_assembly_error():
    with pytest.raises(PipelineError, match="requires mentions"):
        Pipeline([NeedsMentions()])


def test_unknown_stage_name():
    with pytest.raises(PipelineError, match="unknown stage"):
        Pipeline.default(["tokenize", "sentiment"])


def test_tokenize_sentences_offsets(tokenizer_only):
    text = "미국은 오픈AI를 앞세웠다. 중국은 딥시크로 맞섰다.\n국가AI위원회는 회의를 열었다."
    doc = tokenizer_only(document_from_text(text, "t"))
    assert [s.text for s in doc.sentences] == ["미국은 오픈AI를 앞세웠다.", "중국은 딥시크로 맞섰다.", "국가AI위원회는 회의를 열었다."]
    assert [s.paragraph for s in doc.sentences] == [0, 0, 1]
    forms = [m.form for m in doc.sentences[0].morphemes]
    assert "오픈AI" in forms  # the lexicon's user dictionary keeps it one token
    assert "국가AI위원회" in [m.form for m in doc.sentences[2].morphemes]
    for s in doc.sentences:
        for m in s.morphemes:
            if m.tag.startswith("NN"):
                assert text[m.start:m.end] == m.form


def test_batch_equals_single(tokenizer_only):
    texts = ["미국과 중국이 경쟁한다. 한국은 고민한다.", "유럽연합은 규제를 만든다.", "일본도 투자한다. 대만은 칩을 만든다."]
    single = [tokenizer_only(document_from_text(t, str(i))) for i, t in enumerate(texts)]
    batch = list(tokenizer_only.pipe(document_from_text(t, str(i)) for i, t in enumerate(texts)))
    assert [d.to_dict() for d in single] == [d.to_dict() for d in batch]


def test_error_documents_pass_through(tokenizer_only):
    bad = document_from_text("   ", "e")
    out = list(tokenizer_only.pipe([bad, document_from_text("미국.", "ok")]))
    assert out[0].status == "error" and out[0].sentences == ()
    assert out[1].status == "ok" and len(out[1].sentences) == 1


def test_json_round_trip(tokenizer_only):
    doc = tokenizer_only(document_from_text("미국과 중국이 경쟁한다.", "r"))
    back = Document.from_dict(doc.to_dict(morphemes=True))
    assert back.to_dict(morphemes=True) == doc.to_dict(morphemes=True)


def test_morphemes_form_tags_match_the_morphemes_before_and_after_they_are_made():
    """``Morphemes.form_tags()`` (what the classifiers read) gives the (form, tag) of each morpheme, the
    same tuple on every call, whether the Morpheme values were made first or not."""
    from collections import namedtuple

    from nlp.document import Morpheme
    from nlp.tokenize import Morphemes

    Tok = namedtuple("Tok", "form tag start len")
    toks = [Tok("미국", "NNP", 0, 2), Tok("은", "JX", 2, 1), Tok("강하", "VA", 4, 2), Tok("다", "EF", 6, 1)]
    first = Morphemes(toks, 10)
    pairs = first.form_tags()
    assert pairs == (("미국", "NNP"), ("은", "JX"), ("강하", "VA"), ("다", "EF"))
    assert first.form_tags() is pairs
    assert list(first) == [Morpheme("미국", "NNP", 10, 12), Morpheme("은", "JX", 12, 13),
                           Morpheme("강하", "VA", 14, 16), Morpheme("다", "EF", 16, 17)]
    later = Morphemes(toks, 10)
    made = tuple(later)
    assert later.form_tags() == pairs == tuple((m.form, m.tag) for m in made)
