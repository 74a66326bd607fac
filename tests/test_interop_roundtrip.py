"""Tag -> export -> (annotator edits through the tool's own library or format) -> import == predictions + edits.

For each tool one annotator changes exactly one sentence label and one actor span
and a second annotator accepts the pre-annotations; the imported gold must be the
predictions plus exactly that change, per annotator, with exact offsets.

- Label Studio: the labeling config, the tasks, the predictions and the edited
  annotation are validated by ``label-studio-sdk``'s own ``LabelInterface``; and,
  when a server is available (see the ``label_studio`` fixture), the same round trip
  goes through a real Label Studio's REST API and JSON export;
- doccano: the edited lines are written as doccano's export zip (one member per user);
  and, with ``KDISCOURSE_DOCCANO_PYTHON``, the files go through doccano's own label
  upload, dataset import, models and export (``scripts/doccano_round_trip.py``);
- INCEpTION: the XMI is loaded and edited with ``dkpro-cassis`` against the generated
  type system, and saved per annotator.
"""

from __future__ import annotations

import copy
import http.cookiejar
import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from nlp.interop import export_documents, gold_from_document, import_annotations
from nlp.interop.gold import GoldDocument

TEXT = ("미국 상무부가 대중 수출통제를 강화했다. "
        "한국 정부는 미중 갈등 속에서 삼성전자와 SK하이닉스의 대응책을 논의했다. "
        "오픈AI는 새 모델을 공개했다.")
ADDED_FRAME = "military_security"  # the label the annotator adds to sentence 0


@pytest.fixture(scope="module")
def tagged(pipeline):
    from nlp import document_from_text

    doc = pipeline(document_from_text(TEXT, "rt-001", metadata={"register": "news", "topic": "ai"}))
    assert doc.ok and len(doc.sentences) == 3
    return doc


@pytest.fixture(scope="module")
def edit(tagged):
    """The annotator's change: one frame added to sentence 0, the span of sentence 1's first actor shortened."""
    s1 = tagged.sentences[1]
    first = min((m for m in tagged.mentions if m.sentence == 1), key=lambda m: (m.start, m.actor))
    assert ADDED_FRAME not in tagged.sentences[0].frames
    assert first.end - first.start > 2, "the fixture needs a shortenable span (한국 정부 -> 한국)"
    return {"sentence": 1, "actor": first.actor, "old": (first.start - s1.start, first.end - s1.start),
            "new": (first.start - s1.start, first.start - s1.start + 2)}


def expected_gold(doc, edit, annotator: str) -> GoldDocument:
    """Predictions as gold, plus exactly the two edits."""
    g = gold_from_document(doc, annotator)
    sents = list(g.sentences)
    s0 = sents[0]
    frames = tuple(f for f in _frame_order() if f in (*s0.frames, ADDED_FRAME))
    sents[0] = replace(s0, frames=frames)
    s1 = sents[1]
    actors = sorted(replace(a, end=edit["new"][1]) if (a.id, (a.start, a.end)) == (edit["actor"], edit["old"]) else a
                    for a in s1.actors)
    sents[1] = replace(s1, actors=tuple(actors))
    return replace(g, sentences=tuple(sents))


def _frame_order():
    from nlp.labels import frame_ids

    return frame_ids()


def _check(result, tagged, edit, editor="kim", accepter="lee"):
    by = {d.annotator: d for d in result.documents}
    assert set(by) == {editor, accepter}, result.annotators
    assert by[editor] == expected_gold(tagged, edit, editor)
    assert by[accepter] == gold_from_document(tagged, accepter)
    assert by[editor] != by[accepter]
    assert result.warnings == []


def kim_result(task: dict, edit: dict) -> list[dict]:
    """The first annotator's Label Studio result for a task: the prediction with the two edits applied."""
    kim = copy.deepcopy(task["predictions"][0]["result"])
    if task["data"]["sentence"] == 0:  # tick one more frame (create the control's result if the model chose none)
        frames = [r for r in kim if r["from_name"] == "frames"]
        if frames:
            frames[0]["value"]["choices"].append(ADDED_FRAME)
        else:
            kim.append({"id": "f-edit", "from_name": "frames", "to_name": "text", "type": "choices",
                        "value": {"choices": [ADDED_FRAME]}})
    if task["data"]["sentence"] == edit["sentence"]:  # drag the region's end, as in the editor
        region = next(r for r in kim if r["type"] == "labels" and r["value"]["labels"] == [edit["actor"]]
                      and (r["value"]["start"], r["value"]["end"]) == edit["old"])
        region["value"]["end"] = edit["new"][1]
        region["value"]["text"] = task["data"]["text"][edit["new"][0]:edit["new"][1]]
    return kim


