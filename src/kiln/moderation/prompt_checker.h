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
// Lexicon hits: one signal per category that matched (sexual, hate,
// violence, profanity; minor/other/unknown terms give none), source
// "lexicon", score kLexiconScore: at the default policy that flags (recorded)
// but does not reach review, so a trap word alone ("breast stroke", "kill the
// lights") never holds a prompt; the classifier decides, and the lexicon
// still catches what the classifier misses when a tenant lowers its
// thresholds. allow_terms drop lexicon hits inside them but never the
// sexual/minors rule, which no tenant policy can turn off. Block terms are
// matched on normalised text as whole words, block patterns on the raw
// prompt; both give category "policy" (the tenant's own list, not one of the
// scored categories) and Decide blocks them at every tolerance.
//
// Check is const and thread-safe: each concurrent caller brings its own
// workspace (a plain struct: make one per thread and reuse it; it only grows).
// Without the MiniLM directory (setup not run) the checker works on lexicons
// and rules alone and has_classifier() says so.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kiln/base/status.h"
#include "kiln/base/thread_pool.h"
#include "kiln/models/bert/sentence_embedder.h"
#include "kiln/moderation/policy.h"
#include "kiln/moderation/term_matcher.h"
#include "kiln/moderation/text_normalizer.h"

namespace kiln {

struct PromptCheckerOptions {
  std::string data_dir = "data";  // lexicons/ and moderation/ (lexicon.h)
  std::string heads_path;         // the trained category heads; "" → no classifier
  std::string embedder_dir;       // models/minilm-l6-v2; "" or missing → no classifier
};

// The score of a lexicon signal (see above): between the default policy's
// flag and review thresholds of every category the lexicon feeds.
inline constexpr double kLexiconScore = 0.55;

// Buffers reused between calls (grow-only); one per concurrent Check.
struct PromptCheckWorkspace {
  NormalizedText normalized;
  NormalizedText term;  // a policy term, normalised
  std::vector<TermMatch> matches;
  std::vector<float> embeddings;  // (prompts, dim)
  std::vector<float> scores;      // (prompts, heads)
  SentenceEmbedderWorkspace embedder;
};
std::unique_ptr<PromptCheckWorkspace> NewPromptCheckWorkspace();

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
