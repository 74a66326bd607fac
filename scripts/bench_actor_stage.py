"""CPU time of the actor stage alone, old against new, on the same pre-tokenized documents.

The old stage is the package at ``--old-rev`` (default ``219ccd6``: the 415-actor lexicon,
no open-world names), exported with ``git archive`` into a temporary folder and imported
under another name, so that both stages run interleaved in one process on the very same
``Document`` objects (hard cases ×2 and the team corpus, tokenized once).  Each stage's
``process`` is timed over all documents by CPU time (``time.process_time``), best of
``--repeat`` rounds; stage variants: old, new without open-world names (lexicon and
context only), new.

    PYTHONPATH=$PWD python scripts/bench_actor_stage.py [--old-rev REV] [--repeat 7] [--profile]
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def import_old(rev: str, folder: Path):
    """The old package's ActorStage, imported as ``kd_old`` from ``git archive REV nlp models``."""
    data = subprocess.run(["git", "-C", str(REPO), "archive", rev, "nlp", "models"], check=True,
                          capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(folder, filter="data")
    spec = importlib.util.spec_from_file_location("kd_old", folder / "nlp" / "__init__.py",
                                                  submodule_search_locations=[str(folder / "nlp")])
    mod = importlib.util.module_from_spec(spec)
    sys.modules["kd_old"] = mod
    spec.loader.exec_module(mod)
    return importlib.import_module("kd_old.actors").ActorStage


def documents():
    """Hard-case sentences ×2 (one document each) and the team corpus documents, tokenized once."""
    from nlp import Pipeline, document_from_text

    sys.path.insert(0, str(REPO / "scripts"))
    from eval_actors import load_hardcases

    texts = [t for _h, t, _g in load_hardcases(REPO / "corpus" / "actors" / "hardcases.txt")] * 2
    for f in sorted((REPO / "corpus" / "team").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(" ".join(s["text"] for s in json.loads(line)["sentences"]))
    tok = Pipeline.default(["tokenize"])
    return list(tok.pipe(document_from_text(t, str(i)) for i, t in enumerate(texts)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--old-rev", default="219ccd6", help="git revision of the old stage")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--profile", action="store_true", help="cProfile one pass of the new stage")
    args = ap.parse_args(argv)

    from nlp.actors import ActorStage

    docs = documents()
    n_sent = sum(len(d.sentences) for d in docs)
    with tempfile.TemporaryDirectory() as tmp:
        old_cls = import_old(args.old_rev, Path(tmp))
        stages = {"old": old_cls(), "new, lexicon only": ActorStage(open_world=False), "new": ActorStage()}
        for st in stages.values():  # warm the memoised per-form tables
            for d in docs:
                st.process(d)
        best = dict.fromkeys(stages, float("inf"))
        for _ in range(args.repeat):
            for name, st in stages.items():
                c0 = time.process_time()
                for d in docs:
                    st.process(d)
                best[name] = min(best[name], time.process_time() - c0)
    print(f"{len(docs)} documents, {n_sent} sentences, pre-tokenized; CPU time of stage.process, "
          f"best of {args.repeat}, interleaved")
    for name, t in best.items():
        print(f"{name:<20} {t:6.3f} s  ({t / best['old']:.2f} × old)")
    if args.profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for d in docs:
            stages["new"].process(d)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
