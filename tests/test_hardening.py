"""Issue 15: each hole found by the adversarial pass, as a test that failed before the fix.

Inputs are validated, I/O failures are one line with a distinct exit code, limits hold for
every source, and the text repair keeps its offsets.  Property-based tests of the repair
live in ``test_repair_properties.py``.
"""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nlp.errors import InputError, OutputError
from nlp.inputs import MAX_INPUT_BYTES, document_from_path, document_from_stream, read_file_bytes, read_stream
from nlp.textrepair import decode_bytes, repair_text

REPO = Path(__file__).resolve().parent.parent
# korean prose for inputs, written for these tests
PROSE = "미국과 중국은 인공지능 반도체를 두고 경쟁한다. 한국 정부는 수출통제에 대응한다."


def run_cli(args: list[str], cwd: Path, stdin=subprocess.DEVNULL, preexec_fn=None, timeout: int = 240):
    """The command line in a child process using this checkout's package."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "import sys; from nlp.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=env, stdin=stdin, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=preexec_fn)


# --------------------------------------------------------------------------- text repair

def _raw_of(rep, a: int, b: int) -> str:
    ra, rb = rep.to_raw(a, b)
    return rep.raw[ra:rb]


@pytest.mark.parametrize("ref", ["&#54620", "&#xD55C", "&#54620;", "&#xd55c;"])
def test_numeric_entity_with_or_without_semicolon_maps_to_exactly_its_raw_span(ref):
    src = f"<p>가{ref} 나</p>"
    rep = repair_text(src, name="x.html")
    k = rep.text.index("한")
    assert _raw_of(rep, k, k + 1) == ref          # was one character too long without ';'
    assert _raw_of(rep, k + 1, k + 2) == " "


@pytest.mark.parametrize("ref", ["&amp", "&amp;"])
def test_named_entity_with_or_without_semicolon(ref):
    src = f"<p>미국{ref} 중국</p>"
    rep = repair_text(src, name="x.html")
    k = rep.text.index("&")
    assert _raw_of(rep, k, k + 1) == ref


def test_hard_wrapped_line_that_starts_with_a_space_keeps_the_word_break():
    words = "인공지능 반도체 수출통제 동맹 협력 규제 경쟁 기술 표준 공급망".split()
    lines = []
    for i in range(12):
        w = words[i % len(words)]
        # every line about the same width, none ends a sentence; the word break is at the next line's start
        lines.append(f" {w}과 관련된 정책 논의가 여러 나라에서 이어지고 있으며 각국의")
    rep = repair_text("미국의 정책 문서는 다음과 같이 서술한다 그리고 각 나라의\n" + "\n".join(lines) + ".\n")
    assert rep.layout == "wrapped"
    assert "각국의인공지능" not in rep.text and "나라의인공지능" not in rep.text
    assert "각국의 반도체과" in rep.text


def test_nul_bytes_after_the_first_64_kib_are_refused():
    data = ("가" * 40000).encode("utf-8") + b"\x00\x00" + "나다".encode()
    assert len(data) > 65536
    with pytest.raises(InputError, match="NUL byte at offset 120,000"):
        decode_bytes(data, "x.txt")


@pytest.mark.parametrize("enc", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_text_not_binary(enc):
    text, got = decode_bytes(PROSE.encode(enc), "x.txt")
    assert (text, got) == (PROSE, enc)
    mixed = "AI 반도체 export controls, 2025.\n"
    assert decode_bytes(mixed.encode(enc), "x.txt") == (mixed, enc)


def test_real_binary_with_nul_bytes_is_still_binary():
    with pytest.raises(InputError, match="binary"):
        decode_bytes(bytes(range(256)) * 4, "x.bin")


def test_a_file_name_with_a_newline_gives_a_one_line_error(tmp_path):
    p = tmp_path / "bad\nname.txt"
    p.write_bytes(b"\x00\x01\x02" * 100)
    doc = document_from_path(p)
    assert doc.status == "error" and "\n" not in doc.error and "\\n" in doc.error


def test_terminal_view_escapes_control_sequences(capsys):
    from nlp.cli.common import err, terminal_safe
    from nlp.cli.tag import _render_text
    from nlp.document import Document, Sentence

    text = "미국\x1b[2J\x1b]0;title\x07이 말했다."
    doc = Document("d\x1b[31m", text, sentences=(Sentence(0, 0, len(text), text, 0),), stages=("tokenize",))

    class _P:
        missing: dict = {}

    _render_text(doc, _P(), sys.stdout)
    err("file a\nb: \x1b[31mred")
    out, errs = capsys.readouterr()
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out
    assert "\x1b" not in errs and errs.count("\n") == 1
    assert terminal_safe("미국\t") == "미국\\t"


# --------------------------------------------------------------------------- limits on every source

def test_stdin_over_the_limit_is_an_error_record_without_reading_it_all():
    r, w = os.pipe()
    total = 3 * (1 << 20)

    def feed():
        with os.fdopen(w, "wb") as fh:
            try:
                for _ in range(total // 65536):
                    fh.write(b"a" * 65536)
            except BrokenPipeError:
                pass

    t = threading.Thread(target=feed)
    t.start()
    with os.fdopen(r, "rb") as fh:
        doc = document_from_stream(fh, "stdin", "<stdin>", max_bytes=1 << 20)
    t.join()
    assert doc.status == "error" and "limit" in doc.error


def test_stream_default_limit_is_the_document_limit():
    with pytest.raises(InputError, match=f"{MAX_INPUT_BYTES:,}-byte limit"):
        read_stream(io.BytesIO(b" " * (MAX_INPUT_BYTES + 1)))


def test_closed_stdin_is_an_error_record(monkeypatch, capsys):
    from nlp.cli import main

    monkeypatch.setattr(sys, "stdin", None)
    assert main(["tag", "-", "--pipeline", "tokenize"]) == 1
    errs = capsys.readouterr().err
    assert errs.count("\n") == 1 and "<stdin>: closed" in errs
    closed = io.BufferedReader(io.BytesIO(b"x"))
    closed.close()
    assert document_from_stream(closed).status == "error"


def test_fifo_and_symlink_to_fifo_are_skipped_with_an_error(tmp_path):
    from nlp.corpus import open_input

    fifo = tmp_path / "in" / "pipe.txt"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    (tmp_path / "in" / "link.txt").symlink_to(fifo)
    (tmp_path / "in" / "dev.txt").symlink_to("/dev/zero")
    (tmp_path / "in" / "ok.txt").write_text(PROSE, encoding="utf-8")
    for p in (fifo, tmp_path / "in" / "link.txt"):
        with pytest.raises(InputError, match="FIFO"):
            read_file_bytes(p)  # returns at once: a FIFO is never opened
        assert document_from_path(p).status == "error"
    recs = list(open_input(tmp_path / "in").records())  # hung forever before
    by_name = {r.name: r for r in recs}
    assert set(by_name) == {"dev.txt", "link.txt", "ok.txt", "pipe.txt"}
    assert by_name["ok.txt"].data is not None
    assert "character device" in by_name["dev.txt"].error and "FIFO" in by_name["link.txt"].error


# --------------------------------------------------------------------------- I/O failures

def test_atomic_write_failure_is_one_line_naming_the_file(tmp_path, monkeypatch):
    from nlp import atomic

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    target = tmp_path / "out.json"
    with pytest.raises(OutputError) as info:
        atomic.write_text_atomic(target, "{}")
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert not target.exists() and not list(tmp_path.iterdir())  # temporary file removed


def test_output_under_proc_is_exit_3_one_line(tmp_path):
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "text": PROSE}) + "\n", encoding="utf-8")
    res = run_cli(["annotate", "in.jsonl", "-o", "/proc/kdiscourse-out", "--pipeline", "tokenize", "--quiet"],
                  tmp_path)
    assert res.returncode == 3, res.stderr
    assert res.stderr.count("\n") == 1 and "/proc/kdiscourse-out" in res.stderr and "Traceback" not in res.stderr


def test_disk_full_while_writing_shards_is_exit_3_one_line(tmp_path):
    import resource
    import signal

    rows = "".join(json.dumps({"id": f"d{i}", "text": PROSE}) + "\n" for i in range(40))
    (tmp_path / "in.jsonl").write_text(rows, encoding="utf-8")

    def small_files():  # files over 2 KiB cannot be written: the write fails like a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    res = run_cli(["annotate", "in.jsonl", "-o", "out", "--pipeline", "tokenize", "--format", "jsonl", "--quiet"],
                  tmp_path, preexec_fn=small_files)
    assert res.returncode == 3, res.stderr
    assert res.stderr.count("\n") == 1 and "cannot write" in res.stderr and "File too large" in res.stderr


# --------------------------------------------------------------------------- one writer per output folder

def _jsonl(path: Path, n: int, marker: dict | None = None) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            text = (marker or {}).get(i, PROSE)
            fh.write(json.dumps({"id": f"d{i}", "text": text}, ensure_ascii=False) + "\n")
    return path


def test_a_second_writer_is_refused_naming_the_first_ones_pid(tmp_path):
    from nlp.corpus import annotate_corpus, open_input
    from nlp.corpus.lock import LOCK_FILE

    out = tmp_path / "out"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from nlp.corpus.lock import folder_lock\n"
         "with folder_lock(sys.argv[1]):\n    print('locked', flush=True); time.sleep(120)", str(out)],
        env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        src = open_input(_jsonl(tmp_path / "in.jsonl", 3))
        with pytest.raises(OutputError, match=rf"another kdiscourse process \(pid {holder.pid} on "):
            annotate_corpus(src, out, config="tokenize", progress=False)
        assert sorted(p.name for p in out.iterdir()) == [LOCK_FILE]  # nothing else touched
    finally:
        holder.kill()
        holder.wait()
    # the holder is gone (even killed): the lock is free again and the run proceeds
    s = annotate_corpus(src, out, config="tokenize", progress=False)
    assert s.complete and s.documents == 3
    assert not (out / LOCK_FILE).exists()  # removed at the end: a finished folder holds only results


def test_summarize_and_read_table_refuse_an_incomplete_run(tmp_path):
    from nlp.corpus import IntegrityError, annotate_corpus, open_input, read_table, summarize
    from nlp.corpus.store import _write_manifest, read_manifest

    out = tmp_path / "out"
    annotate_corpus(open_input(_jsonl(tmp_path / "in.jsonl", 4)), out, config="tokenize", shard_size=2,
                    progress=False)
    manifest = read_manifest(out)
    manifest["status"] = "running"  # what a killed run leaves
    manifest["shards"] = manifest["shards"][:1]
    _write_manifest(out, manifest)
    with pytest.raises(IntegrityError, match="incomplete .*1 shards with 2 records"):
        summarize(out)
    with pytest.raises(IntegrityError, match="incomplete"):
        read_table(out, "documents")
    assert len(read_table(out, "documents", partial=True)) == 2


def test_summarize_command_reads_a_partial_run_only_when_asked(tmp_path, capsys):
    from nlp.cli import main
    from nlp.corpus import annotate_corpus, open_input
    from nlp.corpus.store import _write_manifest, read_manifest

    out = tmp_path / "out"
    annotate_corpus(open_input(_jsonl(tmp_path / "in.jsonl", 4)), out, config="tokenize", shard_size=2,
                    progress=False)
    manifest = read_manifest(out)
    manifest["status"] = "running"
    manifest["shards"] = manifest["shards"][:1]
    _write_manifest(out, manifest)
    assert main(["summarize", str(out)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "incomplete" in err
    assert main(["summarize", str(out), "--partial", "--format", "json"]) == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [r["documents"] for r in rows] == [2]
    assert "not complete" in captured.err and "'running'" in captured.err


KILLER = '''
import os, signal
from pathlib import Path
from nlp.stage import Stage, register_stage


class Killer(Stage):
    """Kills its own worker process on a marked record (once, or always)."""

    def __init__(self, flag):
        self.flag = flag

    def process(self, doc):
        if "KILL" in doc.text and ("ALWAYS" in doc.text or not Path(self.flag).exists()):
            Path(self.flag).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return doc


@register_stage("killer", default_config={"flag": ""}, requires=("text",))
def make_killer(flag):
    """The killer stage."""
    return Killer(flag)
'''


def _killer_config(tmp_path: Path) -> Path:
    (tmp_path / "killer.py").write_text(KILLER, encoding="utf-8")
    cfg = {"format": "kdiscourse.pipeline/1", "name": "killer", "imports": ["killer.py"],
           "stages": [{"factory": "killer", "config": {"flag": str(tmp_path / "killed-once")}}]}
    path = tmp_path / "killer.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


def test_dead_worker_shard_is_retried_once_then_reported(tmp_path):
    from nlp.corpus import annotate_corpus, open_input, read_table

    cfg = _killer_config(tmp_path)
    once = _jsonl(tmp_path / "once.jsonl", 6, {3: "KILL 미국."})
    s = annotate_corpus(open_input(once), tmp_path / "out1", config=str(cfg), workers=2, shard_size=2,
                        progress=False)
    assert s.complete and s.documents == 6 and (tmp_path / "killed-once").exists()
    assert list(read_table(tmp_path / "out1")["id"]) == [f"d{i}" for i in range(6)]

    always = _jsonl(tmp_path / "always.jsonl", 6, {3: "KILL ALWAYS 미국."})
    res = run_cli(["annotate", str(always), "-o", "out2", "--pipeline", str(cfg), "--workers", "2",
                   "--shard-size", "2", "--quiet"], tmp_path)
    assert res.returncode == 3, res.stderr
    assert res.stderr.count("\n") == 1 and "shard 1 (records 2-3): the worker process died twice" in res.stderr


# --------------------------------------------------------------------------- JSON contract and the HTML report

EVIL = '"><script>alert(1)</script><img src=x onerror="alert(2)" \'>&'


def _contract_doc(payload: str = "") -> dict:
    from nlp.document import Document, Mention, Sentence

    t1 = f"미국{payload}은 수출통제를 강화했다."
    t2 = "중국은 반도체 자립을 추진한다."
    text = f"{t1} {t2}"
    a = len(t1) + 1
    sents = (Sentence(0, 0, len(t1), t1, 0, dimensions=("tech_platform",), frames=("military_security",),
                      scores={"tech_platform": 0.9}),
             Sentence(1, a, a + len(t2), t2, 0, dimensions=("tech_platform",)))
    ments = (Mention(0, 2, 0, 2, "미국", "US", "state", "us", 0, "lexicon"),
             Mention(a, a + 2, a, a + 2, "중국", "CN", "state", "cn", 1, "lexicon"))
    doc = Document("doc", text, sentences=sents, mentions=ments, paragraphs=((0, len(text), "paragraph"),),
                   stages=("tokenize", "dimensions", "actors", "frames"), metadata={"outlet": "x"})
    return doc.to_dict()


@pytest.mark.parametrize("path, value, field", [
    (("sentences", 0, "index"), "0\" onmouseover=\"x", "sentences[0].index"),
    (("sentences", 1, "start"), 1.5, "sentences[1].start"),
    (("sentences", 0, "end"), 10_000, "sentences[0].end"),
    (("sentences", 0, "text"), 7, "sentences[0].text"),
    (("sentences", 0, "dimensions"), "tech_platform", "sentences[0].dimensions"),
    (("sentences", 0, "scores", "tech_platform"), "high", "sentences[0].scores['tech_platform']"),
    (("mentions", 0, "actor"), ["US"], "mentions[0].actor"),
    (("mentions", 1, "sentence"), -1, "mentions[1].sentence"),
    (("paragraphs", 0, "kind"), None, "paragraphs[0].kind"),
    (("id",), {"x": 1}, "id"),
    (("metadata",), [1, 2], "metadata"),
    (("source", "path"), 3, "source.path"),
    (("status",), "weird", "status"),
])
def test_from_dict_refuses_a_wrong_type_naming_the_field(path, value, field):
    from nlp.document import Document

    d = _contract_doc()
    target = d
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InputError) as info:
        Document.from_dict(d, "crafted.json")
    msg = str(info.value)
    assert msg.startswith("crafted.json: ") and field in msg and "\n" not in msg


@pytest.mark.parametrize("drop", [("sentences", 0, "end"), ("mentions", 0, "raw_start"), ("id",)])
def test_from_dict_missing_field_is_an_input_error_not_a_key_error(drop):
    from nlp.document import Document

    d = _contract_doc()
    target = d
    for key in drop[:-1]:
        target = target[key]
    del target[drop[-1]]
    with pytest.raises(InputError):
        Document.from_dict(d)


def test_from_dict_still_round_trips():
    from nlp.document import Document

    d = _contract_doc()
    assert Document.from_dict(d).to_dict() == d


def _assert_inert(page: str) -> None:
    """No element or attribute the crafted values could have injected."""
    from html.parser import HTMLParser

    found = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag in ("script", "img", "iframe"):
                found.append(tag)
            found.extend(name for name, _ in attrs if name.startswith("on"))

    P().feed(page)
    assert found == []


def test_every_document_value_reaching_the_report_is_escaped():
    from nlp.compare import compare_profiles
    from nlp.document import Document
    from nlp.profile import document_profile
    from nlp.report.html import render_html
    from nlp.report.network import actor_frame_graph

    d = _contract_doc(EVIL)
    d["id"] = EVIL
    d["source"]["path"] = EVIL
    d["metadata"] = {EVIL: EVIL}
    for m in d["mentions"]:
        m.update(actor=EVIL, type=EVIL, bloc=EVIL, rule=EVIL)
    d["sentences"][0]["explanations"] = {"military_security": [EVIL]}  # labels themselves must be codebook ids
    doc = Document.from_dict(d)
    prof = document_profile(doc)
    page = render_html(doc, compare_profiles(prof, prof), actor_frame_graph(prof), title=EVIL)
    _assert_inert(page)
    assert "&lt;script&gt;" in page


def test_report_escapes_values_of_any_type_even_without_validation():
    from dataclasses import replace

    from nlp.compare import compare_profiles
    from nlp.document import Document
    from nlp.profile import document_profile
    from nlp.report.html import render_html

    doc = Document.from_dict(_contract_doc())
    # a stage (not from_dict) could put any value into a sentence: the report escapes whatever it gets
    doc = replace(doc, sentences=(replace(doc.sentences[0], index=EVIL),) + doc.sentences[1:])
    prof = document_profile(Document.from_dict(_contract_doc()))
    _assert_inert(render_html(doc, compare_profiles(prof, prof)))


def test_compare_html_on_a_crafted_contract_document_is_one_line_exit_2(tmp_path):
    d = _contract_doc()
    d["sentences"][0]["index"] = '0"><script>alert(1)</script>'
    (tmp_path / "crafted.json").write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    d = _contract_doc()
    del d["sentences"][1]["end"]
    (tmp_path / "broken.json").write_text(json.dumps(d, ensure_ascii=False), encoding="utf-8")
    for name, field in (("crafted.json", "sentences[0].index"), ("broken.json", "sentences[1].end")):
        res = run_cli(["compare", name, "--html", "out.html", "--pipeline", "tokenize"], tmp_path)
        assert res.returncode == 2, res.stderr
        assert res.stderr.count("\n") == 1 and name in res.stderr and field in res.stderr
        assert not (tmp_path / "out.html").exists()


# --------------------------------------------------------------------------- model folders

def _model_copy(tmp_path: Path) -> Path:
    import shutil

    from nlp.resources import models_dir

    root = tmp_path / "models"
    for task in ("dimensions", "frames"):
        shutil.copytree(models_dir() / task, root / task)
    return root


def _edit_meta(folder: Path, **changes) -> None:
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    meta.update(changes)
    (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")  # json writes NaN as NaN here


def _nan_weights(folder: Path) -> None:
    import numpy as np

    with np.load(folder / "weights.npz") as z:
        arrays = {k: z[k] for k in z.files}
    arrays["coef"] = arrays["coef"].copy()
    arrays["coef"][0, 0] = np.nan
    np.savez_compressed(folder / "weights.npz", **arrays)


def _truncate(folder: Path) -> None:
    data = (folder / "weights.npz").read_bytes()
    (folder / "weights.npz").write_bytes(data[: len(data) // 2])


CORRUPTIONS = {
    "truncated weights": (_truncate, "not a readable weights file"),
    "NaN weights": (_nan_weights, "NaN or infinite"),
    "non-numeric thresholds": (lambda f: _edit_meta(f, thresholds=["high", "low", "mid"]), "finite numbers"),
    "NaN thresholds": (lambda f: _edit_meta(f, thresholds=[float("nan")] * 3), "NaN is not a JSON number"),
    "huge thresholds": (lambda f: _edit_meta(f, thresholds=[1e400] * 3), "Infinity is not a JSON number"),
    "non-string features": (lambda f: _edit_meta(f, features=list(range(51633))), "list of strings"),
    "weights outside the folder": (lambda f: _edit_meta(f, weights="../frames/weights.npz"), "outside the model folder"),
    "weights not a name": (lambda f: _edit_meta(f, weights=3), "non-empty string"),
    "other codebook": (lambda f: _edit_meta(f, codebook_version="0.1"), "codebook '0.1'"),
    "other labels": (lambda f: _edit_meta(f, labels=["tech_platform", "diplomacy_arms", "regulation_discourse"]),
                     "do not match"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_a_corrupt_model_is_a_model_error(tmp_path, case):
    from nlp.classify import load_model
    from nlp.errors import ModelError

    folder = _model_copy(tmp_path) / "dimensions"
    corrupt, needle = CORRUPTIONS[case]
    corrupt(folder)
    with pytest.raises(ModelError, match=needle) as info:
        load_model(folder, task="dimensions")
    assert "\n" not in str(info.value)


def test_a_corrupt_model_fails_the_run_instead_of_becoming_not_installed(tmp_path):
    from nlp.errors import ModelError
    from nlp.pipeline import Pipeline

    root = _model_copy(tmp_path)
    _nan_weights(root / "dimensions")
    cfg = {"format": "kdiscourse.pipeline/1", "name": "t",
           "stages": [{"factory": "tokenize"}, {"factory": "dimensions", "config": {"model": str(root / "dimensions")}}]}
    with pytest.raises(ModelError, match="stage 'dimensions' cannot load its model"):
        Pipeline.from_config(cfg)
    (tmp_path / "a.txt").write_text(PROSE, encoding="utf-8")
    res = run_cli(["tag", "a.txt", "--models", str(root), "--format", "json"], tmp_path)
    assert res.returncode == 3 and res.stdout == "", res.stderr
    assert res.stderr.count("\n") == 1 and "NaN" in res.stderr
    # asking to run without the stage is the way to proceed
    res = run_cli(["tag", "a.txt", "--models", str(root), "--stages", "tokenize,frames", "--format", "json"],
                  tmp_path)
    assert res.returncode == 0, res.stderr
    assert "frames" in json.loads(res.stdout)["stages"]["ran"]


def test_only_a_missing_extra_makes_a_stage_not_installed(tmp_path):
    from nlp.pipeline import Pipeline

    (tmp_path / "extra.py").write_text(
        "from nlp.stage import register_stage\n\n\n"
        "@register_stage('needs_extra', requires=('text',))\n"
        "def make():\n"
        "    \"\"\"A stage whose optional package is absent.\"\"\"\n"
        "    import kdiscourse_absent_package  # noqa: F401\n", encoding="utf-8")
    cfg = tmp_path / "p.json"
    cfg.write_text(json.dumps({"format": "kdiscourse.pipeline/1", "name": "x", "imports": ["extra.py"],
                               "stages": [{"factory": "tokenize"}, {"factory": "needs_extra"}]}), encoding="utf-8")
    p = Pipeline.from_config(str(cfg))
    assert "needs_extra" in p.missing and "kdiscourse_absent_package" in p.missing["needs_extra"]


# --------------------------------------------------------------------------- other input formats: no NaN, no traceback

def test_configuration_with_nan_is_refused(tmp_path):
    from nlp.config import PipelineConfig
    from nlp.errors import PipelineError

    p = tmp_path / "p.json"
    p.write_text('{"format": "kdiscourse.pipeline/1", "stages": [{"factory": "tokenize", '
                 '"config": {"batch_docs": NaN}}]}', encoding="utf-8")
    with pytest.raises(PipelineError, match="NaN is not a JSON number"):
        PipelineConfig.from_file(p)


@pytest.mark.parametrize("edit", [
    lambda d: d["sentences"][0].update(index="first"),
    lambda d: d["sentences"][0].pop("index"),
    lambda d: d.update(sentences=[7]),
])
def test_malformed_profile_is_one_model_error(tmp_path, edit):
    from nlp.errors import ModelError
    from nlp.profile import load_reference
    from nlp.resources import models_dir

    d = json.loads((models_dir() / "reference_profile.json").read_text(encoding="utf-8"))
    edit(d)
    p = tmp_path / "ref.json"
    p.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(ModelError, match="malformed profile"):
        load_reference(p)


def test_team_jsonl_with_nan_is_refused(tmp_path):
    from nlp.formats import read_team_jsonl

    p = tmp_path / "t.jsonl"
    p.write_text('{"id": "a", "sentences": [], "score": NaN}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"t.jsonl:1: not JSON \(NaN is not a JSON number\)"):
        list(read_team_jsonl(p))


def test_infinite_metadata_becomes_null_not_invalid_json(tmp_path):
    from nlp.corpus import open_input

    p = tmp_path / "in.jsonl"
    p.write_text('{"id": "a", "text": "미국.", "w": Infinity, "v": NaN}\n', encoding="utf-8")
    (rec,) = open_input(p).records()
    assert rec.metadata == {"w": None, "v": None}
    json.dumps(rec.metadata, allow_nan=False)


# --------------------------------------------------------------------------- lexicons (nlp/lexicon.py, minimal fix)

LEX_HEADER = "id\ttype\tbloc\tnames_ko\tnames_en\taliases\tcontext\tnote\n"


def _lexicon(tmp_path: Path, row: str) -> str:
    p = tmp_path / "extra.tsv"
    p.write_text(LEX_HEADER + row + "\n", encoding="utf-8")
    return str(p)


def test_lexicon_very_long_name_is_refused(tmp_path):
    from nlp.errors import LexiconError
    from nlp.lexicon import load_lexicon

    with pytest.raises(LexiconError, match="has 100,000 characters"):
        load_lexicon(_lexicon(tmp_path, "XTEST\tcompany\tother\t" + "가" * 100_000 + "\t\t\t\t"))


def test_lexicon_tab_inside_a_name_is_an_error_not_dropped_columns(tmp_path):
    from nlp.errors import LexiconError
    from nlp.lexicon import load_lexicon

    with pytest.raises(LexiconError, match="9 tab-separated fields but the header has 8"):
        load_lexicon(_lexicon(tmp_path, "XTEST\tcompany\tother\t테스트\t기업\tTest Co\t\t\tnote"))


def test_lexicon_directory_is_one_line_error(tmp_path):
    from nlp.errors import LexiconError
    from nlp.lexicon import load_lexicon

    with pytest.raises(LexiconError, match="is a directory"):
        load_lexicon(str(tmp_path))


def test_lexicon_field_over_the_csv_limit_is_a_lexicon_error(tmp_path):
    from nlp.errors import LexiconError
    from nlp.lexicon import load_lexicon

    with pytest.raises(LexiconError):
        load_lexicon(_lexicon(tmp_path, "XTEST\tcompany\tother\t테스트\t\t\t\t" + "x" * 200_000))


# --------------------------------------------------------------------------- 100k short lines: linear time

def test_more_sentences_than_the_feature_cache_holds(monkeypatch):
    from nlp.classify import linear, load_model
    from nlp.classify.data import items_from_sentences
    from nlp.resources import models_dir

    monkeypatch.setattr(linear, "_FEATURE_CACHE_SIZE", 50)
    monkeypatch.setattr(linear, "_FEATURE_CACHE", type(linear._FEATURE_CACHE)())
    monkeypatch.setattr(linear, "_ROW_CACHE", type(linear._ROW_CACHE)())
    clf = load_model(models_dir() / "dimensions", task="dimensions")
    texts = [f"미국 정부는 반도체 수출통제 {i}번을 발표했다." for i in range(120)]
    morphs = [(("미국", "NNP"), ("정부", "NNG"), ("반도체", "NNG"), (str(i), "SN"), ("발표", "NNG"))
              for i in range(120)]
    items = items_from_sentences(texts, morphs, "d")
    first = clf.predict_proba(items[:40])  # cached; the next call evicts these hits while adding new rows
    proba = clf.predict_proba(items)  # KeyError before
    assert proba.shape == (120, 3)
    assert abs(proba[:39] - first[:39]).max() < 1e-6  # same rows, whether cached or not (item 39 has a new neighbour)


def test_actor_quote_search_stays_in_a_window(tmp_path):
    from nlp.actors import ActorStage
    from nlp.actors.resolver import QUOTE_SPAN
    from nlp.document import Document, Morpheme, Sentence

    scanned = []

    class Watched(str):
        def rfind(self, sub, start=0, end=None):
            scanned.append((end if end is not None else len(self)) - start)
            return str.rfind(self, sub, start, end)

        def find(self, sub, start=0, end=None):
            scanned.append((end if end is not None else len(self)) - start)
            return str.find(self, sub, start, end)

    line = "미국 정부는 중국을 견제한다."
    forms = [("미국", "NNP", 0, 2), ("정부", "NNG", 3, 5), ("는", "JX", 5, 6), ("중국", "NNP", 7, 9),
             ("을", "JKO", 9, 10), ("견제", "NNG", 11, 13), ("한다", "XSV+EF", 13, 15), (".", "SF", 15, 16)]
    n = 400
    sents, pos = [], 0
    for i in range(n):
        ms = tuple(Morpheme(f, t, a + pos, b + pos) for f, t, a, b in forms)
        sents.append(Sentence(i, pos, pos + len(line), line, i, ms))
        pos += len(line) + 1
    text = Watched("\n".join([line] * n))
    doc = Document("d", text, sentences=tuple(sents), stages=("tokenize",))
    out = ActorStage().process(doc)
    assert len(out.mentions) >= n  # every line has its mentions
    assert scanned and max(scanned) <= 2 * QUOTE_SPAN  # was up to the whole document: quadratic
