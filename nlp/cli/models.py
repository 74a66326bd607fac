"""``kdiscourse train`` and ``kdiscourse evaluate``: thin wrappers over :mod:`nlp.evaluate`."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from ..atomic import write_text_atomic
from ..errors import UsageError

TASK_CHOICES = ("dimensions", "frames")


def _parse_list(value: str, allowed, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in allowed]
    if bad or not items:
        raise UsageError(f"unknown {what} {', '.join(bad) or repr(value)}; allowed: {', '.join(allowed)}")
    return items


def _params(pairs: list[str] | None) -> dict:
    """``KEY=VALUE`` backend parameters; values parsed as JSON when possible (numbers, true/false, lists)."""
    out = {}
    for p in pairs or ():
        key, sep, val = p.partition("=")
        if not sep or not key:
            raise UsageError(f"--param expects KEY=VALUE, got {p!r}")
        try:
            out[key] = json.loads(val)
        except ValueError:
            out[key] = val
    return out


def _write(text: str, output: str | None) -> None:
    if not output:
        sys.stdout.write(text)
        return
    write_text_atomic(output, text, newline="")


def _render(results: list[dict], fmt: str) -> str:
    from ..evaluate import render_table, to_csv_rows

    if fmt == "json":
        return json.dumps(results if len(results) != 1 else results[0], ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        fields, rows = to_csv_rows(results)
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()
    return render_table(results)


def _progress(quiet: bool):
    if quiet:
        return None
    return lambda msg: print(f"kdiscourse: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- train

def cmd_train(args) -> int:
    """Train classifiers on a gold corpus into a model folder and print their held-out scores."""
    from ..classify import BACKENDS
    from ..evaluate import train_models

    if args.backend not in BACKENDS:
        raise UsageError(f"unknown backend {args.backend!r}; known: {', '.join(BACKENDS)}")
    tasks = _parse_list(args.tasks, TASK_CHOICES, "task")
    params = _params(args.param)
    if args.model:
        if args.backend != "transformer":
            raise UsageError(f"--model is for --backend transformer, not {args.backend!r}")
        params["model_name_or_path"] = args.model
    add_data = None
    if args.add_devset:
        from ..classify.data import load_devset_data

        add_data = load_devset_data(None if args.add_devset is True else args.add_devset)
        if add_data is None:
            raise UsageError(f"--add-devset: no labelled real text at {args.add_devset if args.add_devset is not True else '.cache/devset'} "
                             "(sentences.jsonl; see corpus/devset/README.md)")
    if args.add_gold:
        from ..classify.data import concat_data
        from ..evaluate_gold import gold_training_data

        gold = gold_training_data(args.add_gold)
        add_data = gold if add_data is None else concat_data(add_data, gold)
    cache = _e5_cache(args.e5_cache)
    summary = train_models(args.backend, tasks, out_dir=args.output_dir, corpus_dir=args.corpus,
                           essay_gold=args.essay_gold, essay_text=args.essay, params=params,
                           progress=_progress(args.quiet), baseline=None if args.no_baseline else "rules",
                           allow_shipped=args.replace_shipped_models, add_data=add_data,
                           add_weight=args.real_weight)
    if cache is not None:
        cache.save_cache()
    results = []
    for task, m in summary.items():
        base = m.get("baseline", {})
        for setting in ("test", "essay"):
            if setting not in m:
                continue
            clfs = {m["version"]: m[setting]}
            if setting in base:
                clfs[f"baseline {base['backend']}"] = base[setting]
            results.append({"setting": setting, "task": task, "classifiers": clfs})
    _write(_render(results, args.format), args.output)
    from ..evaluate import DEFAULT_TRAIN_DIR

    out_dir = args.output_dir or DEFAULT_TRAIN_DIR
    print(f"kdiscourse: wrote {', '.join(f'{out_dir}/{t}/' for t in summary)} "
          f"(training data sha256 {next(iter(summary.values()))['training_data_sha256'][:12]}…)", file=sys.stderr)
    return 0


def _e5_cache(path: str | None):
    """With ``--e5-cache FILE``: the process-wide e5 featurizer reads and extends that ``.npz`` cache."""
    if not path:
        return None
    from ..classify.encoder import shared_featurizer_with_cache

    return shared_featurizer_with_cache(path)


# --------------------------------------------------------------------------- evaluate

def cmd_evaluate(args) -> int:
    """Score classifiers side by side (held-out split, CV, essay) or two annotation files' agreement."""
    from ..evaluate import agreement

    if args.agreement:
        if args.test or args.cv or args.essay:
            raise UsageError("--agreement compares two files; do not combine it with --test, --cv or --essay")
        _write(_render([agreement(*args.agreement)], args.format), args.output)
        return 0
    if args.gold:
        if args.test or args.cv or args.essay or args.devset:
            raise UsageError("--gold scores saved models on your gold; do not combine it with --test, --cv, --essay "
                             "or --devset")
        if args.devset_folds or args.devset_fraction != 1.0 or args.param or args.real_weight != 1.0:
            raise UsageError("--gold scores saved models; --devset-folds, --devset-fraction, --real-weight and "
                             "--param train models and do not apply")
        if args.classifiers != "rules,linear":
            raise UsageError("--gold scores saved models, not backends trained on the spot: name them with "
                             "--models DIR or --saved NAME=DIR instead of --classifiers")
        from ..evaluate_gold import evaluate_gold

        tasks = _parse_list(args.tasks, TASK_CHOICES, "task")
        also = _saved_models(args.saved, args.finetuned)
        cache = _e5_cache(args.e5_cache)
        res = evaluate_gold(args.gold, args.models, tasks, args.lexicon or (), args.bootstrap, also)
        if cache is not None:
            cache.save_cache()
        _write(_render(res, args.format), args.output)
        return 0
    if args.models:
        raise UsageError("--models names saved models to score with --gold")
    if not (args.test or args.cv or args.essay or args.devset or args.devset_folds):
        raise UsageError("choose what to evaluate: --test, --cv K, --essay, --devset, --devset-folds K, "
                         "--gold FILE or --agreement FILE_A FILE_B")
    if not 0.0 <= args.devset_fraction <= 1.0:
        raise UsageError(f"--devset-fraction must be between 0 and 1, got {args.devset_fraction:g}")
    for opt, k in (("--cv", args.cv), ("--devset-folds", args.devset_folds)):
        if k is not None and k < 2:
            raise UsageError(f"{opt} needs at least 2 folds, got {k}")
    saved = _saved_models(args.saved, args.finetuned)

    from ..classify import BACKENDS, backend_class
    from ..classify.data import ESSAY_GOLD, ESSAY_TEXT, load_devset_data, load_essay_gold, load_team_corpus
    from ..evaluate import evaluate_many

    names = _parse_list(args.classifiers, tuple(BACKENDS), "classifier")
    tasks = _parse_list(args.tasks, TASK_CHOICES, "task")
    params = _evaluate_params(args.param)
    factories = {}
    for n in names:
        cls = backend_class(n)
        factories[n] = (lambda c, kw: (lambda task: c(task=task, **kw)))(cls, params.get(n, {}))
    say = _progress(args.quiet)
    gold = Path(args.essay_gold) if args.essay_gold else ESSAY_GOLD
    essay = None
    if args.essay:
        if not gold.exists():
            raise UsageError(f"no essay gold at {gold}; pass --essay-gold PATH")
        essay = load_essay_gold(gold, args.essay_text or ESSAY_TEXT)
    devset = None
    if args.devset or args.devset_folds:
        where = args.devset if isinstance(args.devset, str) else None
        devset = load_devset_data(where)
        if devset is None:
            print("kdiscourse: note: the real-text development set is not built here (no .cache/devset/"
                  "sentences.jsonl; see corpus/devset/README.md); --devset / --devset-folds are skipped",
                  file=sys.stderr)
    cache = _e5_cache(args.e5_cache)
    if say:
        say("loading and tokenizing the team corpus")
    data = load_team_corpus(args.corpus)
    results = []
    nb = args.bootstrap
    fitted: dict = {}  # models trained on all team documents, shared by --essay and --devset
    if args.test:
        results += evaluate_many(factories, tasks, "test", data, progress=say, bootstrap=nb)
    if args.cv:
        results += evaluate_many(factories, tasks, "cv", data, k=args.cv, progress=say, bootstrap=nb)
    if args.essay:
        results += evaluate_many(factories, tasks, "essay", data, essay=essay, progress=say, bootstrap=nb,
                                 fitted=fitted)
    if devset is not None and args.devset:
        results += evaluate_many(factories, tasks, "devset", data, external=devset, progress=say, bootstrap=nb,
                                 fitted=fitted)
    if devset is not None and args.devset_folds:
        from ..evaluate_real import evaluate_devset_folds_many

        trained = {n: f for n, f in factories.items() if n != "rules"}  # the rules are not trained
        if trained:
            results += evaluate_devset_folds_many(trained, tasks, data, devset, args.devset_folds,
                                                  args.real_weight, nb, progress=say, fraction=args.devset_fraction)
    if saved:
        from ..evaluate_real import add_saved_model

        for name, folder in saved.items():
            add_saved_model(results, name, folder, data, essay, devset, nb, progress=say)
    if cache is not None:
        cache.save_cache()
    _write(_render(results, args.format), args.output)
    return 0


