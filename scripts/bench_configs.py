"""Speed of the shipped pipeline configurations (``default`` = linear, ``accurate`` = encoder-stacked).

Two figures per configuration, on team-corpus documents (our own text; the shipped models were trained on
them, which does not matter for speed; the held-out split of the first ``--docs-per-file`` documents of
each file):

- ``classifiers``: sentences/s of both classifiers' ``predict_proba`` (dimensions + frames) with Kiwi
  morphemes precomputed and no e5 vector cached (each sentence is embedded once, shared by both tasks);
- ``pipeline``: sentences/s of the whole configured pipeline (``Pipeline.default(pipeline=NAME)``:
  Kiwi, both classifiers, actors) over the documents' raw text, after one warm-up document;
- ``baseline``: bare Kiwi over the same raw texts in the same run, built as the pipeline builds it
  (``nlp.tokenize.get_kiwi``: same dictionaries and worker threads) and fed the same way (one
  iterable, ``split_sents=True``), after one warm-up call; each pipeline figure is also given as a
  ratio to it.

The machine's load average is recorded next to the figures: the 2 cores here are shared.

    PYTHONPATH=$PWD python scripts/bench_configs.py --configs default,accurate --sentences 200
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.classify import load_model  # noqa: E402
from nlp.classify.data import DEFAULT_SEED, holdout_split, load_team_corpus  # noqa: E402
from nlp.config import as_config  # noqa: E402
from nlp.pipeline import Pipeline  # noqa: E402


def model_dirs(config: str) -> dict[str, Path]:
    """The classifier model folders a pipeline configuration names, by task."""
    cfg = as_config(config)
    out = {}
    for sc in cfg.stages:
        if sc.factory in ("dimensions", "frames"):
            out[sc.factory] = Path(cfg.resolve_path(sc.config.get("model", f"shipped:{sc.factory}")))
    return out


def main() -> int:
    """Measure and print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configs", default="default,accurate")
    ap.add_argument("--sentences", type=int, default=200, help="sentences of held-out team documents to time")
    ap.add_argument("--docs-per-file", type=int, default=40,
                    help="read only the first documents of each team file (tokenizing all of it takes minutes)")
    ap.add_argument("--output")
    args = ap.parse_args()
    data = load_team_corpus(max_docs_per_file=args.docs_per_file)
    test = data.subset(holdout_split(data, seed=DEFAULT_SEED)[1])
    docs: list[list[int]] = []
    for i, d in enumerate(test.doc_ids.tolist()):
        if not docs or test.doc_ids[docs[-1][0]] != d:
            docs.append([])
        docs[-1].append(i)
    pick, texts = [], []
    for idx in docs:
        if len(pick) >= args.sentences:
            break
        pick += idx
        texts.append(" ".join(test.items[i].text for i in idx))
    items = [test.items[i] for i in pick]
    out = {"sentences": len(items), "documents": len(texts), "results": {}}
    from nlp.tokenize import get_kiwi

    kiwi = get_kiwi()
    kiwi.tokenize(texts[0], split_sents=True)
    t0 = time.perf_counter()
    n_kiwi = sum(len(sents) for sents in kiwi.tokenize(iter(texts[1:]), split_sents=True))
    base = n_kiwi / (time.perf_counter() - t0)
    out["baseline"] = {"bare_kiwi_sentences_per_s": round(base, 2), "sentences": n_kiwi}
    print(json.dumps({"baseline": out["baseline"]}), flush=True)
    for config in args.configs.split(","):
        import nlp.classify.encoder as enc

        enc._SHARED.clear()  # nothing cached between configurations
        models = {t: load_model(p, task=t) for t, p in model_dirs(config).items()}
        if any(m.backend == "encoder" for m in models.values()):
            enc.shared_featurizer()._engine()  # load the e5 engine before timing
        load1 = os.getloadavg()[0]
        t0 = time.perf_counter()
        for m in models.values():
            m.predict_proba(items)
        t_clf = time.perf_counter() - t0
        enc._SHARED.clear()
        nlp = Pipeline.default(pipeline=config)
        nlp(texts[0])
        for f in enc._SHARED.values():  # keep the loaded engine, forget the vectors
            f._cache.clear()
        t0 = time.perf_counter()
        n = sum(len(d.sentences) for d in nlp.pipe(texts[1:]))
        t_pipe = time.perf_counter() - t0
        load2 = os.getloadavg()[0]
        out["results"][config] = {
            "models": {t: m.version for t, m in models.items()},
            "classifiers_sentences_per_s": round(len(items) / t_clf, 2),
            "pipeline_sentences_per_s": round(n / t_pipe, 2), "pipeline_sentences": n,
            "pipeline_vs_bare_kiwi": round(n / t_pipe / base, 4),
            "load_average_1min": [round(load1, 2), round(load2, 2)]}
        print(json.dumps({config: out["results"][config]}), flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
