"""Agreement between annotators of imported gold, on hand-computed examples."""

from __future__ import annotations

from nlp.interop.agreement import agreement, render
from nlp.interop.gold import GoldActor, GoldDocument, GoldSentence

TEXTS = ["미국이 제재를 발표했다.", "중국이 반발했다.", "한국은 신중하다."]


def _doc(annotator: str, frames: list[tuple[str, ...]], actors=None, only=None) -> GoldDocument:
    sents = tuple(GoldSentence(t, ("regulation_discourse",), frames[i], i, None, None,
                               None if actors is None else actors[i])
                  for i, t in enumerate(TEXTS) if only is None or i in only)
    return GoldDocument("a-001", sents, annotator)


US, CN, KR = (GoldActor(0, 2, "US", "state", "US"), GoldActor(0, 2, "CN", "state", "CN"),
              GoldActor(0, 2, "KR", "state", "KR"))


def test_two_annotators_one_differing_label():
    a = _doc("kim", [("economic_security",), (), ()], [(US,), (CN,), (KR,)])
    b = _doc("lee", [(), (), ()], [(US,), (CN,), (GoldActor(0, 3, "KR", "state", "KR"),)])
    res = agreement([a, b])
    es = res["tasks"]["frames"]["labels"]["economic_security"]
    # kim 1 0 0 vs lee 0 0 0: p_o = 2/3 = p_e -> kappa 0; alpha = 1 - 5 * 2 / (5 * 1 * 2) = 0
    assert es["kappa"] == 0.0 and es["alpha"] == 0.0
    assert es["positives"] == {"kim": 1, "lee": 0}
    # a label both used on every sentence has no variation: undefined, reported as None
    assert res["tasks"]["dimensions"]["labels"]["regulation_discourse"]["alpha"] is None
    assert res["tasks"]["frames"]["labels"]["sovereignty"]["kappa"] is None
    assert res["pairs"] == [{"a": "kim", "b": "lee", "shared_units": 3,
                             "exact_set_agreement": {"dimensions": 1.0, "frames": 0.6667}}]
    act = res["actors"][0]
    assert (act["matched"], act["spans_a"], act["spans_b"], act["f1"]) == (2, 3, 3, 0.6667)
    assert "economic_security" in render(res)


def test_three_annotators_with_a_missing_rating():
    a = _doc("a", [("sovereignty",), ("sovereignty",), ()])
    b = _doc("b", [("sovereignty",), (), ()])
    c = _doc("c", [("sovereignty",), ()], only={0, 1})  # c did not see sentence 2
    res = agreement([a, b, c])
    assert res["annotators"] == ["a", "b", "c"]
    assert res["units"] == {"total": 3, "rated_by_2_or_more": 3}
    sov = res["tasks"]["frames"]["labels"]["sovereignty"]
    # Krippendorff, nominal (pairs within a unit weighted 1 / (m - 1)): unit0 (1,1,1) gives o11 = 3;
    # unit1 (1,0,0) gives o10 = o01 = o00 = 1; unit2 (0,0) gives o00 = 2.  n1 = 4, n0 = 4, n = 8;
    # alpha = 1 - (n - 1) * D_o / D_e = 1 - 7 * 2 / (2 * 4 * 4) = 0.5625
    assert sov["alpha"] == 0.5625
    # pairs: a-b 1 1 0 / 1 0 0 -> 0.4; a-c on 2 units 1 1 / 1 0 -> p_e = 1 * 0.5 + 0 * 0.5 -> 0.0;
    # b-c 1 0 / 1 0 -> 1.0
    assert sov["kappa_pairs"] == {"a|b": 0.4, "a|c": 0.0, "b|c": 1.0}
    assert sov["kappa"] == round((0.4 + 0.0 + 1.0) / 3, 4)
    assert res["actors"][0]["units"] == 0 and res["actors"][0]["f1"] is None  # no actors recorded
