"""Actor rules added from the real-text error list (issue 12, second round).

Every sentence here is our own; each rule is checked in both directions (it fires where it
should and stays silent on a look-alike).
"""

import pytest

from nlp import Pipeline, document_from_text


@pytest.fixture(scope="module")
def pipe():
    return Pipeline.default(["tokenize", "actors"], strict=True)


def found(pipe, text):
    doc = pipe(document_from_text(text, "t"))
    return [(m.text, m.actor) for m in doc.mentions]


def ids(pipe, text):
    return [m[1] for m in found(pipe, text)]


# ---------------------------------------------------------------------------- bare ministries in a list
def test_listed_ministry_takes_the_bloc_of_its_neighbours(pipe):
    text = ("중국 업체의 앱이 논란이 됐다. 국방부, 외교부, 행정안전부는 업무용 PC에서 그 앱을 막았다.")
    assert ("국방부", "KR_MND") in found(pipe, text)
    assert ("외교부", "KR_MOFA") in found(pipe, text)


def test_unlisted_ministry_still_follows_the_nearest_state(pipe):
    text = "중국은 새 규정을 내놓았다. 외교부는 같은 날 기자회견을 열었다."
    assert ("외교부", "CN_MFA") in found(pipe, text)


# ---------------------------------------------------------------------------- one body, one span
def test_body_and_its_own_committee_are_one_mention(pipe):
    assert found(pipe, "국회 과방위는 오늘 법안을 의결했다.") == [("국회 과방위", "KR_NATIONAL_ASSEMBLY")]
    assert found(pipe, "국회와 과방위는 서로 다른 일정을 잡았다.") == [
        ("국회", "KR_NATIONAL_ASSEMBLY"), ("과방위", "KR_NATIONAL_ASSEMBLY")]


def test_leader_and_state_government_are_one_state_mention(pipe):
    assert found(pipe, "도널드 트럼프 미국 행정부는 관세를 올렸다.") == [("도널드 트럼프 미국 행정부", "US")]
    assert found(pipe, "도널드 트럼프는 미국 행정부의 입장을 설명했다.") == [
        ("도널드 트럼프", "TRUMP"), ("미국 행정부", "US")]


def test_government_without_space_and_government_agency_compound(pipe):
    assert found(pipe, "중국정부는 발표를 미뤘다.") == [("중국정부", "CN")]
    # 정부기관 is an institution noun: the state alone
    assert found(pipe, "대한민국 정부기관이 쓰는 주소다.") == [("대한민국", "KR")]


# ---------------------------------------------------------------------------- places, institutes, adjectives
def test_capital_as_a_place_is_not_the_state(pipe):
    assert ids(pipe, "중국 베이징에 새 연구소가 문을 열었다.") == ["CN"]
    assert ids(pipe, "베이징·상하이·광저우 같은 대도시에서 시범 운영한다.") == []
    assert ids(pipe, "베이징은 보복 관세로 맞섰다.") == ["CN"]


def test_state_opening_an_institute_name_is_not_the_state(pipe):
    assert ids(pipe, "중국산업연구소는 보고서를 냈다.") == []
    assert ids(pipe, "중국 산업은 빠르게 컸다.") == ["CN"]


def test_adjective_of_a_state_is_not_the_state(pipe):
    assert ids(pipe, "가장 한국적인 모델이 필요하다.") == []
    assert ids(pipe, "중국적 현실을 고려해야 한다.") == []
    assert ids(pipe, "한국의 모델이 필요하다.") == ["KR"]


def test_capital_with_its_district_is_a_place(pipe):
    assert ids(pipe, "워싱턴 DC에서 열린 회의에 다녀왔다.") == []
    assert ids(pipe, "워싱턴은 수출 통제를 강화했다.") == ["US"]


def test_assembly_titles_and_buildings_are_not_the_assembly(pipe):
    assert ids(pipe, "여야 국회의원들이 국회의원회관에 모였다.") == []
    assert ids(pipe, "국회는 법안을 통과시켰다.") == ["KR_NATIONAL_ASSEMBLY"]


# ---------------------------------------------------------------------------- brackets and epithets
def test_bracketed_state_after_a_common_noun_is_a_mention(pipe):
    # '시장의 자유(미국)' is not an epithet: the marker must stand right before the name
    assert ids(pipe, "‘시장의 자유(미국)’와 ‘규제의 이상(EU)’이 부딪친다.") == ["US", "EU"]
    assert ids(pipe, "‘한국의 엔비디아’로 불리는 업체가 상장했다.") == ["KR"]


def test_next_generation_epithet_is_not_its_target(pipe):
    assert ids(pipe, "그 스타트업은 ‘차세대 오픈AI’로 불린다.") == []
    assert ids(pipe, "오픈AI는 차세대 모델을 공개했다.") == ["OPENAI"]


