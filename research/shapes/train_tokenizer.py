"""Trains the kiln-shapes SentencePiece tokenizer and writes the C++ parity cases.

    PYTHONPATH=research /usr/bin/python3 -m shapes.train_tokenizer
        [--out models/kiln-shapes] [--cases tests/data/tokenizer/cases.json]
        [--vocab-size 256] [--n 60000] [--seed 0]

Unigram model, T5 conventions: pad = 0, eos = 1, unk = 2, no bos; NFKC normalisation with case
folding (nmt_nfkc_cf), so "RED Circle" tokenizes like "red circle". The corpus: captions of every
phrasing from all splits (the held-out combinations included, so their words never become unk),
every grammar word, and a line of digits and ASCII punctuation (so these are pieces, not unk).
Training is single-threaded and seeded: the same command writes the same model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from .captions import caption_with_spec, canonical_caption, grammar_words
from .dataset import sample_scene

PAD_ID, EOS_ID, UNK_ID = 0, 1, 2

# the inputs the C++ tokenizer must reproduce id for id (besides generated captions)
EXTRA_CASES = [
    "",
    " ",
    "a",
    "A LARGE RED CIRCLE IN THE TOP LEFT ON A WHITE BACKGROUND",
    "A Blue Square To The Left Of A Yellow Triangle On A Black Background",
    "  a   red    circle  ",
    "a red circle.",
    "a red circle, a blue square; and a green star!",
    "\"quoted\" (parenthesised) [bracketed] {braced}",
    "a red circle\tin the\ncenter",
    "café",
    "naïve façade über",
    "日本語のテキスト",
    "emoji 🙂 in a caption",
    "ｆｕｌｌｗｉｄｔｈ ｒｅｄ",
    "3 red circles and 2 blue squares",
    "0123456789",
    "12.5% off: $3, #1, a@b.c",
    "red-circle top-left medium-sized",
    "a purple triangle in the center on a gray background",
    "an orange square to the right of a green circle on a white background",
    "a yellow star above a purple triangle on a black background",
    "a green circle below an orange square on a gray background",
    "a big grey background",
    "hexagon pentagon ellipse rectangle",
    "the quick brown fox jumps over the lazy dog",
    "supercalifragilisticexpialidocious",
    "a red circle " * 8,
]


# Words outside the grammar that users plausibly type (other colours, shapes, counts, scene
# words). They give the unigram model enough material for the vocabulary size and keep
# out-of-grammar prompts in short pieces instead of single letters.
EXTRA_WORDS = """
pink brown cyan magenta teal navy violet indigo gold silver beige maroon olive lime turquoise
dark light bright pale colorful color colour colored coloured
hexagon pentagon octagon oval ellipse rectangle heart cross arrow moon crescent ring line dot
cube sphere pyramid cone cylinder polygon shape shapes object objects thing things
one two three four five six seven eight nine ten several many few some no
next near between around inside outside behind front corner edge side middle
picture photo drawing painting sketch image scene canvas icon logo pattern
huge giant enormous tiny little big small very quite slightly
is are has have with without and or not no yes
draw make show render create generate please
top bottom left right up down upper lower
""".split()


def corpus(n: int, seed: int):
    """Lines of training text."""
    rng = np.random.default_rng(seed)
    lines = []
    splits = ("train", "holdout", "all")
    for i in range(n):
        s = sample_scene(rng, splits[i % 3])
        lines.append(canonical_caption(s) if i % 4 == 0 else
                     caption_with_spec(s, rng, canonical_prob=0.0, drop_size_prob=0.3)[0])
    words = grammar_words()
    lines.extend(words)
    lines.append(" ".join(words))
    for _ in range(3):
        lines.extend(EXTRA_WORDS)
        lines.append(" ".join(EXTRA_WORDS))
    lines.append("0 1 2 3 4 5 6 7 8 9 . , ; : ! ? ' \" - ( ) [ ] / & % + = # @ $ * _")
    return lines


def train(out_dir: str, vocab_size: int = 256, n: int = 60000, seed: int = 0) -> str:
    import sentencepiece as spm
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    # The model records its trainer options: the corpus is passed as an iterator (no input
    # path) and the prefix is relative (trained from inside out_dir), so the file is the same
    # byte for byte wherever the checkout is.
    cwd = os.getcwd()
    os.chdir(out_dir)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(corpus(n, seed)), model_prefix="tokenizer", model_type="unigram",
            vocab_size=vocab_size,
            pad_id=PAD_ID, eos_id=EOS_ID, unk_id=UNK_ID, bos_id=-1,
            pad_piece="<pad>", eos_piece="</s>", unk_piece="<unk>",
            character_coverage=1.0, normalization_rule_name="nmt_nfkc_cf",
            num_threads=1, input_sentence_size=0, shuffle_input_sentence=False,
            max_sentence_length=4096, minloglevel=2)
    finally:
        os.chdir(cwd)
    return os.path.join(out_dir, "tokenizer.model")


def write_cases(model_path: str, cases_path: str, seed: int = 1) -> None:
    import sentencepiece as spm
    sp = spm.SentencePieceProcessor(model_file=model_path)
    rng = np.random.default_rng(seed)
    texts = []
    for split in ("train", "holdout", "train", "holdout", "train"):
        texts.append(canonical_caption(sample_scene(rng, split)))
    for split in ("train", "holdout", "all") * 5:
        texts.append(caption_with_spec(sample_scene(rng, split), rng, canonical_prob=0.0)[0])
    texts += EXTRA_CASES
    cases = []
    for t in texts:
        ids = sp.encode(t, out_type=int)
        cases.append({"text": t, "ids": ids, "ids_eos": ids + [EOS_ID],
                      "pieces": sp.encode(t, out_type=str)})
    doc = {
        "comment": "Python sentencepiece " + spm.__version__ + " encodings of text with "
                   "models/kiln-shapes/tokenizer.model; ids_eos = ids + [eos]. Regenerate with "
                   "PYTHONPATH=research /usr/bin/python3 -m shapes.train_tokenizer",
        "model": "models/kiln-shapes/tokenizer.model",
        "vocab_size": sp.get_piece_size(),
        "pad_id": sp.pad_id(), "eos_id": sp.eos_id(), "unk_id": sp.unk_id(), "bos_id": sp.bos_id(),
        "cases": cases,
    }
    os.makedirs(os.path.dirname(cases_path) or ".", exist_ok=True)
    with open(cases_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main(argv=None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.abspath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description="train the kiln-shapes tokenizer")
    ap.add_argument("--out", default=os.path.join(root, "models", "kiln-shapes"))
    ap.add_argument("--cases", default=os.path.join(root, "tests", "data", "tokenizer",
                                                    "cases.json"))
    ap.add_argument("--vocab-size", type=int, default=256)
    ap.add_argument("--n", type=int, default=60000, help="training captions")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    model = train(a.out, a.vocab_size, a.n, a.seed)
    write_cases(model, a.cases)
    print(f"wrote {model}, {os.path.splitext(model)[0]}.vocab and {a.cases}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
