"""Open-world actors (issue 12): unlisted names, in-document coreference, context scopes.

Every sentence here is our own.
"""

import json

import pytest

from nlp import Pipeline, document_from_text
from nlp.actors.names import generated_id, is_generated
from nlp.document import Document
from nlp.lexicon import load_lexicon


@pytest.fixture(scope="module")
def pipe():
    return Pipeline.default(["tokenize", "actors"], strict=True)


def found(pipe, text):
    doc = pipe(document_from_text(text, "t"))
    return [(m.text, m.actor, m.type, m.bloc, m.rule, m.known) for m in doc.mentions]


def test_generated_ids_never_look_like_lexicon_ids():
    assert generated_id("company", "즈후아") == "~company:즈후아"
    assert all(not is_generated(aid) for aid in load_lexicon().actors)


def test_korean_person_with_title_and_surname_coreference(pipe):
    got = found(pipe, "김도윤 과기정통부 장관은 서하준 의원과 만났다. 김 장관은 이어 예산안을 설명했다.")
    assert got == [
        ("김도윤", "~person:김도윤", "person", "KR", "open:person", False),
        ("과기정통부", "KR_MSIT", "agency", "KR", "lexicon", True),
        ("서하준", "~person:서하준", "person", "KR", "open:person", False),
        ("김", "~person:김도윤", "person", "KR", "coref:surname", False),
    ]


def test_surname_shared_by_two_people_stays_unresolved(pipe):
    got = found(pipe, "김도윤 장관과 김서연 의원이 만났다. 김 장관은 말을 아꼈다.")
    assert [g[1] for g in got] == ["~person:김도윤", "~person:김서연"]


def test_foreign_person_takes_the_bloc_of_the_state_before_the_title(pipe):
    got = found(pipe, "브라이언 콜드웰 미국 상무장관은 새 규정을 설명했다. 콜드웰 장관은 질문을 받지 않았다.")
    assert got == [("브라이언 콜드웰", "~person:브라이언_콜드웰", "person", "US", "open:person", False),
                   ("미국", "US", "state", "US", "lexicon", True),
                   ("콜드웰", "~person:브라이언_콜드웰", "person", "US", "coref:surname", False)]
    got = found(pipe, "리처드 콜먼 의원과 마크 워런 상원의원이 법안을 냈다. 워런 의원은 반대했다.")
    assert [(g[0], g[1], g[4]) for g in got] == [
        ("리처드 콜먼", "~person:리처드_콜먼", "open:person"),
        ("마크 워런", "~person:마크_워런", "open:person"),
        ("워런", "~person:마크_워런", "coref:surname"),
    ]


def test_one_foreign_word_before_a_title_is_not_a_person(pipe):
    assert found(pipe, "퀀트로닉스 대표는 투자를 늘렸다.") == []


def test_bracket_acronym_used_alone_later(pipe):
    got = found(pipe, "미래기술진흥원(FTPI)은 보고서를 냈다. 이어 FTPI는 후속 연구를 예고했다.")
    assert got == [
        ("미래기술진흥원(FTPI)", "~agency:미래기술진흥원", "agency", "KR", "open:org", False),
        ("FTPI", "~agency:미래기술진흥원", "agency", "KR", "coref:abbrev", False),
    ]


def test_bracket_acronym_of_a_lexicon_name_keeps_the_lexicon_id(pipe):
    got = found(pipe, "과학기술정보통신부(MSITX)는 계획을 밝혔다. MSITX는 예산도 늘린다.")
    assert [(g[0], g[1], g[4], g[5]) for g in got] == [
        ("과학기술정보통신부(MSITX)", "KR_MSIT", "bracket", True), ("MSITX", "KR_MSIT", "coref:abbrev", True)]


def test_short_form_after_the_full_name(pipe):
    got = found(pipe, "국립미래기술진흥원은 성명을 냈다. 미래기술진흥원은 정부에 건의했다.")
    assert [(g[0], g[1], g[3], g[4]) for g in got] == [
        ("국립미래기술진흥원", "~agency:국립미래기술진흥원", "KR", "open:org"),
        ("미래기술진흥원", "~agency:국립미래기술진흥원", "KR", "coref:short"),
    ]


