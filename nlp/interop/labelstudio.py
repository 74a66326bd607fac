"""Label Studio: labeling configuration from the codebook, tasks with predictions, import of its JSON export.

One task per sentence.  ``data`` holds the sentence ``text``, its document
(``doc_id``), ``sentence`` index and ``start``/``end`` offsets in the document
text, and the neighbouring sentences (``prev``/``next``) shown as context.
Predictions and annotations use three controls:

- ``dimensions`` and ``frames``: multi-choice ``Choices`` (values are codebook ids);
- ``actor``: ``Labels`` over the sentence text, one label per actor id of the lexicon.

Label Studio counts ``start``/``end`` in JavaScript string units (UTF-16); we
convert to and from code points, so characters outside the BMP keep exact offsets.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from ..atomic import write_text_atomic
from ..errors import InputError
from ..labels import codebook_version
from .gold import GoldActor, GoldDocument, GoldSentence, ImportResult, assemble, ordered_labels
from .scheme import BLOC_COLORS, actors, codepoint_offset, resolve_actor, task_labels, utf16_offset

CONFIG_FILE = "config.xml"
TASKS_FILE = "tasks.json"
ACTOR_CONTROL = "actor"


def labeling_config(lexicons: tuple[str, ...] = ()) -> str:
    """The Label Studio labeling configuration (XML) generated from the codebook and the actor lexicon."""
    lines = ['<View>',
             '  <Header value="$title" size="5"/>',
             '  <View style="color: #777">',
             '    <Text name="prev" value="$prev" granularity="word"/>',
             '  </View>',
             f'  <Labels name="{ACTOR_CONTROL}" toName="text" showInline="false">']
    for a in actors(lexicons):
        hint = f"{a.display} · {a.type} · {a.bloc}"
        lines.append(f'    <Label value={quoteattr(a.id)} hint={quoteattr(hint)} '
                     f'background="{BLOC_COLORS.get(a.bloc, "#999999")}"/>')
    lines += ['  </Labels>',
              '  <Text name="text" value="$text"/>',
              '  <View style="color: #777">',
              '    <Text name="next" value="$next" granularity="word"/>',
              '  </View>']
    for task in ("dimensions", "frames"):
        lines.append(f'  <Header value="{task}" size="6"/>')
        lines.append(f'  <Choices name="{task}" toName="text" choice="multiple" showInline="true">')
        for lab, ko in task_labels(task):
            lines.append(f'    <Choice value={quoteattr(lab)} hint={quoteattr(ko)}/>')
        lines.append('  </Choices>')
    lines.append('</View>')
    return "\n".join(lines) + "\n"


def _result(sentence: GoldSentence) -> list[dict]:
    out: list[dict] = []
    for task in ("dimensions", "frames"):
        labels = getattr(sentence, task)
        if labels:
            out.append({"id": f"{task[:3]}", "from_name": task, "to_name": "text", "type": "choices",
                        "value": {"choices": list(labels)}})
    for n, a in enumerate(sentence.actors or ()):
        out.append({"id": f"act{n}", "from_name": ACTOR_CONTROL, "to_name": "text", "type": "labels",
                    "value": {"start": utf16_offset(sentence.text, a.start), "end": utf16_offset(sentence.text, a.end),
                              "text": sentence.text[a.start:a.end], "labels": [a.id]}})
    return out


def _mean_score(doc, index: int) -> float | None:
    scores = doc.sentences[index].scores if doc is not None and index < len(doc.sentences) else {}
    if not scores:
        return None
    # confidence of the predicted label set: mean distance of each label's probability from 0.5, rescaled to [0, 1]
    return round(sum(abs(float(p) - 0.5) * 2 for p in scores.values()) / len(scores), 4)


def tasks(golds: Sequence[GoldDocument], docs: Sequence | None = None, model_version: str = "kdiscourse") -> list[dict]:
    """Label Studio tasks (one per sentence) with the pipeline's labels as predictions.

    ``docs`` (the tagged documents, same order) supplies neighbours for context and scores.
    """
    out = []
    for k, g in enumerate(golds):
        doc = docs[k] if docs is not None else None
        all_sents = doc.sentences if doc is not None else ()
        for s in g.sentences:
            idx = s.index if s.index is not None else 0
            prev = all_sents[idx - 1].text if doc is not None and 0 < idx <= len(all_sents) else ""
            nxt = all_sents[idx + 1].text if doc is not None and idx + 1 < len(all_sents) else ""
            data: dict[str, Any] = {"text": s.text, "title": f"{g.id} · {idx}", "doc_id": g.id, "sentence": idx,
                                    "start": s.start, "end": s.end, "prev": prev, "next": nxt,
                                    "codebook_version": codebook_version()}
            for key in ("register", "topic"):
                if getattr(g, key) is not None:
                    data[key] = getattr(g, key)
            pred: dict[str, Any] = {"model_version": model_version, "result": _result(s)}
            score = _mean_score(doc, idx)
            if score is not None:
                pred["score"] = score
            out.append({"data": data, "predictions": [pred]})
    return out


def export(golds: Sequence[GoldDocument], out_dir: str | Path, docs: Sequence | None = None,
           lexicons: tuple[str, ...] = (), model_version: str = "kdiscourse") -> list[Path]:
    """Write ``config.xml`` (labeling configuration) and ``tasks.json`` (tasks with predictions) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cfg = write_text_atomic(out / CONFIG_FILE, labeling_config(lexicons))
    data = json.dumps(tasks(golds, docs, model_version), ensure_ascii=False, indent=1)
    return [cfg, write_text_atomic(out / TASKS_FILE, data + "\n")]


