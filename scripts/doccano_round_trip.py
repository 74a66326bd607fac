"""Run a `kdiscourse export --to doccano` folder through doccano's own import and export code.

Runs under doccano's Python (doccano pins Django 4 and pandas 1, so it lives in its
own virtual environment: ``python -m venv dc && dc/bin/pip install doccano
"numpy<2"``), in-process, without a web server: a fresh SQLite database is
migrated in WORK, two users and the two projects (text classification; sequence
labeling with overlapping spans) are created, the label definitions are loaded
through doccano's label-upload serializers, both JSONL files are imported with
doccano's ``load_dataset`` (the labels become the first user's annotations), the
second user gets a copy of them, the edits in EDITS (JSON) are applied to the
first user's annotations through doccano's models (a category added, a span
deleted and re-created with new offsets, as the editor does), and each project is
exported with doccano's ``export_dataset`` (JSONL, one member per user) into OUT.

    dc/bin/python scripts/doccano_round_trip.py EXPORT_DIR EDITS.json OUT_DIR WORK_DIR

EDITS: ``{"users": ["kim", "lee"], "add_category": {"doc_id", "sentence", "label"},
"move_span": {"doc_id", "sentence", "label", "old": [s, e], "new": [s, e]}}``.
Prints a JSON summary (import errors, counts, the zip files written).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Import, edit and export through doccano; returns 0 when doccano reported no import error."""
    export_dir, edits_path, out_dir, work = (Path(a).resolve() for a in argv[1:5])
    edits = json.loads(edits_path.read_text(encoding="utf-8"))
    work.mkdir(parents=True, exist_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    import backend

    sys.path.insert(0, os.path.dirname(backend.__file__))
    os.environ.update(DJANGO_SETTINGS_MODULE="config.settings.development",
                      DATABASE_URL=f"sqlite:///{work / 'doccano.sqlite3'}", MEDIA_ROOT=str(work / "media"),
                      CELERY_BROKER_URL="memory://")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("create_roles", verbosity=0)
    from data_export.celery_tasks import export_dataset
    from data_import.datasets import load_dataset
    from data_import.pipeline.catalog import create_file_format
    from data_import.pipeline.readers import FileName
    from examples.models import Example
    from label_types.models import CategoryType, SpanType
    from label_types.serializers import CategoryTypeSerializer, SpanTypeSerializer
    from labels.models import Category, Span
    from projects.models import Member, SequenceLabelingProject, TextClassificationProject
    from roles.models import Role

    User = get_user_model()
    first, second = (User.objects.create_user(username=u, password="round-trip") for u in edits["users"])
    role = Role.objects.get(name=settings.ROLE_ANNOTATOR)
    summary: dict = {"errors": {}, "zips": []}
    projects = {
        "classification": TextClassificationProject.objects.create(
            name="kdiscourse sentence labels", project_type="DocumentClassification", created_by=first),
        "spans": SequenceLabelingProject.objects.create(
            name="kdiscourse actors", project_type="SequenceLabeling", created_by=first, allow_overlapping=True),
    }
    serializers = {"classification": CategoryTypeSerializer, "spans": SpanTypeSerializer}
    for name, project in projects.items():
        project.add_admin()
        Member.objects.create(project=project, user=second, role=role)
        # label definitions first, through the serializer of doccano's label upload
        labels = json.loads((export_dir / f"{name}_labels.json").read_text(encoding="utf-8"))
        serializer = serializers[name](data=labels, many=True)
        serializer.is_valid(raise_exception=True)
        serializer.save(project_id=project.id)
        path = export_dir / f"{name}.jsonl"
        dataset = load_dataset(project.project_type, create_file_format("JSONL"),
                               [FileName(full_path=str(path), generated_name=path.name, upload_name=path.name)],
                               project, column_data="text", column_label="label")
        dataset.save(first)
        summary["errors"][name] = [str(e.dict()) for e in dataset.errors]
        summary[f"{name}_examples"] = Example.objects.filter(project=project).count()

    def example(project, doc_id, sentence):
        return next(e for e in Example.objects.filter(project=project)
                    if e.meta.get("doc_id") == doc_id and e.meta.get("sentence") == sentence)

    # the second annotator accepts the pre-annotations as they are
    for c in Category.objects.filter(example__project=projects["classification"], user=first):
        Category.objects.create(example=c.example, label=c.label, user=second)
    for s in Span.objects.filter(example__project=projects["spans"], user=first):
        Span(example=s.example, label=s.label, user=second, start_offset=s.start_offset,
             end_offset=s.end_offset).save()
    # the first annotator's two changes
    add = edits["add_category"]
    Category.objects.create(example=example(projects["classification"], add["doc_id"], add["sentence"]), user=first,
                            label=CategoryType.objects.get(project=projects["classification"], text=add["label"]))
    move = edits["move_span"]
    ex = example(projects["spans"], move["doc_id"], move["sentence"])
    old = Span.objects.get(example=ex, user=first, label__text=move["label"], start_offset=move["old"][0],
                           end_offset=move["old"][1])
    label = old.label
    old.delete()
    Span(example=ex, label=label, user=first, start_offset=move["new"][0], end_offset=move["new"][1]).save()
    summary["span_types"] = SpanType.objects.filter(project=projects["spans"]).count()
    for name, project in projects.items():
        zip_file = export_dataset(project.id, "JSONL", False)
        target = out_dir / f"{name}-export.zip"
        shutil.move(zip_file, target)
        summary["zips"].append(str(target))
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if not any(summary["errors"].values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
