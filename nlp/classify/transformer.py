"""Transformer backend: a fine-tuned encoder with one sigmoid output per label.

One model per *task* (``"dimensions"`` or ``"frames"``), like the rules and linear
backends: label sets and per-label thresholds are per task, so ``kdiscourse evaluate``
scores every backend on exactly the same targets and the comparison stays symmetrical.

torch and transformers are imported only inside the functions below, so importing
``nlp`` or ``nlp.classify`` (and running ``kdiscourse tag``) never loads them.

Model directory written by :meth:`TransformerClassifier.save`::

    config.json              transformers config, problem_type="multi_label_classification", id2label
    model.safetensors        weights (never pickle)
    tokenizer.json ...       tokenizer files
    kdiscourse_meta.json     task, labels, thresholds, codebook_version, params, metrics, data hash
"""

from __future__ import annotations

import inspect
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError, UsageError
from ..formats import write_json_atomic
from ..labels import codebook_version
from .base import (
    TASKS,
    SentenceClassifier,
    SentenceItem,
    item_morphemes,
    task_labels,
    tune_thresholds,
)

log = logging.getLogger(__name__)
META_FILE = "kdiscourse_meta.json"
LOG_EVERY_STEPS = 25
MAX_BATCH_SIZE = 256
MAX_LENGTH_LIMIT = 512
MAX_POS_WEIGHT = 30.0  # cap of the "balanced" positive weight: a label with 1 positive in 1,000 would get 999
VALIDATION_FRACTION = 0.15
THRESHOLD_GRID = np.round(np.arange(0.1, 0.901, 0.05), 2)
INPUT_FORMATS = ("text", "morphemes")


def _torch():
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise ModelError(f"the transformer backend needs torch and transformers ({exc}); "
                         "install them with `pip install torch transformers safetensors`") from None
    return torch


def read_checkpoint_meta(path) -> dict:
    """Check a saved model directory without importing torch; its ``kdiscourse_meta.json`` on success.

    Raises a one-line :class:`ModelError` naming the path and what is missing: the
    directory, ``config.json``, a multi-label classification config (``problem_type``
    and ``id2label``), ``kdiscourse_meta.json``, or safetensors weights.
    """
    path = Path(path)
    if not path.is_dir():
        raise ModelError(f"no transformer model at {path} (directory missing); run `kdiscourse train`")
    cfg_file = path / "config.json"
    if not cfg_file.is_file():
        raise ModelError(f"{path}: config.json missing; not a transformers model directory")
    try:
        cfg = json.loads(cfg_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{cfg_file}: unreadable config ({exc})") from None
    if not isinstance(cfg, dict) or cfg.get("problem_type") != "multi_label_classification":
        got = cfg.get("problem_type") if isinstance(cfg, dict) else None
        raise ModelError(f"{cfg_file}: problem_type is {got!r}, expected 'multi_label_classification'; "
                         "not a kdiscourse classifier (fine-tune it with the transformer backend)")
    meta_file = path / META_FILE
    try:
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: {META_FILE} missing; not a kdiscourse classifier") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{meta_file}: unreadable ({exc})") from None
    task = meta.get("task") if isinstance(meta, dict) else None
    if task not in TASKS:
        raise ModelError(f"{meta_file}: unknown task {task!r}; allowed: {', '.join(TASKS)}")
    labels = task_labels(task)
    if tuple(meta.get("labels", ())) != labels:
        raise ModelError(f"{meta_file}: labels {meta.get('labels')} do not match codebook {codebook_version()} "
                         f"({', '.join(labels)}); retrain with `kdiscourse train`")
    id2label = cfg.get("id2label") or {}
    cfg_labels = tuple(id2label.get(str(i), id2label.get(i)) for i in range(len(id2label)))
    if cfg_labels != labels:
        raise ModelError(f"{cfg_file}: id2label {list(cfg_labels)} does not match the {task} labels "
                         f"({', '.join(labels)})")
    thresholds = meta.get("thresholds")
    if not isinstance(thresholds, list) or len(thresholds) != len(labels):
        raise ModelError(f"{meta_file}: needs {len(labels)} thresholds, got {thresholds!r}")
    if not (path / "model.safetensors").is_file():
        raise ModelError(f"{path}: model.safetensors missing (pickle weights are never loaded)")
    return meta