def _saved_models(pairs: list[str] | None, finetuned: str | None) -> dict[str, str]:
    """``--saved NAME=DIR`` (repeatable) and ``--finetuned DIR`` (= ``--saved finetuned=DIR``), checked."""
    out: dict[str, str] = {}
    for p in pairs or ():
        name, sep, folder = p.partition("=")
        if not sep or not name or not folder:
            raise UsageError(f"--saved expects NAME=DIR, got {p!r}")
        out[name] = folder
    if finetuned:
        out["finetuned"] = finetuned
    for name, folder in out.items():
        if not any((Path(folder) / t).is_dir() for t in TASK_CHOICES):
            raise UsageError(f"{name} {folder}: expected model folders {folder}/dimensions and/or {folder}/frames")
    return out


def _evaluate_params(pairs: list[str] | None) -> dict:
    """``BACKEND.KEY=VALUE`` -> {backend: {key: value}}."""
    out: dict[str, dict] = {}
    for k, v in _params(pairs).items():
        backend, dot, key = k.partition(".")
        if not dot:
            raise UsageError(f"--param for evaluate expects BACKEND.KEY=VALUE (e.g. linear.C=2), got {k!r}")
        out.setdefault(backend, {})[key] = v
    return out


# --------------------------------------------------------------------------- parsers

