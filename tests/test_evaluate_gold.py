"""`evaluate --gold` on a user's gold file, and `train --output-dir` models used by `tag --models` and `--gold`."""

from __future__ import annotations

import json

from nlp.cli import main

GOLD = [
    {"id": "g1", "annotator": "kim", "sentences": [
        {"text": "미국 상무부가 대중 반도체 수출통제를 강화했다.", "dimensions": ["regulation_discourse"],
         "frames": ["economic_security"],
         "actors": [{"start": 0, "end": 6, "id": "US_COMMERCE", "type": "agency", "bloc": "US"},
                    {"start": 8, "end": 10, "id": "CN", "type": "state", "bloc": "CN"}]},
        {"text": "한국 정부는 동맹국과 협의를 이어 갔다.", "dimensions": ["diplomacy_arms"], "frames": [],
         "actors": [{"start": 0, "end": 5, "id": "KR", "type": "state", "bloc": "KR"}]}]},
    {"id": "g2", "annotator": "kim", "sentences": [
        {"text": "주말 날씨는 맑겠다.", "dimensions": [], "frames": [], "actors": []},
        {"text": "중국은 자국어 거대언어모델로 기술 자립을 서두른다.", "dimensions": ["tech_platform"],
         "frames": ["sovereignty"], "actors": [{"start": 0, "end": 2, "id": "CN", "type": "state", "bloc": "CN"}]}]},
]

TEAM = [
    ("미국이 AI 칩 수출통제를 강화했다.", ["regulation_discourse"], ["economic_security"]),
    ("한국은 동맹과 함께 공급망을 다시 짠다.", ["diplomacy_arms"], ["economic_security"]),
    ("국방부는 자율무기 도입을 검토한다.", ["diplomacy_arms"], ["military_security"]),
    ("정부는 소버린 AI 투자를 늘린다.", ["tech_platform"], ["sovereignty"]),
    ("오늘 서울은 흐리다.", [], []),
]


def test_evaluate_gold_scores_labels_and_actors(tmp_path, capsys):
    gold = tmp_path / "kim.jsonl"
    gold.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in GOLD), encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)
    dims = next(r for r in results if r.get("task") == "dimensions")
    rep = dims["classifiers"]["shipped"]
    assert rep["n"] == 4 and rep["labels"]["tech_platform"]["support"] == 1
    lo, hi = rep["ci"]["macro_f1"]
    assert 0.0 <= lo <= rep["macro"]["f1"] <= hi <= 1.0 and rep["ci"]["documents"] == 2
    actors = next(r for r in results if r.get("setting") == "gold-actors")["actors"]
    assert actors["sentences"] == 4 and actors["by_type"]["ALL"]["support"] == 4
    assert actors["by_type"]["ALL"]["recall"] == 1.0  # each gold span is one the lexicon knows


def test_train_output_dir_then_tag_and_gold_with_those_models(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = [{"id": f"t{i}", "register": "news", "topic": "ai",
             "sentences": [{"text": f"{t} ({i})", "dimensions": d, "frames": f} for t, d, f in TEAM]}
            for i in range(6)]
    (corpus / "mine.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs),
                                       encoding="utf-8")
    out = tmp_path / "my-models"
    assert main(["train", "--corpus", str(corpus), "--output-dir", str(out), "--no-baseline", "--quiet",
                 "--essay-gold", str(tmp_path / "none.tsv")]) == 0
    capsys.readouterr()
    meta = json.loads((out / "frames" / "model.json").read_text(encoding="utf-8"))
    assert meta["metadata"]["n_train"] == 30
    text = tmp_path / "doc.txt"
    text.write_text("국방부는 자율무기 도입을 검토한다.", encoding="utf-8")
    assert main(["tag", str(text), "--models", str(out), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    stage = {s["name"]: s for s in doc["pipeline"]["stages"]}
    assert stage["frames"]["config"]["model"] == str((out / "frames").resolve())
    assert doc["sentences"][0]["dimensions"] == ["diplomacy_arms"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in GOLD), encoding="utf-8")
    assert main(["evaluate", "--gold", str(gold), "--models", str(out), "--format", "json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert "saved:my-models" in results[0]["classifiers"]
    # --saved puts more model folders next to the shipped ones, scored on the same sentences
    assert main(["evaluate", "--gold", str(gold), "--saved", f"mine={out}", "--format", "json",
                 "--bootstrap", "50"]) == 0
    results = json.loads(capsys.readouterr().out)
    frames = next(r for r in results if r.get("task") == "frames")["classifiers"]
    assert set(frames) == {"shipped", "mine"}
    assert frames["shipped"]["n"] == frames["mine"]["n"] == 4
    assert frames["mine"]["model"] != frames["shipped"]["model"]  # two different models, not one twice
    # what --gold cannot do is refused in one line, not silently ignored
    assert main(["evaluate", "--gold", str(gold), "--classifiers", "rules"]) == 2
    assert "--classifiers" in capsys.readouterr().err
    assert main(["evaluate", "--gold", str(gold), "--saved", f"shipped={out}"]) == 2
    assert "already used" in capsys.readouterr().err
    assert main(["evaluate", "--gold", str(gold), "--devset-folds", "3"]) == 2


def test_train_add_gold_joins_the_users_gold_and_refuses_two_versions_of_a_document(tmp_path, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs = [{"id": f"t{i}", "register": "news", "topic": "ai",
             "sentences": [{"text": f"{t} ({i})", "dimensions": d, "frames": f} for t, d, f in TEAM]}
            for i in range(6)]
    (corpus / "mine.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs),
                                       encoding="utf-8")
    gold_dir = tmp_path / "gold"
    gold_dir.mkdir()
    (gold_dir / "kim.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in GOLD),
                                        encoding="utf-8")
    out = tmp_path / "m"
    base = ["train", "--corpus", str(corpus), "--no-baseline", "--quiet", "--tasks", "frames",
            "--essay-gold", str(tmp_path / "none.tsv")]
    assert main(base + ["--output-dir", str(out), "--add-gold", str(gold_dir), "--real-weight", "2"]) == 0
    capsys.readouterr()
    meta = json.loads((out / "frames" / "model.json").read_text(encoding="utf-8"))["metadata"]
    assert meta["n_train"] == 30 + 4  # the team documents and the 4 gold sentences
    assert "added real text (2 documents, 4 sentences, weight 2)" in meta["trained_on"]
    # the training-data hash changes with the gold files' content
    out2 = tmp_path / "m2"
    assert main(base + ["--output-dir", str(out2)]) == 0
    capsys.readouterr()
    meta2 = json.loads((out2 / "frames" / "model.json").read_text(encoding="utf-8"))["metadata"]
    assert meta2["n_train"] == 30 and meta2["training_data_sha256"] != meta["training_data_sha256"]
    # a second annotator's version of the same documents is refused in one line
    (gold_dir / "lee.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in GOLD),
                                        encoding="utf-8")
    assert main(base + ["--output-dir", str(tmp_path / "m3"), "--add-gold", str(gold_dir)]) == 2
    err = capsys.readouterr().err
    assert "adjudicate" in err and len(err.strip().splitlines()) == 1
