"""``compare`` reads every corpus kind it accepts and refuses bad output flags before any annotation."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from nlp import pipeline as pipeline_module
from nlp.cli import main

ROWS = [{"id": "k1", "year": 2023, "text": "미국은 중국에 대한 반도체 수출통제를 강화했다."},
        {"id": "k2", "year": 2024, "text": "유엔은 군사 AI 규범을 논의했다. 한국은 중견국 연대를 제안했다."}]


@pytest.fixture()
def corpora(tmp_path):
    df = pd.DataFrame(ROWS)
    df.to_csv(tmp_path / "c.csv", index=False)
    df.to_parquet(tmp_path / "c.parquet", index=False)
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ROWS),
                                      encoding="utf-8")
    (tmp_path / "one.txt").write_text(ROWS[0]["text"], encoding="utf-8")
    return tmp_path


def test_csv_parquet_and_jsonl_are_corpora(corpora, capsys):
    seen = {}
    for name in ("c.csv", "c.parquet", "c.jsonl"):
        assert main(["compare", str(corpora / name), "--format", "json"]) == 0, name
        d = json.loads(capsys.readouterr().out)
        seen[name] = (d["document"], d["similarity"])
    # one corpus profile of the two records, the same whatever the container
    assert {name: doc for name, (doc, _) in seen.items()} == {n: n for n in seen}
    assert len({sim for _, sim in seen.values()}) == 1


def test_flags_are_refused_before_annotation(corpora, capsys, monkeypatch):
    def no_pipeline(*a, **k):
        raise AssertionError("annotation started before the flags were checked")

    monkeypatch.setattr(pipeline_module.Pipeline, "from_config", classmethod(no_pipeline))
    cases = [
        (["--html", str(corpora / "r.html")], "c.csv", "--html reports on one document; "),
        (["--png", str(corpora / "r.gif")], "one.txt", "cannot tell the image format"),
        (["--html", str(corpora / "r.txt")], "one.txt", "must end in .html or .htm"),
        (["--graphml", str(corpora / "g.csv")], "one.txt", "must end in .graphml or .xml"),
    ]
    for flags, name, message in cases:
        assert main(["compare", str(corpora / name), *flags]) == 2
        assert message in capsys.readouterr().err
    assert not (corpora / "r.html").exists()


def test_png_flag_follows_the_suffix(corpora, capsys):
    assert main(["compare", str(corpora / "one.txt"), "--png", str(corpora / "p.svg"), "--html",
                 str(corpora / "r.html")]) == 0
    out = capsys.readouterr().out
    assert "유사도" in out
    assert b"<svg" in (corpora / "p.svg").read_bytes()[:400]
    page = (corpora / "r.html").read_text(encoding="utf-8")
    assert "기준 글" in page and "중국" in page