def _add_output_options(p) -> None:
    p.add_argument("--format", choices=["table", "json", "csv"], default="table",
                   help="output format of the metrics (default: table)")
    p.add_argument("--output", metavar="PATH", help="write the metrics to PATH (atomically) instead of stdout")
    p.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    p.add_argument("--corpus", metavar="DIR", help="team corpus folder with *.jsonl (default: corpus/team)")
    p.add_argument("--essay-gold", metavar="TSV",
                   help="essay gold sentences (default: corpus/essay/sentences.tsv)")


def _add_real_options(p) -> None:
    p.add_argument("--real-weight", type=float, default=1.0, metavar="W",
                   help="sample weight of added real sentences (team sentences weigh 1; default 1 = unweighted)")
    p.add_argument("--e5-cache", metavar="NPZ",
                   help="encoder backend: reuse and extend this .npz cache of e5 vectors (e.g. scratch/e5cache.npz)")


def register(sub) -> None:
    """Add the ``train`` and ``evaluate`` commands."""
    from ..classify import BACKENDS

    t = sub.add_parser(
        "train", help="train the dimension and frame classifiers from corpus/ and write models/",
        description="Reproduce the shipped classifiers with a fixed seed: fit on the training part of the fixed "
                    "document split and report held-out metrics, then fit on all team documents and write "
                    "models/<task>/ (model.json, weights, metrics.json with the training-data hash and "
                    "codebook version). The essay gold, if present, is scored but never trained on.")
    t.add_argument("--backend", default="linear", choices=sorted(BACKENDS),
                   help="classifier backend to train (default: linear)")
    t.add_argument("--tasks", default="dimensions,frames", metavar="LIST",
                   help="comma-separated tasks to train (default: dimensions,frames)")
    t.add_argument("--output-dir", metavar="DIR",
                   help="where to write <task>/ model folders (default: ./kdiscourse-models); use them with "
                        "--models DIR in tag, compare and annotate")
    t.add_argument("--replace-shipped-models", action="store_true",
                   help="allow --output-dir to be the installed package's own model folder (maintainers)")
    t.add_argument("--model", metavar="PATH_OR_HUB_NAME",
                   help="starting checkpoint for --backend transformer (local directory or hub name)")
    t.add_argument("--param", action="append", metavar="KEY=VALUE",
                   help="backend constructor parameter, e.g. C=2 or context=false; repeatable")
    t.add_argument("--essay", metavar="PATH", help="the reference essay text (default: ../shared/seeds/000_…txt)")
    t.add_argument("--no-baseline", action="store_true",
                   help="do not score the rules baseline next to the trained model")
    t.add_argument("--add-gold", action="append", metavar="FILE_OR_DIR",
                   help="also train on your own gold in the team format, e.g. what `kdiscourse import` wrote "
                        "after you corrected tags in Label Studio, doccano or INCEpTION (a file or a folder of "
                        "*.jsonl; one version per document); weighted by --real-weight; repeatable")
    t.add_argument("--add-devset", nargs="?", const=True, metavar="CACHE_DIR",
                   help="also train on your own labelled real text: the development-set cache (default "
                        ".cache/devset; sentences.jsonl in the devset format). The held-out test part stays team "
                        "documents; the shipped models never use this")
    _add_real_options(t)
    _add_output_options(t)
    t.set_defaults(func=cmd_train)

    e = sub.add_parser(
        "evaluate", help="score classifiers (held-out split, cross-validation, essay) or annotator agreement",
        description="Train the named classifiers fresh and score them side by side: on the fixed held-out "
                    "document split (--test), by document-grouped multi-label stratified k-fold CV (--cv K), or "
                    "on the essay gold (--essay; trained on all team documents). --agreement compares two "
                    "annotation files (team JSONL, tag JSON/JSONL or gold TSV) with per-label Cohen's kappa and "
                    "Krippendorff's alpha.")
    e.add_argument("--classifiers", default="rules,linear", metavar="LIST",
                   help=f"comma-separated backends to compare (known: {', '.join(BACKENDS)}; default: rules,linear)")
    e.add_argument("--tasks", default="dimensions,frames", metavar="LIST",
                   help="comma-separated tasks (default: dimensions,frames)")
    e.add_argument("--test", action="store_true", help="train on the training split, score the held-out test split")
    e.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation over documents")
    e.add_argument("--essay", action="store_true",
                   help="train on all team documents, score the essay gold (the essay is never in training)")
    e.add_argument("--essay-text", metavar="PATH", help="the reference essay text (default: ../shared/seeds/000_…txt)")
    e.add_argument("--devset", nargs="?", const=True, metavar="CACHE_DIR",
                   help="train on all team documents, score the real-text development set (default cache: "
                        ".cache/devset; rebuilt by scripts/devset.py build) with document-grouped bootstrap "
                        "intervals; skipped with a note when the cache is absent")
    e.add_argument("--gold", metavar="FILE_OR_DIR",
                   help="score saved models (the shipped ones, or --models DIR) on your gold: team-format JSONL, a "
                        "folder of it, or what `kdiscourse import` wrote; per-label P/R/F1 with bootstrap intervals, "
                        "and actor span P/R/F1 when the gold has actor spans")
    e.add_argument("--models", metavar="DIR", help="with --gold: the model folder to score instead of the shipped "
                                                   "ones (from train --output-dir); --saved adds more side by side")
    e.add_argument("--lexicon", action="append", metavar="TSV", help="with --gold: extra actor lexicon; repeatable")
    e.add_argument("--agreement", nargs=2, metavar=("FILE_A", "FILE_B"),
                   help="per-label agreement (Cohen's kappa, Krippendorff's alpha) between two annotation files")
    e.add_argument("--devset-folds", type=int, metavar="K",
                   help="cut the development set into K document-grouped folds; each fold is scored by a model "
                        "trained on the team corpus plus the other folds (linear/encoder; what adding your own "
                        "labelled real text gives)")
    e.add_argument("--devset-fraction", type=float, default=1.0, metavar="F",
                   help="with --devset-folds: add only a seeded share F of each fold's training documents (the "
                        "held-out folds stay whole), for a learning curve over real labelled text (default 1)")
    e.add_argument("--finetuned", metavar="DIR",
                   help="also score a saved model folder (DIR/dimensions, DIR/frames; e.g. a fine-tuned "
                        "transformer) on --test, --essay and --devset; team CV is not run for it (cost)")
    e.add_argument("--saved", action="append", metavar="NAME=DIR",
                   help="like --finetuned for any saved model folder, shown as NAME (e.g. encoder=models/accurate); "
                        "repeatable")
    e.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                   help="bootstrap draws for the 95%% intervals (documents resampled; 0: none; default 1000)")
    _add_real_options(e)
    e.add_argument("--param", action="append", metavar="BACKEND.KEY=VALUE",
                   help="constructor parameter for one backend, e.g. linear.context=false; repeatable")
    _add_output_options(e)
    e.set_defaults(func=cmd_evaluate)
