import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("KDISCOURSE_SHARED", REPO.parent / "shared"))
ESSAY = SHARED / "seeds" / "000_a2316ee7125e2d43.txt"


@pytest.fixture(scope="session")
def essay_bytes() -> bytes:
    if not ESSAY.exists():
        pytest.skip(f"reference essay not found at {ESSAY}")
    return ESSAY.read_bytes()


@pytest.fixture(scope="session")
def pipeline():
    from nlp import Pipeline

    return Pipeline.default()


@pytest.fixture(scope="session")
def tokenizer_only():
    from nlp import Pipeline

    return Pipeline.default(["tokenize"])
