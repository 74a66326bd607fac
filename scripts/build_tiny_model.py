"""Build a tiny, randomly initialised BERT-style checkpoint offline (tests, benchmarks, CI).

A WordPiece tokenizer is trained on the team corpus sentences pre-split into Kiwi
morphemes, wrapped as ``BertTokenizerFast``; the model is a 2-layer, 64-wide BERT.
Fine-tune it with ``TransformerClassifier(out_dir, input_format="morphemes")``.

    python scripts/build_tiny_model.py --out /tmp/kdiscourse-tiny-bert
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = Path("/tmp/kdiscourse-tiny-bert")
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def corpus_sentences(root: Path = REPO / "corpus" / "team") -> list[str]:
    """Every ``sentences[].text`` of ``root/*.jsonl``, in file order."""
    out = []
    for f in sorted(root.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.extend(s["text"] for s in json.loads(line)["sentences"])
    return out


def build(out: Path = DEFAULT_OUT, vocab_size: int = 4000, seed: int = 13) -> Path:
    """Train the tokenizer, initialise the model and save both (safetensors) into ``out``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    sys.path.insert(0, str(REPO))
    from nlp.tokenize import get_kiwi

    kiwi = get_kiwi()
    sentences = corpus_sentences()
    morph_lines = [" ".join(t.form for t in toks) for toks in kiwi.tokenize(sentences)]

    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True,
                                                strip_accents=False, lowercase=False)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix="##")
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=1, special_tokens=SPECIAL_TOKENS)
    tok.train_from_iterator(morph_lines, trainer=trainer)
    cls_id, sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    fast = BertTokenizerFast(tokenizer_object=tok, do_lower_case=False, strip_accents=False,
                             unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]",
                             mask_token="[MASK]", model_max_length=512)

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=tok.get_vocab_size(), hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=128, max_position_embeddings=512,
                        pad_token_id=tok.token_to_id("[PAD]"))
    model = BertForMaskedLM(config)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    fast.save_pretrained(out)
    if not (out / "model.safetensors").is_file():
        raise SystemExit(f"{out}: model.safetensors was not written")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output directory (default {DEFAULT_OUT})")
    ap.add_argument("--vocab-size", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=13)
    args = ap.parse_args(argv)
    out = build(args.out, args.vocab_size, args.seed)
    print(f"tiny model written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
