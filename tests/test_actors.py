"""Actor recognition: every hard case of codebook §3 has its own test."""

import sys
from pathlib import Path

import pytest

from nlp import LexiconError, Pipeline, document_from_text
from nlp.lexicon import load_lexicon

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
from eval_actors import load_hardcases, parse_marked, prf  # noqa: E402


@pytest.fixture(scope="module")
def actors_pipe():
    return Pipeline.default(["tokenize", "actors"], strict=True)


def mentions(pipe, text):
    doc = pipe(document_from_text(text, "t"))
    return [(m.text, m.actor) for m in doc.mentions]


def test_particles(actors_pipe):
    assert mentions(actors_pipe, "미국이 앞서고 미국의 기업과 미국은 물론 중국에서도 중국으로부터 배운다.") == [
        ("미국", "US"), ("미국", "US"), ("미국", "US"), ("중국", "CN"), ("중국", "CN")]


def test_compounds_one_mention_per_actor(actors_pipe):
    got = mentions(actors_pipe, "미중 갈등과 미·중 협상, 한미 동맹, 한·미 공조, 한미일 협력, 한중일 정상회의가 이어졌다.")
    assert got == [("미중", "US"), ("미중", "CN"), ("미·중", "US"), ("미·중", "CN"), ("한미", "KR"), ("한미", "US"),
                   ("한·미", "KR"), ("한·미", "US"), ("한미일", "KR"), ("한미일", "US"), ("한미일", "JP"),
                   ("한중일", "KR"), ("한중일", "CN"), ("한중일", "JP")]
    doc = actors_pipe(document_from_text("미중 경쟁", "t"))
    assert {(m.start, m.end) for m in doc.mentions} == {(0, 2)}


def test_agency_absorbs_state(actors_pipe):
    assert mentions(actors_pipe, "미 상무부가 발표했다.") == [("미 상무부", "US_COMMERCE")]
    assert mentions(actors_pipe, "미국 상무부와 중국 상무부가 맞섰다.") == [
        ("미국 상무부", "US_COMMERCE"), ("중국 상무부", "CN_MOFCOM")]


def test_nested_mentions_on_request():
    pipe = Pipeline.default(["tokenize", "actors"], strict=True, nested=True)
    got = mentions(pipe, "미국 상무부가 발표했다.")
    assert ("미국 상무부", "US_COMMERCE") in got and ("미국", "US") in got


def test_bare_agency_takes_context(actors_pipe):
    doc = actors_pipe(document_from_text("미국은 새 규정을 내놓았다. 상무부는 이를 집행한다.", "t"))
    assert [(m.text, m.actor, m.rule) for m in doc.mentions][-1] == ("상무부", "US_COMMERCE", "lexicon:ctx")
    doc = actors_pipe(document_from_text("중국 당국은 반발했다. 상무부는 보복 조치를 예고했다.", "t"))
    assert doc.mentions[-1].actor == "CN_MOFCOM"


def test_daejung_toward_china_vs_public(actors_pipe):
    assert mentions(actors_pipe, "대중 수출통제와 대중 제재, 대중 투자 제한이 늘었다.") == [
        ("대중", "CN"), ("대중", "CN"), ("대중", "CN")]
    assert mentions(actors_pipe, "대중국 견제가 강해졌다.") == [("대중국", "CN")]
    assert mentions(actors_pipe, "일반 대중은 대중 문화와 대중교통에 관심이 많다.") == []


def test_plain_jung_and_mi_are_not_actors(actors_pipe):
    assert mentions(actors_pipe, "회의 중 그중 하나가 미래의 미흡한 점을 지적했다.") == []
    assert mentions(actors_pipe, "美 의회와 中 정부가 움직였다.")[0] == ("美 의회", "US_CONGRESS")
    assert ("中 정부", "CN") in mentions(actors_pipe, "美 의회와 中 정부가 움직였다.") or \
        ("中", "CN") in mentions(actors_pipe, "美 의회와 中 정부가 움직였다.")


def test_europe_only_in_regulatory_context(actors_pipe):
    assert mentions(actors_pipe, "유럽의 AI 규제가 기업에 부담이다.") == [("유럽", "EU")]
    assert mentions(actors_pipe, "여름에 유럽 여행을 다녀왔다.") == []
    assert mentions(actors_pipe, "유럽연합(EU)은 AI법을 시행한다.") == [("유럽연합(EU)", "EU")]


def test_products_resolve_to_company(actors_pipe):
    assert mentions(actors_pipe, "챗GPT와 클로드, 하이퍼클로바X, CUDA가 경쟁한다.") == [
        ("챗GPT", "OPENAI"), ("클로드", "ANTHROPIC"), ("하이퍼클로바X", "NAVER"), ("CUDA", "NVIDIA")]
    assert mentions(actors_pipe, "H100과 어센드 칩의 성능을 비교했다.") == []


def test_epithet_target_is_not_a_mention(actors_pipe):
    assert mentions(actors_pipe, "'중국판 구글' 바이두가 반격했다.") == [("중국", "CN"), ("바이두", "BAIDU")]


