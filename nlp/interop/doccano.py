"""doccano: JSONL for a text-classification project and a sequence-labeling project, and their exports back.

One line per sentence in each file; extra keys (``doc_id``, ``sentence``,
``start``, ``end``, ``kd_layer``) are kept by doccano as metadata and come
back in its export, which is how an exported line finds its sentence.

- ``classification.jsonl``: ``{"text", "label": [dimension and frame ids], ...}``
  (a multi-label text-classification project; the ids of the two label sets do not overlap);
- ``spans.jsonl``: ``{"text", "label": [[start, end, actor id], ...], ...}`` (sequence labeling,
  offsets in code points within the sentence; enable "allow overlapping spans" for
  shared spans such as 미중 = US + CN);
- ``classification_labels.json`` / ``spans_labels.json``: label definitions to import in
  each project (Labels > Actions > Import labels).

Exports are read from a ``.jsonl`` file, a ``.zip`` (doccano names each member after its
annotator, ``all.jsonl`` in collaborative mode) or a folder holding either.  Span
exports may use ``label: [[s, e, l]]`` or ``entities: [{start_offset, end_offset, label}]``.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..atomic import write_text_atomic
from ..errors import InputError
from .gold import GoldActor, GoldDocument, GoldSentence, ImportResult, assemble, ordered_labels
from .scheme import BLOC_COLORS, actors, resolve_actor, task_labels

CLASSIFICATION_FILE = "classification.jsonl"
SPANS_FILE = "spans.jsonl"
LAYER_KEY = "kd_layer"
SENTENCE_LAYER, ACTOR_LAYER = "sentence_labels", "actors"
_TASK_COLORS = {"dimensions": "#4e79a7", "frames": "#f28e2b"}


def _meta(g: GoldDocument, s: GoldSentence, layer: str) -> dict:
    m: dict[str, Any] = {"doc_id": g.id, "sentence": s.index, "start": s.start, "end": s.end, LAYER_KEY: layer}
    for key in ("register", "topic"):
        if getattr(g, key) is not None:
            m[key] = getattr(g, key)
    return m


def records(golds: Sequence[GoldDocument]) -> tuple[list[dict], list[dict]]:
    """``(classification lines, span lines)`` for doccano's JSONL import."""
    cls, spans = [], []
    for g in golds:
        for s in g.sentences:
            cls.append({"text": s.text, "label": [*s.dimensions, *s.frames], **_meta(g, s, SENTENCE_LAYER)})
            spans.append({"text": s.text, "label": [[a.start, a.end, a.id] for a in s.actors or ()],
                          **_meta(g, s, ACTOR_LAYER)})
    return cls, spans


def label_definitions(lexicons: tuple[str, ...] = ()) -> tuple[list[dict], list[dict]]:
    """doccano label-import JSON for the classification project and the span project."""
    cls = [{"text": lab, "prefix_key": None, "suffix_key": None, "background_color": _TASK_COLORS[task],
            "text_color": "#ffffff"} for task in ("dimensions", "frames") for lab, _ko in task_labels(task)]
    spans = [{"text": a.id, "prefix_key": None, "suffix_key": None,
              "background_color": BLOC_COLORS.get(a.bloc, "#999999"), "text_color": "#ffffff"}
             for a in actors(lexicons)]
    return cls, spans


def _jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def export(golds: Sequence[GoldDocument], out_dir: str | Path, lexicons: tuple[str, ...] = ()) -> list[Path]:
    """Write the two JSONL files and the two label definition files into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cls, spans = records(golds)
    cls_labels, span_labels = label_definitions(lexicons)
    return [write_text_atomic(out / CLASSIFICATION_FILE, _jsonl(cls)),
            write_text_atomic(out / SPANS_FILE, _jsonl(spans)),
            write_text_atomic(out / "classification_labels.json", json.dumps(cls_labels, ensure_ascii=False, indent=1)),
            write_text_atomic(out / "spans_labels.json", json.dumps(span_labels, ensure_ascii=False, indent=1))]


# --------------------------------------------------------------------------- import

def _lines(name: str, data: bytes) -> Iterator[tuple[int, dict]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 ({exc})") from None
    for ln, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                yield ln, json.loads(line)
            except ValueError as exc:
                raise InputError(f"{name}:{ln}: not JSON ({exc})") from None


def export_files(path: str | Path) -> Iterator[tuple[str, str, bytes]]:
    """``(where, annotator, bytes)`` of every JSONL file of a doccano export.

    The annotator is the file name (doccano names each member of an export zip after its
    user), or the folder name for files named ``classification.jsonl`` / ``spans.jsonl``.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    files = sorted(x for x in p.rglob("*") if x.suffix in (".jsonl", ".zip")) if p.is_dir() else [p]
    if not files:
        raise InputError(f"{p}: no .jsonl or .zip doccano export in this folder")
    for f in files:
        if f.suffix == ".zip":
            try:
                with zipfile.ZipFile(f) as z:
                    for member in sorted(z.namelist()):
                        if member.endswith(".jsonl"):
                            yield f"{f}!{member}", Path(member).stem, z.read(member)
            except zipfile.BadZipFile as exc:
                raise InputError(f"{f}: not a zip file ({exc})") from None
        else:
            # our own file names say which project, not who: then the folder names the annotator
            own = f.name in (CLASSIFICATION_FILE, SPANS_FILE)
            yield str(f), (f.parent.name if own else f.stem) or "unknown", f.read_bytes()


