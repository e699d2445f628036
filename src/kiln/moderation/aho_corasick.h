// Aho–Corasick over bytes: finds every occurrence of every pattern in one
// pass over the text, in time linear in the text plus the matches.
//
// A plain implementation: a trie whose states keep their edges sorted in one
// flat array (the lexicons give ~50k states; a dense 256-wide table would take
// tens of MB), failure links, and per state the list of patterns that end
// there, including those reached through failure links, so a search never
// walks the output chain. The root, where a search spends most of its steps,
// has a dense 256-entry table.
//
// Build once (AhoCorasickBuilder), then search from any number of threads:
// a built automaton is immutable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

class AhoCorasick {
 public:
  AhoCorasick() = default;

  // Calls on_match(pattern_id, end) for every occurrence, where the pattern
  // occupies text[end - pattern_length(pattern_id), end). Order: by end,
  // then longest pattern first.
  template <typename OnMatch>
  void ForEachMatch(std::string_view text, OnMatch&& on_match) const {
    if (fail_.empty()) return;
    uint32_t state = 0;
    for (size_t i = 0; i < text.size(); ++i) {
      state = Next(state, static_cast<uint8_t>(text[i]));
      for (uint32_t k = output_begin_[state]; k < output_begin_[state + 1]; ++k) on_match(outputs_[k], i + 1);
    }
  }

  size_t pattern_count() const { return pattern_length_.size(); }
  size_t state_count() const { return fail_.size(); }
  uint32_t pattern_length(uint32_t id) const { return pattern_length_[id]; }

 private:
  friend class AhoCorasickBuilder;

  struct Edge {
    uint8_t byte;
    uint32_t target;
  };

  // The goto function with failure links folded in.
  uint32_t Next(uint32_t state, uint8_t byte) const {
    while (state != 0) {
      const Edge* begin = edges_.data() + edge_begin_[state];
      const Edge* end = edges_.data() + edge_begin_[state + 1];
      // Few edges per state: a linear scan beats a binary search here.
      for (const Edge* e = begin; e != end; ++e) {
        if (e->byte == byte) return e->target;
        if (e->byte > byte) break;
      }
      state = fail_[state];
    }
    return root_next_[byte];
  }

  std::vector<uint32_t> root_next_;     // 256 entries
  std::vector<uint32_t> edge_begin_;    // per state, +1 sentinel
  std::vector<Edge> edges_;             // sorted by byte within a state
  std::vector<uint32_t> fail_;          // per state
  std::vector<uint32_t> output_begin_;  // per state, +1 sentinel
  std::vector<uint32_t> outputs_;       // pattern ids
  std::vector<uint32_t> pattern_length_;
};

class AhoCorasickBuilder {
 public:
  // Adds a pattern and returns its id (0, 1, 2, ... in order). Empty
  // patterns are kept (so ids stay dense) but never match.
  uint32_t Add(std::string_view pattern);
  // Builds the automaton; the builder is left empty.
  AhoCorasick Build();

 private:
  struct Node {
    std::vector<std::pair<uint8_t, uint32_t>> children;  // unsorted while building
    std::vector<uint32_t> outputs;
  };
  uint32_t Child(uint32_t node, uint8_t byte) const;

  std::vector<Node> nodes_ = std::vector<Node>(1);  // the root
  std::vector<uint32_t> pattern_length_;
};

}  // namespace kiln
