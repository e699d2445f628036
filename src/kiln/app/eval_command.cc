// kiln eval --dataset FILE [--policy P] [--tolerance T] [--data DIR]
//           [--heads F] [--embedder DIR] [--no-classifier] [--json] [--errors]
//
// Runs the whole prompt check (PromptChecker: lexicons, the sexual/minors
// rule, policy terms and patterns, the classifier heads) and Decide on every
// prompt of a labelled set (JSON lines {"text": ..., "labels": [...]}, labels
// from sexual, violence, hate, harassment, self-harm, illicit; [] = benign)
// and prints precision, recall and F1 per category and overall, and the
// false-positive rate on the benign prompts.
//
// Positive ("flagged") means the action a request would get is review or
// block: it is held or refused. A "flag" action only records the prompt and
// lets it through, so it counts as negative. Per category, a prompt is
// predicted positive for category c when a reason of category c reaches
// review (sexual/minors counts as sexual); "any" asks whether the prompt as
// a whole reaches review (a block term or pattern counts there), against
// whether it has any label; "micro" pools the six categories' counts.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/app/commands.h"
#include "kiln/base/file_util.h"
#include "kiln/base/flags.h"
#include "kiln/base/thread_pool.h"
#include "kiln/moderation/policy.h"
#include "kiln/moderation/prompt_checker.h"

namespace kiln {
namespace {

const std::vector<FlagSpec> kFlags = {
    {"dataset", false, "labelled prompts, JSON lines {\"text\", \"labels\"} (required)"},
    {"policy", false, "policy JSON (default data/moderation/default_policy.json)"},
    {"tolerance", false, "safety_tolerance 0..6 (default 2: the policy as written)"},
    {"data", false, "data directory with lexicons/ and moderation/ (default data)"},
    {"heads", false, "classifier heads (default models/text-moderation-heads/heads.json)"},
    {"embedder", false, "MiniLM-L6 directory (default models/minilm-l6-v2)"},
    {"no-classifier", true, "lexicons, rule and policy terms only"},
    {"threads", false, "compute threads (default: all CPUs)"},
    {"json", true, "print the figures as one JSON object"},
    {"errors", true, "also list the prompts counted wrong (stderr)"},
    {"help", true, "show this help"},
};

const std::vector<std::string> kLabels = {"sexual", "violence", "hate", "harassment", "self-harm", "illicit"};

int Fail(const std::string& message, int code) {
  std::fprintf(stderr, "kiln eval: %s\n", message.c_str());
  return code;
}

struct Example {
  std::string text;
  std::vector<bool> labels;  // by kLabels
  bool benign = true;
};

StatusOr<std::vector<Example>> ReadDataset(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::vector<Example> out;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::string where = path;
    where.append(":").append(std::to_string(line_no));
    nlohmann::json row = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) return Status::InvalidArgument(where + ": not a JSON object");
    auto t = row.find("text");
    auto l = row.find("labels");
    if (t == row.end() || !t->is_string()) return Status::InvalidArgument(where + ": \"text\" must be a string");
    if (l == row.end() || !l->is_array()) return Status::InvalidArgument(where + ": \"labels\" must be an array");
    Example ex;
    ex.text = t->get<std::string>();
    ex.labels.assign(kLabels.size(), false);
    for (const nlohmann::json& label : *l) {
      auto it = label.is_string() ? std::find(kLabels.begin(), kLabels.end(), label.get<std::string>()) : kLabels.end();
      if (it == kLabels.end()) {
        return Status::InvalidArgument(where + ": label " + label.dump() +
                                       " is not one of sexual, violence, hate, harassment, self-harm, illicit");
      }
      ex.labels[static_cast<size_t>(it - kLabels.begin())] = true;
      ex.benign = false;
    }
    out.push_back(std::move(ex));
  }
  if (out.empty()) return Status::InvalidArgument(path + ": no prompts");
  return out;
}

struct Counts {
  int64_t tp = 0, fp = 0, fn = 0, positives = 0;
  double precision() const { return tp + fp == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fp); }
  double recall() const { return tp + fn == 0 ? 0.0 : static_cast<double>(tp) / static_cast<double>(tp + fn); }
  double f1() const {
    return 2 * tp + fp + fn == 0 ? 0.0 : 2.0 * static_cast<double>(tp) / static_cast<double>(2 * tp + fp + fn);
  }
  void Add(bool predicted, bool actual) {
    positives += actual;
    tp += predicted && actual;
    fp += predicted && !actual;
    fn += !predicted && actual;
  }
};

}  // namespace

