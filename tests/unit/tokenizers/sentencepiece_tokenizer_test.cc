#include "kiln/tokenizers/sentencepiece_tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/base/file_util.h"

namespace kiln {
namespace {

// A model and the ids the Python sentencepiece (and, where present, Hugging
// Face's T5TokenizerFast) gave for it; the format is in
// tests/data/tokenizer_test/README.md.
struct CaseSource {
  std::string model_path;
  std::string cases_path;
};

std::string SourcePath(const std::string& relative) { return std::string(KILN_SOURCE_DIR) + "/" + relative; }

const std::string& TestModelPath() {
  static const std::string path = SourcePath("tests/data/tokenizer_test/test.model");
  return path;
}

// The project's own tokenizer (kiln-shapes) when it has been committed, and
// the small test model of tests/data/tokenizer_test.
std::vector<CaseSource> AvailableSources() {
  const std::vector<CaseSource> all = {
      {SourcePath("models/kiln-shapes/tokenizer.model"), SourcePath("tests/data/tokenizer/cases.json")},
      {TestModelPath(), SourcePath("tests/data/tokenizer_test/cases.json")},
  };
  std::vector<CaseSource> present;
  for (const CaseSource& source : all) {
    if (std::filesystem::exists(source.model_path) && std::filesystem::exists(source.cases_path)) {
      present.push_back(source);
    }
  }
  return present;
}

// The cases array: the top-level value, or its "cases" member.
nlohmann::json ReadCases(const std::string& path) {
  auto text = ReadFileToString(path);
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  if (!text.ok()) return nlohmann::json::array();
  nlohmann::json doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(doc.is_discarded()) << path << ": not JSON";
  if (doc.is_object() && doc.contains("cases")) return doc["cases"];
  EXPECT_TRUE(doc.is_array()) << path << ": neither a cases array nor an object with one";
  return doc.is_array() ? doc : nlohmann::json::array();
}

std::unique_ptr<SentencePieceTokenizer> LoadOrDie(const std::string& path) {
  auto tokenizer = SentencePieceTokenizer::Load(path);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().ToString();
  return tokenizer.ok() ? std::move(*tokenizer) : nullptr;
}

TEST(SentencePieceTokenizerTest, IdsMatchPythonSentencePiece) {
  const std::vector<CaseSource> sources = AvailableSources();
  if (sources.empty()) GTEST_SKIP() << "no tokenizer model with expected ids in the checkout";
  for (const CaseSource& source : sources) {
    SCOPED_TRACE(source.cases_path);
    const auto tokenizer = LoadOrDie(source.model_path);
    ASSERT_NE(tokenizer, nullptr);
    const nlohmann::json cases = ReadCases(source.cases_path);
    ASSERT_FALSE(cases.empty());
    for (const auto& c : cases) {
      const std::string text = c.at("text").get<std::string>();
      EXPECT_EQ(tokenizer->Encode(text), c.at("ids").get<std::vector<int32_t>>()) << "text: " << text;
    }
  }
}

TEST(SentencePieceTokenizerTest, EncodeForT5MatchesT5TokenizerFast) {
  const std::vector<CaseSource> sources = AvailableSources();
  if (sources.empty()) GTEST_SKIP() << "no tokenizer model with expected ids in the checkout";
  int checked = 0;
  for (const CaseSource& source : sources) {
    SCOPED_TRACE(source.cases_path);
    const auto tokenizer = LoadOrDie(source.model_path);
    ASSERT_NE(tokenizer, nullptr);
    for (const auto& c : ReadCases(source.cases_path)) {
      const std::string text = c.at("text").get<std::string>();
      // t5_input_ids: padded and maybe truncated; ids_eos: exactly ids + </s>.
      for (const char* key : {"t5_input_ids", "ids_eos"}) {
        if (!c.contains(key)) continue;
        const auto expected = c.at(key).get<std::vector<int32_t>>();
        EXPECT_EQ(tokenizer->EncodeForT5(text, static_cast<int>(expected.size())), expected)
            << key << " of text: " << text;
        ++checked;
      }
    }
  }
  if (checked == 0) GTEST_SKIP() << "no case has t5_input_ids or ids_eos";
}

TEST(SentencePieceTokenizerTest, EncodeForT5TruncatesKeepingEosAndPads) {
  const auto tokenizer = LoadOrDie(TestModelPath());
  ASSERT_NE(tokenizer, nullptr);
  const int eos = tokenizer->eos_id(), pad = tokenizer->pad_id();
  const std::vector<int32_t> ids = tokenizer->Encode("a red circle in the top left corner");
  ASSERT_GT(ids.size(), 4u);

  const std::vector<int32_t> cut = tokenizer->EncodeForT5("a red circle in the top left corner", 4);
  EXPECT_EQ(cut, (std::vector<int32_t>{ids[0], ids[1], ids[2], eos}));
  const std::vector<int32_t> cut_no_eos =
      tokenizer->EncodeForT5("a red circle in the top left corner", 4, /*append_eos=*/false);
  EXPECT_EQ(cut_no_eos, (std::vector<int32_t>{ids[0], ids[1], ids[2], ids[3]}));

  const std::vector<int32_t> padded = tokenizer->EncodeForT5("a red circle in the top left corner", 40);
  ASSERT_EQ(padded.size(), 40u);
  EXPECT_TRUE(std::equal(ids.begin(), ids.end(), padded.begin()));
  EXPECT_EQ(padded[ids.size()], eos);
  for (size_t i = ids.size() + 1; i < padded.size(); ++i) EXPECT_EQ(padded[i], pad) << i;

  EXPECT_EQ(tokenizer->EncodeForT5("anything", 1), (std::vector<int32_t>{eos}));
  EXPECT_TRUE(tokenizer->EncodeForT5("anything", 0).empty());
}

TEST(SentencePieceTokenizerTest, SpecialTokenStringsBecomeTheirIds) {
  const auto tokenizer = LoadOrDie(TestModelPath());
  ASSERT_NE(tokenizer, nullptr);
  const int n = tokenizer->vocab_size();
  const std::vector<int32_t> circle = tokenizer->Encode("circle");
  std::vector<int32_t> expected = {n + SentencePieceTokenizer::kT5ExtraIds - 1};  // <extra_id_0>
  expected.insert(expected.end(), circle.begin(), circle.end());
  expected.push_back(n);  // <extra_id_99>
  expected.push_back(tokenizer->eos_id());
  expected.resize(12, tokenizer->pad_id());
  EXPECT_EQ(tokenizer->EncodeForT5("<extra_id_0>circle<extra_id_99>", 12), expected);
  // Encode is plain sentencepiece: the same strings are just text there.
  for (const int32_t id : tokenizer->Encode("<pad></s><extra_id_0>")) {
    EXPECT_LT(id, n);
    EXPECT_NE(id, tokenizer->eos_id());
  }
}

TEST(SentencePieceTokenizerTest, LoadsFromSerializedBytes) {
  auto bytes = ReadFileToString(TestModelPath());
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  auto from_bytes = SentencePieceTokenizer::FromSerialized(*bytes);
  ASSERT_TRUE(from_bytes.ok()) << from_bytes.status().ToString();
  const auto from_file = LoadOrDie(TestModelPath());
  ASSERT_NE(from_file, nullptr);
  EXPECT_EQ((*from_bytes)->Encode("two blue squares"), from_file->Encode("two blue squares"));
  EXPECT_EQ((*from_bytes)->vocab_size(), 200);
  EXPECT_EQ((*from_bytes)->pad_id(), 0);
  EXPECT_EQ((*from_bytes)->eos_id(), 1);
}

TEST(SentencePieceTokenizerTest, ErrorsNameTheFile) {
  const std::string missing = SourcePath("tests/data/tokenizer_test/no_such.model");
  auto not_found = SentencePieceTokenizer::Load(missing);
  ASSERT_FALSE(not_found.ok());
  EXPECT_EQ(not_found.status().code(), StatusCode::kNotFound);
  EXPECT_NE(not_found.status().message().find(missing), std::string::npos) << not_found.status().ToString();

  auto garbage = SentencePieceTokenizer::FromSerialized("not a model", "garbage.model");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("garbage.model"), std::string::npos) << garbage.status().ToString();

  const std::string no_pad = SourcePath("tests/data/tokenizer_test/no_pad.model");
  auto without_pad = SentencePieceTokenizer::Load(no_pad);
  ASSERT_FALSE(without_pad.ok());
  EXPECT_EQ(without_pad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(without_pad.status().message().find(no_pad), std::string::npos);
  EXPECT_NE(without_pad.status().message().find("<pad>"), std::string::npos) << without_pad.status().ToString();
}

}  // namespace
}  // namespace kiln
