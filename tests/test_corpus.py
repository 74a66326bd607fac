"""Batch annotation: readers, shards, resume after kill -9, Dask equals local, bad records, summaries."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from nlp.cli import main
from nlp.corpus import (
    TABLES,
    IntegrityError,
    Record,
    annotate_corpus,
    annotate_dataframe,
    iter_shards,
    open_input,
    plot_summary,
    read_manifest,
    read_table,
    summarize,
)
from nlp.errors import UsageError
from nlp.pipeline import Pipeline

REPO = Path(__file__).resolve().parent.parent

# Team-written fixture sentences (not from any corpus).
SENTENCES = [
    "미국 상무부는 첨단 AI 반도체의 대중국 수출 허가 기준을 다시 강화했다.",
    "중국 외교부 대변인은 이번 조치가 정상적인 무역 질서를 훼손한다고 반박했다.",
    "한국 정부는 반도체 공급망 점검 회의를 열고 기업들의 피해 규모를 살폈다.",
    "유럽연합은 인공지능법 시행을 앞두고 고위험 시스템의 기준을 공개했다.",
    "엔비디아는 중국 시장을 겨냥한 저사양 제품의 출시 일정을 미뤘다.",
    "전문가들은 기술 패권 경쟁이 동맹 간 협력 구조까지 바꾸고 있다고 분석했다.",
    "국회 과학기술정보방송통신위원회는 AI 기본법 후속 입법을 논의했다.",
    "화웨이는 자체 개발한 가속기로 대규모 언어모델 학습을 마쳤다고 밝혔다.",
    "일본과 네덜란드도 장비 수출 통제에 동참하면서 중국의 선택지는 좁아졌다.",
    "정부는 데이터센터 전력 공급을 늘리기 위한 지원책을 내놓았다.",
    "삼성전자는 고대역폭메모리 생산 능력을 내년까지 두 배로 늘릴 계획이다.",
    "주요 7개국은 AI 안전 원칙에 관한 공동 성명을 채택했다.",
]


def make_texts(n: int, per_doc: int = 4) -> list[str]:
    """Deterministic documents of ``per_doc`` sentences each."""
    return [" ".join(SENTENCES[(i * 5 + k * 7) % len(SENTENCES)] for k in range(per_doc)) for i in range(n)]


def write_jsonl(path: Path, texts: list[str]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": f"doc-{i:04d}", "text": t, "year": 2020 + i % 3,
                                 "outlet": "가" if i % 2 else "나"}, ensure_ascii=False) + "\n")
    return path


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {t: read_table(out, t) for t in TABLES}


def assert_same_output(a: Path, b: Path) -> None:
    ta, tb = tables(a), tables(b)
    for t in TABLES:
        pd.testing.assert_frame_equal(ta[t], tb[t], check_like=False, obj=t)
    ma, mb = read_manifest(a), read_manifest(b)
    assert ma["counts"] == mb["counts"]
    assert ma["input_fingerprint"] == mb["input_fingerprint"]
    assert [s["digest"] for s in ma["shards"]] == [s["digest"] for s in mb["shards"]]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    pipe = Pipeline.default()
    pipe(open_input_text("미국과 중국."))  # load Kiwi once for the module
    return pipe


def open_input_text(text: str):
    from nlp.pipeline import document_from_text

    return document_from_text(text, "warm")


@pytest.fixture(scope="module")
def corpus_jsonl(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("in") / "corpus.jsonl", make_texts(160, per_doc=5))


@pytest.fixture(scope="module")
def reference_out(tmp_path_factory, corpus_jsonl, pipeline) -> Path:
    """An uninterrupted in-process run over the shared corpus (4 records per shard)."""
    out = tmp_path_factory.mktemp("ref") / "out"
    s = annotate_corpus(open_input(corpus_jsonl), out, shard_size=4, pipeline=pipeline, progress=False)
    assert (s.input_records, s.documents, s.ok, s.shards) == (160, 160, 160, 40)
    return out


# --------------------------------------------------------------------------- shards and inputs

def test_shard_boundaries_depend_only_on_the_input():
    recs = [Record(i, f"r{i}", "가" * (10 if i != 3 else 400), f"r{i}") for i in range(10)]
    shards = list(iter_shards(recs, shard_size=4, shard_bytes=1000))
    # record 3 is 1200 bytes (3 per char): it closes its shard early
    assert [(s.index, s.first, len(s.records)) for s in shards] == [(0, 0, 4), (1, 4, 4), (2, 8, 2)]
    again = list(iter_shards(iter(recs), shard_size=4, shard_bytes=1000))
    assert [s.digest for s in again] == [s.digest for s in shards]
    changed = recs[:5] + [Record(5, "r5", "다른 글", "r5")] + recs[6:]
    assert [s.digest for s in iter_shards(changed, 4, 1000)][1] != shards[1].digest


def test_jsonl_csv_parquet_and_dataframe_give_the_same_rows(tmp_path, pipeline):
    texts = make_texts(7)
    # integer years: the CSV's text "2021" is inferred as an integer, as JSONL and Parquet carry it
    rows = [{"id": f"d{i}", "text": t, "year": 2021 + i % 2, "outlet": "가나"[i % 2]} for i, t in enumerate(texts)]
    df = pd.DataFrame(rows)
    (tmp_path / "c.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                      encoding="utf-8")
    df.to_csv(tmp_path / "c.csv", index=False, encoding="utf-8")
    df.to_parquet(tmp_path / "c.parquet", index=False)
    docs = {}
    for name in ("c.jsonl", "c.csv", "c.parquet"):
        out = tmp_path / f"out-{name}"
        meta = ["year", "outlet"]
        s = annotate_corpus(open_input(tmp_path / name, metadata_columns=meta), out, shard_size=3,
                            pipeline=pipeline, progress=False)
        assert (s.documents, s.ok, s.shards) == (7, 7, 3)
        docs[name] = read_table(out)
        sents = read_table(out, "sentences")
        assert sents.groupby("doc_id").size().to_dict() == {f"d{i}": 4 for i in range(7)}
    frame = annotate_dataframe(df, "text", id_col="id", metadata_cols=["year", "outlet"], pipeline=pipeline)
    keep = ["input_index", "id", "status", "n_sentences", "n_mentions", "meta_year", "meta_outlet", "metadata"]
    for other in ("c.csv", "c.parquet"):
        pd.testing.assert_frame_equal(docs["c.jsonl"][keep], docs[other][keep])
    pd.testing.assert_frame_equal(docs["c.jsonl"][keep], frame.documents[keep])
    assert docs["c.jsonl"]["meta_outlet"].tolist() == ["가", "나", "가", "나", "가", "나", "가"]
    assert json.loads(docs["c.jsonl"]["metadata"][1]) == {"outlet": "나", "year": 2022}


def test_cp949_csv_and_malformed_rows(tmp_path, pipeline):
    path = tmp_path / "k.csv"
    with open(path, "w", encoding="cp949", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "outlet"])
        w.writerow(["a", SENTENCES[0], "가"])
        w.writerow(["b", SENTENCES[1]])  # a field short
        w.writerow(["c", "", "나"])  # empty text
        w.writerow(["d", SENTENCES[2], "다"])
    bar = io.StringIO()
    s = annotate_corpus(open_input(path), tmp_path / "out", pipeline=pipeline, progress_file=bar)
    assert "4/4" in bar.getvalue() and "doc/s" in bar.getvalue()
    docs = read_table(tmp_path / "out")
    assert (s.input_records, s.ok, s.error) == (4, 2, 2)
    assert docs["status"].tolist() == ["ok", "error", "error", "ok"]
    assert "2 fields, the header has 3" in docs["error"][1]
    assert "empty document" in docs["error"][2]
    assert docs["encoding"][0] == "utf-8" and docs["meta_outlet"][3] == "다"


def test_bad_records_become_error_rows_and_the_rest_are_ok(tmp_path, pipeline):
    src = tmp_path / "docs"
    (src / "sub").mkdir(parents=True)
    (src / "good.txt").write_text(make_texts(1)[0], encoding="utf-8")
    (src / "sub" / "euckr.txt").write_bytes(SENTENCES[3].encode("cp949"))
    (src / "page.html").write_text(f"<html><body><p>{SENTENCES[4]}</p><script>x()</script></body></html>",
                                   encoding="utf-8")
    (src / "empty.txt").write_bytes(b"")
    (src / "blank.txt").write_text("  \n\n \t\n", encoding="utf-8")
    (src / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    (src / "wrong-encoding.txt").write_bytes("미국".encode() + b"\xff\xfe\xfa\x80 \x81\xff" * 20)
    (src / "huge.txt").write_text(SENTENCES[5] * 2000, encoding="utf-8")  # over max_bytes below
    (src / "noprose.txt").write_text("가" * 6000, encoding="utf-8")  # a run without spaces
    (src / "ignored.md").write_text("이 파일은 glob에 맞지 않는다.", encoding="utf-8")
    out = tmp_path / "out"
    s = annotate_corpus(open_input(src, max_bytes=20_000), out, pipeline=pipeline, progress=False,
                        max_bytes=20_000)
    docs = read_table(out).set_index("id")
    assert s.input_records == s.documents == 9 and sorted(docs.index) == sorted(
        ["good.txt", "sub/euckr.txt", "page.html", "empty.txt", "blank.txt", "binary.txt", "wrong-encoding.txt",
         "huge.txt", "noprose.txt"])
    ok = docs[docs["status"] == "ok"]
    assert sorted(ok.index) == ["good.txt", "page.html", "sub/euckr.txt"]
    assert (ok["n_sentences"] > 0).all() and docs.loc["sub/euckr.txt", "encoding"] == "euc-kr"
    reasons = docs["error"].to_dict()
    assert "empty document" in reasons["empty.txt"] and "empty document" in reasons["blank.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "not valid UTF-8 and not CP949" in reasons["wrong-encoding.txt"]
    assert "over the 20,000-byte limit" in reasons["huge.txt"]
    assert "without whitespace" in reasons["noprose.txt"]
    assert (s.ok, s.error) == (3, 6)
    sents = read_table(out, "sentences")
    assert set(sents["doc_id"]) == {"good.txt", "page.html", "sub/euckr.txt"}
    page = sents[sents["doc_id"] == "page.html"].iloc[0]
    raw = (src / "page.html").read_text(encoding="utf-8")
    assert raw[page["raw_start"]:page["raw_end"]] == SENTENCES[4]


def test_jsonl_bad_lines_and_jsonl_output(tmp_path, pipeline):
    path = tmp_path / "x.jsonl"
    lines = [json.dumps({"id": "a", "text": SENTENCES[0]}, ensure_ascii=False), "{broken",
             json.dumps([1, 2]), "", json.dumps({"id": "b"}), json.dumps({"id": "c", "text": 42}),
             json.dumps({"text": SENTENCES[1], "year": 2024}, ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    s = annotate_corpus(open_input(path), out, out_format="jsonl", pipeline=pipeline, progress=False)
    assert (s.input_records, s.ok, s.error) == (6, 2, 4)  # the blank line is not a record
    first = json.loads((out / "documents" / "part-00000.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["id"] == "a" and first["status"] == "ok"
    docs = read_table(out)
    assert docs["id"].tolist() == ["a", "x.jsonl:2", "x.jsonl:3", "b", "c", "x.jsonl:7"]
    assert "not valid JSON" in docs["error"][1] and "expected an object" in docs["error"][2]
    assert "missing or null" in docs["error"][3] and "is int, expected a string" in docs["error"][4]


# --------------------------------------------------------------------------- guarantees

def test_rerun_changes_nothing_and_a_changed_input_is_refused(tmp_path, corpus_jsonl, reference_out, pipeline):
    before = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in reference_out.rglob("*") if p.is_file()}
    s = annotate_corpus(open_input(corpus_jsonl), reference_out, shard_size=4, pipeline=pipeline, progress=False)
    assert (s.shards_written, s.shards_resumed, s.documents) == (0, 40, 160)
    after = {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in reference_out.rglob("*") if p.is_file()}
    assert after == before
    changed = write_jsonl(tmp_path / "changed.jsonl", make_texts(160, per_doc=5)[:-1] + ["완전히 다른 문서다."])
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(reference_out, copy)
    manifest = read_manifest(copy)
    manifest["settings"]["input"]["path"] = str(changed.resolve())
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IntegrityError, match="input changed"):
        annotate_corpus(open_input(changed), copy, shard_size=4, pipeline=pipeline, progress=False)
    with pytest.raises(UsageError, match="other settings"):
        annotate_corpus(open_input(corpus_jsonl), reference_out, shard_size=5, pipeline=pipeline, progress=False)


def test_kill_9_mid_run_then_resume_equals_an_uninterrupted_run(tmp_path, corpus_jsonl, reference_out, pipeline):
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "nlp", "annotate", str(corpus_jsonl), "-o", str(out), "--shard-size", "4",
           "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    killed_at = None
    deadline = time.monotonic() + 180
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                m = None
            if m and len(m["shards"]) >= 3:
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = m
                break
            time.sleep(0.02)
    finally:
        if proc.poll() is None and killed_at is None:
            proc.kill()
        proc.wait(timeout=60)
    assert killed_at is not None, f"run ended before it could be killed: {proc.stderr.read().decode()[-2000:]}"
    assert proc.returncode == -signal.SIGKILL
    m = read_manifest(out)
    assert m["status"] == "running" and 3 <= len(m["shards"]) < 40
    s = annotate_corpus(open_input(corpus_jsonl), out, shard_size=4, pipeline=pipeline, progress=False)
    assert s.shards_resumed == len(m["shards"]) and s.shards_written == 40 - len(m["shards"])
    assert (s.input_records, s.documents) == (160, 160)
    assert_same_output(out, reference_out)
    docs = read_table(out)
    assert docs["input_index"].tolist() == list(range(160)) and not docs["id"].duplicated().any()
    for t in TABLES:  # shard files are byte-for-byte those of the uninterrupted run
        for p in sorted((reference_out / t).iterdir()):
            assert (out / t / p.name).read_bytes() == p.read_bytes(), p.name
    assert not [p for p in out.rglob(".*") if ".tmp-" in p.name]


def test_dask_local_cluster_gives_the_same_rows_as_the_local_engine(tmp_path, corpus_jsonl, reference_out):
    pytest.importorskip("distributed")
    out = tmp_path / "out"
    s = annotate_corpus(open_input(corpus_jsonl), out, engine="dask", workers=2, shard_size=4, progress=False)
    assert (s.input_records, s.documents, s.shards_written) == (160, 160, 40)
    assert_same_output(out, reference_out)


# --------------------------------------------------------------------------- CLI and summaries

def test_cli_annotate_summarize_and_plot(tmp_path, capsys, pipeline):
    src = tmp_path / "docs"
    for outlet in ("한겨레", "조선"):
        for year in (2023, 2024):
            d = src / outlet / str(year)
            d.mkdir(parents=True)
            for k in range(2):
                (d / f"{k}.txt").write_text(make_texts(3 + k + year % 2)[-1], encoding="utf-8")
    (src / "조선" / "2024" / "bad.txt").write_bytes(b"\x00\x01\x02")
    out = tmp_path / "out"
    rc = main(["annotate", str(src), "-o", str(out), "--path-metadata", r"(?P<outlet>[^/]+)/(?P<year>\d{4})/",
               "--quiet"])
    assert rc == 1  # complete, one error row
    assert capsys.readouterr().out == ""
    rc = main(["annotate", str(src), "-o", str(out), "--path-metadata", r"(?P<outlet>[^/]+)/(?P<year>\d{4})/"])
    captured = capsys.readouterr()
    assert rc == 1 and "9 input records -> 9 document rows (8 ok, 1 error)" in captured.out
    assert "binary" in captured.err
    table = summarize(out, ["year"])
    assert table["year"].tolist() == ["2023", "2024"] and table["documents"].tolist() == [4, 5]
    assert table["ok"].tolist() == [4, 4] and table["error"].tolist() == [0, 1]
    docs = read_table(out)
    expect = docs[docs["meta_year"] == 2023]["n_sentences"].sum()
    assert table["sentences"][0] == expect
    sents = read_table(out, "sentences").merge(docs[["input_index", "meta_year"]], on="input_index")
    for label in ("tech_platform", "regulation_discourse", "diplomacy_arms"):
        col = f"share_dim_{label}"
        if docs[col].notna().any():  # the dimensions stage ran: the share is sentence-weighted over the group
            in_2024 = sents[sents["meta_year"] == 2024]
            assert table[col][1] == pytest.approx(in_2024["dimensions"].map(lambda d, x=label: x in d).mean())
    png = plot_summary(summarize(out, ["outlet", "year"]), tmp_path / "p.png", ["outlet", "year"])
    assert png.read_bytes()[:4] == b"\x89PNG"
    rc = main(["summarize", str(out), "--by", "outlet", "--format", "json"])
    rows = json.loads(capsys.readouterr().out)
    assert {r["outlet"]: r["documents"] for r in rows} == {"조선": 5, "한겨레": 4}
    assert main(["summarize", str(out), "--by", "nope"]) == 2
    assert "no column or metadata field 'nope'" in capsys.readouterr().err
    assert main(["annotate", str(src), "-o", str(tmp_path / "o2"), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "--scheduler needs --engine dask" in capsys.readouterr().err


def test_output_folder_that_is_not_ours_is_refused(tmp_path, corpus_jsonl, pipeline):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(UsageError, match="not empty and has no manifest"):
        annotate_corpus(open_input(corpus_jsonl), tmp_path, pipeline=pipeline, progress=False)


def test_shard_gc_threshold_is_raised_inside_and_restored_after():
    """While a shard is annotated the collector's young generation runs less often; the process's own
    setting comes back afterwards, also after an exception."""
    import gc

    from nlp.corpus.worker import _SHARD_GC_THRESHOLD, _few_collections

    old = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        with _few_collections():
            assert gc.get_threshold() == (_SHARD_GC_THRESHOLD, 10, 10)
        assert gc.get_threshold() == (700, 10, 10)
        with pytest.raises(RuntimeError), _few_collections():
            raise RuntimeError("stage failed")
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*old)


def test_workers_are_forked_only_from_a_process_without_kiwi():
    """Kiwi's threads do not survive a fork: once this process has a Kiwi instance, the local
    engine spawns its workers instead of forking them."""
    from nlp.corpus.engines import fork_is_safe
    from nlp.tokenize import get_kiwi, kiwi_loaded

    get_kiwi()
    assert kiwi_loaded() and not fork_is_safe()
