// Prompts per second of the text moderation core on one thread: normalise a
// prompt and run the one lexicon matcher (plus the sexual/minors rule, which
// reads the same matches) over it. Realistic prompts: ordinary ones, long
// ones, obfuscated ones, several languages.
//
// Usage: text_moderation_bench [--data DIR] [--seconds S] [--show 1]
//   --data: the data directory with lexicons/ and moderation/ (default "data",
//   i.e. run from the repository root); --seconds: measuring time (default 2);
//   --show 1: first print each prompt's normalised text and matches.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "kiln/moderation/lexicon.h"
#include "kiln/moderation/minor_sexual_rule.h"
#include "kiln/moderation/term_matcher.h"
#include "kiln/moderation/text_normalizer.h"

namespace {

const std::vector<std::string> kPrompts = {
    "a photo of a cat sitting on a windowsill, golden hour, 35mm",
    "A majestic lion standing on a rock at sunset, highly detailed, 8k, trending on artstation",
    "portrait of an old fisherman with a weathered face, dramatic lighting, oil painting",
    "isometric pixel art of a cozy coffee shop interior with plants and warm lights",
    "a futuristic city skyline at night, neon lights reflecting on wet streets, cyberpunk style, "
    "flying cars, crowded sidewalks, rain, cinematic composition, ultra wide angle lens, volumetric fog",
    "children playing football in a park on a sunny afternoon, watercolor",
    "a nude sculpture in a marble museum hall, classical, soft light",
    "logo for a bakery called Sunrise Bread, minimalist, vector",
    "ein gemütliches Café in Wien im Winter, Schnee, warmes Licht",
    "une forêt enchantée avec des champignons lumineux, style Ghibli",
    "un perro corriendo en la playa al atardecer",
    "кот в космическом скафандре, цифровое искусство",
    "桜の木の下で本を読む少女、アニメ風",
    "一只可爱的熊猫在竹林里吃竹子，水墨画风格",
    "ＦＵＬＬＷＩＤＴＨ text and ｆａｎｃｙ letters with émojis 🐱🎨",
    "s.e.x.y a$$ f.u.c.k t33n n\u200Bude",
    "Scunthorpe class assessment of cocktail therapists eating grapes",
    "a 12 year old whisky bottle on an oak table, product photo",
    "teen reading a book in a library, soft focus",
    "beautiful landscape, mountains, lake, reflection, sunrise, photorealistic, masterpiece, best quality, "
    "highly detailed, sharp focus, 4k, HDR, dramatic sky, clouds, trees, grass, flowers, birds",
};

}  // namespace

int main(int argc, char** argv) {
  std::string data_dir = "data";
  double seconds = 2.0;
  bool show = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--data") {
      data_dir = argv[i + 1];
    } else if (flag == "--seconds") {
      seconds = std::atof(argv[i + 1]);
    } else if (flag == "--show") {
      show = std::string(argv[i + 1]) != "0";
    } else {
      std::fprintf(stderr, "usage: text_moderation_bench [--data DIR] [--seconds S] [--show 1]\n");
      return 2;
    }
  }
  using Clock = std::chrono::steady_clock;
  const auto load_start = Clock::now();
  kiln::StatusOr<std::vector<kiln::LexiconEntry>> entries = kiln::LoadModerationLexicon(data_dir);
  if (!entries.ok()) {
    std::fprintf(stderr, "text_moderation_bench: %s\n", entries.status().ToString().c_str());
    return 2;
  }
  const size_t term_count = entries->size();
  const kiln::TermMatcher matcher = kiln::TermMatcher::Build(std::move(entries).value());
  const double build_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();
  std::printf("terms %zu, patterns %zu, load + build %.1f ms\n", term_count, matcher.pattern_count(), build_ms);

  kiln::NormalizedText normalized;
  std::vector<kiln::TermMatch> matches;
  size_t bytes_per_round = 0;
  for (const std::string& p : kPrompts) bytes_per_round += p.size();

  if (show) {
    for (const std::string& p : kPrompts) {
      kiln::NormalizeText(p, &normalized);
      matcher.Match(normalized, &matches);
      std::printf("%s\n  -> \"%s\"%s\n", p.c_str(), normalized.text.c_str(),
                  kiln::EvaluateMinorSexualRule(matches).blocked ? "  [minor+sexual: blocked]" : "");
      for (const kiln::TermMatch& m : matches) {
        const kiln::LexiconEntry& e = matcher.term(m.term_id);
        std::printf("     %s/%s %s \"%s\" at [%zu,%zu)\n", e.source.c_str(), e.language.c_str(),
                    std::string(kiln::TermCategoryName(m.category)).c_str(), e.term.c_str(), m.begin, m.end);
      }
    }
  }

  // Normalise only, then normalise + match + rule.
  for (int mode = 0; mode < 2; ++mode) {
    size_t prompts = 0;
    size_t hits = 0;
    size_t blocked = 0;
    const auto start = Clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      for (const std::string& p : kPrompts) {
        kiln::NormalizeText(p, &normalized);
        if (mode == 1) {
          matcher.Match(normalized, &matches);
          hits += matches.size();
          blocked += kiln::EvaluateMinorSexualRule(matches).blocked;
        }
      }
      prompts += kPrompts.size();
      elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    }
    const double rate = static_cast<double>(prompts) / elapsed;
    std::printf("%-24s %10.0f prompts/s  %6.2f us/prompt  %6.1f MB/s  (1 thread, %zu prompts, %zu hits, %zu blocked)\n",
                mode == 0 ? "normalise" : "normalise+match+rule", rate, 1e6 / rate,
                rate * static_cast<double>(bytes_per_round) / static_cast<double>(kPrompts.size()) / 1e6, prompts, hits,
                blocked);
  }
  return 0;
}
