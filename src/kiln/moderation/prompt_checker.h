// PromptChecker: every text signal about a prompt, under one tenant policy —
// the lexicon matcher on normalised text (term_matcher.h), the sexual/minors
// rule (minor_sexual_rule.h), the policy's block/allow terms and block
// patterns, and the per-category classifier heads on MiniLM-L6 sentence
// embeddings (text_classifier.h). Decide (policy.h) turns the signals into
// an action; this class only measures.
//
// Classifier signals are emitted for every category the heads know, whatever
// their score, so callers can report category_scores and score histograms;
// the other sources emit a signal only when they fire. A signal's detail never
// carries a raw lexicon entry.
//
// Check is const and thread-safe: each concurrent caller brings its own
// workspace. Without the MiniLM directory (setup not run) the checker works
// on lexicons and rules alone and has_classifier() says so.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/policy.h"

namespace kiln {

struct PromptCheckerOptions {
  std::string data_dir = "data";  // lexicons/ and moderation/ (lexicon.h)
  std::string heads_path;         // the trained category heads; "" → no classifier
  std::string embedder_dir;       // models/minilm-l6-v2; "" or missing → no classifier
};

struct PromptCheckWorkspace;  // buffers reused between calls (prompt_checker.cc)
std::unique_ptr<PromptCheckWorkspace> NewPromptCheckWorkspace();
struct PromptCheckWorkspaceDeleter { void operator()(PromptCheckWorkspace* ws) const; };

class PromptChecker {
 public:
  static StatusOr<std::unique_ptr<PromptChecker>> Load(const PromptCheckerOptions& options);
  ~PromptChecker();

  bool has_classifier() const;

  // signals->size() == prompts.size(); (*signals)[i] is the evidence about prompts[i].
  void Check(ThreadPool& pool, const std::vector<std::string>& prompts, const ModerationPolicy& policy,
             PromptCheckWorkspace& ws, std::vector<std::vector<ModerationSignal>>* signals) const;

 private:
  PromptChecker();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kiln
