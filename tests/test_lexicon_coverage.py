"""Coverage and precision of the shipped actor lexicon (models/actors.tsv, models/actor_blockers.txt).

The sentences are our own. Each test states a fact about the data: which bodies, states,
firms and people the lexicon knows, and which ordinary Korean words it must not read as actors.
"""

import csv
import re

import pytest

from nlp import Pipeline, document_from_text
from nlp.labels import models_dir
from nlp.lexicon import load_lexicon


@pytest.fixture(scope="module")
def actors_pipe():
    return Pipeline.default(["tokenize", "actors"], strict=True)


@pytest.fixture(scope="module")
def lexicon():
    return load_lexicon()


def mentions(pipe, text):
    doc = pipe(document_from_text(text, "t"))
    return [(m.text, m.actor) for m in doc.mentions]


def _rows():
    with open(models_dir() / "actors.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


# --------------------------------------------------------------------------- the file itself

def test_ids_are_unique_and_upper_snake():
    ids = [r["id"] for r in _rows()]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", i) for i in ids), [i for i in ids if not re.fullmatch(r"[A-Z][A-Z0-9_]*", i)]


def test_every_blocker_is_reachable(lexicon):
    """A blocker that equals an unconditioned lexicon name would be silently ignored."""
    plain = {s.text for s in lexicon.surfaces if s.condition is None}
    lines = (models_dir() / "actor_blockers.txt").read_text(encoding="utf-8").splitlines()
    blockers = [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    assert len(blockers) == len(set(blockers))
    assert [b for b in blockers if b in plain] == []


# --------------------------------------------------------------------------- states

EU_MEMBERS = ("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE").split()


def test_all_un_member_states_are_states(lexicon):
    states = {a.id for a in lexicon.actors.values() if a.type == "state"}
    assert len(states) >= 193
    # a spread of members from every region, including the small and the easily confused ones
    for code in ("DZ", "TD", "CD", "CG", "GQ", "GW", "SS", "SD", "BT", "TL", "KG", "MK", "BA", "VA", "DM", "DO",
                 "KN", "VC", "TT", "FM", "MH", "SB", "TV", "NR", "PW", "KP", "KR", "US", "CN"):
        assert code in states, code


def test_eu_members_are_states_with_bloc_other(lexicon):
    for code in EU_MEMBERS:
        a = lexicon.actors[code]
        assert (a.type, a.bloc) == ("state", "other"), code
    assert (lexicon.actors["EU"].type, lexicon.actors["EU"].bloc) == ("intl_org", "EU")


def test_chinese_special_regions_take_bloc_cn(lexicon):
    assert lexicon.actors["HK"].bloc == "CN" and lexicon.actors["MO"].bloc == "CN"


@pytest.mark.parametrize("text,expected", [
    ("사우디와 남아공, 베트남이 이번 회의에 참석했다.", [("사우디", "SA"), ("남아공", "ZA"), ("베트남", "VN")]),
    ("북한은 조선민주주의인민공화국이라는 국호를 쓴다.", [("북한", "KP"), ("조선민주주의인민공화국", "KP")]),
    ("남수단과 기니비사우, 적도기니가 새 협정에 가입했다.", [("남수단", "SS"), ("기니비사우", "GW"), ("적도기니", "GQ")]),
    ("가나 정부와 수단 정부는 AI 교육 협력을 논의했다.", [("가나 정부", "GH"), ("수단 정부", "SD")]),
    ("오만 정부는 데이터센터 투자를 유치했다.", [("오만 정부", "OM")]),
    ("콩고민주공화국의 코발트가 배터리 공급망의 핵심이다.", [("콩고민주공화국", "CD")]),
    ("팔레스타인과 코소보, 마카오의 사례도 함께 다뤘다.", [("팔레스타인", "PS"), ("코소보", "XK"), ("마카오", "MO")]),
])
def test_states_and_short_forms(actors_pipe, text, expected):
    assert mentions(actors_pipe, text) == expected


# --------------------------------------------------------------------------- Korean government

METROPOLITAN = [
    ("서울특별시는 생성형 AI 민원 상담을 시작했다.", "서울특별시", "KR_SEOUL"),
    ("서울시가 공공 데이터 개방을 늘렸다.", "서울시", "KR_SEOUL"),
    ("부산광역시는 해양 데이터 플랫폼을 열었다.", "부산광역시", "KR_BUSAN"),
    ("대구광역시가 로봇 산업 특구를 지정받았다.", "대구광역시", "KR_DAEGU"),
    ("인천광역시는 바이오 클러스터를 키운다.", "인천광역시", "KR_INCHEON"),
    ("광주광역시가 AI 집적단지를 조성했다.", "광주광역시", "KR_GWANGJU"),
    ("대전광역시는 연구개발특구와 손잡았다.", "대전광역시", "KR_DAEJEON"),
    ("울산광역시가 제조 AI 실증을 추진한다.", "울산광역시", "KR_ULSAN"),
    ("세종특별자치시는 행정 데이터센터를 유치했다.", "세종특별자치시", "KR_SEJONG"),
    ("경기도는 반도체 클러스터 용수 대책을 내놨다.", "경기도", "KR_GYEONGGI"),
    ("강원특별자치도가 데이터센터 부지를 제안했다.", "강원특별자치도", "KR_GANGWON"),
    ("충청북도는 이차전지 산업을 지원한다.", "충청북도", "KR_CHUNGBUK"),
    ("충청남도가 디스플레이 기업과 협약을 맺었다.", "충청남도", "KR_CHUNGNAM"),
    ("전북특별자치도는 농생명 데이터를 공개했다.", "전북특별자치도", "KR_JEONBUK"),
    ("전라남도가 재생에너지 데이터센터를 유치했다.", "전라남도", "KR_JEONNAM"),
    ("경상북도는 구미 반도체 특화단지를 지원한다.", "경상북도", "KR_GYEONGBUK"),
    ("경상남도가 방산 AI 실증 사업을 따냈다.", "경상남도", "KR_GYEONGNAM"),
    ("제주특별자치도는 전기차 충전 데이터를 공개했다.", "제주특별자치도", "KR_JEJU"),
]


@pytest.mark.parametrize("text,surface,aid", METROPOLITAN)
def test_metropolitan_and_provincial_governments(actors_pipe, lexicon, text, surface, aid):
    assert mentions(actors_pipe, text) == [(surface, aid)]
    assert (lexicon.actors[aid].type, lexicon.actors[aid].bloc) == ("agency", "KR")


def test_all_seventeen_regions_are_listed(lexicon):
    assert len({aid for _t, _s, aid in METROPOLITAN}) == 17


@pytest.mark.parametrize("text,expected", [
    ("과학기술정보통신부와 산업통상자원부, 기획재정부가 합동 브리핑을 열었다.",
     [("과학기술정보통신부", "KR_MSIT"), ("산업통상자원부", "KR_MOTIE"), ("기획재정부", "KR_MOEF")]),
    ("과기정통부와 산업부는 국토부, 중기부와 함께 대책을 냈다.",
     [("과기정통부", "KR_MSIT"), ("산업부", "KR_MOTIE"), ("국토부", "KR_MOLIT"), ("중기부", "KR_MSS")]),
    ("통일부와 법무부, 보건복지부가 각각 의견을 냈다.", [("통일부", "KR_MOU"), ("법무부", "KR_MOJ"), ("보건복지부", "KR_MOHW")]),
    ("식약처와 질병관리청은 AI 의료기기 심사 기준을 손봤다.", [("식약처", "KR_MFDS"), ("질병관리청", "KR_KDCA")]),
    ("우주항공청과 방위사업청이 위성 사업을 조율했다.", [("우주항공청", "KR_KASA"), ("방위사업청", "KR_DAPA")]),
    ("공정거래위원회와 금융위원회, 원자력안전위원회가 회의를 열었다.",
     [("공정거래위원회", "KR_FTC"), ("금융위원회", "KR_FSC"), ("원자력안전위원회", "KR_NSSC")]),
    ("방송통신위원회와 개인정보보호위원회는 공동 조사에 나섰다.",
     [("방송통신위원회", "KR_KCC"), ("개인정보보호위원회", "KR_PIPC")]),
    ("국가안보실은 국가정보원과 대응 방안을 논의했다.", [("국가안보실", "KR_NSO"), ("국가정보원", "KR_NIS")]),
    ("환경부는 기후에너지환경부로 이름을 바꿨다.", [("환경부", "KR_MCEE"), ("기후에너지환경부", "KR_MCEE")]),
])
def test_korean_ministries_and_commissions(actors_pipe, text, expected):
    assert mentions(actors_pipe, text) == expected


def test_public_corporations_and_institutes_are_not_the_state(actors_pipe):
    got = mentions(actors_pipe, "한국전력공사와 한국수력원자력, 한국은행이 전력 수요 전망을 냈고 "
                                "한국전자통신연구원과 산업은행이 투자를 맡았다.")
    assert got == [("한국전력공사", "KR_KEPCO"), ("한국수력원자력", "KR_KHNP"), ("한국은행", "KR_BOK"),
                   ("한국전자통신연구원", "KR_ETRI"), ("산업은행", "KR_KDB")]


def test_government_think_tanks_are_not_actors(actors_pipe):
    """GUIDELINE 7.2 item 12: think tanks are actors only when a user lexicon adds them."""
    assert mentions(actors_pipe, "한국개발연구원과 정보통신정책연구원, 대외경제정책연구원이 보고서를 냈다.") == []


def test_shared_ministry_names_follow_their_state(actors_pipe):
    assert mentions(actors_pipe, "미국 정부는 기소 방침을 밝혔다. 법무부는 증거를 공개했다.") == [
        ("미국 정부", "US"), ("법무부", "US_DOJ")]
    assert mentions(actors_pipe, "법무부는 출입국 심사에 AI를 쓴다.") == [("법무부", "KR_MOJ")]
    assert mentions(actors_pipe, "미 법무부와 미국 보건복지부가 조사에 착수했다.") == [
        ("미 법무부", "US_DOJ"), ("미국 보건복지부", "US_HHS")]


# --------------------------------------------------------------------------- foreign bodies, firms, people, fora

@pytest.mark.parametrize("text,expected", [
    ("일본 국회는 AI 법안을 통과시켰다.", [("일본 국회", "JP_DIET")]),
    ("일본 방위성과 북한 외무성이 서로를 비난했다.", [("일본 방위성", "JP_MOD"), ("북한 외무성", "KP_MFA")]),
    ("국토안보부 산하 CISA가 경보를 냈다.", [("국토안보부", "US_DHS"), ("CISA", "US_CISA")]),
    ("중국인민은행과 국가데이터국이 데이터 거래 규칙을 냈다.", [("중국인민은행", "CN_PBOC"), ("국가데이터국", "CN_NDA")]),
    ("유럽정보보호이사회는 영국 경쟁시장청과 다른 결론을 냈다.",
     [("유럽정보보호이사회", "EU_EDPB"), ("영국 경쟁시장청", "GB_CMA")]),
    ("한미반도체는 HBM 장비를 납품한다.", [("한미반도체", "HANMI_SEMICONDUCTOR")]),
    ("캠브리콘과 하이곤, 차이나모바일이 국산 칩 연합에 참여했다.",
     [("캠브리콘", "CAMBRICON"), ("하이곤", "HYGON"), ("차이나모바일", "CHINA_MOBILE")]),
    ("스콧 베선트 장관과 허리펑 부총리가 만났다.", [("스콧 베선트", "SCOTT_BESSENT"), ("허리펑", "HE_LIFENG")]),
    ("국제통화기금과 세계은행은 AI가 일자리에 미칠 영향을 경고했다.", [("국제통화기금", "IMF"), ("세계은행", "WORLD_BANK")]),
    ("바세나르 체제와 미사일기술통제체제는 수출통제 레짐이다.", [("바세나르 체제", "WASSENAAR"), ("미사일기술통제체제", "MTCR")]),
])
def test_foreign_bodies_firms_people_and_fora(actors_pipe, text, expected):
    assert mentions(actors_pipe, text) == expected


# --------------------------------------------------------------------------- precision: ordinary Korean

NON_ACTOR_SENTENCES = [
    "범인 인도 절차가 끝나자 피해자 가족은 안도했다.",
    "인도적 지원 물자가 항구에 도착했다.",
    "보행자는 인도로 걸어야 한다.",
    "명단은 가나다순으로 정렬되어 있다.",
    "이번 사업의 목적과 수단을 분명히 해야 한다.",
    "빨래를 햇볕에 말리는 중이다.",
    "그렇게 오만한 태도로는 협상이 어렵다.",
    "부탄가스 용기를 난로 옆에 두면 위험하다.",
    "기니피그를 키우는 가정이 늘었다.",
    "옷을 가봉한 뒤 치수를 다시 쟀다.",
    "피지 분비를 줄이는 세안제가 잘 팔린다.",
    "아이티 산업의 고용이 늘었다.",
    "그리스도교 전통이 강한 지역이다.",
    "우루과이 라운드 이후 농산물 시장이 열렸다.",
    "조지아주 선거 결과가 발표되었다.",
    "대구 서구 주민들이 모였다.",
    "광주시 남한산성면 주민들이 모였다.",
    "복지부동하는 태도가 문제다.",
    "경기도 살아나지 않고 있다.",
    "식약처장은 현장을 점검했다.",
    "금융위원장은 대출 규제를 언급했다.",
    "한국반도체산업협회와 한국장학재단이 행사를 열었다.",
    "서울 시내 교통이 혼잡하다.",
    "축구 경기 결과가 발표되었다.",
    "통일은 우리 모두의 과제다.",
    "외교 관계가 정상화될 때까지 시간이 걸린다.",
]


@pytest.mark.parametrize("text", NON_ACTOR_SENTENCES)
def test_ordinary_words_are_not_actors(actors_pipe, text):
    assert mentions(actors_pipe, text) == []