def test_bracket_alias_in_another_case_and_translated_name(pipe):
    assert found(pipe, "딥시크(Deepseek) 접속이 막혔다.") == [("딥시크(Deepseek)", "DEEPSEEK")]
    assert found(pipe, "DARPA(국방고등연구계획국)는 예산을 늘렸다.") == [("DARPA(국방고등연구계획국)", "US_DARPA")]
    # a bracket that is not a translation of the name stays outside
    assert found(pipe, "DARPA(2024년 기준)는 예산을 늘렸다.") == [("DARPA", "US_DARPA")]


def test_short_name_defined_inside_the_bracket_is_not_a_second_mention(pipe):
    got = found(pipe, "국가인권위원회(위원장 한도윤, 이하 ‘인권위’)는 권고를 냈다. 인권위는 후속 조치를 요구했다.")
    assert ("인권위", "KR_NHRCK") in got
    assert sum(1 for t, a in got if a == "KR_NHRCK") == 2


def test_mi_before_a_company_is_the_united_states(pipe):
    assert ("미", "US") in found(pipe, "미 ‘딥시크’ 제재 본격화")
    assert ("미", "US") in found(pipe, "미 엔비디아의 칩 수출이 막혔다.")
    assert ids(pipe, "미래 엔비디아의 칩은 더 빨라진다.") == ["NVIDIA"]


def test_list_separator_starts_a_name(pipe):
    assert ids(pipe, "SKㆍ현대차ㆍLG 등이 나섰다.") == ["SK_GROUP", "HYUNDAI_MOTOR", "LG"]


# ---------------------------------------------------------------------------- persons
def test_title_before_the_name_in_a_bracket(pipe):
    got = found(pipe, "국회입법조사처(처장 홍길순)는 세미나를 열었다.")
    assert ("홍길순", "~person:홍길순") in got
    assert not any(a.startswith("~person") for _t, a in found(pipe, "국회입법조사처(처장 직무대행)는 세미나를 열었다."))


def test_full_name_repeated_without_title(pipe):
    got = found(pipe, "서하준 의원은 법안을 냈다. 서하준은 표결을 서두르자고 했다.")
    assert got == [("서하준", "~person:서하준"), ("서하준", "~person:서하준")]
    # a name never introduced with a title stays unmarked
    assert found(pipe, "서하준은 표결을 서두르자고 했다.") == []


def test_lexicon_person_registers_surname_in_a_sentence_without_other_cues(pipe):
    got = found(pipe, "최상목 부총리가 발표했다. 최 부총리는 이어 질문을 받았다.")
    assert got == [("최상목", "CHOI_SANGMOK"), ("최", "CHOI_SANGMOK")]


def test_names_in_a_list_before_one_title(pipe):
    got = found(pipe, "더불어민주당 한지수·박도윤·진서연 의원이 참석했다.")
    assert [t for t, a in got if a.startswith("~person")] == ["한지수", "박도윤", "진서연"]
    # a list of common nouns before a title is no list of names
    got = found(pipe, "정책·예산·인사 담당 의원이 참석했다.")
    assert not any(a.startswith("~person") for _t, a in got)


def test_surname_read_as_a_determiner_still_refers_back(pipe):
    got = found(pipe, "한도윤 대표가 회견을 열었다. 한 대표는 이어 질문을 받았다.")
    assert got[-1] == ("한", "~person:한도윤")
    # without an earlier full name, 한 대표 is "one representative"
    assert found(pipe, "한 대표는 이어 질문을 받았다.") == []


def test_surname_after_the_title_is_not_the_person_named_later(pipe):
    text = "최하은 의원이 질의했다. 최 의원은 최상목 부총리에게 물었다."
    got = found(pipe, text)
    assert ("최", "~person:최하은") in got
    assert ("최", "CHOI_SANGMOK") not in got


def test_title_word_with_a_copula(pipe):
    got = found(pipe, "연구 책임자는 박도윤 의원이다.")
    assert ("박도윤", "~person:박도윤") in got


def test_one_syllable_states_in_a_dotted_list(pipe):
    got = found(pipe, "한·영, 호주·캐·EU·프·독 참여")
    assert got == [("한·영", "KR"), ("한·영", "GB"), ("호주", "AU"), ("캐", "CA"), ("EU", "EU"), ("프", "FR"),
                   ("독", "DE")]
    # without a state named in full, one-syllable words in a dotted list are not states
    assert found(pipe, "이·미용 업계와 캐·프 같은 줄임말") == []


def test_assembly_speaker_is_a_title_and_a_hall_is_not(pipe):
    assert ("서하준", "~person:서하준") in found(pipe, "서하준 국회의장의 축사가 있었다.")
    assert not any(a.startswith("~person") for _t, a in found(pipe, "김포시 본회의장에서 회의가 열렸다."))
