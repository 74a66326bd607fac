"""Rebuild the shipped classifiers (models/dimensions/, models/frames/) from corpus/team with the fixed seed.

Equivalent to ``kdiscourse train --backend linear``; the metrics (held-out split, essay gold
when present, rules baseline next to it) are printed and written to models/<task>/metrics.json.

    python scripts/train_default.py              # table on stdout
    python scripts/train_default.py --format json --output /tmp/metrics.json
"""

from __future__ import annotations

import sys

from nlp.cli import main
from nlp.resources import shipped_models_dir

if __name__ == "__main__":
    sys.exit(main(["train", "--backend", "linear", "--output-dir", str(shipped_models_dir()),
                   "--replace-shipped-models", *sys.argv[1:]]))
