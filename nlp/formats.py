"""The one owner of the project's on-disk formats: read, validate, write atomically.

- team gold JSONL (``corpus/team/FORMAT.md``): one document per line;
- gold TSV (``corpus/essay/sentences.tsv`` and ``mentions.tsv``);
- model folders (``model.json`` + ``weights.npz``, and a linear model's ``features.txt``);
- hashes: the sentence hash of gold files, file and training-data hashes.

Every reader fails with one line that names the file, the line and the field.
Pipeline configurations are read by :mod:`nlp.config`, the actor lexicon by
:mod:`nlp.lexicon`; both follow the same rules.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .atomic import atomic_open
from .errors import InputError, ModelError
from .labels import dimension_ids, frame_ids

MODEL_FILE = "model.json"
FEATURES_FILE = "features.txt"
_SPLIT_LABELS = re.compile(r"[\s,;|]+")
_NO_LABEL = frozenset({"-", "none", "—", "_"})


# --------------------------------------------------------------------------- hashes

def sentence_sha(text: str) -> str:
    """The short sentence hash of gold files (sha1 of the UTF-8 text, 12 hex digits).

    >>> sentence_sha("미중 AI 패권경쟁과 한국")
    '3b173854e41d'
    """
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def compact_sha(text: str) -> str:
    """Whitespace-blind sentence hash of standoff records (the real-text development set): sha256 of the
    text with every whitespace character removed, first 16 hex digits, so re-wrapped copies hash alike.

    >>> compact_sha("미국은 대중 수출통제를 강화했다.") == compact_sha("미국은 대중\\n수출통제를  강화했다.")
    True
    """
    return hashlib.sha256(re.sub(r"\s+", "", text).encode("utf-8")).hexdigest()[:16]


def file_sha256(path: str | Path) -> str:
    """sha256 of a file's bytes, streamed."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def files_sha256(files: Iterable[str | Path]) -> str:
    """sha256 over the files' names and contents, in sorted name order (the training-data hash)."""
    h = hashlib.sha256()
    for f in sorted(Path(p) for p in files):
        h.update(f.name.encode("utf-8") + b"\0")
        h.update(f.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


# --------------------------------------------------------------------------- JSON

def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def loads_strict(text: str) -> Any:
    """Parse JSON text, refusing the non-standard constants NaN, Infinity and -Infinity.

    >>> loads_strict('{"t": NaN}')
    Traceback (most recent call last):
    ...
    ValueError: NaN is not a JSON number
    """
    return json.loads(text, parse_constant=_no_constant)


def dumps(obj: Any, **kw: Any) -> str:
    """JSON text with NaN and infinities refused (they are not JSON)."""
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, **kw)


def write_json_atomic(path: str | Path, obj: Any) -> None:
    """Write JSON atomically (an interrupted run leaves no half-file); NaN is refused."""
    text = json.dumps(obj, ensure_ascii=False, indent=1, allow_nan=False)
    with atomic_open(path) as fh:
        fh.write(text + "\n")


def read_json_file(path: str | Path, what: str = "JSON file") -> Any:
    """Parse a JSON file; a missing, unreadable or invalid file is one :class:`InputError` line."""
    p = Path(path)
    try:
        return loads_strict(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{p}: is a directory, not a {what}") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{p}: not a readable {what} ({exc})") from None


# --------------------------------------------------------------------------- team gold JSONL

@dataclass(frozen=True)
class TeamRecord:
    """One validated document of a team gold file, with where it came from."""

    file: str
    line: int
    data: dict