# --------------------------------------------------------------------------- Label Studio

def test_label_studio_round_trip(tagged, edit, tmp_path):
    sdk = pytest.importorskip("label_studio_sdk.label_interface", reason="label-studio-sdk not installed ([tools])")
    export_documents([tagged], "label-studio", tmp_path / "ls")
    li = sdk.LabelInterface((tmp_path / "ls" / "config.xml").read_text(encoding="utf-8"))
    tasks = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    assert len(tasks) == 3
    from nlp.labels import dimension_ids, frame_ids
    from nlp.lexicon import load_lexicon

    assert set(li.get_control("actor").labels) == set(load_lexicon().actors)
    assert li.get_control("dimensions").labels == list(dimension_ids())
    assert li.get_control("frames").labels == list(frame_ids())
    for t in tasks:
        assert li.validate_task({"data": t["data"]})
        assert li.validate_prediction(t["predictions"][0], return_errors=True) == []
    exported = []
    for n, t in enumerate(tasks):
        kim = kim_result(t, edit)
        for result in (kim, t["predictions"][0]["result"]):
            assert li.validate_annotation({"result": result}), result
        exported.append({**t, "id": 100 + n, "annotations": [
            {"id": 2 * n + 1, "completed_by": {"id": 1, "email": "kim"}, "result": kim, "was_cancelled": False},
            {"id": 2 * n + 2, "completed_by": {"id": 2, "email": "lee"}, "result": t["predictions"][0]["result"],
             "was_cancelled": False},
        ]})
    export_file = tmp_path / "export.json"
    export_file.write_text(json.dumps(exported, ensure_ascii=False), encoding="utf-8")
    _check(import_annotations(export_file, "label-studio"), tagged, edit)


# --------------------------------------------------------------------------- doccano

def test_doccano_round_trip(tagged, edit, tmp_path):
    export_documents([tagged], "doccano", tmp_path / "dc")
    cls = [json.loads(x) for x in (tmp_path / "dc" / "classification.jsonl").read_text(encoding="utf-8").splitlines()]
    spans = [json.loads(x) for x in (tmp_path / "dc" / "spans.jsonl").read_text(encoding="utf-8").splitlines()]
    labels = json.loads((tmp_path / "dc" / "spans_labels.json").read_text(encoding="utf-8"))
    assert {"KR", "US_COMMERCE"} <= {x["text"] for x in labels}
    # doccano's export: its own id, the text, the labels, and the metadata columns we sent
    kim_cls, kim_spans = copy.deepcopy(cls), copy.deepcopy(spans)
    kim_cls[0]["label"].append(ADDED_FRAME)
    row = next(r for r in kim_spans if r["sentence"] == edit["sentence"])
    i = row["label"].index([*edit["old"], edit["actor"]])
    row["label"][i] = [*edit["new"], edit["actor"]]
    # the span project exported in doccano's newer shape (entities with start/end_offset)
    for r in kim_spans:
        r["entities"] = [{"id": k, "label": lab, "start_offset": s, "end_offset": e}
                         for k, (s, e, lab) in enumerate(r.pop("label"))]

    def lines(rows):
        return "".join(json.dumps({"id": 7 + n, **r}, ensure_ascii=False) + "\n" for n, r in enumerate(rows))

    folder = tmp_path / "exports"
    folder.mkdir()
    for name, kim_rows, lee_rows in (("classification", kim_cls, cls), ("spans", kim_spans, spans)):
        with zipfile.ZipFile(folder / f"{name}-project.zip", "w") as z:
            z.writestr("kim.jsonl", lines(kim_rows))
            z.writestr("lee.jsonl", lines(lee_rows))
    _check(import_annotations(folder, "doccano"), tagged, edit)