def test_associations_named_after_a_state_are_not_actors(pipe):
    """한국…협회 follows the blockers' rule: no KR mention and no open-world name."""
    assert found(pipe, "한국인공지능협회는 성명을 냈다.") == []


def test_unlisted_name_before_a_bracketed_lexicon_alias_is_that_actor(pipe):
    got = found(pipe, "미국 국방첨단연구계획국(DARPA)은 자율비행 연구를 지원한다.")
    assert got == [("미국 국방첨단연구계획국(DARPA)", "US_DARPA", "agency", "US", "bracket-alias", True)]


def test_hangul_short_form_defined_in_brackets(pipe):
    got = found(pipe, "중앙재난안전대책본부(중대본)는 회의를 열었다. 이어 중대본은 대응 단계를 높였다.")
    assert [(g[0], g[1], g[4]) for g in got] == [
        ("중앙재난안전대책본부(중대본)", "~agency:중앙재난안전대책본부", "open:org"),
        ("중대본", "~agency:중앙재난안전대책본부", "coref:abbrev")]
    got = found(pipe, "가온미래위원회(이하 미래위)는 출범했다. 미래위는 첫 회의를 열었다.")
    assert [(g[0], g[4]) for g in got] == [("가온미래위원회(이하 미래위)", "open:org"), ("미래위", "coref:abbrev")]


def test_names_listed_before_one_title(pipe):
    got = found(pipe, "서하준·김도윤, 박서연 의원이 법안을 냈다.")
    assert [(g[0], g[1], g[4]) for g in got] == [
        ("서하준", "~person:서하준", "open:person"), ("김도윤", "~person:김도윤", "open:person"),
        ("박서연", "~person:박서연", "open:person")]


def test_chinese_firm_in_transliteration_takes_its_bloc_from_context(pipe):
    got = found(pipe, "중국 AI 스타트업 즈후아는 새 모델을 공개했다.")
    assert got == [("중국", "CN", "state", "CN", "lexicon", True),
                   ("즈후아", "~company:즈후아", "company", "CN", "open:company", False)]
    got = found(pipe, "미국 반도체 업체 퀀트로닉스는 공장을 늘렸다.")
    assert got[-1][1:4] == ("~company:퀀트로닉스", "company", "US")


def test_organisations_by_form(pipe):
    """Without a nationality next to them, unlisted names take the home bloc (KR)."""
    got = found(pipe, "프랑스 디지털부와 한빛테크, 누리랩스가 협약을 맺었다.")
    assert [(g[0], g[2], g[3], g[4]) for g in got] == [
        ("프랑스", "state", "other", "lexicon"), ("디지털부", "agency", "other", "open:org"),
        ("한빛테크", "company", "KR", "open:org"), ("누리랩스", "company", "KR", "open:org")]


def test_local_governments_and_us_states(pipe):
    got = found(pipe, "수원시와 성남시, 강남구, 양평군이 참여했고 텍사스주와 캘리포니아 주도 비슷한 법을 만들었다.")
    assert [(g[0], g[1], g[3], g[4]) for g in got] == [
        ("수원시", "~agency:수원시", "KR", "open:local"), ("성남시", "~agency:성남시", "KR", "open:local"),
        ("강남구", "~agency:강남구", "KR", "open:local"), ("양평군", "~agency:양평군", "KR", "open:local"),
        ("텍사스주", "~agency:텍사스주", "US", "open:us-state"),
        ("캘리포니아 주", "~agency:캘리포니아주", "US", "open:us-state")]


@pytest.mark.parametrize("text", [
    "내부 검토 결과 전부는 아니지만 일부 세부 항목의 여부가 정해졌다.",
    "정부는 간부 회의에서 본부와 지부의 요청을 받아들였다.",
    "그는 시청 대신 근처 카페에서 출처를 확인하고 대처 방안을 정리했다.",
    "당시 행정부와 지도부, 사령부는 연구 요구를 외면했다.",
    "중앙부처와 지방자치단체는 바우처 예산을 늘렸다.",
    "업계 대표와 회사 대표는 시장 상황을 논의했다.",
    "유럽 시장 진출을 노리는 기업 8곳이 모였다.",
    "윤리위원회와 자문위원회, 특별위원회가 잇달아 열렸다.",
    "시스템반도체와 차량용반도체, AI반도체 수요가 늘었다.",
    "선임연구원과 책임연구원이 공동 연구를 맡았다.",
    "국내 기업 대부분은 외국 기업 유치에 관심이 없다.",
])
def test_tricky_non_actor_sentences_give_no_mention(pipe, text):
    assert found(pipe, text) == []


