"""Corpus analysis on annotated tables: label rates with bootstrap intervals, keywords in context, networks.

Every function takes an ``annotate`` output folder (or the DataFrames read from it)
and returns a DataFrame or a graph; the commands ``rates``, ``kwic`` and ``network``
only print or write what these return.

Rates are *per 1,000 sentences*: for a group of documents, the number of sentences
carrying a label (dimensions, frames) or the number of actor mentions of a bloc,
divided by the group's sentences, times 1,000.  The confidence interval is a
percentile bootstrap over *documents* (documents are drawn with replacement
within the group), because sentences of one document are not independent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..labels import blocs, dimension_ids, display, frame_ids, korean_name
from .store import group_values, read_table

if TYPE_CHECKING:  # pandas is imported where it is used, so `tag` never loads it
    import pandas as pd

KINDS = ("dimension", "frame", "bloc")
KIND_NAMES = {"dimension": "경쟁 차원", "frame": "안보 프레임", "bloc": "진영별 행위자 언급"}


def label_name(kind: str, label: str) -> str:
    """Korean display name of a dimension, frame or bloc id.

    >>> label_name("frame", "economic_security"), label_name("bloc", "CN")
    ('경제안보', '중국 진영')
    """
    if kind == "bloc":
        return display()["bloc_names"].get(label, label)
    return korean_name(label)


def _label_counts(docs: pd.DataFrame, sents: pd.DataFrame, ments: pd.DataFrame):
    """Per ok document: sentences and, per (kind, label), the count; a documents x labels matrix."""
    import numpy as np

    keys = [("dimension", d) for d in dimension_ids()] + [("frame", f) for f in frame_ids()] + \
           [("bloc", b) for b in blocs()]
    pos = {int(i): k for k, i in enumerate(docs["input_index"])}
    counts = np.zeros((len(docs), len(keys)), dtype=float)
    col = {k: j for j, k in enumerate(keys)}
    if len(sents):
        for idx, dims, frames in zip(sents["input_index"], sents["dimensions"], sents["frames"]):
            r = pos.get(int(idx))
            if r is None:
                continue
            for d in (dims if dims is not None else ()):
                if ("dimension", d) in col:
                    counts[r, col[("dimension", d)]] += 1
            for f in (frames if frames is not None else ()):
                if ("frame", f) in col:
                    counts[r, col[("frame", f)]] += 1
    if len(ments):
        for idx, bloc in zip(ments["input_index"], ments["bloc"]):
            r = pos.get(int(idx))
            if r is not None and ("bloc", bloc) in col:
                counts[r, col[("bloc", bloc)]] += 1
    # a stage that did not run leaves its share column null: its labels are unknown, not zero
    ran = {"dimension": docs.filter(like="share_dim_").notna().any(axis=1).to_numpy() if
           docs.filter(like="share_dim_").shape[1] else np.zeros(len(docs), bool),
           "frame": docs.filter(like="share_frame_").notna().any(axis=1).to_numpy() if
           docs.filter(like="share_frame_").shape[1] else np.zeros(len(docs), bool),
           "bloc": docs.filter(like="mentions_").notna().any(axis=1).to_numpy() if
           docs.filter(like="mentions_").shape[1] else np.zeros(len(docs), bool)}
    return keys, counts, ran


def label_rates(out_dir: str | Path, by: Sequence[str] = (), *, per: float = 1000.0, n_boot: int = 1000,
                level: float = 0.95, seed: int = 0, kinds: Iterable[str] = KINDS) -> pd.DataFrame:
    """Rates per ``per`` sentences of every dimension, frame and bloc, per group of ``by``, with bootstrap CIs.

    One row per group and label: the group values (one column per ``by`` field,
    typed as in the tables), ``kind``, ``label``, ``name`` (Korean), ``documents``,
    ``sentences``, ``count``, ``rate``, ``ci_low``, ``ci_high``.  The interval is a
    percentile bootstrap over the group's documents (``n_boot`` draws, fixed ``seed``),
    so the same folder always gives the same table.  Error rows are left out; a group
    whose documents have no sentences gets no rate.
    """
    import numpy as np
    import pandas as pd

    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise UsageError(f"rate kind {bad[0]!r}; allowed: {', '.join(KINDS)}")
    if not 0 < level < 1:
        raise UsageError(f"confidence level {level}: must be between 0 and 1")
    docs = read_table(out_dir, "documents")
    docs = docs[docs["status"] == "ok"].reset_index(drop=True) if len(docs) else docs
    by = list(by)
    groups = {name: group_values(docs, name) for name in by}
    sents = read_table(out_dir, "sentences", ["input_index", "dimensions", "frames"])
    ments = read_table(out_dir, "mentions", ["input_index", "bloc"])
    keys, counts, ran = _label_counts(docs, sents, ments)
    n_sent = docs["n_sentences"].to_numpy(dtype=float) if len(docs) else np.zeros(0)
    frame = pd.DataFrame({f"__{k}": v for k, v in groups.items()}) if by else pd.DataFrame(index=docs.index)
    frame["__all"] = "all"
    gcols = [f"__{k}" for k in by] or ["__all"]
    rng = np.random.default_rng(seed)
    alpha = (1 - level) / 2
    rows = []
    grouped = frame.groupby(gcols, dropna=False, sort=True).indices if len(docs) else {}
    for gkey, idx in grouped.items():
        gkey = gkey if isinstance(gkey, tuple) else (gkey,)
        base = {name: (None if pd.isna(v) else v) for name, v in zip(by, gkey)}
        for j, (kind, label) in enumerate(keys):
            if kind not in kinds:
                continue
            use = idx[ran[kind][idx]]
            n, c = n_sent[use], counts[use, j]
            total = n.sum()
            row = {**base, "kind": kind, "label": label, "name": label_name(kind, label),
                   "documents": len(use), "sentences": int(total), "count": int(c.sum())}
            if total <= 0:
                rows.append({**row, "rate": None, "ci_low": None, "ci_high": None})
                continue
            rate = per * c.sum() / total
            if len(use) > 1 and n_boot > 0:
                w = rng.multinomial(len(use), np.full(len(use), 1 / len(use)), size=n_boot)
                den = w @ n
                boot = per * (w @ c)[den > 0] / den[den > 0]
                lo, hi = np.quantile(boot, [alpha, 1 - alpha])
            else:
                lo = hi = rate
            rows.append({**row, "rate": float(rate), "ci_low": float(lo), "ci_high": float(hi)})
    cols = by + ["kind", "label", "name", "documents", "sentences", "count", "rate", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=cols)


def _labelled(values, wanted: str | None) -> bool:
    return wanted is None or (values is not None and wanted in list(values))


def kwic(out_dir: str | Path, keyword: str, *, frame: str | None = None, dimension: str | None = None,
         actor: str | None = None, width: int = 30, regex: bool = False, limit: int | None = None) -> pd.DataFrame:
    """Keywords in context over the sentences of an output folder, optionally only labelled sentences.

    One row per occurrence: ``doc_id``, ``sentence``, ``left``, ``match``, ``right``
    (``width`` characters each side, within the sentence), the sentence's
    ``dimensions`` and ``frames`` (Korean names), ``start``/``end`` (offsets of the
    match in the document text) and the document's metadata columns. ``frame``,
    ``dimension`` and ``actor`` keep only sentences with that frame or dimension
    label or a mention of that actor id.
    """
    import pandas as pd

    if frame is not None and frame not in frame_ids():
        raise UsageError(f"frame {frame!r}; allowed: {', '.join(frame_ids())}")
    if dimension is not None and dimension not in dimension_ids():
        raise UsageError(f"dimension {dimension!r}; allowed: {', '.join(dimension_ids())}")
    if not keyword:
        raise UsageError("an empty keyword matches everywhere; give a word")
    try:
        pattern = re.compile(keyword if regex else re.escape(keyword))
    except re.error as exc:
        raise UsageError(f"keyword pattern {keyword!r} is not a regular expression: {exc}") from None
    sents = read_table(out_dir, "sentences", ["input_index", "doc_id", "sentence", "start", "text", "dimensions",
                                              "frames"])
    if actor is not None:
        ments = read_table(out_dir, "mentions", ["input_index", "sentence", "actor"])
        keep = set(zip(ments.loc[ments["actor"] == actor, "input_index"], ments.loc[ments["actor"] == actor,
                                                                                    "sentence"]))
        if not keep and actor not in set(ments["actor"]):
            raise UsageError(f"actor {actor!r} is not mentioned in {out_dir}")
    docs = read_table(out_dir, "documents")
    meta_cols = [c for c in docs.columns if c.startswith("meta_")]
    meta = docs.set_index("input_index")[meta_cols] if meta_cols else None
    rows = []
    for r in sents.itertuples(index=False):
        if not (_labelled(r.frames, frame) and _labelled(r.dimensions, dimension)):
            continue
        if actor is not None and (r.input_index, r.sentence) not in keep:
            continue
        for m in pattern.finditer(r.text):
            row = {"doc_id": r.doc_id, "sentence": int(r.sentence),
                   "left": r.text[max(0, m.start() - width):m.start()], "match": m.group(),
                   "right": r.text[m.end():m.end() + width],
                   "dimensions": ", ".join(korean_name(d) for d in (r.dimensions if r.dimensions is not None else ())),
                   "frames": ", ".join(korean_name(f) for f in (r.frames if r.frames is not None else ())),
                   "start": int(r.start) + m.start(), "end": int(r.start) + m.end()}
            if meta is not None:
                row.update({c.removeprefix("meta_"): meta.at[r.input_index, c] for c in meta_cols})
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                return pd.DataFrame(rows)
    cols = ["doc_id", "sentence", "left", "match", "right", "dimensions", "frames", "start", "end"] + \
        [c.removeprefix("meta_") for c in meta_cols]
    return pd.DataFrame(rows, columns=cols)


NETWORK_KINDS = ("actor-frame", "actor-actor")


def corpus_networks(out_dir: str | Path, kind: str = "actor-frame", by: str | None = None,
                    min_weight: int = 1) -> dict:
    """Co-occurrence networks per time slice (or one for the corpus): ``{slice value: networkx.Graph}``.

    ``actor-frame``: an edge joins an actor and a frame with ``weight`` = the sentences
    in which the actor is mentioned and the frame is labelled.  ``actor-actor``: an
    edge joins two actors mentioned in the same sentence, ``weight`` = such sentences.
    Nodes carry ``label`` (Korean name), ``label_en``, ``kind``, ``type``, ``bloc`` and
    ``count`` (mentions, or sentences with the frame); edges carry ``weight``.
    """
    import itertools

    import networkx as nx

    if kind not in NETWORK_KINDS:
        raise UsageError(f"network kind {kind!r}; allowed: {', '.join(NETWORK_KINDS)}")
    docs = read_table(out_dir, "documents")
    docs = docs[docs["status"] == "ok"].reset_index(drop=True) if len(docs) else docs
    slices = group_values(docs, by) if by else None
    slice_of = {int(i): (None if slices is None else slices.iloc[k]) for k, i in enumerate(docs["input_index"])}
    sents = read_table(out_dir, "sentences", ["input_index", "sentence", "frames"])
    ments = read_table(out_dir, "mentions", ["input_index", "sentence", "actor", "name_ko", "name_en", "type",
                                             "bloc"])
    actors_in: dict[tuple[int, int], set[str]] = {}
    info: dict[str, dict] = {}
    for m in ments.itertuples(index=False):
        actors_in.setdefault((int(m.input_index), int(m.sentence)), set()).add(m.actor)
        info.setdefault(m.actor, {"label": getattr(m, "name_ko", m.actor) or m.actor,
                                  "label_en": getattr(m, "name_en", m.actor) or m.actor,
                                  "type": m.type, "bloc": m.bloc})
    graphs: dict = {}

    def graph(key):
        if key not in graphs:
            graphs[key] = nx.Graph(name=f"{kind} {by or 'corpus'}={key}", unit="sentences")
        return graphs[key]

    def add_actor(g, a):
        if f"actor:{a}" not in g:
            g.add_node(f"actor:{a}", kind="actor", count=0, **info[a])
        g.nodes[f"actor:{a}"]["count"] += 1

    for m in ments.itertuples(index=False):
        if int(m.input_index) in slice_of:
            add_actor(graph(slice_of[int(m.input_index)]), m.actor)
    for s in sents.itertuples(index=False):
        key = (int(s.input_index), int(s.sentence))
        if key[0] not in slice_of:
            continue
        g = graph(slice_of[key[0]])
        present = sorted(actors_in.get(key, ()))
        if kind == "actor-frame":
            for f in (s.frames if s.frames is not None else ()):
                node = f"frame:{f}"
                if node not in g:
                    g.add_node(node, kind="frame", label=korean_name(f), label_en=f, type="frame", bloc="", count=0)
                g.nodes[node]["count"] += 1
                for a in present:
                    w = g.get_edge_data(f"actor:{a}", node, {"weight": 0})["weight"]
                    g.add_edge(f"actor:{a}", node, weight=w + 1)
        else:
            for a, b in itertools.combinations(present, 2):
                w = g.get_edge_data(f"actor:{a}", f"actor:{b}", {"weight": 0})["weight"]
                g.add_edge(f"actor:{a}", f"actor:{b}", weight=w + 1)
    for g in graphs.values():
        g.remove_edges_from([(u, v) for u, v, w in g.edges(data="weight") if w < min_weight])
        g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    return dict(sorted(graphs.items(), key=lambda kv: (kv[0] is None, str(kv[0]))))


def write_networks(graphs: dict, out_dir: str | Path, kind: str = "actor-frame") -> list[Path]:
    """Write each slice's graph as ``<kind>-<slice>.graphml`` plus Gephi CSVs (``.nodes.csv``/``.edges.csv``)."""
    from ..report.network import write_csv, write_graphml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, g in graphs.items():
        stem = f"{kind}-{_slug(key)}"
        written.append(write_graphml(g, out / f"{stem}.graphml"))
        written.extend(write_csv(g, out / f"{stem}.nodes.csv", out / f"{stem}.edges.csv"))
    return written


def _slug(value) -> str:
    text = "all" if value is None else str(value)
    return re.sub(r"[^\w.-]+", "_", text).strip("_") or "slice"
