import json

import pytest

from nlp.cli import main

SAMPLE = "미국 상무부가 대중 수출통제를 강화했다. 한국 정부는 대응책을 논의했다."


def _run(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture()
def files(tmp_path):
    f = {}
    f["good"] = tmp_path / "good.txt"
    f["good"].write_text(SAMPLE, encoding="utf-8")
    f["empty"] = tmp_path / "empty.txt"
    f["empty"].write_bytes(b"")
    f["blank"] = tmp_path / "blank.txt"
    f["blank"].write_text("  \n\n \t\n", encoding="utf-8")
    f["binary"] = tmp_path / "img.bin"
    f["binary"].write_bytes(bytes(range(256)) * 8)
    f["badenc"] = tmp_path / "bad.txt"
    f["badenc"].write_bytes(b"\x80\x81\xff\xfe\xfd abc \xc3")
    f["huge"] = tmp_path / "huge.txt"
    f["huge"].write_bytes(b"a" * (5 * 1024 * 1024))
    f["cp949"] = tmp_path / "cp949.txt"
    f["cp949"].write_bytes(SAMPLE.encode("cp949"))
    return f


@pytest.mark.parametrize("key,needle", [
    ("empty", "empty document"), ("blank", "empty document"), ("binary", "binary"),
    ("badenc", "not valid UTF-8"), ("huge", "without whitespace"),
])
def test_bad_inputs_one_line_error(capsys, files, key, needle):
    rc, out, err = _run(capsys, "tag", str(files[key]), "--format", "jsonl", "--stages", "tokenize")
    assert rc == 1
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    rec = json.loads(out)
    assert rec["status"] == "error" and needle in rec["error"]


def test_directory_and_missing_path(capsys, files, tmp_path):
    rc, out, err = _run(capsys, "tag", str(tmp_path), str(tmp_path / "nope.txt"), "--stages", "tokenize")
    assert rc == 1
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert "is a directory" in lines[0] and "no such file" in lines[1]


def test_one_bad_file_does_not_stop_others(capsys, files):
    rc, out, err = _run(capsys, "tag", str(files["empty"]), str(files["good"]), str(files["cp949"]),
                        "--format", "jsonl", "--stages", "tokenize")
    assert rc == 1
    recs = [json.loads(x) for x in out.splitlines()]
    assert [r["status"] for r in recs] == ["error", "ok", "ok"]
    assert recs[2]["source"]["encoding"] in ("euc-kr", "cp949")
    assert recs[1]["text"] == recs[2]["text"] == SAMPLE
    assert len(recs[1]["sentences"]) == 2


def test_stdin(capsys, monkeypatch, files):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(SAMPLE.encode("utf-8"))))
    rc, out, err = _run(capsys, "tag", "-", "--format", "json", "--stages", "tokenize")
    assert rc == 0
    rec = json.loads(out)
    assert rec["id"] == "stdin" and rec["status"] == "ok"


def test_json_contract_fields(capsys, files):
    rc, out, err = _run(capsys, "tag", str(files["good"]), "--format", "json", "--stages", "tokenize")
    assert rc == 0
    rec = json.loads(out)
    for key in ("id", "codebook_version", "source", "text", "sentences", "mentions", "status", "error", "stages",
                "models"):
        assert key in rec
    assert rec["source"]["encoding"] == "utf-8"
    s0 = rec["sentences"][0]
    assert (s0["index"], s0["start"], s0["dimensions"], s0["frames"]) == (0, 0, [], [])
    assert rec["text"][s0["start"]:s0["end"]] == s0["text"] == "미국 상무부가 대중 수출통제를 강화했다."
    assert rec["stages"]["ran"] == ["repair", "tokenize"]
    assert "actors" in rec["stages"]["not_run"]
    assert rec["models"]["tokenizer"].startswith("kiwipiepy-")


def test_help_on_every_command(capsys):
    from nlp.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert "tag" in sub.choices
    for name, p in sub.choices.items():
        assert p.description or p.format_help(), name
        for action in p._actions:
            if action.dest != "help" and action.option_strings:
                assert action.help, f"{name} {action.option_strings} has no help"
