"""``python -m nlp``: the same command line as ``kdiscourse``."""
import sys

from .cli import main

sys.exit(main())
