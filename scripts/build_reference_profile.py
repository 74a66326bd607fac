"""Build models/reference_profile.json: the essay's profile from its gold annotation (codebook §5).

The essay is third-party text: it is read at build time only, to check that the
gold offsets and sentence hashes match the tokenized text, and it is never
written out.  The profile keeps per-sentence label sets, sentence hashes and
mention ids/offsets (so that differences can be explained), plus provenance:
the essay's sha256, the codebook version, the gold files' sha256 and the date.

    python scripts/build_reference_profile.py [--essay PATH] [--out models/reference_profile.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from nlp.atomic import write_text_atomic

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ESSAY = REPO.parent / "shared" / "seeds" / "000_a2316ee7125e2d43.txt"
GOLD_DIR = REPO / "corpus" / "essay"


def build(essay: Path, sentences_tsv: Path, mentions_tsv: Path) -> dict:
    from nlp import Pipeline, document_from_path
    from nlp.formats import file_sha256
    from nlp.gold import profile_from_gold
    from nlp.labels import codebook_version

    pipe = Pipeline.default(["tokenize"], strict=True)
    doc = pipe(document_from_path(essay, doc_id="essay"))
    if not doc.ok:
        raise SystemExit(f"build_reference_profile: cannot read the essay: {doc.error}")
    prof = profile_from_gold(sentences_tsv, mentions_tsv, doc=doc, doc_id="essay", name="essay")
    if len(prof.sentences) != len(doc.sentences):
        raise SystemExit(f"build_reference_profile: the gold file labels {len(prof.sentences)} sentences but the "
                         f"tokenizer finds {len(doc.sentences)}; every sentence needs a gold row")
    data = prof.to_dict(text=False)
    data["provenance"] = {
        "description": "profile of the reference essay (Kim Sang-bae, '미중 AI 패권경쟁과 한국') computed from its "
                       "gold annotation; the essay text is not stored",
        "essay_file": essay.name,
        "essay_sha256": hashlib.sha256(essay.read_bytes()).hexdigest(),
        "codebook_version": codebook_version(),
        "gold_files": {
            str(p.relative_to(REPO)) if p.is_relative_to(REPO) else p.name: file_sha256(p)
            for p in (sentences_tsv, mentions_tsv)
        },
        "actor_lexicon_sha256": file_sha256(REPO / "models" / "actors.tsv"),
        "tokenizer": doc.models.get("tokenizer", ""),
        "built": dt.date.today().isoformat(),
        "script": "scripts/build_reference_profile.py",
    }
    return data


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--essay", type=Path, default=DEFAULT_ESSAY, help="path of the reference essay")
    ap.add_argument("--sentences", type=Path, default=GOLD_DIR / "sentences.tsv", help="gold sentence labels")
    ap.add_argument("--mentions", type=Path, default=GOLD_DIR / "mentions.tsv", help="gold actor mentions")
    ap.add_argument("--out", type=Path, default=REPO / "models" / "reference_profile.json")
    args = ap.parse_args(argv)
    for p in (args.essay, args.sentences, args.mentions):
        if not p.exists():
            print(f"build_reference_profile: {p}: no such file", file=sys.stderr)
            return 2
    from nlp.errors import AnalyzerError

    try:
        data = build(args.essay, args.sentences, args.mentions)
    except AnalyzerError as exc:
        print(f"build_reference_profile: {exc}", file=sys.stderr)
        return 1
    write_text_atomic(args.out, json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    s = data["summary"]
    print(f"wrote {args.out}: {s['n_sentences']} sentences, {s['n_mentions']} mentions, "
          f"dimension shares {s['dimension_shares']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
