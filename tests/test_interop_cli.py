"""``export`` / ``import`` commands (through :func:`nlp.cli.interop.register`) and their inputs."""

from __future__ import annotations

import argparse
import json

import pytest

from nlp.cli import interop as cli
from nlp.errors import AnalyzerError, InputError
from nlp.interop import gold_from_document
from nlp.interop.gold import read_gold
from nlp.interop.source import read_documents

DOCS = {
    "c-001": "미국은 동맹국에 대중 반도체 수출통제 동참을 요구했다. 네덜란드와 일본이 장비 수출을 제한했다.",
    "c-002": "중국은 자체 AI 칩 개발로 기술 자립을 서두르고 있다. 화웨이는 새 가속기를 내놓았다.",
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kdiscourse")
    cli.register(p.add_subparsers(dest="command"))
    return p


def _run(*argv: str) -> int:
    args = _parser().parse_args(list(argv))
    return args.func(args)


@pytest.fixture(scope="module")
def tagged(pipeline):
    from nlp import document_from_text

    return [pipeline(document_from_text(t, i)) for i, t in DOCS.items()]


@pytest.fixture()
def tag_jsonl(tagged, tmp_path):
    path = tmp_path / "tagged.jsonl"
    bad = {"id": "broken", "status": "error", "error": "empty document", "sentences": [], "mentions": []}
    path.write_text("".join(d.to_json() + "\n" for d in tagged) + json.dumps(bad) + "\n", encoding="utf-8")
    return path


def test_help_documents_every_tool_and_option(capsys):
    for cmd in ("export", "import"):
        with pytest.raises(SystemExit):
            _run(cmd, "--help")
        out = capsys.readouterr().out
        for word in ("label-studio", "doccano", "inception", "--out", "--lexicon", "examples:"):
            assert word in out, (cmd, word)


def test_export_then_import_without_edits_gives_the_predictions(tag_jsonl, tagged, tmp_path, capsys):
    rc = _run("export", str(tag_jsonl), "--to", "doccano", "--out", str(tmp_path / "dc"))
    captured = capsys.readouterr()
    assert rc == 1, "an error record in the input is reported with exit code 1"
    assert "'broken' is an error record" in captured.err
    assert "exported 2 document(s), 4 sentence(s)" in captured.out
    rc = _run("import", str(tmp_path / "dc"), "--from", "doccano", "--out", str(tmp_path / "gold"),
              "--annotator", "park")
    assert rc == 0
    assert sorted(p.name for p in (tmp_path / "gold").iterdir()) == ["park.jsonl"]
    assert read_gold(tmp_path / "gold" / "park.jsonl") == [gold_from_document(d, "park") for d in tagged]


def test_import_with_two_annotators_writes_agreement(tagged, tmp_path, capsys):
    pytest.importorskip("cassis", reason="dkpro-cassis not installed ([tools])")
    for who in ("kim", "lee"):
        assert _run("export", str(_write_json(tagged, tmp_path)), "--to", "inception",
                    "--out", str(tmp_path / "done" / who)) == 0
    capsys.readouterr()
    assert _run("import", str(tmp_path / "done"), "--from", "inception", "--out", str(tmp_path / "gold"),
                "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["annotators"] == ["kim", "lee"]
    assert report["units"] == {"total": 4, "rated_by_2_or_more": 4}
    assert report["pairs"][0]["exact_set_agreement"] == {"dimensions": 1.0, "frames": 1.0}
    assert report["actors"][0]["f1"] == 1.0
    assert json.loads((tmp_path / "gold" / "agreement.json").read_text(encoding="utf-8")) == report


def _write_json(tagged, tmp_path):
    path = tmp_path / "tagged.json"
    path.write_text(json.dumps([d.to_dict() for d in tagged], ensure_ascii=False), encoding="utf-8")
    return path


def test_annotate_output_folder_is_an_input(tagged, pipeline, tmp_path):
    from nlp.corpus import annotate_corpus, open_input

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in DOCS.items()),
                   encoding="utf-8")
    annotate_corpus(open_input(src), tmp_path / "out", pipeline=pipeline, progress=False)
    loaded = read_documents(tmp_path / "out")
    assert [d.id for d in loaded.documents] == list(DOCS)
    for got, want in zip(loaded.documents, tagged):
        assert gold_from_document(got) == gold_from_document(want)  # same sentences, offsets, labels, actors
        for s in got.sentences:
            assert got.text[s.start:s.end] == s.text


@pytest.mark.parametrize("tool,content,needle", [
    ("label-studio", '{"not": "a list"}', "list of tasks"),
    ("label-studio", '[{"id": 1, "data": {"text": "x"}}]', "no data.doc_id"),
    ("doccano", '{"text": "미국", "label": []}\n', "needs text, doc_id and sentence"),
    ("doccano", '{"text": "미국", "doc_id": "a", "sentence": 0, "label": [[0, 9, "US"]]}\n', "outside the text"),
    ("doccano", '{"text": "미국", "doc_id": "a", "sentence": 0, "label": [[0, 2, "NOPE"]]}\n', "not in the lexicon"),
])
def test_bad_exports_are_one_clear_error(tool, content, needle, tmp_path):
    f = tmp_path / ("export.json" if tool == "label-studio" else "alice.jsonl")
    f.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=needle):
        _run("import", str(f), "--from", tool, "--out", str(tmp_path / "g"))


def test_unknown_input_is_an_analyzer_error(tmp_path):
    with pytest.raises(AnalyzerError, match="no such file"):
        _run("export", str(tmp_path / "missing.jsonl"), "--to", "doccano", "--out", str(tmp_path / "x"))


def test_label_studio_user_ids_become_names_with_users(tagged, tmp_path, capsys):
    assert _run("export", str(_write_json(tagged, tmp_path)), "--to", "label-studio", "--out", str(tmp_path / "ls")) == 0
    tasks = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    exported = [{**t, "id": n, "annotations": [{"id": 10 + n, "completed_by": 3, "result": t["predictions"][0]["result"]},
                                               {"id": 20 + n, "completed_by": 4, "result": [], "was_cancelled": True}]}
                for n, t in enumerate(tasks)]
    (tmp_path / "export.json").write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    users = {"count": 2, "results": [{"id": 3, "email": "kim@example.org"}, {"id": 4, "email": "lee@example.org"}]}
    (tmp_path / "users.json").write_text(json.dumps(users), encoding="utf-8")
    capsys.readouterr()
    assert _run("import", str(tmp_path / "export.json"), "--from", "label-studio", "--out", str(tmp_path / "g"),
                "--users", str(tmp_path / "users.json")) == 0
    assert sorted(p.name for p in (tmp_path / "g").iterdir()) == ["kim@example.org.jsonl"]  # lee only cancelled
    assert read_gold(tmp_path / "g" / "kim@example.org.jsonl") == [gold_from_document(d, "kim@example.org")
                                                                   for d in tagged]
    with pytest.raises(AnalyzerError, match="Label Studio exports only"):
        _run("import", str(tmp_path / "export.json"), "--from", "doccano", "--out", str(tmp_path / "h"),
             "--users", str(tmp_path / "users.json"))