def test_known_flag_in_json_round_trip(pipe):
    doc = pipe(document_from_text("중국 AI 스타트업 즈후아는 새 모델을 공개했다.", "t"))
    data = json.loads(doc.to_json())
    assert [m["known"] for m in data["mentions"]] == [True, False]
    back = Document.from_dict(data)
    assert [m.known for m in back.mentions] == [True, False]
    old = dict(data, mentions=[{k: v for k, v in m.items() if k != "known"} for m in data["mentions"]])
    assert all(m.known for m in Document.from_dict(old).mentions)


def test_open_world_can_be_switched_off():
    from nlp.actors import ActorStage

    tok = Pipeline.default(["tokenize"])
    doc = tok(document_from_text("중국 AI 스타트업 즈후아는 새 모델을 공개했다.", "t"))
    assert [m.actor for m in ActorStage(open_world=False)(doc).mentions] == ["CN"]


# ---------------------------------------------------------------- context of bare agency names
def test_bare_foreign_ministry_in_a_korean_text_is_korea(pipe):
    assert found(pipe, "외교부는 한미 협력을 강조했다.")[0][1] == "KR_MOFA"
    got = found(pipe, "중국 외교부는 반발했다. 한국 정부는 유감을 표했다. 외교부는 대응책을 내놓았다.")
    assert got[-1][:2] == ("외교부", "KR_MOFA")


def test_bare_foreign_ministry_after_chinas_is_china(pipe):
    # next sentence
    assert found(pipe, "중국 외교부는 반발했다. 외교부 대변인은 미국을 비난했다.")[1][1] == "CN_MFA"
    # same paragraph, two sentences later, with the US named in between
    got = found(pipe, "중국 외교부는 반발했다. 미국은 침묵했다. 시장은 요동쳤다. 외교부 대변인은 미국을 비난했다.")
    assert ("외교부", "CN_MFA", "agency", "CN", "lexicon:ctx", True) in got
    # a later paragraph: the document named China's ministry explicitly
    got = found(pipe, "중국 외교부는 반발했다.\n\n시장은 요동쳤다. 외교부 대변인은 다시 비난했다.")
    assert got[-1][:2] == ("외교부", "CN_MFA")


def test_bare_commerce_department_takes_the_paragraph_state(pipe):
    got = found(pipe, "미국은 새 수출 규정을 내놓았다. 업계는 반발했다. 전문가들은 우려했다. 상무부는 이를 집행한다.")
    assert got[-1][:2] == ("상무부", "US_COMMERCE")
    # a new paragraph without any state: no guess
    assert found(pipe, "업계는 반발했다.\n\n상무부는 이를 집행한다.") == []


def test_developing_countries_camp(pipe):
    got = found(pipe, "개발도상국 진영과 개도국 진영은 같은 말이다.")
    assert [(g[0], g[1], g[2]) for g in got] == [
        ("개발도상국 진영", "GLOBAL_SOUTH", "camp"), ("개도국 진영", "GLOBAL_SOUTH", "camp")]
    assert found(pipe, "개도국들은 AI 격차를 우려했다.") == []


def test_kim_daepyo_after_the_full_name(pipe):
    got = found(pipe, "김도윤 누리랩스 대표는 투자 유치를 발표했다. 김 대표는 해외 진출도 예고했다.")
    assert [(g[0], g[1], g[3], g[4]) for g in got] == [
        ("김도윤", "~person:김도윤", "KR", "open:person"),
        ("누리랩스", "~company:누리랩스", "KR", "open:org"),
        ("김", "~person:김도윤", "KR", "coref:surname"),
    ]
