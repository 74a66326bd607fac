"""The worked example of docs/analysis.md: a small synthetic Korean corpus, annotated, analysed and charted.

    PYTHONPATH=$PWD python scripts/analysis_example.py [WORKDIR]

Writes the corpus (``docs/examples/analysis/corpus.csv``: id, year, outlet, register, text), annotates
it into ``WORKDIR/out`` (default /tmp/kdiscourse-analysis-example), and writes the tables and charts the
page shows into ``docs/examples/analysis/``: ``rates_by_year.csv``, ``rates_by_outlet.csv``,
``rates_by_register.csv``, ``kwic.csv``, ``rates_by_year.png``, ``rates_by_outlet.png``,
``summary_by_outlet.png`` and the actor-frame networks per year (GraphML and Gephi CSV).

Every sentence of the corpus was written for this example (no third-party text). Sentences are
drawn from topic pools with year-dependent weights, so that the trends in the charts are known
in advance: export-control and chip sentences grow after 2021, military sentences grow from 2023,
governance sentences are steady; outlets differ in their mix.
"""

from __future__ import annotations

import csv
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "docs" / "examples" / "analysis"

POOLS = {
    "chips": [
        "미국 상무부는 중국으로 향하는 첨단 반도체 수출을 다시 통제하기로 했다.",
        "엔비디아의 고성능 GPU가 중국 시장에서 빠지자 화웨이가 자체 칩을 내놓았다.",
        "삼성전자와 SK하이닉스는 고대역폭 메모리 투자를 늘리며 공급망 재편에 대응하고 있다.",
        "반도체 공급망이 흔들리면 한국 경제의 수출 기반도 함께 흔들린다.",
        "중국은 반도체 자립을 위해 국가 기금을 대규모로 조성했다.",
        "대만의 TSMC는 미국 애리조나에 새 공장을 짓고 있다.",
    ],
    "platform": [
        "오픈AI와 구글은 더 큰 언어모델을 잇달아 공개하며 시장을 넓히고 있다.",
        "바이두와 알리바바도 자체 생성형 AI 서비스를 앞다투어 출시했다.",
        "네이버는 한국어에 강한 초거대 모델로 국내 시장을 지키려 한다.",
        "오픈소스 모델이 늘어나면서 개발자 생태계의 주도권 경쟁도 치열해졌다.",
        "데이터센터와 전력 확보가 AI 경쟁력의 새로운 조건이 되었다.",
    ],
    "regulation": [
        "유럽연합은 인공지능법을 통해 위험 수준에 따른 규제를 도입했다.",
        "미국 의회는 틱톡의 데이터 수집이 안보 위협이라며 사용 금지 법안을 논의했다.",
        "중국 정부는 생성형 AI 서비스에 대한 관리 규정을 시행했다.",
        "한국 정부는 규제와 혁신의 균형을 내세워 AI 기본법을 준비했다.",
        "개인정보와 데이터 주권을 둘러싼 논쟁이 국경을 넘어 확산되고 있다.",
    ],
    "military": [
        "미국 국방부는 자율 무기 체계에 AI를 적용하는 계획을 확대했다.",
        "중국 인민해방군은 지능화 전쟁을 내세우며 무인 체계를 시험하고 있다.",
        "우크라이나 전쟁에서 드론과 AI 기반 표적 식별이 실제로 쓰였다.",
        "나토는 군사 AI의 책임 있는 사용 원칙을 채택했다.",
        "한국 국방부도 유무인 복합 전투체계 도입을 서두르고 있다.",
    ],
    "governance": [
        "유엔은 AI 거버넌스를 논의할 고위급 자문기구를 만들었다.",
        "G7 정상들은 히로시마 AI 프로세스에 합의했다.",
        "한국은 중견국 연대를 통해 규범 형성에 목소리를 내려 한다.",
        "OECD는 신뢰할 수 있는 AI를 위한 권고를 개정했다.",
        "중국은 글로벌 AI 거버넌스 구상을 내놓으며 개발도상국과의 협력을 강조했다.",
    ],
    "filler": [
        "전문가들은 앞으로의 흐름을 신중하게 지켜봐야 한다고 말했다.",
        "관련 논의는 다음 달에도 이어질 예정이다.",
        "이번 발표는 업계 안팎에서 큰 관심을 모았다.",
    ],
}

