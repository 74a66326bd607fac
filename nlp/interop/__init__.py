"""Round trips with annotation tools: Label Studio, doccano, INCEpTION.

- :func:`export_documents` writes tagged documents as pre-annotations (the
  pipeline's labels as predictions) plus a tool configuration generated from the
  codebook;
- :func:`import_annotations` reads a tool's export back into the team gold format
  (:mod:`nlp.interop.gold`), one document per document and annotator;
- :func:`nlp.interop.agreement.agreement` scores annotators against each other.

The tool libraries (``label-studio-sdk``, ``dkpro-cassis``: the ``tools`` extra)
are only needed by INCEpTION (``dkpro-cassis`` writes and reads XMI); Label
Studio and doccano files are plain JSON.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..errors import UsageError
from .gold import GoldDocument, ImportResult, gold_from_document, read_gold, write_gold

TOOLS = ("label-studio", "doccano", "inception")

__all__ = ["TOOLS", "GoldDocument", "ImportResult", "export_documents", "gold_from_document", "import_annotations",
           "read_gold", "write_gold"]


def _check_tool(tool: str) -> None:
    if tool not in TOOLS:
        raise UsageError(f"unknown annotation tool {tool!r}; allowed: {', '.join(TOOLS)}")


def export_documents(docs: Sequence, tool: str, out_dir: str | Path,
                     selection: Mapping[str, Sequence[int]] | None = None,
                     lexicons: tuple[str, ...] = ()) -> list[Path]:
    """Export tagged :class:`~nlp.document.Document` objects as pre-annotations for ``tool``.

    ``selection`` (document id -> sentence indexes) limits the sentences offered
    for annotation; documents it does not name are left out.  Returns the files written.
    """
    _check_tool(tool)
    if selection is not None:
        docs = [d for d in docs if d.id in selection]
    golds = [gold_from_document(d, "model", None if selection is None else selection[d.id]) for d in docs]
    model_version = ", ".join(f"{k}={v}" for k, v in sorted(docs[0].models.items())) if docs else "kdiscourse"
    if tool == "label-studio":
        from . import labelstudio

        return labelstudio.export(golds, out_dir, docs, lexicons, model_version or "kdiscourse")
    if tool == "doccano":
        from . import doccano

        return doccano.export(golds, out_dir, lexicons)
    from . import inception

    return inception.export(golds, docs, out_dir, lexicons)


def import_annotations(path: str | Path, tool: str, lexicons: tuple[str, ...] = (),
                       annotator: str | None = None, users: Mapping[str, str] | None = None) -> ImportResult:
    """Read a tool's export into gold documents (one per document and annotator).

    ``annotator`` names the annotator when the export does not (a single doccano
    or INCEpTION file); Label Studio exports name theirs, by user id unless expanded,
    and ``users`` (id -> name) turns the ids into names.
    """
    _check_tool(tool)
    if tool == "label-studio":
        from . import labelstudio

        return labelstudio.read_export(path, lexicons, users)
    if tool == "doccano":
        from . import doccano

        return doccano.read_export(path, lexicons, annotator)
    from . import inception

    return inception.read_export(path, lexicons, annotator)
