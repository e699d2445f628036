#!/usr/bin/env python3
"""Builds the small SentencePiece test model and its expected ids.

Writes, next to this script (the training text is generated, deterministic,
and not kept):
  test.model   a unigram SentencePiece model with T5's special ids
               (<pad> 0, </s> 1, <unk> 2, no <s>)
  no_pad.model a tiny model without <pad> (identity normalisation keeps it
               small), which the tokenizer must refuse
  cases.json   the ids the Python sentencepiece gives for each test text, and
               the padded ids of Hugging Face's T5TokenizerFast on the same
               model (the format is described in README.md)

Run from anywhere:
  python3 tests/data/tokenizer_test/make_test_data.py [--no-hf]
sentencepiece comes from Debian's python3-sentencepiece. The padded ids need
transformers + tokenizers + protobuf (a dev venv, never CI); with --no-hf the
existing padded ids in cases.json are kept as they are.
"""
import argparse
import json
import pathlib
import random
import tempfile

import sentencepiece as spm

HERE = pathlib.Path(__file__).resolve().parent
MAX_LENGTH = 16  # padded length of the T5 cases: long texts truncate, short ones pad

SUBJECTS = ["a red circle", "two blue squares", "a green triangle", "the yellow star",
            "an orange hexagon", "three purple dots", "a small grey cube", "the large white ring",
            "a café sign", "an élan of shapes", "a naïve sketch"]
PLACES = ["on a black background", "in the top left corner", "next to a tree",
          "under the bright sky", "above the calm water", "in the middle of the image",
          "near the bottom edge", "inside a wooden frame"]
STYLES = ["photorealistic", "watercolor painting", "pencil drawing", "flat vector art",
          "oil on canvas", "pixel art", "high contrast", "soft lighting"]

# Texts that exercise normalisation and edge cases: empty, whitespace runs,
# unknown characters (CJK, emoji), digits, punctuation, a long prompt, and
# the special-token strings that T5TokenizerFast turns into their ids.
TEXTS = [
    "",
    "a red circle",
    "A Red Circle",
    "  a   red\tcircle  ",
    "line one\nline two",
    "a café, an élan; a naïve sketch!",
    "3 circles, 12 squares and 1000 stars",
    "猫 on a mat",
    "a smiling face 😀 in yellow",
    "<pad> </s> <unk> are special here",
    "a red</s>circle<unk>",
    "<extra_id_0> circle <extra_id_99>",
    "<extra_id_100> and <extra_id_01> are plain text",
    "two blue squares next to a tree, watercolor painting, soft lighting, "
    "an orange hexagon above the calm water, pixel art, high contrast",
]
# Random strings over fragments that sit near special tokens and whitespace.
FRAGMENTS = ["a", "red", " ", "  ", "\n", "\t", "</s>", "<pad>", "<unk>", "<extra_id_0>",
             "<extra_id_7>", "<extra_id_99>", "<extra_id_100>", "<extra_id_01>", "é", "猫", "<",
             ">", "s", "x<", "/s>", "<extra_id_", "1"]


def random_texts(count: int):
    rng = random.Random(1)
    return ["".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 8))) for _ in range(count)]


def write_corpus(path: pathlib.Path) -> None:
    rng = random.Random(0)
    lines = []
    for _ in range(3000):
        parts = [rng.choice(SUBJECTS), rng.choice(PLACES)]
        if rng.random() < 0.7:
            parts.append(rng.choice(STYLES))
        if rng.random() < 0.3:
            parts.append(f"{rng.randint(1, 999)} pixels")
        text = ", ".join(parts)
        lines.append(text.capitalize() if rng.random() < 0.5 else text)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def train(corpus: pathlib.Path, prefix: pathlib.Path) -> None:
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), model_type="unigram", vocab_size=200,
        character_coverage=1.0, pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>", num_threads=1,
        minloglevel=2)
    prefix.with_suffix(".vocab").unlink()


def train_no_pad(corpus: pathlib.Path, prefix: pathlib.Path) -> None:
    spm.SentencePieceTrainer.train(
        input=str(corpus), model_prefix=str(prefix), model_type="unigram", vocab_size=60,
        normalization_rule_name="identity", pad_id=-1, eos_id=1, unk_id=0, bos_id=-1,
        num_threads=1, minloglevel=2)
    prefix.with_suffix(".vocab").unlink()


def hf_padded_ids(model: pathlib.Path, texts):
    import tokenizers
    import transformers
    # extra_ids=100 is T5's default: <extra_id_0..99> map to the ids after the pieces.
    tok = transformers.T5TokenizerFast(vocab_file=str(model), extra_ids=100, legacy=True)
    out = tok(texts, padding="max_length", truncation=True, max_length=MAX_LENGTH)["input_ids"]
    versions = {"transformers": transformers.__version__, "tokenizers": tokenizers.__version__}
    return out, versions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-hf", action="store_true", help="keep the existing padded ids")
    args = parser.parse_args()

    model = HERE / "test.model"
    cases_path = HERE / "cases.json"
    with tempfile.TemporaryDirectory() as tmp:
        corpus = pathlib.Path(tmp) / "corpus.txt"
        write_corpus(corpus)
        train(corpus, model.with_suffix(""))
        train_no_pad(corpus, HERE / "no_pad")

    sp = spm.SentencePieceProcessor(model_file=str(model))
    texts = TEXTS + random_texts(40)
    cases = [{"text": t, "ids": sp.encode(t)} for t in texts]
    generator = {"sentencepiece": spm.__version__}
    if args.no_hf:
        old = json.loads(cases_path.read_text(encoding="utf-8"))
        for case, old_case in zip(cases, old["cases"]):
            case["t5_input_ids"] = old_case["t5_input_ids"]
        generator.update({k: v for k, v in old["generator"].items() if k != "sentencepiece"})
    else:
        padded, versions = hf_padded_ids(model, texts)
        for case, ids in zip(cases, padded):
            case["t5_input_ids"] = ids
        generator.update(versions)

    doc = {
        "comment": "Generated by make_test_data.py; do not edit.",
        "generator": generator,
        "model": model.name,
        "pad_id": sp.pad_id(),
        "eos_id": sp.eos_id(),
        "vocab_size": sp.get_piece_size(),
        "t5_max_length": MAX_LENGTH,
        "cases": cases,
    }
    # One case a line: diffs of a regenerated file stay readable.
    body = json.dumps({k: v for k, v in doc.items() if k != "cases"}, ensure_ascii=False, indent=1)
    lines = ",\n  ".join(json.dumps(c, ensure_ascii=False) for c in cases)
    cases_path.write_text(body[:-2] + ',\n "cases": [\n  ' + lines + "\n ]\n}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