def _labels_ok(value: Any, allowed: Sequence[str], where: str, field: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(f"{where}: '{field}' must be a list of label ids")
    bad = [x for x in value if x not in allowed]
    if bad:
        raise InputError(f"{where}: unknown {field} label {bad[0]!r}; allowed: {', '.join(allowed)}")
    return value


def validate_team_document(d: Any, where: str) -> dict:
    """Check one team-format document: ``id``, ``sentences`` with ``text`` and known label ids.

    Optional per-sentence fields (``start``/``end`` document offsets, ``actors`` spans within the
    sentence) are checked for type when present.
    """
    if not isinstance(d, dict):
        raise InputError(f"{where}: a document must be a JSON object")
    if "id" not in d or not isinstance(d["id"], (str, int)) or isinstance(d["id"], bool):
        raise InputError(f"{where}: 'id' must be a string")
    sents = d.get("sentences")
    if not isinstance(sents, list):
        raise InputError(f"{where}: 'sentences' must be a list")
    dims, frames = dimension_ids(), frame_ids()
    for i, s in enumerate(sents):
        at = f"{where}: sentences[{i}]"
        if not isinstance(s, dict) or not isinstance(s.get("text"), str):
            raise InputError(f"{at}: needs a 'text' string")
        _labels_ok(s.get("dimensions", []), dims, at, "dimensions")
        _labels_ok(s.get("frames", []), frames, at, "frames")
        for key in ("start", "end", "index"):
            if key in s and (not isinstance(s[key], int) or isinstance(s[key], bool) or s[key] < 0):
                raise InputError(f"{at}: '{key}' must be a non-negative integer")
        actors = s.get("actors", [])
        if not isinstance(actors, list):
            raise InputError(f"{at}: 'actors' must be a list")
        for j, a in enumerate(actors):
            if not isinstance(a, dict) or not all(isinstance(a.get(k), int) for k in ("start", "end")) \
                    or not 0 <= a["start"] < a["end"] <= len(s["text"]):
                raise InputError(f"{at}: actors[{j}] needs 0 <= start < end <= len(text)")
    return d


def read_team_jsonl(path: str | Path, max_docs: int | None = None) -> Iterator[TeamRecord]:
    """Validated documents of one team gold JSONL file (blank lines skipped)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read annotation file ({exc})") from None
    n = 0
    for ln, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if max_docs is not None and n >= max_docs:
            return
        n += 1
        try:
            d = loads_strict(line)
        except ValueError as exc:
            raise InputError(f"{p}:{ln}: not JSON ({exc})") from None
        yield TeamRecord(str(p), ln, validate_team_document(d, f"{p}:{ln}"))


def team_files(root: str | Path) -> list[Path]:
    """The ``*.jsonl`` files of a team corpus folder, sorted by name."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of team corpus files")
    files = sorted(root.glob("*.jsonl"))
    if not files:
        raise InputError(f"{root}: no *.jsonl corpus files found")
    return files


# --------------------------------------------------------------------------- gold TSV

def parse_labels(cell: str | None) -> list[str]:
    """Label ids from a TSV cell (separated by spaces, commas, semicolons or bars; ``-`` is none).

    >>> parse_labels("tech_platform, diplomacy_arms")
    ['tech_platform', 'diplomacy_arms']
    """
    if not cell:
        return []
    return [x for x in _SPLIT_LABELS.split(cell.strip()) if x and x not in _NO_LABEL]


def read_tsv_rows(path: str | Path) -> list[dict[str, str]]:
    """Rows of a tab-separated file with a header (lines starting with ``#`` are comments)."""
    p = Path(path)
    try:
        with open(p, encoding="utf-8", newline="") as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot read ({exc})") from None
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def read_gold_tsv(path: str | Path) -> list[dict]:
    """Rows of a sentence gold TSV (columns ``index start end sha dimensions frames note``), validated."""
    p = Path(path)
    rows = read_tsv_rows(p)
    if not rows:
        raise InputError(f"{p}: empty gold file")
    head = [c.strip().lower() for c in rows[0]]
    missing = [c for c in ("start", "end", "dimensions", "frames") if c not in head]
    if missing:
        raise InputError(f"{p}: header lacks columns {', '.join(missing)}; "
                         "expected index start end sha dimensions frames note")
    dims, frames = dimension_ids(), frame_ids()
    out = []
    for n, r in enumerate(rows, start=2):
        rec = {k.strip().lower(): (v or "").strip() for k, v in r.items() if k is not None}
        where = f"{p}:{n}"
        try:
            start, end = int(rec["start"]), int(rec["end"])
            index = int(rec.get("index") or -1)
        except ValueError:
            raise InputError(f"{where}: start/end/index must be integers") from None
        if not 0 <= start <= end:
            raise InputError(f"{where}: span [{start}, {end}) is not a valid span")
        out.append({"index": index, "start": start, "end": end, "sha": rec.get("sha", ""),
                    "dimensions": _labels_ok(parse_labels(rec.get("dimensions")), dims, where, "dimensions"),
                    "frames": _labels_ok(parse_labels(rec.get("frames")), frames, where, "frames"),
                    "note": rec.get("note", "")})
    return out


# --------------------------------------------------------------------------- model folders

def save_npz_atomic(path: str | Path, *, compressed: bool = True, **arrays: Any) -> None:
    """``np.savez_compressed`` (``np.savez`` when not ``compressed``: larger, but read without
    inflating, which is most of a model's load time) through a temp file and a rename."""
    import numpy as np

    with atomic_open(path, "wb") as fh:
        (np.savez_compressed if compressed else np.savez)(fh, **arrays)