def _trim_padding(batch: dict, device) -> dict:
    """Cut a right-padded batch to its longest row (the corpus was padded to its own longest sentence).

    Attention masks the removed columns, so the outputs are the same; on CPU this shortens
    most batches several times over.
    """
    mask = batch["attention_mask"]
    width = max(int(mask.sum(1).max()), 1) if len(mask) else mask.shape[1]
    if mask[:, width:].any():  # left padding: leave the batch as it is
        width = mask.shape[1]
    return {k: v[:, :width].to(device) for k, v in batch.items()}


def _freeze_lower(model, k: int) -> None:
    """Stop gradients into the lowest ``k`` blocks: the embeddings, then encoder layers (nothing when ``k`` is 0)."""
    if not k:
        return
    base = getattr(model, model.base_model_prefix, model)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if layers is None or not hasattr(base, "embeddings"):
        raise UsageError(f"freeze_layers needs an encoder with .embeddings and .encoder.layer; "
                         f"{type(base).__name__} has not")
    if k > len(layers) + 1:
        raise UsageError(f"freeze_layers {k} exceeds the model's {len(layers) + 1} blocks "
                         f"(embeddings + {len(layers)} layers)")
    for module in [base.embeddings, *layers[:k - 1]]:
        for q in module.parameters():
            q.requires_grad_(False)