int EvalCommand(int argc, char** argv) {
  StatusOr<Flags> flags = Flags::Parse(argc, argv, kFlags);
  if (!flags.ok()) return Fail(flags.status().message(), 2);
  if (flags->Has("help")) {
    std::printf("usage: kiln eval --dataset FILE [--policy P] [--tolerance T] [--json]\n\n%s",
                Flags::Usage(kFlags).c_str());
    return 0;
  }
  StatusOr<std::string> dataset_path = flags->GetString("dataset");
  if (!dataset_path.ok()) return Fail(dataset_path.status().message(), 2);
  StatusOr<int64_t> tolerance = flags->GetInt("tolerance", 2, 0, 6);
  StatusOr<int64_t> threads = flags->GetInt("threads", 0, 0, 1024);
  for (const Status& s : {tolerance.status(), threads.status()}) {
    if (!s.ok()) return Fail(s.message(), 2);
  }
  if (*threads > 0) ThreadPool::SetDefaultThreads(static_cast<int>(*threads));

  const std::string policy_path = flags->GetString("policy", "data/moderation/default_policy.json");
  StatusOr<std::string> policy_text = ReadFileToString(policy_path);
  if (!policy_text.ok()) return Fail("--policy: " + policy_text.status().message(), 2);
  StatusOr<ModerationPolicy> policy = ModerationPolicy::Parse(*policy_text);
  if (!policy.ok()) return Fail("--policy " + policy_path + ": " + policy.status().message(), 2);
  StatusOr<std::vector<Example>> dataset = ReadDataset(*dataset_path);
  if (!dataset.ok()) return Fail("--dataset: " + dataset.status().message(), 2);

  PromptCheckerOptions options;
  options.data_dir = flags->GetString("data", "data");
  if (!flags->Has("no-classifier")) {
    options.heads_path = flags->GetString("heads", "models/text-moderation-heads/heads.json");
    options.embedder_dir = flags->GetString("embedder", "models/minilm-l6-v2");
  }
  StatusOr<std::unique_ptr<PromptChecker>> checker = PromptChecker::Load(options);
  if (!checker.ok()) return Fail(checker.status().ToString(), 2);
  if (!flags->Has("no-classifier") && !(*checker)->has_classifier()) {
    return Fail("--embedder " + options.embedder_dir +
                ": no MiniLM-L6 model there (scripts/fetch_minilm.sh; or --no-classifier)", 2);
  }

  std::vector<Counts> per(kLabels.size());
  Counts any;
  int64_t benign = 0, benign_positive = 0;
  auto ws = NewPromptCheckWorkspace();
  std::vector<std::vector<ModerationSignal>> signals;
  const bool show_errors = flags->Has("errors");
  constexpr size_t kBatch = 16;
  for (size_t first = 0; first < dataset->size(); first += kBatch) {
    const size_t last = std::min(dataset->size(), first + kBatch);
    std::vector<std::string> prompts;
    for (size_t i = first; i < last; ++i) prompts.push_back((*dataset)[i].text);
    (*checker)->Check(ThreadPool::Default(), prompts, *policy, *ws, &signals);
    for (size_t i = first; i < last; ++i) {
      const Example& ex = (*dataset)[i];
      const ModerationDecision d = Decide(*policy, static_cast<int>(*tolerance), signals[i - first]);
      std::vector<bool> predicted(kLabels.size(), false);
      for (const ModerationReason& r : d.reasons) {
        if (r.action < ModerationAction::kReview) continue;
        const std::string& c = r.signal.category == kSexualMinors ? kLabels[0] : r.signal.category;
        auto it = std::find(kLabels.begin(), kLabels.end(), c);
        if (it != kLabels.end()) predicted[static_cast<size_t>(it - kLabels.begin())] = true;
      }
      for (size_t k = 0; k < kLabels.size(); ++k) per[k].Add(predicted[k], ex.labels[k]);
      const bool held = d.action >= ModerationAction::kReview;
      any.Add(held, !ex.benign);
      benign += ex.benign;
      benign_positive += ex.benign && held;
      if (show_errors && (predicted != ex.labels)) {
        std::string got;
        for (size_t k = 0; k < kLabels.size(); ++k) {
          if (predicted[k]) got.append(got.empty() ? "" : ",").append(kLabels[k]);
        }
        std::fprintf(stderr, "%s\t[%s]\t%s\n", ex.benign ? "FP" : "MISS", got.c_str(), ex.text.c_str());
      }
    }
  }
  Counts micro;
  for (const Counts& c : per) {
    micro.tp += c.tp;
    micro.fp += c.fp;
    micro.fn += c.fn;
    micro.positives += c.positives;
  }
  const double fpr = benign == 0 ? 0.0 : static_cast<double>(benign_positive) / static_cast<double>(benign);

  if (flags->Has("json")) {
    nlohmann::ordered_json out;
    out["dataset"] = *dataset_path;
    out["prompts"] = dataset->size();
    out["benign"] = benign;
    out["policy_version"] = policy->version;
    out["tolerance"] = *tolerance;
    out["classifier"] = (*checker)->has_classifier();
    out["positive"] = "review or block";
    auto row = [](const Counts& c) {
      return nlohmann::ordered_json{{"positives", c.positives}, {"tp", c.tp},     {"fp", c.fp},
                                    {"fn", c.fn},               {"precision", c.precision()},
                                    {"recall", c.recall()},     {"f1", c.f1()}};
    };
    for (size_t k = 0; k < kLabels.size(); ++k) out["categories"][kLabels[k]] = row(per[k]);
    out["micro"] = row(micro);
    out["any"] = row(any);
    out["benign_fpr"] = fpr;
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("%zu prompts (%lld benign) from %s; policy v%d at tolerance %lld; classifier %s\n",
              dataset->size(), static_cast<long long>(benign), dataset_path->c_str(), policy->version,
              static_cast<long long>(*tolerance), (*checker)->has_classifier() ? "on" : "off");
  std::printf("positive = action review or block\n\n");
  std::printf("%-12s %9s %9s %9s %9s\n", "category", "positives", "precision", "recall", "f1");
  auto print = [](const std::string& name, const Counts& c) {
    std::printf("%-12s %9lld %9.4f %9.4f %9.4f\n", name.c_str(), static_cast<long long>(c.positives), c.precision(),
                c.recall(), c.f1());
  };
  for (size_t k = 0; k < kLabels.size(); ++k) print(kLabels[k], per[k]);
  print("micro", micro);
  print("any", any);
  std::printf("\nbenign false-positive rate: %.4f (%lld of %lld)\n", fpr, static_cast<long long>(benign_positive),
              static_cast<long long>(benign));
  return 0;
}

}  // namespace kiln
