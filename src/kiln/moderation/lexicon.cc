#include "kiln/moderation/lexicon.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "kiln/base/file_util.h"

namespace kiln {
namespace {

constexpr std::pair<TermCategory, std::string_view> kCategoryNames[] = {
    {TermCategory::kUnknown, "unknown"},     {TermCategory::kSexual, "sexual"},
    {TermCategory::kMinor, "minor"},         {TermCategory::kHate, "hate"},
    {TermCategory::kProfanity, "profanity"}, {TermCategory::kViolence, "violence"},
    {TermCategory::kOther, "other"},
};

// Splits `text` into lines without their "\n" (and a "\r" before it).
std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string LineError(const std::string& path, size_t line_index, std::string_view what) {
  std::string message = path;
  message.append(":").append(std::to_string(line_index + 1)).append(": ").append(what);
  return message;
}

bool IsCommentOrBlank(std::string_view line) {
  return line.empty() || line.front() == '#' || line.find_first_not_of(" \t") == std::string_view::npos;
}

StatusOr<std::vector<LexiconEntry>> LoadNaughtyWords(const std::string& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
    if (item.path().extension() == ".txt") files.push_back(item.path());
  }
  if (ec) return Status::NotFound(dir + ": " + ec.message());
  if (files.empty()) return Status::NotFound(dir + ": no <lang>.txt lists");
  std::sort(files.begin(), files.end());
  std::vector<LexiconEntry> entries;
  for (const auto& file : files) {
    KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(file.string()));
    const std::string language = file.stem().string();
    for (std::string_view line : Lines(text)) {
      if (line.find_first_not_of(' ') == std::string_view::npos) continue;
      entries.push_back(LexiconEntry{std::string(line), language, "naughty-words", TermCategory::kUnknown, -1});
    }
  }
  return entries;
}

StatusOr<std::vector<LexiconEntry>> LoadCuss(const std::string& path) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::vector<LexiconEntry> entries;
  const std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab + 2 != line.size() || line[tab + 1] < '0' || line[tab + 1] > '2') {
      return Status::DataLoss(LineError(path, i, "expected word<TAB>rating (0-2)"));
    }
    // Rating 0 ("adult", "african", "beaver", "cocktail") means "unlikely to be used as a
    // profanity"; the package's author advises against flagging those, so they are not loaded.
    const int rating = line[tab + 1] - '0';
    if (rating == 0) continue;
    entries.push_back(LexiconEntry{std::string(line.substr(0, tab)), "en", "cuss", TermCategory::kUnknown, rating});
  }
  return entries;
}

// Applies lexicon_categories.tsv: exact (lang, term) lines to every list,
// "*" lines to the naughty-words terms of that language that have no exact line.
Status ApplyCategories(const std::string& path, std::vector<LexiconEntry>* entries) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::map<std::pair<std::string, std::string>, TermCategory> exact;
  std::map<std::string, TermCategory> defaults;
  const std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (IsCommentOrBlank(line)) continue;
    const size_t tab1 = line.find('\t');
    const size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string_view::npos) return Status::DataLoss(LineError(path, i, "expected lang<TAB>category<TAB>term"));
    const std::string lang(line.substr(0, tab1));
    StatusOr<TermCategory> category = ParseTermCategory(line.substr(tab1 + 1, tab2 - tab1 - 1));
    if (!category.ok()) return Status::DataLoss(LineError(path, i, category.status().message()));
    const std::string term(line.substr(tab2 + 1));
    if (term == "*") {
      defaults[lang] = *category;
    } else {
      exact[{lang, term}] = *category;
    }
  }
  for (LexiconEntry& e : *entries) {
    if (auto it = exact.find({e.language, e.term}); it != exact.end()) {
      e.category = it->second;
    } else if (auto d = defaults.find(e.language); d != defaults.end() && e.source == "naughty-words") {
      e.category = d->second;
    }
  }
  return Status::Ok();
}

}  // namespace

std::string_view TermCategoryName(TermCategory category) {
  for (const auto& [c, name] : kCategoryNames) {
    if (c == category) return name;
  }
  return "unknown";
}

StatusOr<TermCategory> ParseTermCategory(std::string_view name) {
  for (const auto& [c, n] : kCategoryNames) {
    if (n == name) return c;
  }
  std::string message = "unknown category '";
  message.append(name).append("'");
  return Status::InvalidArgument(std::move(message));
}

std::vector<std::string> ExpandAgeTemplate(std::string_view term) {
  static constexpr std::string_view kWords[] = {"one",     "two",      "three",     "four",     "five",     "six",
                                                "seven",   "eight",    "nine",      "ten",      "eleven",   "twelve",
                                                "thirteen", "fourteen", "fifteen",  "sixteen",  "seventeen"};
  for (const std::string_view placeholder : {std::string_view("{age_en}"), std::string_view("{age}")}) {
    const size_t at = term.find(placeholder);
    if (at == std::string_view::npos) continue;
    std::vector<std::string> out;
    for (int age = 1; age <= 17; ++age) {
      std::string expanded(term.substr(0, at));
      if (placeholder == "{age}") {
        expanded.append(std::to_string(age));
      } else {
        expanded.append(kWords[age - 1]);
      }
      expanded.append(term.substr(at + placeholder.size()));
      out.push_back(std::move(expanded));
    }
    return out;
  }
  return {std::string(term)};
}

StatusOr<std::vector<LexiconEntry>> LoadTermList(const std::string& path, std::string_view source,
                                                 TermCategory category) {
  KILN_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::vector<LexiconEntry> entries;
  const std::vector<std::string_view> lines = Lines(text);
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = lines[i];
    if (IsCommentOrBlank(line)) continue;
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos || tab == 0 || tab + 1 == line.size()) {
      return Status::DataLoss(LineError(path, i, "expected lang<TAB>term"));
    }
    const std::string language(line.substr(0, tab));
    for (std::string& term : ExpandAgeTemplate(line.substr(tab + 1))) {
      entries.push_back(LexiconEntry{std::move(term), language, std::string(source), category, -1});
    }
  }
  return entries;
}

StatusOr<std::vector<LexiconEntry>> LoadModerationLexicon(const std::string& data_dir) {
  KILN_ASSIGN_OR_RETURN(std::vector<LexiconEntry> entries, LoadNaughtyWords(data_dir + "/lexicons/naughty-words"));
  KILN_ASSIGN_OR_RETURN(std::vector<LexiconEntry> cuss, LoadCuss(data_dir + "/lexicons/cuss/en.tsv"));
  entries.insert(entries.end(), std::make_move_iterator(cuss.begin()), std::make_move_iterator(cuss.end()));
  KILN_RETURN_IF_ERROR(ApplyCategories(data_dir + "/moderation/lexicon_categories.tsv", &entries));
  KILN_ASSIGN_OR_RETURN(std::vector<LexiconEntry> minor,
                        LoadTermList(data_dir + "/moderation/minor_terms.txt", "minor_terms", TermCategory::kMinor));
  KILN_ASSIGN_OR_RETURN(std::vector<LexiconEntry> sexual,
                        LoadTermList(data_dir + "/moderation/sexual_terms.txt", "sexual_terms", TermCategory::kSexual));
  entries.insert(entries.end(), std::make_move_iterator(minor.begin()), std::make_move_iterator(minor.end()));
  entries.insert(entries.end(), std::make_move_iterator(sexual.begin()), std::make_move_iterator(sexual.end()));
  return entries;
}

}  // namespace kiln
