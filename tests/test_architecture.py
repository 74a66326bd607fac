"""The architecture's contracts: registry, configurations, package data, structure, round trips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp import Document, Pipeline, PipelineConfig, PipelineError, document_from_bytes, register_stage
from nlp.config import shipped_pipelines
from nlp.resources import models_dir
from nlp.stage import Stage, get_stage_spec, registered_stages

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "tests" / "fixtures" / "cue_counter_stage.py"
TEXT = ("미국은 대중 수출통제를 강화했다. 네덜란드도 수출통제에 동참했다.\n\n"
        "한국 정부는 수출통제 대상 품목을 점검하고 수출통제 협의를 이어 갔다.")


def _config(tmp_path: Path, **extra) -> Path:
    cfg = {"format": "kdiscourse.pipeline/1", "name": "with-counter", "imports": [str(PLUGIN)],
           "stages": [{"factory": "tokenize"}, {"factory": "actors"},
                      {"factory": "count_cue", "config": extra}]}
    path = tmp_path / "counter.json"
    path.write_text(json.dumps(cfg, ensure_ascii=False), encoding="utf-8")
    return path


def test_builtin_stages_are_registered_with_defaults():
    assert {"tokenize", "dimensions", "frames", "actors"} <= set(registered_stages())
    assert get_stage_spec("dimensions").default_config["model"] == "shipped:dimensions"
    assert get_stage_spec("actors").requires == ("sentences", "morphemes")
    assert {"default", "actors", "tokenize"} <= set(shipped_pipelines())


def test_default_config_builds_todays_pipeline():
    pipe = Pipeline.from_config()
    assert pipe.names == ("tokenize", "dimensions", "actors", "frames")
    stages = {s["name"]: s for s in pipe.config["stages"]}
    # the resolved configuration names the shipped model folders as absolute paths
    assert stages["dimensions"]["config"]["model"] == str(models_dir() / "dimensions")
    assert pipe.config["source"] == "shipped:default"


def test_custom_stage_from_config_file(tmp_path):
    pipe = Pipeline.from_config(_config(tmp_path))
    doc = pipe(TEXT)
    assert [s.ext["export_control_mentions"] for s in doc.sentences] == [1, 1, 2]
    assert doc.ext == {"export_control_mentions": 4}
    again = Document.from_dict(json.loads(json.dumps(doc.to_dict())))
    assert again.sentences[2].ext == {"export_control_mentions": 2}


def test_config_parameters_are_checked(tmp_path):
    with pytest.raises(PipelineError, match="has no parameter"):
        Pipeline.from_config(_config(tmp_path, colour="red"))
    with pytest.raises(PipelineError, match="unknown stage"):
        Pipeline.from_config({"stages": [{"factory": "no_such_stage"}]})
    with pytest.raises(PipelineError, match="requires sentences"):
        Pipeline.from_config({"stages": [{"factory": "actors"}]})
    with pytest.raises(PipelineError, match="unknown pipeline"):
        PipelineConfig.named("no-such-pipeline")


def test_register_stage_in_code():
    @register_stage("shout", default_config={"times": 2}, requires=("sentences",))
    def make(times):
        """A stage that upper-cases nothing but records how loud it is."""
        st = Stage()
        st.process = lambda doc: doc
        st.model_info = lambda: {"shout": str(times)}
        return st

    pipe = Pipeline.from_config({"stages": ["tokenize", {"factory": "shout", "config": {"times": 3}}]})
    assert pipe("미국이다.").models["shout"] == "3"


def test_pipe_accepts_strings_and_series():
    import pandas as pd

    pipe = Pipeline.from_config("tokenize")
    ids = [d.id for d in pipe.pipe(pd.Series(["미국이다.", "중국이다."], index=["a", "b"]))]
    assert ids == ["doc-a", "doc-b"]
    frame = pipe("미국이다. 중국이다.").to_frame("sentences")
    assert frame["text"].tolist() == ["미국이다.", "중국이다."]


def test_from_dict_round_trip_keeps_raw_offsets():
    raw = "미국 상무부가\r\n대중 수출통제를 강화했다.\r\n\r\n한국은 대응했다.".encode()
    doc = Pipeline.from_config("actors")(document_from_bytes(raw, "crlf", "crlf.txt"))
    first = doc.to_dict()
    assert any(s["raw_start"] != s["start"] for s in first["sentences"])  # CRLF moved the raw offsets
    again = Document.from_dict(json.loads(json.dumps(first)))
    assert again.to_dict() == first


def test_tag_and_annotate_with_custom_stage(tmp_path):
    cfg = _config(tmp_path)
    src = tmp_path / "in.txt"
    src.write_text(TEXT, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "nlp", "tag", str(src), "--pipeline", str(cfg), "--format", "json"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert [s["ext"]["export_control_mentions"] for s in data["sentences"]] == [1, 1, 2]
    assert data["pipeline"]["stages"][-1]["factory"] == "count_cue"

    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"id": f"d{i}", "text": TEXT}, ensure_ascii=False) + "\n"
                              for i in range(6)), encoding="utf-8")
    import pandas as pd

    for engine in (["--workers", "2"], ["--engine", "dask", "--workers", "2"]):
        dest = tmp_path / f"out-{engine[-1]}-{len(engine)}"
        run = subprocess.run([sys.executable, "-m", "nlp", "annotate", str(corpus), "-o", str(dest), "--pipeline",
                              str(cfg), "--shard-size", "2", "--quiet", *engine],
                             capture_output=True, text=True, cwd=tmp_path, timeout=600)
        assert run.returncode == 0, run.stderr
        sents = pd.read_parquet(dest / "sentences")
        counts = [json.loads(x)["export_control_mentions"] for x in sents.sort_values(["doc_id", "sentence"])["ext"]]
        assert counts == [1, 1, 2] * 6
        manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["settings"]["pipeline"]["stages"][-1]["config"]["cue"] == "수출통제"


def test_package_structure():
    sys.path.insert(0, str(REPO / "scripts"))
    try:
        import check_structure
    finally:
        sys.path.pop(0)
    assert check_structure.import_cycles() == []
    assert check_structure.long_modules() == []
    assert check_structure.missing_docstrings() == []


def test_classifiers_follow_the_estimator_protocol():
    from sklearn.base import clone

    from nlp.classify import backend_class

    for backend, params in (("linear", {"C": 2.5, "context": False}), ("rules", {"expand": True})):
        est = backend_class(backend)(task="frames", **params)
        twin = clone(est)
        assert twin is not est and twin.get_params() == est.get_params()
        assert twin.set_params(task="dimensions").task == "dimensions"
        assert not hasattr(twin, "thresholds_")
    with pytest.raises(ValueError, match="invalid parameter"):
        backend_class("linear")().set_params(colour="red")


def test_tag_path_does_not_import_heavy_libraries():
    code = ("import sys; from nlp import Pipeline; Pipeline.from_config()('미국과 중국.'); "
            "print(sorted(m for m in ('sklearn', 'pandas', 'torch', 'transformers', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_non_finite_values_of_a_third_party_stage_become_null():
    @register_stage("nan_writer", requires=("sentences",))
    def make():
        """A stage that writes NaN and infinity into ext."""
        from dataclasses import replace

        st = Stage()
        st.process = lambda doc: replace(doc, ext={"ratio": float("nan"), "scores": [1.0, float("inf")]})
        return st

    pipe = Pipeline.from_config({"stages": ["tokenize", "nan_writer"]})
    out = json.dumps(pipe.output(pipe("미국이다.")), allow_nan=False)
    assert json.loads(out)["ext"] == {"ratio": None, "scores": [1.0, None]}