YEARS = (2019, 2020, 2021, 2022, 2023, 2024)
OUTLETS = {"가람일보": {"chips": 1.0, "military": 1.2}, "누리신문": {"regulation": 1.4, "governance": 1.2},
           "다온경제": {"chips": 1.6, "platform": 1.4, "military": 0.5}}
REGISTERS = ("기사", "사설")


def topic_weights(year: int, outlet: str) -> dict[str, float]:
    """How often each topic pool is drawn in a document of ``year`` from ``outlet``."""
    t = year - YEARS[0]
    base = {"chips": 1.0 + 0.6 * max(0, year - 2021), "platform": 1.5 + 0.2 * t, "regulation": 1.2 + 0.15 * t,
            "military": 0.6 + (1.8 if year >= 2023 else 0.0), "governance": 1.0, "filler": 1.0}
    return {k: v * OUTLETS[outlet].get(k, 1.0) for k, v in base.items()}


def make_corpus(path: Path, docs_per_cell: int = 3, seed: int = 7) -> int:
    """Write the synthetic corpus CSV; returns the number of documents."""
    rng = random.Random(seed)
    rows = []
    for year in YEARS:
        for outlet in OUTLETS:
            for k in range(docs_per_cell):
                w = topic_weights(year, outlet)
                pools = list(w)
                n = rng.randint(6, 10)
                picks = rng.choices(pools, weights=[w[p] for p in pools], k=n)
                sentences = [rng.choice(POOLS[p]) for p in picks]
                paragraphs = [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
                rows.append({"id": f"{outlet}-{year}-{k + 1}", "year": year, "outlet": outlet,
                             "register": REGISTERS[k % 2], "text": "\n\n".join(paragraphs)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "year", "outlet", "register", "text"])
        w.writeheader()
        w.writerows(rows)
    return len(rows)


def main(argv: list[str]) -> int:
    """Build the corpus, annotate it, write the example tables and charts."""
    sys.path.insert(0, str(ROOT))
    from nlp.corpus import annotate_corpus, open_input, plot_summary, summarize
    from nlp.corpus.analysis import corpus_networks, kwic, label_rates, write_networks
    from nlp.report.trends import plot_rates

    work = Path(argv[0]) if argv else Path("/tmp/kdiscourse-analysis-example")
    corpus = EXAMPLE / "corpus.csv"
    n = make_corpus(corpus)
    out = work / "out"
    summary = annotate_corpus(open_input(corpus), out, overwrite=True, progress=False)
    print(summary.line())
    EXAMPLE.mkdir(parents=True, exist_ok=True)
    by_year = label_rates(out, ["year"], n_boot=1000, seed=0)
    by_year.to_csv(EXAMPLE / "rates_by_year.csv", index=False, float_format="%.1f")
    plot_rates(by_year, EXAMPLE / "rates_by_year.png", "year")
    by_outlet = label_rates(out, ["outlet"], n_boot=1000, seed=0)
    by_outlet.to_csv(EXAMPLE / "rates_by_outlet.csv", index=False, float_format="%.1f")
    plot_rates(by_outlet, EXAMPLE / "rates_by_outlet.png", "outlet")
    by_register = label_rates(out, ["register"], n_boot=1000, seed=0)
    by_register.to_csv(EXAMPLE / "rates_by_register.csv", index=False, float_format="%.1f")
    plot_summary(summarize(out, ["outlet"]), EXAMPLE / "summary_by_outlet.png", ["outlet"])
    kwic(out, "반도체", frame="economic_security").to_csv(EXAMPLE / "kwic.csv", index=False)
    graphs = corpus_networks(out, "actor-frame", by="year", min_weight=2)
    write_networks(graphs, EXAMPLE / "networks", "actor-frame")
    print(f"{n} documents; example files in {EXAMPLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