def load_npz(path: str | Path) -> dict:
    """Arrays from an ``.npz`` file: pickled objects refused, every float finite."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise ModelError(f"{path}: model weights missing") from None
    except (ValueError, OSError, EOFError, KeyError) as exc:
        raise ModelError(f"{path}: not a readable weights file ({exc})") from None
    except Exception as exc:  # zipfile.BadZipFile and friends from a truncated file
        raise ModelError(f"{path}: not a readable weights file ({type(exc).__name__}: {exc})") from None
    for k, a in arrays.items():
        if a.dtype.kind == "f" and not np.isfinite(a).all():
            raise ModelError(f"{path}: array {k!r} holds NaN or infinite values")
    return arrays


def model_file_path(folder: str | Path, name: str) -> Path:
    """A file named in ``model.json``, confined to the model folder."""
    if not isinstance(name, str) or not name:
        raise ModelError(f"{folder}: model file name must be a non-empty string, got {type(name).__name__}")
    root = Path(folder).resolve()
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise ModelError(f"{folder}: model file {name!r} lies outside the model folder")
    return target


def feature_file_bytes(features: Sequence[str]) -> bytes | None:
    """A feature list as a feature file holds it: UTF-8, each feature followed by ``\\n``; None when a
    feature cannot be one line (it holds a newline, or a character UTF-8 cannot encode).

    >>> feature_file_bytes(["c:미국", "m:AI/SL"]).decode()
    'c:미국\\nm:AI/SL\\n'
    >>> feature_file_bytes(["m:a\\nb/SL"]) is None
    True
    """
    if any("\n" in f for f in features):
        return None
    try:
        return "".join(f + "\n" for f in features).encode("utf-8")
    except UnicodeEncodeError:
        return None


def write_feature_file(folder: str | Path, features: Sequence[str]) -> dict | None:
    """Write ``features.txt`` into a model folder atomically; returns the fields that ``model.json``
    records about it (file name, sha256, count, whether strictly sorted), or None when the features
    cannot be written as lines (the model file then holds them inline)."""
    data = feature_file_bytes(features)
    if data is None:
        return None
    from .atomic import write_bytes_atomic

    write_bytes_atomic(Path(folder) / FEATURES_FILE, data)
    return {"features_file": FEATURES_FILE, "features_sha256": hashlib.sha256(data).hexdigest(),
            "features_count": len(features), "features_sorted": all(a < b for a, b in zip(features, features[1:]))}


def read_feature_file(folder: str | Path, meta: dict) -> bytes:
    """The bytes of the feature file that ``model.json`` (``meta``) names, confined to the model folder;
    a missing or unreadable file, or fields of the wrong type, is one :class:`ModelError` line.
    The caller checks the bytes against ``meta["features_sha256"]``."""
    where = Path(folder) / MODEL_FILE
    if not isinstance(meta.get("features_sha256"), str) or not isinstance(meta.get("features_count"), int) \
            or not isinstance(meta.get("features_sorted", False), bool):
        raise ModelError(f"{where}: 'features_sha256' (string), 'features_count' (integer) and "
                         "'features_sorted' (true/false) must come with 'features_file'")
    path = model_file_path(folder, meta["features_file"])
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path}: feature file missing (named by {where})") from None
    except OSError as exc:
        raise ModelError(f"{path}: not a readable feature file ({exc.strerror or exc})") from None


def read_model_json(path: str | Path, backend: str | None = None, task: str | None = None,
                    labels: Sequence[str] | None = None) -> dict:
    """Read ``<dir>/model.json``: backend, task, labels and thresholds checked; one-line ModelError otherwise."""
    f = Path(path) / MODEL_FILE
    try:
        meta = loads_strict(f.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"no model at {path} ({MODEL_FILE} missing); train one with `kdiscourse train`") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{f}: unreadable model file ({exc})") from None
    if not isinstance(meta, dict) or not isinstance(meta.get("backend"), str) or not isinstance(meta.get("task"), str):
        raise ModelError(f"{f}: not a kdiscourse model file (needs 'backend' and 'task' strings)")
    if backend is not None and meta["backend"] != backend:
        raise ModelError(f"{f}: backend is {meta['backend']!r}, expected {backend!r}")
    if task is not None and meta["task"] != task:
        raise ModelError(f"{f}: task is {meta['task']!r}, expected {task!r}")
    if labels is not None and tuple(meta.get("labels", ())) != tuple(labels):
        raise ModelError(f"{f}: labels {meta.get('labels')} do not match the installed codebook "
                         f"({', '.join(labels)}); retrain with `kdiscourse train`")
    thr = meta.get("thresholds")
    if thr is not None and (not isinstance(thr, list) or not all(
            isinstance(t, (int, float)) and not isinstance(t, bool) and math.isfinite(t) for t in thr)):
        raise ModelError(f"{f}: 'thresholds' must be a list of finite numbers")
    return meta


__all__ = [
    "FEATURES_FILE", "MODEL_FILE", "TeamRecord", "compact_sha", "dumps", "feature_file_bytes", "file_sha256",
    "files_sha256", "load_npz", "loads_strict", "model_file_path", "read_feature_file", "write_feature_file",
    "parse_labels", "read_gold_tsv", "read_json_file", "read_model_json", "read_team_jsonl", "read_tsv_rows",
    "save_npz_atomic", "sentence_sha", "team_files", "validate_team_document", "write_json_atomic",
]