def test_doccano_real_import_and_export(tagged, edit, tmp_path):
    """The export goes through doccano's own importer, models and exporter (doccano in its own venv)."""
    python = os.environ.get("KDISCOURSE_DOCCANO_PYTHON")
    if not python:
        pytest.skip("set KDISCOURSE_DOCCANO_PYTHON to a Python with doccano installed (its Django 4 / pandas 1 "
                    "pins need their own virtual environment)")
    export_documents([tagged], "doccano", tmp_path / "dc")
    s1 = tagged.sentences[edit["sentence"]]
    edits = {"users": ["kim", "lee"],
             "add_category": {"doc_id": tagged.id, "sentence": 0, "label": ADDED_FRAME},
             "move_span": {"doc_id": tagged.id, "sentence": s1.index, "label": edit["actor"],
                           "old": list(edit["old"]), "new": list(edit["new"])}}
    (tmp_path / "edits.json").write_text(json.dumps(edits), encoding="utf-8")
    script = Path(__file__).resolve().parent.parent / "scripts" / "doccano_round_trip.py"
    run = subprocess.run([python, str(script), str(tmp_path / "dc"), str(tmp_path / "edits.json"),
                          str(tmp_path / "out"), str(tmp_path / "work")], capture_output=True, text=True,
                         timeout=float(os.environ.get("KDISCOURSE_DOCCANO_TIMEOUT", "600")))
    assert run.returncode == 0, run.stderr[-2000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["errors"] == {"classification": [], "spans": []}
    assert summary["classification_examples"] == summary["spans_examples"] == 3
    _check(import_annotations(tmp_path / "out", "doccano"), tagged, edit)


# --------------------------------------------------------------------------- INCEpTION

def test_inception_round_trip(tagged, edit, tmp_path):
    cassis = pytest.importorskip("cassis", reason="dkpro-cassis not installed ([tools])")
    from nlp.interop import inception

    export_documents([tagged], "inception", tmp_path / "inc")
    with open(tmp_path / "inc" / "TypeSystem.xml", "rb") as fh:
        ts = cassis.load_typesystem(fh)
    with open(tmp_path / "inc" / "rt-001.xmi", "rb") as fh:
        cas = cassis.load_cas_from_xmi(fh, typesystem=ts)
    assert cas.sofa_string == tagged.text
    units = sorted(cas.select(inception.SENTENCE_LABELS), key=lambda a: a.begin)
    assert [u.get_covered_text() for u in units] == [s.text for s in tagged.sentences]
    setattr(units[0], ADDED_FRAME, True)
    s1 = tagged.sentences[edit["sentence"]]
    mention = next(m for m in cas.select(inception.ACTOR_MENTION)
                   if m.actor == edit["actor"] and (m.begin - s1.start, m.end - s1.start) == edit["old"])
    mention.end = s1.start + edit["new"][1]
    (tmp_path / "done" / "kim").mkdir(parents=True)
    cas.to_xmi(tmp_path / "done" / "kim" / "rt-001.xmi")
    # INCEpTION's project-export layout for the second annotator: annotation/<document>/<user>.zip
    lee_dir = tmp_path / "done" / "annotation" / "rt-001.txt"
    lee_dir.mkdir(parents=True)
    with zipfile.ZipFile(lee_dir / "lee.zip", "w") as z:
        z.write(tmp_path / "inc" / "rt-001.xmi", "rt-001.xmi")
        z.write(tmp_path / "inc" / "TypeSystem.xml", "TypeSystem.xml")
    _check(import_annotations(tmp_path / "done", "inception"), tagged, edit)


def test_inception_zip_holds_xmi_and_type_system(tagged, tmp_path):
    pytest.importorskip("cassis", reason="dkpro-cassis not installed ([tools])")
    export_documents([tagged], "inception", tmp_path)
    with zipfile.ZipFile(tmp_path / "rt-001.zip") as z:
        assert sorted(z.namelist()) == ["TypeSystem.xml", "rt-001.xmi"]
    res = import_annotations(tmp_path / "rt-001.zip", "inception", annotator="curator")
    assert [d.annotator for d in res.documents] == ["curator"]
    assert res.documents[0] == gold_from_document(tagged, "curator")


# --------------------------------------------------------------------------- Label Studio, real server

class _Session:
    """A logged-in Label Studio web session (cookies + CSRF), enough for the REST calls of the round trip."""

    def __init__(self, url: str, email: str, password: str, signup: bool = False) -> None:
        self.url, self.jar = url.rstrip("/"), http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = "/user/signup/" if signup else "/user/login/"
        self.opener.open(self.url + page, timeout=60).read()
        form = urllib.parse.urlencode({"email": email, "password": password, "csrfmiddlewaretoken": self._csrf()})
        self.opener.open(urllib.request.Request(self.url + page, data=form.encode(),
                                                headers={"Referer": self.url + page}), timeout=60).read()
        self.user = self.call("GET", "/api/current-user/whoami")

    def _csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def call(self, method: str, path: str, body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json", "X-CSRFToken": self._csrf(),
                                              "Referer": self.url + "/"})
        with self.opener.open(req, timeout=120) as r:
            return json.loads(r.read() or b"null")


