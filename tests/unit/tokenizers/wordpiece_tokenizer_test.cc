#include "kiln/tokenizers/wordpiece_tokenizer.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/base/file_util.h"

namespace kiln {
namespace {

// A tiny vocabulary: ids are line numbers.
constexpr const char* kVocab =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n"  // 0-4
    "un\n##aff\n##able\nhello\n,\n"          // 5-9
    "world\n!\ncafe\n東\n京\n"               // 10-14
    "a\n##b\nb\n.\n##c\n";                   // 15-19

std::unique_ptr<WordPieceTokenizer> Tiny() {
  auto tokenizer = WordPieceTokenizer::FromVocabText(kVocab, "tiny");
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  return tokenizer.ok() ? std::move(*tokenizer) : nullptr;
}

using Ids = std::vector<int32_t>;

TEST(WordPieceTokenizerTest, SplitsWhitespacePunctuationAndWordPieces) {
  const auto t = Tiny();
  EXPECT_EQ(t->Tokenize("unaffable"), (Ids{5, 6, 7}));
  EXPECT_EQ(t->Tokenize("Hello,  WORLD!"), (Ids{8, 9, 10, 11}));
  EXPECT_EQ(t->Tokenize("\thello\r\nworld\u3000!"), (Ids{8, 10, 11}));
  EXPECT_EQ(t->Tokenize("abc"), (Ids{15, 16, 19}));
  EXPECT_EQ(t->Tokenize(""), Ids{});
  EXPECT_EQ(t->Tokenize("   "), Ids{});
}

TEST(WordPieceTokenizerTest, UnknownWordIsOneUnk) {
  const auto t = Tiny();
  // "unaffablex": the longest matches cover "unaffable" but nothing covers "x".
  EXPECT_EQ(t->Tokenize("unaffablex hello"), (Ids{1, 8}));
  // 101 characters: [UNK] whatever the pieces; 100 is split.
  EXPECT_EQ(t->Tokenize(std::string(101, 'a')), (Ids{1}));
  std::string hundred = "a";
  for (int i = 1; i < 100; ++i) hundred.append("b");
  EXPECT_EQ(t->Tokenize(hundred).size(), 100u);
}

TEST(WordPieceTokenizerTest, LowercasesAndStripsAccents) {
  const auto t = Tiny();
  EXPECT_EQ(t->Tokenize("CAFÉ Café cafe\u0301"), (Ids{12, 12, 12}));
}

TEST(WordPieceTokenizerTest, CjkIdeographsAreWordsOfTheirOwn) {
  const auto t = Tiny();
  EXPECT_EQ(t->Tokenize("東京"), (Ids{13, 14}));
  EXPECT_EQ(t->Tokenize("a東b"), (Ids{15, 13, 17}));
}

TEST(WordPieceTokenizerTest, ControlCharactersAndInvalidUtf8AreDropped) {
  const auto t = Tiny();
  EXPECT_EQ(t->Tokenize(std::string("hel\x00lo", 6)), (Ids{8}));
  EXPECT_EQ(t->Tokenize("hel\u200blo"), (Ids{8}));
  EXPECT_EQ(t->Tokenize("hel\xff\xfelo"), (Ids{8}));
  EXPECT_EQ(t->Tokenize("hel\xe6lo"), (Ids{8}));  // a truncated 3-byte sequence
}

TEST(WordPieceTokenizerTest, SpecialTokensInTheRawTextKeepTheirIds) {
  const auto t = Tiny();
  EXPECT_EQ(t->Tokenize("hello[MASK]world [SEP]"), (Ids{8, 4, 10, 3}));
  // Only as written: "[mask]" is text (punctuation, then an unknown word).
  EXPECT_EQ(t->Tokenize("[mask]"), (Ids{1, 1, 1}));
}

TEST(WordPieceTokenizerTest, EncodeAddsClsSepAndTruncates) {
  const auto t = Tiny();
  EXPECT_EQ(t->Encode("hello world", 16), (Ids{2, 8, 10, 3}));
  EXPECT_EQ(t->Encode("", 16), (Ids{2, 3}));
  EXPECT_EQ(t->Encode("hello world ! hello", 4), (Ids{2, 8, 10, 3}));
  EXPECT_EQ(t->Encode("hello", 2), (Ids{2, 3}));
}

TEST(WordPieceTokenizerTest, EncodeBatchPadsToTheLongestRow) {
  const auto t = Tiny();
  WordPieceBatch batch;
  t->EncodeBatch({"hello", "hello world !", ""}, 8, &batch);
  EXPECT_EQ(batch.batch, 3);
  EXPECT_EQ(batch.seq_len, 5);
  EXPECT_EQ(batch.input_ids, (Ids{2, 8, 3, 0, 0, 2, 8, 10, 11, 3, 2, 3, 0, 0, 0}));
  EXPECT_EQ(batch.attention_mask, (Ids{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}));
  t->EncodeBatch({"a"}, 8, &batch);  // the buffers are reused, and shrink to fit
  EXPECT_EQ(batch.input_ids, (Ids{2, 15, 3}));
  EXPECT_EQ(batch.attention_mask, (Ids{1, 1, 1}));
  t->EncodeBatch({}, 8, &batch);
  EXPECT_EQ(batch.batch, 0);
  EXPECT_TRUE(batch.input_ids.empty());
}

TEST(WordPieceTokenizerTest, VocabularyLookupsAndErrors) {
  const auto t = Tiny();
  EXPECT_EQ(t->vocab_size(), 20);
  EXPECT_EQ(t->TokenToId("##aff"), 6);
  EXPECT_EQ(t->TokenToId("nope"), -1);
  EXPECT_EQ(t->IdToToken(12), "cafe");
  EXPECT_EQ(t->cls_id(), 2);
  EXPECT_EQ(t->sep_id(), 3);
  EXPECT_EQ(t->pad_id(), 0);
  EXPECT_EQ(t->unk_id(), 1);
  // CRLF lines read the same.
  auto crlf = WordPieceTokenizer::FromVocabText("[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n");
  ASSERT_TRUE(crlf.ok()) << crlf.status().ToString();
  EXPECT_EQ((*crlf)->Tokenize("HI"), (Ids{4}));

  auto no_cls = WordPieceTokenizer::FromVocabText("[PAD]\n[UNK]\n[SEP]\n", "v.txt");
  ASSERT_FALSE(no_cls.ok());
  EXPECT_NE(no_cls.status().message().find("[CLS]"), std::string::npos) << no_cls.status().ToString();
  auto missing = WordPieceTokenizer::Load("/nonexistent/vocab.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/vocab.txt"), std::string::npos);
}

// BertTokenizerFast's ids for all-MiniLM-L6-v2 (tests/data/minilm_golden,
// make_golden.py), with the real vocabulary from models/minilm-l6-v2.
TEST(WordPieceTokenizerTest, MatchesBertTokenizerFastOnMiniLm) {
  const char* env = std::getenv("KILN_MINILM_DIR");
  const std::string dir = env != nullptr ? env : std::string(KILN_SOURCE_DIR) + "/models/minilm-l6-v2";
  if (!std::filesystem::exists(dir + "/vocab.txt")) {
    GTEST_SKIP() << dir << "/vocab.txt is absent: run scripts/fetch_minilm.sh";
  }
  auto tokenizer = WordPieceTokenizer::Load(dir + "/vocab.txt");
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  EXPECT_EQ((*tokenizer)->vocab_size(), 30522);
  auto text = ReadFileToString(std::string(KILN_SOURCE_DIR) + "/tests/data/minilm_golden/tokenizer_cases.json");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  const nlohmann::json cases = nlohmann::json::parse(*text);
  ASSERT_GE(cases.size(), 20u);
  for (const nlohmann::json& c : cases) {
    const std::string input = c["text"].get<std::string>();
    const Ids want = c["ids"].get<Ids>();
    EXPECT_EQ((*tokenizer)->Encode(input, 256), want) << "text: " << input;
  }
}

}  // namespace
}  // namespace kiln
