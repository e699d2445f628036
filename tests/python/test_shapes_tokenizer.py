"""The kiln-shapes SentencePiece tokenizer: specials, coverage of the grammar, determinism, and
the C++ parity cases."""

import json
import os

import numpy as np
import pytest

spm = pytest.importorskip("sentencepiece")

from shapes.captions import canonical_caption, caption_with_spec, grammar_words
from shapes.dataset import HELDOUT_COLOR_POSITION, HELDOUT_COLOR_SHAPE, sample_scenes

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODEL = os.path.join(REPO, "models", "kiln-shapes", "tokenizer.model")
CASES = os.path.join(REPO, "tests", "data", "tokenizer", "cases.json")


@pytest.fixture(scope="module")
def sp():
    return spm.SentencePieceProcessor(model_file=MODEL)


def test_special_ids(sp):
    assert sp.pad_id() == 0 and sp.eos_id() == 1 and sp.unk_id() == 2 and sp.bos_id() == -1
    assert sp.id_to_piece(0) == "<pad>" and sp.id_to_piece(1) == "</s>"
    assert sp.id_to_piece(2) == "<unk>"
    assert 256 <= sp.get_piece_size() <= 512


def test_every_grammar_word_is_known(sp):
    for w in grammar_words():
        ids = sp.encode(w)
        assert sp.unk_id() not in ids, w
        assert sp.decode(ids) == w
        # grammar words are single pieces (hyphenated ones: their parts are)
        if "-" not in w:
            assert len(ids) <= 2, (w, sp.encode(w, out_type=str))


def test_heldout_words_and_all_phrasings_are_known(sp):
    for c, s in HELDOUT_COLOR_SHAPE:
        assert sp.unk_id() not in sp.encode(f"a {c} {s}")
    for c, p in HELDOUT_COLOR_POSITION:
        assert sp.unk_id() not in sp.encode(f"a {c} circle in the {p}")
    rng = np.random.default_rng(0)
    for s in sample_scenes(1, 1000, "all"):
        for text in (canonical_caption(s), caption_with_spec(s, rng, 0.0)[0]):
            ids = sp.encode(text)
            assert sp.unk_id() not in ids, text
            assert sp.decode(ids) == text


def test_encode_is_deterministic(sp):
    other = spm.SentencePieceProcessor(model_file=MODEL)
    text = "a large red circle in the top left on a white background"
    assert sp.encode(text) == sp.encode(text) == other.encode(text)
    assert sp.encode(text.upper()) == sp.encode(text)  # case folding


def test_parity_cases_match_the_model(sp):
    with open(CASES, encoding="utf-8") as f:
        doc = json.load(f)
    assert doc["pad_id"] == 0 and doc["eos_id"] == 1 and doc["unk_id"] == 2
    assert doc["vocab_size"] == sp.get_piece_size()
    assert len(doc["cases"]) >= 40
    texts = {c["text"] for c in doc["cases"]}
    assert "" in texts and "café" in texts
    for c in doc["cases"]:
        assert sp.encode(c["text"]) == c["ids"], c["text"]
        assert c["ids_eos"] == c["ids"] + [1]