def _wait_ready(url: str, seconds: float, proc=None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    return True
        except OSError:
            time.sleep(1)
    return False


@pytest.fixture(scope="module")
def label_studio(tmp_path_factory):
    """A Label Studio server: KDISCOURSE_LABEL_STUDIO_URL (+ _USER, _PASSWORD), or one started here.

    Starting one needs the ``label-studio`` executable (on PATH or KDISCOURSE_LABEL_STUDIO_BIN) and
    must answer within KDISCOURSE_LABEL_STUDIO_TIMEOUT seconds (default 60); otherwise the test skips.
    KDISCOURSE_LABEL_STUDIO_DATA names a data folder to reuse (its database stays migrated).
    """
    url = os.environ.get("KDISCOURSE_LABEL_STUDIO_URL")
    if url:
        yield url, os.environ.get("KDISCOURSE_LABEL_STUDIO_USER"), os.environ.get("KDISCOURSE_LABEL_STUDIO_PASSWORD")
        return
    exe = os.environ.get("KDISCOURSE_LABEL_STUDIO_BIN") or shutil.which("label-studio")
    if not exe:
        pytest.skip("no Label Studio server: set KDISCOURSE_LABEL_STUDIO_URL or install label-studio")
    timeout = float(os.environ.get("KDISCOURSE_LABEL_STUDIO_TIMEOUT", "60"))
    # a data folder whose database is already migrated starts in ~25 s here; a fresh one takes minutes
    data = Path(os.environ.get("KDISCOURSE_LABEL_STUDIO_DATA") or tmp_path_factory.mktemp("label-studio"))
    data.mkdir(parents=True, exist_ok=True)
    port = 18000 + os.getpid() % 1000
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data)}
    env.pop("HOST", None)
    with open(data / "server.log", "wb") as log:
        proc = subprocess.Popen([exe, "start", "--no-browser", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        if not _wait_ready(url, timeout, proc):
            pytest.skip(f"Label Studio did not answer within {timeout:.0f} s (first start migrates its database)")
        yield url, None, None  # annotators sign up
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_label_studio_server_round_trip(tagged, edit, tmp_path, label_studio):
    url, user, password = label_studio
    export_documents([tagged], "label-studio", tmp_path / "ls")
    stamp = time.time_ns()
    kim = (_Session(url, user, password) if user else
           _Session(url, f"kim-{stamp}@example.org", "kdiscourse-round-trip-1", signup=True))
    project = kim.call("POST", "/api/projects", {
        "title": "kdiscourse round trip",
        "label_config": (tmp_path / "ls" / "config.xml").read_text(encoding="utf-8")})
    tasks = json.loads((tmp_path / "ls" / "tasks.json").read_text(encoding="utf-8"))
    assert kim.call("POST", f"/api/projects/{project['id']}/import", tasks)["prediction_count"] == 3
    lee = _Session(url, f"lee-{stamp}@example.org", "kdiscourse-round-trip-2", signup=True)
    stored = kim.call("GET", f"/api/tasks?project={project['id']}&fields=all")["tasks"]
    for t in stored:  # kim edits the pre-annotation, lee submits it as it is
        kim.call("POST", f"/api/tasks/{t['id']}/annotations", {"result": kim_result(t, edit)})
        lee.call("POST", f"/api/tasks/{t['id']}/annotations", {"result": t["predictions"][0]["result"]})
    export = kim.call("GET", f"/api/projects/{project['id']}/export?exportType=JSON")
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    _check(import_annotations(path, "label-studio"), tagged, edit,
           editor=f"user-{kim.user['id']}", accepter=f"user-{lee.user['id']}")
    # the export names annotators by id; the server's user list turns the ids into e-mails
    users_file = tmp_path / "users.json"
    users_file.write_text(json.dumps(kim.call("GET", "/api/users")), encoding="utf-8")
    from nlp.interop.labelstudio import read_users

    _check(import_annotations(path, "label-studio", users=read_users(users_file)), tagged, edit,
           editor=kim.user["email"], accepter=lee.user["email"])