class TransformerClassifier(SentenceClassifier):
    """Multi-label sentence classifier fine-tuned from a transformers checkpoint.

    Parameters
    ----------
    model_name_or_path : hub name (e.g. ``"klue/roberta-base"``) or local checkpoint directory.
    task : ``"dimensions"`` or ``"frames"``.
    epochs, lr, batch_size, max_length, seed : training settings (``batch_size`` <= 256,
        ``max_length`` <= 512 tokens; longer sentences are truncated and counted in ``truncated_``).
    device : ``"cpu"`` (default), ``"cuda"`` (must be available) or ``"auto"``.
    patience : epochs without a validation-loss improvement before training stops.
    freeze_layers : 0 (default) trains every weight; ``k > 0`` freezes the lowest ``k`` blocks,
        counting the embeddings as block 1 (1: embeddings only; 3: embeddings and encoder layers
        1-2). Frozen weights get no gradients and no optimiser state: on CPU this removes the
        AdamW update of a large vocabulary's embedding matrix and shortens the backward pass.
    input_format : ``"text"`` (raw sentence) or ``"morphemes"`` (Kiwi forms joined by spaces,
        for tokenizers trained on morphemes such as ``scripts/build_tiny_model.py``'s).
    pos_weight : ``None`` (default: plain binary cross-entropy) or ``"balanced"``: each label's
        positive examples weigh ``negatives / positives`` of the training part (capped at
        ``MAX_POS_WEIGHT``), as the linear backend's ``class_weight="balanced"`` does. Without it a
        rare label (a frame in 3% of sentences) can end with every probability below any useful
        threshold.

    Fitted attributes: ``model_``, ``tokenizer_``, ``thresholds_`` (n_labels,), ``truncated_`` (int),
    ``history_`` (per-epoch losses), ``metadata_``.
    """

    backend = "transformer"

    def __init__(self, model_name_or_path: str = "klue/roberta-base", task: str = "dimensions", epochs: int = 3,
                 lr: float = 5e-5, batch_size: int = 16, max_length: int = 128, device: str = "cpu",
                 seed: int = 13, patience: int = 1, input_format: str = "text", weight_decay: float = 0.01,
                 freeze_layers: int = 0, pos_weight: str | None = None):
        self.model_name_or_path = model_name_or_path
        self.task = task
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.max_length = max_length
        self.device = device
        self.seed = seed
        self.patience = patience
        self.input_format = input_format
        self.weight_decay = weight_decay
        self.freeze_layers = freeze_layers
        self.pos_weight = pos_weight

    # ------------------------------------------------------------------ validation helpers

    def _params(self) -> dict:
        return {"model_name_or_path": str(self.model_name_or_path), "epochs": self.epochs, "lr": self.lr,
                "batch_size": self.batch_size, "max_length": self.max_length, "device": self.device,
                "seed": self.seed, "patience": self.patience, "input_format": self.input_format,
                "weight_decay": self.weight_decay, "freeze_layers": self.freeze_layers,
                "pos_weight": self.pos_weight}

    def _check_params(self) -> None:
        if self.task not in TASKS:
            raise UsageError(f"unknown task {self.task!r}; allowed: {', '.join(TASKS)}")
        if not isinstance(self.batch_size, int) or not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise UsageError(f"batch_size {self.batch_size!r} out of range; allowed: 1..{MAX_BATCH_SIZE}")
        if not isinstance(self.max_length, int) or not 8 <= self.max_length <= MAX_LENGTH_LIMIT:
            raise UsageError(f"max_length {self.max_length!r} out of range; allowed: 8..{MAX_LENGTH_LIMIT}")
        if not isinstance(self.epochs, int) or self.epochs < 1:
            raise UsageError(f"epochs {self.epochs!r} must be a positive integer")
        if self.input_format not in INPUT_FORMATS:
            raise UsageError(f"input_format {self.input_format!r}; allowed: {', '.join(INPUT_FORMATS)}")
        if not isinstance(self.freeze_layers, int) or self.freeze_layers < 0:
            raise UsageError(f"freeze_layers {self.freeze_layers!r} must be an integer >= 0")
        if self.pos_weight not in (None, "balanced"):
            raise UsageError(f"pos_weight {self.pos_weight!r}; allowed: balanced (or none)")
        if self.device not in ("cpu", "cuda", "auto"):
            raise UsageError(f"device {self.device!r}; allowed: cpu, cuda, auto")

    def _torch_device(self):
        torch = _torch()
        if self.device == "cuda" and not torch.cuda.is_available():
            raise UsageError("device 'cuda' requested but torch.cuda.is_available() is False; allowed here: cpu")
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ModelError("TransformerClassifier is not fitted; call fit() or load() first")

    def _texts(self, items: Sequence[SentenceItem]) -> list[str]:
        if self.input_format == "morphemes":
            return [" ".join(m[0] for m in ms) for ms in item_morphemes(items)]
        return [it.text for it in items]

    def _encode(self, texts: list[str]):
        """Token ids (truncated to ``max_length``) and the number of texts that were truncated."""
        full = self.tokenizer_(texts, truncation=False, add_special_tokens=True, verbose=False)["input_ids"]
        n_truncated = sum(len(ids) > self.max_length for ids in full)
        enc = self.tokenizer_(texts, truncation=True, max_length=self.max_length, padding=True,
                              return_tensors="pt")
        return enc, n_truncated

    # ------------------------------------------------------------------ training

    def _load_pretrained(self):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        name = str(self.model_name_or_path)
        looks_local = os.path.isabs(name) or name.startswith((".", "~")) or os.path.exists(name)
        if looks_local and not Path(name).expanduser().is_dir():
            raise ModelError(f"no checkpoint at {name} (directory missing); give a local model directory "
                             "or a hub name such as klue/roberta-base")
        labels = self.labels
        try:
            tok = AutoTokenizer.from_pretrained(name)
            model = AutoModelForSequenceClassification.from_pretrained(
                name, num_labels=len(labels), problem_type="multi_label_classification",
                id2label=dict(enumerate(labels)), label2id={lab: i for i, lab in enumerate(labels)},
                use_safetensors=True)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"cannot load checkpoint {name!r} (not a local model directory and the hub is "
                             f"unreachable or has no such model): {first}") from None
        return tok, model

    def _split(self, items: Sequence[SentenceItem], n: int) -> tuple[np.ndarray, np.ndarray]:
        """Seeded train/validation indices; whole documents go to validation when doc ids are known."""
        rng = np.random.default_rng(self.seed)
        n_val = int(round(VALIDATION_FRACTION * n))
        if n < 8 or n_val < 1:
            return np.arange(n), np.arange(0)
        groups = np.asarray([it.doc_id or f"#{i}" for i, it in enumerate(items)])
        uniq = np.unique(groups)
        if len(uniq) >= 3:
            val_mask = np.zeros(n, dtype=bool)
            for g in rng.permutation(uniq):
                if val_mask.sum() >= n_val:
                    break
                val_mask |= groups == g
            if val_mask.sum() < n:
                return np.flatnonzero(~val_mask), np.flatnonzero(val_mask)
        perm = rng.permutation(n)
        return np.sort(perm[n_val:]), np.sort(perm[:n_val])

    def fit(self, items: Sequence[SentenceItem], Y: np.ndarray) -> TransformerClassifier:
        """Fine-tune on ``items``; 15% (seeded, by document) is held out for early stopping and thresholds.

        Parameters
        ----------
        items : sequence of n :class:`SentenceItem`.
        Y : array of shape (n, n_labels), 0/1.
        """
        self._check_params()
        Y = self._check_fit_input(items, Y)
        torch = _torch()
        device = self._torch_device()
        torch.manual_seed(self.seed)
        self.tokenizer_, model = self._load_pretrained()
        model.to(device)
        texts = self._texts(items)
        enc, self.truncated_ = self._encode(texts)
        targets = torch.tensor(Y, dtype=torch.float32)
        tr, va = self._split(items, len(items))
        _freeze_lower(model, self.freeze_layers)
        optim = torch.optim.AdamW([q for q in model.parameters() if q.requires_grad], lr=self.lr,
                                  weight_decay=self.weight_decay)
        gen = torch.Generator().manual_seed(self.seed)
        pos_weight = None
        if self.pos_weight == "balanced":
            pos = Y[tr].sum(0).astype(float)
            ratio = np.where(pos > 0, (len(tr) - pos) / np.maximum(pos, 1.0), 1.0)
            pos_weight = torch.tensor(np.clip(ratio, 1.0, MAX_POS_WEIGHT), dtype=torch.float32, device=device)

        def loss_of(out, y):
            if pos_weight is None:
                return out.loss
            return torch.nn.functional.binary_cross_entropy_with_logits(out.logits, y, pos_weight=pos_weight)

        def batches(idx, shuffle):
            idx = torch.as_tensor(idx, dtype=torch.long)
            if shuffle:
                idx = idx[torch.randperm(len(idx), generator=gen)]
            for s in range(0, len(idx), self.batch_size):
                b = idx[s:s + self.batch_size]
                yield _trim_padding({k: v[b] for k, v in enc.items()}, device), targets[b].to(device)

        def val_loss_and_proba():
            model.eval()
            losses, probs = [], []
            with torch.no_grad():
                for x, y in batches(va, False):
                    out = model(**x, labels=y)
                    losses.append(float(loss_of(out, y)) * len(y))
                    probs.append(torch.sigmoid(out.logits).cpu().numpy())
            return sum(losses) / max(len(va), 1), np.concatenate(probs) if probs else np.zeros((0, Y.shape[1]))

        self.history_ = []
        best_loss, best_state, best_proba, bad_epochs = float("inf"), None, None, 0
        t_start = time.perf_counter()
        n_steps = -(-len(tr) // self.batch_size)
        for epoch in range(self.epochs):
            model.train()
            total = 0.0
            for step, (x, y) in enumerate(batches(tr, True), 1):
                if step % LOG_EVERY_STEPS == 0:
                    log.info("epoch %d step %d/%d, %.0f s since start, train loss so far %.4f", epoch + 1,
                             step, n_steps, time.perf_counter() - t_start, total / ((step - 1) * self.batch_size))
                optim.zero_grad()
                out = model(**x, labels=y)
                loss = loss_of(out, y)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optim.step()
                total += float(loss.detach()) * len(y)
            row = {"epoch": epoch + 1, "train_loss": total / max(len(tr), 1)}
            if len(va):
                row["val_loss"], proba = val_loss_and_proba()
                if row["val_loss"] < best_loss - 1e-6:
                    best_loss, best_proba, bad_epochs = row["val_loss"], proba, 0
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                else:
                    bad_epochs += 1
            row["seconds"] = round(time.perf_counter() - t_start, 1)
            self.history_.append(row)
            log.info("epoch %d done: %s", epoch + 1, row)
            if len(va) and bad_epochs > self.patience:
                break
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        self.model_ = model
        if len(va):  # the restored epoch's validation probabilities, already computed in eval mode
            if best_proba is None:  # no epoch improved (non-finite losses): the final weights' probabilities
                best_proba = val_loss_and_proba()[1]
            self.thresholds_ = tune_thresholds(Y[va], best_proba, grid=THRESHOLD_GRID)
        else:
            self.thresholds_ = np.full(Y.shape[1], 0.5)
        self.metadata_ = {"codebook_version": codebook_version(), "n_train": int(len(tr)),
                          "n_validation": int(len(va)), "truncated": int(self.truncated_),
                          "best_val_loss": None if best_state is None else float(best_loss),
                          "epochs_run": len(self.history_),
                          "label_counts": dict(zip(self.labels, Y.sum(0).tolist()))}
        return self

    # ------------------------------------------------------------------ prediction

    def predict_proba(self, items: Sequence[SentenceItem]) -> np.ndarray:
        """Sigmoid probabilities, shape (n_items, n_labels), computed in batches of ``batch_size``."""
        self._check_fitted()
        torch = _torch()
        if not items:
            return np.zeros((0, len(self.labels)))
        device = next(self.model_.parameters()).device
        texts = self._texts(items)
        bs = max(1, min(int(self.batch_size), MAX_BATCH_SIZE))
        self.model_.eval()
        order = np.argsort([len(t) for t in texts], kind="stable")  # similar lengths share a batch: less padding
        out, n_trunc = [], 0
        with torch.no_grad():
            for s in range(0, len(texts), bs):
                enc, t = self._encode([texts[i] for i in order[s:s + bs]])
                n_trunc += t
                logits = self.model_(**{k: v.to(device) for k, v in enc.items()}).logits
                out.append(torch.sigmoid(logits).float().cpu().numpy())
        self.last_truncated_ = n_trunc
        proba = np.empty((len(texts), len(self.labels)))
        proba[order] = np.concatenate(out)
        return proba

    def explain(self, item: SentenceItem, label: str, k: int = 5) -> list[str]:
        """Words whose removal lowers ``label``'s probability the most (occlusion), as ``"word (-0.12)"``."""
        self._check_fitted()
        if label not in self.labels:
            raise UsageError(f"unknown {self.task} label {label!r}; allowed: {', '.join(self.labels)}")
        j = self.labels.index(label)
        words = self._texts([item])[0].split()
        if not words:
            return []
        variants = [SentenceItem(" ".join(words[:i] + words[i + 1:])) for i in range(len(words))]
        saved, self.input_format = self.input_format, "text"  # variants are already in the model's input form
        try:
            base = self.predict_proba([SentenceItem(" ".join(words))])[0, j]
            drops = base - self.predict_proba(variants)[:, j]
        finally:
            self.input_format = saved
        order = np.argsort(-drops)[:k]
        return [f"{words[o]} ({-drops[o]:+.2f})" for o in order if drops[o] > 0]

    # ------------------------------------------------------------------ persistence

    def save(self, path, metrics: dict | None = None, training_data_sha256: str | None = None) -> None:
        """Write safetensors weights, config, tokenizer and ``kdiscourse_meta.json`` to directory ``path``.

        Written to a temporary sibling directory first, then renamed into place.
        """
        self._check_fitted()
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        meta_extra = dict(getattr(self, "metadata_", {}) or {})
        if training_data_sha256:
            meta_extra["training_data_sha256"] = training_data_sha256
        if metrics is not None:
            meta_extra["metrics"] = metrics
        self.metadata_ = meta_extra
        tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
        try:
            kwargs = {}
            if "safe_serialization" in inspect.signature(self.model_.save_pretrained).parameters:
                kwargs["safe_serialization"] = True
            self.model_.save_pretrained(tmp, **kwargs)
            self.tokenizer_.save_pretrained(tmp)
            if not (tmp / "model.safetensors").is_file():
                raise ModelError(f"{path}: transformers did not write model.safetensors")
            write_json_atomic(tmp / META_FILE, {
                "backend": self.backend, "task": self.task, "labels": list(self.labels),
                "codebook_version": codebook_version(), "thresholds": [float(t) for t in self.thresholds_],
                "params": self._params(), "truncated": int(getattr(self, "truncated_", 0)),
                "history": getattr(self, "history_", []), "metrics": meta_extra.get("metrics"),
                "training_data_sha256": meta_extra.get("training_data_sha256"), "metadata": meta_extra,
            })
            old = None
            if path.exists():
                old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".old"))
                os.rmdir(old)
                os.replace(path, old)
            os.replace(tmp, path)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    @classmethod
    def load(cls, path, device: str = "cpu") -> TransformerClassifier:
        """Load a directory written by :meth:`save` (safetensors only; checked before torch is imported)."""
        path = Path(path)
        meta = read_checkpoint_meta(path)
        _torch()
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        params = {k: v for k, v in (meta.get("params") or {}).items()
                  if k in inspect.signature(cls.__init__).parameters}
        params["device"] = device
        clf = cls(task=meta["task"], **params)
        clf._check_params()
        try:
            clf.tokenizer_ = AutoTokenizer.from_pretrained(path)
            model = AutoModelForSequenceClassification.from_pretrained(path, use_safetensors=True)
        except (OSError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{path}: cannot load transformer model ({first})") from None
        model.to(clf._torch_device())
        model.eval()
        clf.model_ = model
        clf.thresholds_ = np.asarray(meta["thresholds"], dtype=float)
        clf.truncated_ = int(meta.get("truncated", 0))
        clf.history_ = meta.get("history", [])
        clf.metadata_ = meta.get("metadata", {}) or {}
        return clf