def _layer(rec: Mapping[str, Any]) -> str | None:
    meta = rec.get("meta") if isinstance(rec.get("meta"), Mapping) else {}
    layer = rec.get(LAYER_KEY) or meta.get(LAYER_KEY)
    if layer:
        return layer
    if "entities" in rec:
        return ACTOR_LAYER
    labels = rec.get("label", rec.get("labels"))
    if isinstance(labels, list) and labels:
        return ACTOR_LAYER if isinstance(labels[0], list) else SENTENCE_LAYER
    return None


def _field(rec: Mapping[str, Any], key: str) -> Any:
    meta = rec.get("meta") if isinstance(rec.get("meta"), Mapping) else {}
    return rec[key] if key in rec else meta.get(key)


def _spans(rec: Mapping[str, Any], where: str) -> list[tuple[int, int, str]]:
    if "entities" in rec:
        return [(int(e["start_offset"]), int(e["end_offset"]), str(e["label"])) for e in rec["entities"]]
    out = []
    for item in rec.get("label", rec.get("labels")) or ():
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise InputError(f"{where}: a span label is [start, end, label]; got {item!r}")
        out.append((int(item[0]), int(item[1]), str(item[2])))
    return out


def read_export(path: str | Path, lexicons: tuple[str, ...] = (), annotator: str | None = None) -> ImportResult:
    """Gold documents from doccano exports of the classification and the span project.

    A sentence needs a classification line; its actors come from the span line of the
    same annotator when there is one (else they are recorded as not annotated).
    """
    labels: dict[tuple[str, str, int], tuple[dict, str]] = {}
    spans: dict[tuple[str, str, int], list[GoldActor]] = {}
    doc_fields: dict[str, dict] = {}
    warnings: list[str] = []
    for name, file_annotator, data in export_files(path):
        who = annotator or file_annotator
        for ln, rec in _lines(name, data):
            where = f"{name}:{ln}"
            doc_id, index, text = _field(rec, "doc_id"), _field(rec, "sentence"), rec.get("text")
            if doc_id is None or index is None or not isinstance(text, str):
                raise InputError(f"{where}: a line needs text, doc_id and sentence; was it exported by kdiscourse?")
            key = (who, str(doc_id), int(index))
            doc_fields.setdefault(str(doc_id), {k: _field(rec, k) for k in ("register", "topic")
                                                if _field(rec, k) is not None})
            layer = _layer(rec)
            if layer == ACTOR_LAYER:
                found = []
                for start, end, actor_id in _spans(rec, where):
                    if not 0 <= start < end <= len(text):
                        raise InputError(f"{where}: span [{start}, {end}) is outside the text (length {len(text)})")
                    type_, bloc = resolve_actor(actor_id, lexicons=lexicons, where=where)
                    found.append(GoldActor(start, end, actor_id, type_, bloc))
                spans[key] = sorted(set(found))
            elif layer == SENTENCE_LAYER:
                labels[key] = (rec, where)
            else:
                raise InputError(f"{where}: cannot tell a classification line from a span line "
                                 f"(no '{LAYER_KEY}' and no labels)")
    sentences: dict[tuple[str, str], list[GoldSentence]] = {}
    for key, (rec, where) in labels.items():
        who, doc_id, index = key
        got = rec.get("label", rec.get("cats", ()))
        if isinstance(got, Mapping):  # {"label": true} style
            got = [k for k, v in got.items() if v]
        dims = [x for x in got if x in dict(task_labels("dimensions"))]
        frames = [x for x in got if x not in dims]
        start = _field(rec, "start")
        actors_ = spans.get(key)
        try:
            dims, frames = ordered_labels(dims, "dimensions"), ordered_labels(frames, "frames")
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
        sentences.setdefault((who, doc_id), []).append(GoldSentence(
            rec["text"], dims, frames, index,
            None if start is None else int(start), None if start is None else int(start) + len(rec["text"]),
            None if actors_ is None else tuple(actors_)))
    orphans = set(spans) - set(labels)
    if orphans:
        warnings.append(f"{len(orphans)} span line(s) without a classification line of the same annotator were "
                        f"left out, e.g. {sorted(orphans)[0]}")
    return assemble("doccano", sentences, doc_fields, warnings)