# --------------------------------------------------------------------------- import

def annotator_name(annotation: Mapping[str, Any], users: Mapping[str, str] | None = None) -> str:
    """Who made an annotation in a Label Studio export: e-mail, else user name, else ``user-<id>``.

    ``users`` maps user ids (as strings) to names, for exports that give only the id.

    >>> annotator_name({"completed_by": {"id": 3, "email": "lee@example.org"}}), annotator_name({"completed_by": 7})
    ('lee@example.org', 'user-7')
    >>> annotator_name({"completed_by": 7}, {"7": "kim@example.org"})
    'kim@example.org'
    """
    who = annotation.get("completed_by")
    if isinstance(who, Mapping):
        return str(who.get("email") or who.get("username") or f"user-{who.get('id')}")
    if users and str(who) in users:
        return users[str(who)]
    if annotation.get("created_username"):
        return str(annotation["created_username"]).split(",")[0].strip()
    return f"user-{who}" if who is not None else "unknown"


def read_users(path: str | Path) -> dict[str, str]:
    """User id -> e-mail from a JSON file: ``{"3": "kim@example.org"}`` or Label Studio's ``GET /api/users`` list."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{p}: not a JSON user list ({exc})") from None
    if isinstance(data, Mapping) and isinstance(data.get("results"), list):
        data = data["results"]
    if isinstance(data, Mapping):
        return {str(k): str(v) for k, v in data.items()}
    if isinstance(data, list) and all(isinstance(u, Mapping) and "id" in u for u in data):
        return {str(u["id"]): str(u.get("email") or u.get("username") or f"user-{u['id']}") for u in data}
    raise InputError(f"{p}: expected {{id: name}} or a list of users with 'id' and 'email'")


def sentence_from_result(data: Mapping[str, Any], result: Iterable[Mapping[str, Any]],
                         lexicons: tuple[str, ...] = (), where: str = "") -> GoldSentence:
    """One gold sentence from a task's ``data`` and one annotation's ``result`` list."""
    text = data["text"]
    labels: dict[str, list[str]] = {"dimensions": [], "frames": []}
    found: list[GoldActor] = []
    for r in result:
        value = r.get("value") or {}
        if r.get("type") == "choices" and r.get("from_name") in labels:
            labels[r["from_name"]].extend(value.get("choices", ()))
        elif r.get("type") == "labels" and r.get("from_name") == ACTOR_CONTROL:
            start, end = codepoint_offset(text, int(value["start"])), codepoint_offset(text, int(value["end"]))
            if value.get("text") is not None and value["text"] != text[start:end]:
                raise InputError(f"{where}: region text {value['text']!r} does not match the task text at "
                                 f"[{start}, {end}) ({text[start:end]!r})")
            for actor_id in value.get("labels", ()):
                type_, bloc = resolve_actor(actor_id, lexicons=lexicons, where=where)
                found.append(GoldActor(start, end, actor_id, type_, bloc))
    start = data.get("start")
    return GoldSentence(text, ordered_labels(labels["dimensions"], "dimensions"),
                        ordered_labels(labels["frames"], "frames"), data.get("sentence"),
                        start, None if start is None else start + len(text), tuple(sorted(set(found))))


def read_export(path: str | Path, lexicons: tuple[str, ...] = (), users: Mapping[str, str] | None = None,
                ) -> ImportResult:
    """Gold documents from a Label Studio JSON export (``[task, ...]``), one per document and annotator.

    Cancelled (skipped) annotations and tasks nobody annotated are left out; predictions are ignored.
    ``users`` names annotators the export gives only by id (see :func:`read_users`).
    """
    p = Path(path)
    if p.is_dir():
        p = p / TASKS_FILE
    try:
        items = json.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{p}: not a Label Studio JSON export ({exc})") from None
    if not isinstance(items, list):
        raise InputError(f"{p}: a Label Studio JSON export is a list of tasks; got {type(items).__name__}")
    sentences: dict[tuple[str, str], list[GoldSentence]] = {}
    doc_fields: dict[str, dict] = {}
    warnings: list[str] = []
    unannotated = 0
    for t, task in enumerate(items):
        data = task.get("data") or {}
        if "doc_id" not in data or "text" not in data:
            raise InputError(f"{p}: task {task.get('id', t)} has no data.doc_id/data.text; "
                             "was it exported by kdiscourse?")
        doc_id = str(data["doc_id"])
        doc_fields.setdefault(doc_id, {k: data[k] for k in ("register", "topic") if k in data})
        anns = [a for a in task.get("annotations") or () if not a.get("was_cancelled")]
        if not anns:
            unannotated += 1
        for a in sorted(anns, key=lambda a: (a.get("updated_at") or "", a.get("id") or 0)):
            where = f"{p}: task {task.get('id', t)}"
            sentences.setdefault((annotator_name(a, users), doc_id), []).append(
                sentence_from_result(data, a.get("result") or (), lexicons, where))
    if unannotated:
        warnings.append(f"{unannotated} task(s) without a (non-cancelled) annotation were left out")
    return assemble("label-studio", sentences, doc_fields, warnings)
