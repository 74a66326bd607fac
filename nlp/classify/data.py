"""Labelled data for the sentence classifiers: the team corpus, the essay gold, splits.

The team corpus (``corpus/team/*.jsonl``, one document per line, see
``corpus/team/FORMAT.md``) becomes a :class:`LabelledData`: one
:class:`~nlp.classify.base.SentenceItem` per sentence (with its Kiwi morphemes and
its neighbours in the document), a 0/1 label matrix per task, and the document id
of every sentence so that splits never cut a document in two.

Splits:

- :func:`holdout_split` -- the fixed held-out test split: ~20 % of the documents,
  drawn with a fixed seed inside each (register, topic) stratum;
- :func:`group_kfold` -- k folds over documents, multi-label stratified by
  iterative stratification (Sechidis et al. 2011) on per-document label counts.

:func:`corpus_sha256` is the training-data hash recorded in every model's metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np

from ..errors import InputError, UsageError
from ..formats import files_sha256, read_gold_tsv, read_team_jsonl, sentence_sha, team_files
from ..resources import REPO_ROOT
from .base import TASKS, SentenceItem, task_labels

REPO = REPO_ROOT
TEAM_DIR = REPO / "corpus" / "team"
ESSAY_GOLD = REPO / "corpus" / "essay" / "sentences.tsv"
ESSAY_TEXT = REPO.parent / "shared" / "seeds" / "000_a2316ee7125e2d43.txt"
DEFAULT_SEED = 20240611
TEST_FRACTION = 0.2
_FORM_TAG = itemgetter(0, 1)


@dataclass(frozen=True)
class LabelledData:
    """Sentences with gold labels for both tasks.

    ``Y[task]`` has shape ``(n_items, n_labels(task))``; ``doc_ids[i]`` is the
    document of ``items[i]``; ``strata[i]`` its document's (register/topic) stratum.
    """

    items: tuple[SentenceItem, ...]
    Y: dict[str, np.ndarray]
    doc_ids: np.ndarray
    strata: np.ndarray
    data_hash: str = ""
    sources: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.items)

    def subset(self, idx: Sequence[int] | np.ndarray) -> LabelledData:
        """The items and labels at the given positions."""
        idx = np.asarray(idx, dtype=int)
        return LabelledData(tuple(self.items[i] for i in idx), {t: y[idx] for t, y in self.Y.items()},
                            self.doc_ids[idx], self.strata[idx], self.data_hash, self.sources, dict(self.meta))

    @property
    def n_documents(self) -> int:
        """Number of distinct documents."""
        return len(set(self.doc_ids.tolist()))


def corpus_files(root: str | Path | None = None) -> list[Path]:
    """The team corpus files, sorted by name.

    >>> [p.name for p in corpus_files()][:2]
    ['analysis.jsonl', 'assembly.jsonl']
    """
    root = Path(root) if root is not None else TEAM_DIR
    if root == TEAM_DIR and not root.is_dir():
        raise InputError(f"{root}: the team corpus is not here (an installed package has no corpus/); "
                         "name a corpus folder")
    return team_files(root)


corpus_sha256 = files_sha256


def labels_matrix(label_sets: Sequence[Sequence[str]], task: str) -> np.ndarray:
    """0/1 matrix from per-sentence label lists; unknown labels are an error.

    >>> labels_matrix([["diplomacy_arms"], []], "dimensions").tolist()
    [[0, 0, 1], [0, 0, 0]]
    """
    labels = task_labels(task)
    pos = {lab: j for j, lab in enumerate(labels)}
    Y = np.zeros((len(label_sets), len(labels)), dtype=np.int8)
    for i, ls in enumerate(label_sets):
        for lab in ls:
            if lab not in pos:
                raise InputError(f"unknown {task} label {lab!r}; allowed: {', '.join(labels)}")
            Y[i, pos[lab]] = 1
    return Y


def items_from_sentences(texts: Sequence[str], morphemes: Sequence[Sequence[tuple[str, str]]] | None = None,
                         doc_id: str = "") -> list[SentenceItem]:
    """Items for the sentences of one document, in order, each with its neighbours as context.

    ``extra`` carries the neighbours' morphemes (``prev_morphemes`` / ``next_morphemes``)
    and the whole document's (``doc_morphemes``: one tuple per sentence, the same object for
    every item of the document) when ``morphemes`` is given.

    >>> [(it.prev_text, it.next_text) for it in items_from_sentences(["가.", "나.", "다."])][1]
    ('가.', '다.')
    """
    n = len(texts)
    ms = [tuple(m) for m in morphemes] if morphemes is not None else [()] * n
    doc = tuple(ms)  # one object shared by the document's items: document-context features are made once
    out = []
    for i, t in enumerate(texts):
        extra = {}
        if morphemes is not None:
            extra = {"prev_morphemes": ms[i - 1] if i > 0 else (), "next_morphemes": ms[i + 1] if i + 1 < n else (),
                     "doc_morphemes": doc}
        out.append(SentenceItem(t, ms[i], texts[i - 1] if i > 0 else "", texts[i + 1] if i + 1 < n else "",
                                doc_id, extra))
    return out


def items_from_document(doc) -> list[SentenceItem]:
    """Items for the sentences of a tokenized :class:`~nlp.document.Document`."""
    texts = [s.text for s in doc.sentences]
    # tokenized sentences carry nlp.tokenize.Morphemes, whose (form, tag) pairs are made once for both stages
    morphs = [s.morphemes.form_tags() if hasattr(s.morphemes, "form_tags") else tuple(map(_FORM_TAG, s.morphemes))
              for s in doc.sentences]
    return items_from_sentences(texts, morphs, doc.id)


def _tokenize_texts(texts: Sequence[str]) -> list[tuple[tuple[str, str], ...]]:
    from ..tokenize import tokenize_blocks

    return [tuple((m.form, m.tag) for _s, _e, ms in sents for m in ms) for sents in tokenize_blocks(texts)]


def load_team_corpus(root: str | Path | None = None, tokenize: bool = True,
                     max_docs_per_file: int | None = None) -> LabelledData:
    """Read ``corpus/team/*.jsonl`` into :class:`LabelledData` (Kiwi morphemes when ``tokenize``).

    ``max_docs_per_file`` keeps only the first documents of each file (small fixtures for tests);
    the data hash is always that of the whole files.
    """
    files = corpus_files(root)
    texts: list[str] = []
    dims: list[list[str]] = []
    frames: list[list[str]] = []
    doc_ids: list[str] = []
    strata: list[str] = []
    doc_spans: list[tuple[str, int, int]] = []
    seen: set[str] = set()
    for f in files:
        for rec in read_team_jsonl(f, max_docs_per_file):
            d = rec.data
            did, sents = str(d["id"]), d["sentences"]
            if did in seen:
                raise InputError(f"{f}:{rec.line}: duplicate document id {did!r}")
            seen.add(did)
            start = len(texts)
            for s in sents:
                texts.append(s["text"])
                dims.append(s.get("dimensions", []))
                frames.append(s.get("frames", []))
                doc_ids.append(did)
                strata.append(f"{d.get('register', '?')}/{d.get('topic', '?')}")
            doc_spans.append((did, start, len(texts)))
    morphs = _tokenize_texts(texts) if tokenize else None
    items: list[SentenceItem] = []
    for did, a, b in doc_spans:
        items.extend(items_from_sentences(texts[a:b], morphs[a:b] if morphs is not None else None, did))
    Y = {"dimensions": labels_matrix(dims, "dimensions"), "frames": labels_matrix(frames, "frames")}
    return LabelledData(tuple(items), Y, np.asarray(doc_ids), np.asarray(strata), corpus_sha256(files),
                        tuple(str(f.relative_to(REPO)) if f.is_relative_to(REPO) else str(f) for f in files))


# --------------------------------------------------------------------------- essay gold

def load_essay_gold(gold: str | Path = ESSAY_GOLD, essay: str | Path = ESSAY_TEXT) -> LabelledData:
    """The essay's gold sentences as :class:`LabelledData` (one document, id ``essay``).

    The essay text is read from ``essay`` at run time and tokenized like any input
    (repair + Kiwi); gold rows are aligned to its sentences by ``start``/``end``
    and, where given, checked against the sentence hash.  Sentences without a
    gold row are left out.
    """
    from ..inputs import document_from_path
    from ..tokenize import Tokenizer

    rows = read_gold_tsv(gold)
    doc = Tokenizer()(document_from_path(essay, "essay"))
    if not doc.ok:
        raise InputError(f"essay: {doc.error}")
    by_span = {(s.start, s.end): s for s in doc.sentences}
    all_items = items_from_document(doc)
    pick, dims, frames = [], [], []
    for r in rows:
        s = by_span.get((r["start"], r["end"]))
        if s is None:
            raise InputError(f"{gold}: no essay sentence at [{r['start']}, {r['end']}) (index {r['index']}); "
                             "the gold does not match this essay or tokenizer")
        if r["sha"] and r["sha"] != sentence_sha(s.text):
            raise InputError(f"{gold}: sentence [{r['start']}, {r['end']}) hash {r['sha']} does not match the "
                             f"essay text ({sentence_sha(s.text)})")
        pick.append(s.index)
        dims.append(r["dimensions"])
        frames.append(r["frames"])
    items = tuple(all_items[i] for i in pick)
    Y = {"dimensions": labels_matrix(dims, "dimensions"), "frames": labels_matrix(frames, "frames")}
    gold_p = Path(gold)
    return LabelledData(items, Y, np.asarray(["essay"] * len(items)), np.asarray(["essay"] * len(items)),
                        corpus_sha256([gold_p]), (str(gold_p),))


def load_devset_data(cache_dir: str | Path | None = None) -> LabelledData | None:
    """The real-text development set (rebuilt cache, see corpus/devset/README.md) as :class:`LabelledData`,
    one group per document, or None when the cache is absent.  Headings and bylines stay in with
    their (empty) gold labels: real text has them."""
    from ..devset import DEFAULT_CACHE, load_devset

    root = Path(cache_dir) if cache_dir is not None else REPO / DEFAULT_CACHE
    docs = load_devset(root)
    if not docs:
        return None
    texts, dims, frames, doc_ids, strata, spans = [], [], [], [], [], []
    for d in docs:
        start = len(texts)
        for s in d["sentences"]:
            texts.append(s["text"])
            dims.append(s.get("dimensions", []))
            frames.append(s.get("frames", []))
            doc_ids.append(d["id"])
            strata.append(f"{d.get('register', '?')}/{d.get('topic', '?')}")
        spans.append((d["id"], start, len(texts)))
    morphs = _tokenize_texts(texts)
    items: list[SentenceItem] = []
    for did, a, b in spans:
        items.extend(items_from_sentences(texts[a:b], morphs[a:b], did))
    Y = {"dimensions": labels_matrix(dims, "dimensions"), "frames": labels_matrix(frames, "frames")}
    src = root / "sentences.jsonl"
    return LabelledData(tuple(items), Y, np.asarray(doc_ids), np.asarray(strata), corpus_sha256([src]),
                        (str(src),))


def concat_data(*parts: LabelledData) -> LabelledData:
    """The sentences of several :class:`LabelledData` one after the other (e.g. team corpus + real text).

    Document ids must not collide across parts; the data hash is the sha256 of the parts' hashes in order.

    >>> a = LabelledData((SentenceItem("가."),), {"dimensions": np.zeros((1, 3), np.int8)}, np.asarray(["a"]),
    ...                  np.asarray(["x"]), "h1")
    >>> b = LabelledData((SentenceItem("나."),), {"dimensions": np.ones((1, 3), np.int8)}, np.asarray(["b"]),
    ...                  np.asarray(["y"]), "h2")
    >>> c = concat_data(a, b)
    >>> len(c), c.doc_ids.tolist(), int(c.Y["dimensions"].sum())
    (2, ['a', 'b'], 3)
    """
    import hashlib

    if not parts:
        raise UsageError("concat_data needs at least one part")
    seen: set[str] = set()
    for p in parts:
        ids = set(p.doc_ids.tolist())
        if ids & seen:
            raise InputError(f"document ids occur in two parts: {', '.join(sorted(ids & seen)[:5])}")
        seen |= ids
    tasks = [t for t in parts[0].Y if all(t in p.Y for p in parts)]
    h = hashlib.sha256("\n".join(p.data_hash for p in parts).encode()).hexdigest()
    return LabelledData(tuple(it for p in parts for it in p.items),
                        {t: np.concatenate([p.Y[t] for p in parts]) for t in tasks},
                        np.concatenate([p.doc_ids for p in parts]), np.concatenate([p.strata for p in parts]), h,
                        tuple(src for p in parts for src in p.sources))


# --------------------------------------------------------------------------- splits

def _doc_table(doc_ids: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Documents in first-seen order and the document index of every sentence."""
    order: dict[str, int] = {}
    for d in doc_ids.tolist():
        order.setdefault(d, len(order))
    return list(order), np.asarray([order[d] for d in doc_ids.tolist()], dtype=int)


def holdout_split(data: LabelledData, fraction: float = TEST_FRACTION, seed: int = DEFAULT_SEED,
               ) -> tuple[np.ndarray, np.ndarray]:
    """Fixed held-out split by document: ``(train_idx, test_idx)`` sentence indices.

    In every (register, topic) stratum, ``round(fraction * n_docs)`` documents
    (at least one when the stratum has two or more) are drawn with ``seed``.
    """
    if not 0 < fraction < 1:
        raise UsageError(f"test fraction must be in (0, 1), got {fraction}")
    docs, doc_of = _doc_table(data.doc_ids)
    stratum_of_doc = {}
    for i, d in enumerate(doc_of.tolist()):
        stratum_of_doc.setdefault(d, str(data.strata[i]))
    rng = np.random.default_rng(seed)
    test_docs: set[int] = set()
    for stratum in sorted(set(stratum_of_doc.values())):
        members = sorted(d for d, s in stratum_of_doc.items() if s == stratum)
        k = int(round(fraction * len(members)))
        if k == 0 and len(members) >= 2:
            k = 1
        test_docs.update(rng.permutation(members)[:k].tolist())
    is_test = np.isin(doc_of, sorted(test_docs))
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def group_kfold(Y: np.ndarray, groups: Sequence[str] | np.ndarray, k: int = 5, seed: int = DEFAULT_SEED,
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Multi-label stratified k-fold over groups (documents): ``[(train_idx, val_idx), ...]``.

    A greedy iterative stratification on per-group label counts: the label with the
    fewest remaining positives is handled first; each of its groups goes to the fold
    whose remaining need, summed over the group's labels (each relative to the
    label's total), is largest (ties: the fold that needs most sentences, then a
    seeded random choice).  Groups without labels fill the folds by size.

    >>> folds = group_kfold(np.eye(2, dtype=int).repeat(4, 0), list("aabbccdd"), k=2, seed=0)
    >>> sorted(len(v) for _, v in folds)
    [4, 4]
    """
    groups = np.asarray(groups)
    if k < 2:
        raise UsageError(f"k must be at least 2, got {k}")
    docs, doc_of = _doc_table(groups)
    if len(docs) < k:
        raise UsageError(f"cannot make {k} folds from {len(docs)} documents")
    Y = np.asarray(Y)
    n_docs, n_labels = len(docs), Y.shape[1]
    counts = np.zeros((n_docs, n_labels), dtype=float)
    np.add.at(counts, doc_of, Y)
    sizes = np.bincount(doc_of, minlength=n_docs).astype(float)
    rng = np.random.default_rng(seed)
    totals = np.maximum(counts.sum(0), 1.0)
    need = np.tile(counts.sum(0) / k, (k, 1))
    need_n = np.full(k, sizes.sum() / k)
    fold_of = np.full(n_docs, -1)
    remaining = counts.copy()
    while (remaining.sum(0) > 0).any():
        left = remaining.sum(0)
        lab = int(np.argmin(np.where(left > 0, left, np.inf)))
        for d in rng.permutation(np.flatnonzero(remaining[:, lab] > 0)):
            # the fold that most needs this document's labels (relative to each label's total), then its size
            score = (need / totals) @ counts[d] + 1e-3 * need_n / sizes.sum()
            best = np.flatnonzero(np.isclose(score, score.max()))
            f = int(rng.choice(best))
            fold_of[d] = f
            need[f] -= counts[d]
            need_n[f] -= sizes[d]
            remaining[d] = 0
    for d in rng.permutation(np.flatnonzero(fold_of < 0)):
        best = np.flatnonzero(np.isclose(need_n, need_n.max()))
        f = int(rng.choice(best))
        fold_of[d] = f
        need_n[f] -= sizes[d]
    out = []
    for f in range(k):
        val = np.isin(doc_of, np.flatnonzero(fold_of == f))
        out.append((np.flatnonzero(~val), np.flatnonzero(val)))
    return out


def stacked_targets(data: LabelledData) -> np.ndarray:
    """Both tasks' labels side by side, for stratifying splits that serve both tasks."""
    return np.hstack([data.Y[t] for t in TASKS])
