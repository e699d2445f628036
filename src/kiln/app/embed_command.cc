// kiln embed [--model DIR] [TEXT ...]: sentence embeddings with the MiniLM-L6
// model (models/minilm-l6-v2 by default, as scripts/fetch_minilm.sh installs
// it). Texts are the positional arguments, or stdin's lines when there are
// none; each gives one JSON line {"text": …, "tokens": n, "embedding": [384 floats]}.
#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/app/commands.h"
#include "kiln/base/flags.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/bert/sentence_embedder.h"

namespace kiln {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"model", false, "sentence-transformers model directory (default models/minilm-l6-v2)"},
    {"batch", false, "texts per forward pass (default 16)"},
    {"threads", false, "compute threads (default: all CPUs)"},
    {"help", true, "show this help"},
};

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "kiln embed: %s\n", message.c_str());
  return code;
}

}  // namespace

int EmbedCommand(int argc, char** argv) {
  StatusOr<Flags> flags = Flags::Parse(argc, argv, kFlags);
  if (!flags.ok()) return Fail(flags.status().message(), 2);
  if (flags->Has("help")) {
    std::printf("usage: kiln embed [--model DIR] [TEXT ...]   (no TEXT: one text per line of stdin)\n\n%s",
                Flags::Usage(kFlags).c_str());
    return 0;
  }
  StatusOr<int64_t> threads = flags->GetInt("threads", 0, 0, 1024);
  StatusOr<int64_t> batch = flags->GetInt("batch", 16, 1, 4096);
  for (const Status& s : {threads.status(), batch.status()}) {
    if (!s.ok()) return Fail(s.message(), 2);
  }
  if (*threads > 0) ThreadPool::SetDefaultThreads(static_cast<int>(*threads));
  const std::string model_dir = flags->GetString("model", "models/minilm-l6-v2");
  auto embedder = SentenceEmbedder::Load(model_dir);
  if (!embedder.ok()) return Fail(embedder.status().ToString() + " (scripts/fetch_minilm.sh installs the model)", 2);

  std::vector<std::string> texts = flags->positional();
  if (texts.empty()) {
    for (std::string line; std::getline(std::cin, line);) texts.push_back(line);
  }
  const auto dim = static_cast<size_t>((*embedder)->dim());
  SentenceEmbedderWorkspace ws;
  std::vector<float> out;
  for (size_t first = 0; first < texts.size(); first += static_cast<size_t>(*batch)) {
    const size_t last = std::min(texts.size(), first + static_cast<size_t>(*batch));
    const std::vector<std::string> chunk(texts.begin() + static_cast<std::ptrdiff_t>(first),
                                         texts.begin() + static_cast<std::ptrdiff_t>(last));
    out.resize(chunk.size() * dim);
    (*embedder)->Embed(ThreadPool::Default(), chunk, out.data(), ws);
    for (size_t i = 0; i < chunk.size(); ++i) {
      nlohmann::ordered_json line;  // text first, the 384 floats last
      line["text"] = chunk[i];
      line["tokens"] = (*embedder)->tokenizer().Encode(chunk[i], (*embedder)->max_seq_length()).size();
      line["embedding"] = std::vector<float>(out.begin() + static_cast<std::ptrdiff_t>(i * dim),
                                             out.begin() + static_cast<std::ptrdiff_t>((i + 1) * dim));
      // Invalid UTF-8 in a text is replaced in the output, not an exception.
      std::printf("%s\n", line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace).c_str());
    }
  }
  return 0;
}

}  // namespace kiln
