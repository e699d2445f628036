#include "kiln/moderation/prompt_checker.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "kiln/base/logging.h"
#include "kiln/moderation/lexicon.h"
#include "kiln/moderation/minor_sexual_rule.h"
#include "kiln/moderation/text_classifier.h"

namespace kiln {
namespace {

// Prompts per forward pass of the embedder: bounds the padded batch's memory
// when a caller checks many prompts at once.
constexpr size_t kEmbedBatch = 32;

// The policy category of a lexicon term, or "" for terms that are no
// violation on their own (minor, other, unknown).
std::string_view LexiconCategory(TermCategory c) {
  switch (c) {
    case TermCategory::kSexual: return "sexual";
    case TermCategory::kHate: return "hate";
    case TermCategory::kViolence: return "violence";
    case TermCategory::kProfanity: return "profanity";
    default: return "";
  }
}

// Every occurrence of `needle` (normalised, " word word ") in `text` calls fn(begin, end).
template <typename Fn>
void ForEachOccurrence(const std::string& text, const std::string& needle, Fn fn) {
  if (needle.size() <= 2) return;  // normalised to nothing
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    fn(pos, pos + needle.size());
  }
}

}  // namespace

struct PromptChecker::Impl {
  TermMatcher matcher;
  std::optional<TextClassifier> classifier;
  std::unique_ptr<SentenceEmbedder> embedder;

  void CheckText(const std::string& prompt, const ModerationPolicy& policy, PromptCheckWorkspace& ws,
                 std::vector<ModerationSignal>* out) const;
};

PromptChecker::PromptChecker() : impl_(std::make_unique<Impl>()) {}
PromptChecker::~PromptChecker() = default;

std::unique_ptr<PromptCheckWorkspace> NewPromptCheckWorkspace() { return std::make_unique<PromptCheckWorkspace>(); }

StatusOr<std::unique_ptr<PromptChecker>> PromptChecker::Load(const PromptCheckerOptions& options) {
  KILN_ASSIGN_OR_RETURN(std::vector<LexiconEntry> entries, LoadModerationLexicon(options.data_dir));
  std::unique_ptr<PromptChecker> checker(new PromptChecker());
  checker->impl_->matcher = TermMatcher::Build(std::move(entries));
  if (options.heads_path.empty() || options.embedder_dir.empty()) return checker;
  // A broken heads file is an error (it ships with the code); a missing
  // embedder only means setup has not fetched it yet.
  KILN_ASSIGN_OR_RETURN(TextClassifier classifier, TextClassifier::Load(options.heads_path));
  std::error_code ec;
  if (!std::filesystem::is_directory(options.embedder_dir, ec)) {
    KILN_LOG(kWarning) << "prompt checker: no " << options.embedder_dir
                       << " (scripts/fetch_minilm.sh installs it): lexicons and rules only";
    return checker;
  }
  KILN_ASSIGN_OR_RETURN(checker->impl_->embedder, SentenceEmbedder::Load(options.embedder_dir));
  if (checker->impl_->embedder->dim() != classifier.dim()) {
    return Status::InvalidArgument(options.heads_path + ": heads of dim " + std::to_string(classifier.dim()) +
                                   " for an embedder of dim " + std::to_string(checker->impl_->embedder->dim()));
  }
  checker->impl_->classifier = std::move(classifier);
  return checker;
}

bool PromptChecker::has_classifier() const { return impl_->classifier.has_value(); }

void PromptChecker::Impl::CheckText(const std::string& prompt, const ModerationPolicy& policy,
                                    PromptCheckWorkspace& ws, std::vector<ModerationSignal>* out) const {
  NormalizeText(prompt, &ws.normalized);
  matcher.Match(ws.normalized, &ws.matches);
  const std::string& text = ws.normalized.text;

  // The rule sees every match: allow_terms cannot switch it off.
  if (EvaluateMinorSexualRule(ws.matches).blocked) {
    out->push_back({std::string(kSexualMinors), 1.0, "rule", "a minor indicator together with a sexual term"});
  }

  for (size_t i = 0; i < policy.block_terms.size(); ++i) {
    NormalizeText(policy.block_terms[i], &ws.term);
    bool found = false;
    ForEachOccurrence(text, ws.term.text, [&](size_t, size_t) { found = true; });
    if (found) {
      std::string detail = "matched block_terms[";
      detail.append(std::to_string(i)).append("]");
      out->push_back({"policy", 1.0, "block_term", std::move(detail)});
    }
  }
  if (const int pattern = policy.MatchBlockPattern(prompt); pattern >= 0) {
    std::string detail = "matched block_patterns[";
    detail.append(std::to_string(pattern)).append("]");
    out->push_back({"policy", 1.0, "block_pattern", std::move(detail)});
  }

  for (const std::string& allow : policy.allow_terms) {
    NormalizeText(allow, &ws.term);
    ForEachOccurrence(text, ws.term.text, [&](size_t begin, size_t end) {
      std::erase_if(ws.matches, [&](const TermMatch& m) {
        return m.normalized_begin >= begin && m.normalized_end <= end;
      });
    });
  }
  // One signal per category, in a fixed order (never the term itself).
  for (std::string_view category : {"sexual", "hate", "violence", "profanity"}) {
    const bool hit = std::any_of(ws.matches.begin(), ws.matches.end(),
                                 [&](const TermMatch& m) { return LexiconCategory(m.category) == category; });
    if (hit) {
      std::string detail = "matched a ";
      detail.append(category).append(" term");
      out->push_back({std::string(category), kLexiconScore, "lexicon", std::move(detail)});
    }
  }
}

void PromptChecker::Check(ThreadPool& pool, const std::vector<std::string>& prompts, const ModerationPolicy& policy,
                          PromptCheckWorkspace& ws, std::vector<std::vector<ModerationSignal>>* signals) const {
  signals->assign(prompts.size(), {});
  for (size_t i = 0; i < prompts.size(); ++i) impl_->CheckText(prompts[i], policy, ws, &(*signals)[i]);
  if (!impl_->classifier) return;

  const TextClassifier& classifier = *impl_->classifier;
  const size_t dim = static_cast<size_t>(classifier.dim());
  const size_t heads = classifier.heads().size();
  std::vector<std::string> chunk;
  for (size_t first = 0; first < prompts.size(); first += kEmbedBatch) {
    const size_t count = std::min(kEmbedBatch, prompts.size() - first);
    // Embed takes a vector; copy only when the call is bigger than one chunk.
    const std::vector<std::string>* batch = &prompts;
    if (count != prompts.size()) {
      chunk.assign(prompts.begin() + static_cast<std::ptrdiff_t>(first),
                   prompts.begin() + static_cast<std::ptrdiff_t>(first + count));
      batch = &chunk;
    }
    ws.embeddings.resize(count * dim);
    ws.scores.resize(heads);
    impl_->embedder->Embed(pool, *batch, ws.embeddings.data(), ws.embedder);
    for (size_t i = 0; i < count; ++i) {
      classifier.Score(ws.embeddings.data() + i * dim, ws.scores.data());
      for (size_t k = 0; k < heads; ++k) {
        (*signals)[first + i].push_back(
            {classifier.heads()[k].category, static_cast<double>(ws.scores[k]), "classifier", "text classifier"});
      }
    }
  }
}

}  // namespace kiln
