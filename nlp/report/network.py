"""Actor x frame co-occurrence network of a document or a corpus, as GraphML and CSV.

Nodes are actors (``actor:US``) and frames (``frame:economic_security``); an
undirected edge joins an actor and a frame with ``weight`` = the number of
sentences in which the actor is mentioned and the frame is labelled, and
``sentences`` = those sentences (``3;7`` for a document, ``doc#3;doc#7`` for a
corpus).  GraphML loads in networkx (``nx.read_graphml``) and Gephi; the CSV
pair follows Gephi's spreadsheet import (``Id,Label`` / ``Source,Target,Type,Weight``).

>>> from nlp.document import Document, Mention, Sentence
>>> s = Sentence(0, 0, 9, "미국의 수출통제.", 0, frames=("economic_security",))
>>> m = Mention(0, 2, 0, 2, "미국", "US", "state", "US", 0, "t")
>>> g = actor_frame_graph(Document("d", "미국의 수출통제.", sentences=(s,), mentions=(m,)))
>>> g["actor:US"]["frame:economic_security"]["weight"]
1
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from ..atomic import atomic_open
from ..document import Document
from ..labels import frame_ids, korean_name
from ..profile import Profile, corpus_profile, display_name, document_profile

NODE_FIELDS = ("Id", "Label", "kind", "type", "bloc", "count")
EDGE_FIELDS = ("Source", "Target", "Type", "Weight", "sentences")


def _profile(source: Profile | Document | Iterable[Document]) -> Profile:
    if isinstance(source, Profile):
        return source
    if isinstance(source, Document):
        return document_profile(source)
    return corpus_profile(source)


def actor_frame_graph(source: Profile | Document | Iterable[Document], min_weight: int = 1,
                      include_isolated: bool = False):
    """The actor-frame co-occurrence graph (a ``networkx.Graph``) of a document, corpus or profile.

    Node attributes: ``kind`` (actor|frame), ``label`` (Korean name), ``actor_id``, ``type`` and ``bloc`` (actors),
    ``count`` (mentions of an actor; sentences with a frame).  Edge attributes:
    ``weight`` (sentences) and ``sentences`` (which ones, ``;``-separated).
    Nodes without an edge of at least ``min_weight`` are left out unless
    ``include_isolated``.
    """
    import networkx as nx

    prof = _profile(source)
    g = nx.Graph(name=f"actor-frame co-occurrence: {prof.name}", unit="sentences")
    for a, n in prof.actor_counts.items():
        t, b = prof.actor_info[a]
        g.add_node(f"actor:{a}", kind="actor", label=display_name("actor", a), actor_id=a, type=t, bloc=b,
                   count=n)
    for f in frame_ids():
        g.add_node(f"frame:{f}", kind="frame", label=korean_name(f), type="frame", bloc="", count=prof.frame_counts[f])
    for (a, f), keys in prof.actor_frame_sentences.items():
        if len(keys) >= min_weight:
            g.add_edge(f"actor:{a}", f"frame:{f}", weight=len(keys),
                       sentences=";".join(str(prof.key_json(k)) for k in keys))
    if not include_isolated:
        g.remove_nodes_from([n for n in list(g.nodes) if g.degree(n) == 0])
    return g


def write_graphml(graph, path: str | Path) -> Path:
    """Write the graph as GraphML (atomically); returns the path."""
    import networkx as nx

    with atomic_open(path, "wb") as fh:
        nx.write_graphml(graph, fh, encoding="utf-8", prettyprint=True)
    return Path(path)


def network_rows(graph) -> tuple[list[dict], list[dict]]:
    """Node and edge rows in Gephi's spreadsheet columns."""
    nodes = [{"Id": n, "Label": d.get("label", n), "kind": d.get("kind", ""), "type": d.get("type", ""),
              "bloc": d.get("bloc", ""), "count": d.get("count", 0)} for n, d in graph.nodes(data=True)]
    edges = []
    for u, v, d in graph.edges(data=True):
        if graph.nodes[u].get("kind") == "frame":  # actor first
            u, v = v, u
        edges.append({"Source": u, "Target": v, "Type": "Undirected", "Weight": d.get("weight", 1),
                      "sentences": d.get("sentences", "")})
    edges.sort(key=lambda e: (-e["Weight"], e["Source"], e["Target"]))
    return nodes, edges


def write_csv(graph, nodes_path: str | Path, edges_path: str | Path) -> tuple[Path, Path]:
    """Write nodes and edges as two UTF-8 CSV files (atomically); returns their paths."""
    nodes, edges = network_rows(graph)
    out = []
    for path, fields, rows in ((nodes_path, NODE_FIELDS, nodes), (edges_path, EDGE_FIELDS, edges)):
        with atomic_open(path, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)
        out.append(Path(path))
    return out[0], out[1]