def test_demonyms_languages_and_names_starting_with_a_state(actors_pipe):
    # names starting with a state name are not that state (a lexicon may list them as their own id)
    got = mentions(actors_pipe, "미국인 관광객이 중국어 교재를 샀고 한국노총과 한국수력원자력도 참석했다.")
    assert all(text in ("한국노총", "한국수력원자력") and actor not in ("US", "CN", "KR") for text, actor in got)
    assert mentions(actors_pipe, "중국 기업은 미국 내 공장과 중국산 부품을 늘렸다.") == [
        ("중국", "CN"), ("미국", "US"), ("중국", "CN")]


def test_latin_names_and_longest_match(actors_pipe):
    assert mentions(actors_pipe, "U.S. 정책과 OpenAI, NVIDIA의 칩") == [
        ("U.S.", "US"), ("OpenAI", "OPENAI"), ("NVIDIA", "NVIDIA")]
    assert mentions(actors_pipe, "삼성전자와 SK하이닉스, 국가AI위원회") == [
        ("삼성전자", "SAMSUNG"), ("SK하이닉스", "SK_HYNIX"), ("국가AI위원회", "KR_AI_COMMITTEE")]


def test_mention_fields_and_raw_offsets(actors_pipe):
    raw = "  미국은\r\n중국을 견제한다."
    doc = actors_pipe(document_from_text(raw, "t"))
    m = doc.mentions[1]
    assert (m.actor, m.type, m.bloc, m.sentence, m.rule) == ("CN", "state", "CN", 1, "lexicon")
    assert raw[m.raw_start:m.raw_end] == "중국"
    assert doc.text[m.start:m.end] == "중국"


def test_hardcase_gold_set_f1(actors_pipe):
    root = Path(__file__).resolve().parent.parent
    items = load_hardcases(root / "corpus" / "actors" / "hardcases.txt")
    assert len(items) >= 300
    tp = fp = fn = 0
    for (_hid, _text, gold), doc in zip(items, actors_pipe.pipe(document_from_text(t, h) for h, t, _ in items)):
        pred = {(m.start, m.end, m.actor) for m in doc.mentions}
        g = set(gold)
        tp += len(g & pred)
        fp += len(pred - g)
        fn += len(g - pred)
    assert prf(tp, fp, fn)[2] >= 0.95


def test_parse_marked():
    assert parse_marked("[한미일|KR,US,JP] 협력") == ("한미일 협력", [(0, 3, "KR"), (0, 3, "US"), (0, 3, "JP")])


def test_lexicon_size_and_codebook_inventory():
    lex = load_lexicon()
    assert len(lex) >= 250
    for aid, atype, bloc in [("US", "state", "US"), ("OPENAI", "company", "US"), ("HUAWEI", "company", "CN"),
                             ("TSMC", "company", "other"), ("UN", "intl_org", "multilateral"),
                             ("BRI", "intl_org", "CN"), ("CHIP4", "intl_org", "US"),
                             ("US_COMMERCE", "agency", "US"), ("KR_AI_COMMITTEE", "agency", "KR")]:
        a = lex.actors[aid]
        assert (a.type, a.bloc) == (atype, bloc)


@pytest.mark.parametrize("row,needle", [
    ("X1\tplanet\tUS\t화성\t\t\t\t", "unknown type 'planet'"),
    ("X1\tstate\tMars\t화성\t\t\t\t", "unknown bloc 'Mars'"),
    ("X1\tcompany\tUS\t미국\t\t\t\t", "already claimed by US"),
    ("X1\tcompany\tUS\t가||나\t\t\t\t", "empty alias"),
])
def test_user_lexicon_errors_name_the_line(tmp_path, row, needle):
    f = tmp_path / "my.tsv"
    f.write_text("id\ttype\tbloc\tnames_ko\tnames_en\taliases\tcontext\tnote\n" + row + "\n", encoding="utf-8")
    with pytest.raises(LexiconError) as err:
        load_lexicon(str(f))
    assert needle in str(err.value) and f"{f}:2" in str(err.value)


def test_user_lexicon_adds_actor(tmp_path, capsys):
    from nlp.cli import main

    f = tmp_path / "my.tsv"
    f.write_text("id\ttype\tbloc\tnames_ko\tnames_en\taliases\tcontext\tnote\n"
                 "KR_KISDI\tagency\tKR\t정보통신정책연구원\tKISDI\t\t\t\n", encoding="utf-8")
    doc = tmp_path / "d.txt"
    doc.write_text("정보통신정책연구원은 미국의 정책을 분석했다.", encoding="utf-8")
    rc = main(["tag", str(doc), "--lexicon", str(f), "--stages", "tokenize,actors"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "정보통신정책연구원->KR_KISDI/agency/KR" in out and "미국->US/state/US" in out


def test_inlined_ai_gloss_is_accepted(actors_pipe):
    """인공지능(AI) written inside a name matches the lexicon's 인공지능 form."""
    assert mentions(actors_pipe, "유엔 인공지능(AI) 고위급 자문기구가 보고서를 냈다.") == [
        ("유엔 인공지능(AI) 고위급 자문기구", "UN_AI_ADVISORY_BODY")]
