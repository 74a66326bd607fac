"""Corpus analysis over annotated tables: rates with bootstrap intervals, KWIC, networks, charts, commands."""

from __future__ import annotations

import csv
import json

import networkx as nx
import pandas as pd
import pytest

from nlp.cli import main
from nlp.corpus import annotate_corpus, open_input, read_table
from nlp.corpus.analysis import corpus_networks, kwic, label_rates, write_networks
from nlp.report.terminal import display_width, format_table
from nlp.report.trends import plot_rates

# Team-written records: two years, two outlets.
RECORDS = [
    ("a1", 2022, "가람일보", "미국 상무부는 중국에 대한 반도체 수출통제를 강화했다. 중국은 반도체 자립을 선언했다."),
    ("a2", 2022, "누리신문", "유럽연합은 인공지능법을 통과시켰다. 한국 정부는 규제와 혁신의 균형을 강조했다."),
    ("a3", 2023, "가람일보", "미국 국방부는 자율 무기에 AI를 쓰는 계획을 넓혔다. 중국 인민해방군도 무인 체계를 시험했다. "
                          "삼성전자는 반도체 투자를 늘렸다."),
    ("a4", 2023, "누리신문", "유엔은 AI 거버넌스 자문기구를 만들었다. 오픈AI와 구글은 새 모델을 공개했다."),
]


@pytest.fixture(scope="module")
def out(tmp_path_factory, pipeline):
    root = tmp_path_factory.mktemp("analysis")
    path = root / "c.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "year", "outlet", "text"])
        w.writerows(RECORDS)
    annotate_corpus(open_input(path), root / "out", pipeline=pipeline, progress=False)
    return root / "out"


def test_rates_per_thousand_sentences_match_the_tables(out):
    rates = label_rates(out, ["year"], n_boot=200, seed=1)
    sents = read_table(out, "sentences").merge(read_table(out, "documents")[["input_index", "meta_year"]],
                                               on="input_index")
    for year in (2022, 2023):
        mine = sents[sents["meta_year"] == year]
        row = rates[(rates["year"] == year) & (rates["label"] == "tech_platform")].iloc[0]
        expect = 1000 * mine["dimensions"].map(lambda d: "tech_platform" in d).sum() / len(mine)
        assert row["sentences"] == len(mine) and row["rate"] == pytest.approx(expect)
        assert row["ci_low"] <= row["rate"] <= row["ci_high"]
        assert row["name"] == "기술·플랫폼 경쟁"
    ments = read_table(out, "mentions")
    cn = rates[(rates["kind"] == "bloc") & (rates["label"] == "CN")]
    assert cn["count"].sum() == (ments["bloc"] == "CN").sum()
    # the same seed gives the same intervals
    again = label_rates(out, ["year"], n_boot=200, seed=1)
    pd.testing.assert_frame_equal(rates, again)
    assert rates["year"].dtype.kind == "i"  # the typed metadata column keeps its type


def test_kwic_filters_by_frame_and_keeps_offsets(out):
    everything = kwic(out, "반도체")
    assert len(everything) == sum(text.count("반도체") for *_, text in RECORDS) == 3
    sents = read_table(out, "sentences")
    docs = read_table(out, "documents")
    for r in everything.itertuples():
        s = sents[(sents["doc_id"] == r.doc_id) & (sents["sentence"] == r.sentence)].iloc[0]
        assert s["text"][r.start - s["start"]:r.end - s["start"]] == "반도체"
        assert r.outlet in set(docs["meta_outlet"])
    frame = sents["frames"].explode().dropna().iloc[0]
    only = kwic(out, "반도체", frame=frame)
    labelled = sents[sents["frames"].map(lambda f: frame in f)]
    assert len(only) == sum(t.count("반도체") for t in labelled["text"])
    with pytest.raises(Exception, match="frame 'nope'"):
        kwic(out, "반도체", frame="nope")


def test_networks_per_year_with_korean_labels(out, tmp_path):
    graphs = corpus_networks(out, "actor-actor", by="year")
    assert set(graphs) == {2022, 2023}
    g = graphs[2022]
    assert g.has_edge("actor:US_COMMERCE", "actor:CN") or g.has_edge("actor:CN", "actor:US_COMMERCE")
    assert g.nodes["actor:CN"]["label"] == "중국" and g.nodes["actor:CN"]["label_en"] == "China"
    paths = write_networks(graphs, tmp_path / "net", "actor-actor")
    back = nx.read_graphml(next(p for p in paths if p.name == "actor-actor-2022.graphml"))
    assert back.nodes["actor:CN"]["label"] == "중국"
    frames = corpus_networks(out, "actor-frame")
    weights = [w for _, _, w in frames[None].edges(data="weight")]
    assert weights and min(weights) >= 1


def test_rate_chart_and_image_suffixes(out, tmp_path):
    rates = label_rates(out, ["year"], n_boot=50)
    png = plot_rates(rates, tmp_path / "r.png", "year")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = plot_rates(rates, tmp_path / "r.svg", "year")
    assert b"<svg" in svg.read_bytes()[:500]
    with pytest.raises(Exception, match="image format"):
        plot_rates(rates, tmp_path / "r.jpeg2", "year")


def test_terminal_tables_align_korean(capsys, out):
    text = format_table(pd.DataFrame({"매체": ["가람일보", "KBS"], "rate": [12.5, 3.25]}))
    lines = text.split("\n")
    assert len({display_width(line) for line in lines}) == 1  # every line ends in the same column
    assert main(["rates", str(out), "--by", "outlet", "--kind", "frame", "--columns", "outlet,name,rate",
                 "--bootstrap", "20"]) == 0
    shown = capsys.readouterr().out.split("\n")
    assert shown[0].split() == ["outlet", "name", "rate"]
    assert max(display_width(line) for line in shown) < 80
    assert main(["rates", str(out), "--columns", "nope"]) == 2
    assert "no column 'nope'" in capsys.readouterr().err
    assert main(["kwic", str(out), "반도체", "--format", "json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 3
    assert main(["rates", str(out), "--by", "year", "--plot", str(out / "x.gif")]) == 2
    assert "image format" in capsys.readouterr().err


def test_summarize_table_is_narrow_and_korean(out, capsys, tmp_path):
    assert main(["summarize", str(out), "--by", "year"]) == 0
    lines = capsys.readouterr().out.rstrip("\n").split("\n")
    assert max(display_width(line) for line in lines) <= 120  # the old view was ~700 columns wide
    assert "기술·플랫폼 경쟁" in lines[0] and len({display_width(line) for line in lines[2:]}) == 1
    assert main(["summarize", str(out), "--by", "year", "--columns", "year,mentions_CN"]) == 0
    assert capsys.readouterr().out.split("\n")[0].split() == ["year", "중국", "진영", "언급"]
    assert main(["summarize", str(out), "--by", "year", "--plot", str(tmp_path / "s.svg")]) == 0
    assert b"<svg" in (tmp_path / "s.svg").read_bytes()[:400]
