"""INCEpTION: UIMA CAS XMI (via ``dkpro-cassis``) with a type system generated from the codebook.

One XMI file per document (the whole text), next to ``TypeSystem.xml``; a zip per
document holding both is written too, which INCEpTION's "UIMA CAS XMI" import accepts.

Types (custom layers use INCEpTION's ``webanno.custom`` namespace, so the layers
created in a project with these names and features receive the annotations):

- DKPro ``Sentence`` and ``DocumentMetaData`` (document id) as INCEpTION expects;
- ``webanno.custom.DocumentInfo`` (a document-level layer): ``register``, ``topic``;
- ``webanno.custom.SentenceLabels`` over each sentence to annotate: one Boolean
  feature per dimension and per frame id (absence of the annotation = sentence
  not offered for annotation; all features false = no label);
- ``webanno.custom.ActorMention``: features ``actor`` (lexicon id), ``actorType``,
  ``bloc``; offsets are document offsets (converted to sentence offsets on import).
  Enable stacking on this layer for shared spans (미중 = US + CN).

An export is read from a folder or zip of XMI files: one sub-folder per annotator
(``alice/doc.xmi``), or INCEpTION's project-export layout ``annotation/<document>/<user>.xmi``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..atomic import atomic_open
from ..errors import InputError, UsageError
from ..labels import dimension_ids, frame_ids
from .gold import GoldActor, GoldDocument, GoldSentence, ImportResult, assemble
from .scheme import resolve_actor, task_labels

SENTENCE = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type.Sentence"
METADATA = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
SENTENCE_LABELS = "webanno.custom.SentenceLabels"
ACTOR_MENTION = "webanno.custom.ActorMention"
DOCUMENT_INFO = "webanno.custom.DocumentInfo"
TYPESYSTEM_FILE = "TypeSystem.xml"


def _cassis():
    try:
        import cassis
    except ImportError:
        raise UsageError("INCEpTION files need the dkpro-cassis package (pip install 'kdiscourse[tools]')") from None
    return cassis


def typesystem():
    """The UIMA type system for INCEpTION, generated from ``models/labels.json``."""
    cassis = _cassis()
    ts = cassis.TypeSystem()
    meta = ts.create_type(METADATA, "uima.tcas.DocumentAnnotation")
    for name in ("documentTitle", "documentId", "documentUri", "collectionId", "documentBaseUri"):
        ts.create_feature(meta, name, "uima.cas.String")
    ts.create_feature(meta, "isLastSegment", "uima.cas.Boolean")
    info = ts.create_type(DOCUMENT_INFO, "uima.cas.AnnotationBase",
                          description="kdiscourse document metadata (a document-level layer)")
    ts.create_feature(info, "register", "uima.cas.String", description="news, editorial, analysis, ...")
    ts.create_feature(info, "topic", "uima.cas.String", description="ai or offtopic")
    sent = ts.create_type(SENTENCE, "uima.tcas.Annotation")
    ts.create_feature(sent, "id", "uima.cas.String")
    labels = ts.create_type(SENTENCE_LABELS, "uima.tcas.Annotation",
                            description="kdiscourse sentence labels: codebook dimensions and frames")
    for task in ("dimensions", "frames"):
        for lab, ko in task_labels(task):
            ts.create_feature(labels, lab, "uima.cas.Boolean", description=f"{task}: {ko}")
    mention = ts.create_type(ACTOR_MENTION, "uima.tcas.Annotation", description="kdiscourse actor mention")
    ts.create_feature(mention, "actor", "uima.cas.String", description="actor id (models/actors.tsv)")
    ts.create_feature(mention, "actorType", "uima.cas.String", description="state, company, intl_org, ...")
    ts.create_feature(mention, "bloc", "uima.cas.String", description="US, CN, KR, EU, multilateral, other")
    return ts


def cas_for(gold: GoldDocument, doc, ts) -> Any:
    """One CAS: the document text, its sentences, and the labels/actors of ``gold`` as annotations."""
    cassis = _cassis()
    cas = cassis.Cas(typesystem=ts)
    cas.sofa_string = doc.text
    cas.sofa_mime = "text/plain"
    Meta, Sent = ts.get_type(METADATA), ts.get_type(SENTENCE)
    Labels, Mention = ts.get_type(SENTENCE_LABELS), ts.get_type(ACTOR_MENTION)
    cas.add(Meta(begin=0, end=len(doc.text), documentId=gold.id, documentTitle=gold.id, language="ko"))
    if gold.register is not None or gold.topic is not None:
        cas.add(ts.get_type(DOCUMENT_INFO)(register=gold.register, topic=gold.topic))
    for s in doc.sentences:
        cas.add(Sent(begin=s.start, end=s.end))
    for s in gold.sentences:
        flags = {lab: lab in s.dimensions or lab in s.frames for lab in (*dimension_ids(), *frame_ids())}
        cas.add(Labels(begin=s.start, end=s.end, **flags))
        for a in s.actors or ():
            cas.add(Mention(begin=s.start + a.start, end=s.start + a.end, actor=a.id, actorType=a.type, bloc=a.bloc))
    return cas


def _safe_name(doc_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in doc_id) or "document"


def export(golds: Sequence[GoldDocument], docs: Sequence, out_dir: str | Path, lexicons: tuple[str, ...] = ()) -> list[Path]:
    """Write ``TypeSystem.xml``, ``<doc>.xmi`` and ``<doc>.zip`` (XMI + type system) per document."""
    ts = typesystem()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ts_xml = ts.to_xml()
    with atomic_open(out / TYPESYSTEM_FILE) as fh:
        fh.write(ts_xml)
    written = [out / TYPESYSTEM_FILE]
    seen: set[str] = set()
    for g, doc in zip(golds, docs):
        name = _safe_name(g.id)
        if name in seen:
            raise InputError(f"two documents map to the file name {name!r}; document ids must differ")
        seen.add(name)
        xmi = cas_for(g, doc, ts).to_xmi()
        with atomic_open(out / f"{name}.xmi") as fh:
            fh.write(xmi)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(f"{name}.xmi", xmi)
            z.writestr(TYPESYSTEM_FILE, ts_xml)
        with atomic_open(out / f"{name}.zip", "wb") as fh:
            fh.write(buf.getvalue())
        written += [out / f"{name}.xmi", out / f"{name}.zip"]
    return written


# --------------------------------------------------------------------------- import

def _xmi_sources(path: Path) -> Iterator[tuple[str, tuple[str, ...], bytes, bytes | None]]:
    """``(where, path parts, XMI bytes, type-system bytes or None)`` of every XMI in a folder or zip."""
    if path.is_dir():
        for f in sorted(path.rglob("*")):
            if f.suffix == ".xmi":
                ts_file = f.parent / TYPESYSTEM_FILE
                yield (str(f), f.relative_to(path).parts, f.read_bytes(),
                       ts_file.read_bytes() if ts_file.exists() else None)
            elif f.suffix == ".zip" and not f.with_suffix(".xmi").exists():  # ours: <doc>.zip = <doc>.xmi + types
                yield from _zip_sources(f, f.relative_to(path).parts[:-1])
    elif path.suffix == ".zip":
        yield from _zip_sources(path, ())
    elif path.suffix == ".xmi":
        ts_file = path.parent / TYPESYSTEM_FILE
        yield str(path), (path.name,), path.read_bytes(), ts_file.read_bytes() if ts_file.exists() else None
    else:
        raise InputError(f"{path}: expected a folder, a .zip or an .xmi file")


def _zip_sources(path: Path, prefix: tuple[str, ...]) -> Iterator[tuple[str, tuple[str, ...], bytes, bytes | None]]:
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            for member in sorted(n for n in names if n.endswith(".xmi")):
                folder = str(Path(member).parent)
                ts_name = next((n for n in names if Path(n).name.lower() == TYPESYSTEM_FILE.lower()
                                and str(Path(n).parent) == folder), None)
                # a zip named after another name than its XMI (INCEpTION: <document>/<user>.zip) names the user
                named = () if Path(member).stem == path.stem else (path.stem,)
                yield (f"{path}!{member}", (*prefix, *named, *Path(member).parts), z.read(member),
                       z.read(ts_name) if ts_name else None)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{path}: not a zip file ({exc})") from None


def _annotator_from_parts(parts: tuple[str, ...]) -> str:
    """``annotation/<doc>/<user>.xmi`` -> user; ``<user>/<doc>.xmi`` -> user; ``<doc>.xmi`` -> unknown."""
    if "annotation" in parts[:-1]:
        i = parts.index("annotation")
        if len(parts) > i + 2:
            return Path(parts[i + 2]).stem if len(parts) == i + 3 else parts[i + 2]
    return parts[-2] if len(parts) >= 2 else "unknown"


def read_export(path: str | Path, lexicons: tuple[str, ...] = (), annotator: str | None = None) -> ImportResult:
    """Gold documents from INCEpTION XMI files (read with dkpro-cassis), one per document and annotator."""
    cassis = _cassis()
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file or folder")
    default_ts = typesystem()
    sentences: dict[tuple[str, str], list[GoldSentence]] = {}
    warnings: list[str] = []
    doc_fields: dict[str, dict] = {}
    n_files = 0
    for where, parts, xmi, ts_bytes in _xmi_sources(p):
        n_files += 1
        try:
            ts = cassis.load_typesystem(io.BytesIO(ts_bytes)) if ts_bytes else default_ts
            cas = cassis.load_cas_from_xmi(io.BytesIO(xmi), typesystem=ts, lenient=True)
        except Exception as exc:  # cassis raises plain exceptions (XML, type errors)
            raise InputError(f"{where}: not a readable UIMA CAS XMI ({type(exc).__name__}: {exc})") from None
        text = cas.sofa_string or ""
        metas = list(cas.select(METADATA)) if cas.typesystem.contains_type(METADATA) else []
        doc_id = metas[0].documentId if metas and metas[0].documentId else Path(parts[-1]).stem
        who = annotator or _annotator_from_parts(parts)
        infos = list(cas.select(DOCUMENT_INFO)) if cas.typesystem.contains_type(DOCUMENT_INFO) else []
        if infos:
            doc_fields[doc_id] = {k: getattr(infos[0], k) for k in ("register", "topic") if getattr(infos[0], k)}
        if not cas.typesystem.contains_type(SENTENCE_LABELS):
            raise InputError(f"{where}: no {SENTENCE_LABELS} layer; was it exported by kdiscourse?")
        starts = sorted(s.begin for s in cas.select(SENTENCE)) if cas.typesystem.contains_type(SENTENCE) else []
        rank = {b: i for i, b in enumerate(starts)}
        mentions = list(cas.select(ACTOR_MENTION)) if cas.typesystem.contains_type(ACTOR_MENTION) else []
        units = sorted(cas.select(SENTENCE_LABELS), key=lambda a: a.begin)
        straddling = [m for m in mentions if any(u.begin < m.end and m.begin < u.end for u in units)
                      and not any(u.begin <= m.begin and m.end <= u.end for u in units)]
        for m in straddling:
            warnings.append(f"{where}: actor {m.actor!r} at [{m.begin}, {m.end}) crosses a sentence boundary; left out")
        for u_i, unit in enumerate(units):
            begin, end = unit.begin, unit.end
            dims = [lab for lab in dimension_ids() if getattr(unit, lab, None)]
            frames = [lab for lab in frame_ids() if getattr(unit, lab, None)]
            found = []
            for m in mentions:
                if begin <= m.begin and m.end <= end:
                    w = f"{where}: actor at [{m.begin}, {m.end})"
                    if not m.actor:
                        raise InputError(f"{w} has no actor id")
                    type_, bloc = resolve_actor(m.actor, m.actorType, m.bloc, lexicons, w)
                    found.append(GoldActor(m.begin - begin, m.end - begin, m.actor, type_, bloc))
            sentences.setdefault((who, doc_id), []).append(GoldSentence(
                text[begin:end], tuple(dims), tuple(frames), rank.get(begin, u_i), begin, end, tuple(sorted(set(found)))))
    if not n_files:
        raise InputError(f"{p}: no .xmi files found")
    return assemble("inception", sentences, doc_fields, warnings)
