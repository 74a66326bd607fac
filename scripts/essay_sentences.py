"""Print the reference essay's sentences (index, offsets, text) as JSONL, for annotators.

The essay is third-party text: it is read from ../shared/seeds (or --essay PATH)
at run time and never stored in the project; gold files keep offsets and labels only.

    python scripts/essay_sentences.py > /tmp/essay_sentences.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ESSAY = REPO.parent / "shared" / "seeds" / "000_a2316ee7125e2d43.txt"


def sentence_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--essay", default=str(DEFAULT_ESSAY), help="path of the reference essay")
    args = ap.parse_args()
    from nlp import Pipeline, document_from_path

    doc = Pipeline.default(["tokenize"])(document_from_path(args.essay))
    for s in doc.sentences:
        print(json.dumps({"index": s.index, "start": s.start, "end": s.end, "paragraph": s.paragraph,
                          "sha": sentence_hash(s.text), "text": s.text}, ensure_ascii=False))


if __name__ == "__main__":
    main()
