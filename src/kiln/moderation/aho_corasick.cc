#include "kiln/moderation/aho_corasick.h"

#include <algorithm>
#include <utility>

namespace kiln {

uint32_t AhoCorasickBuilder::Child(uint32_t node, uint8_t byte) const {
  for (const auto& [b, target] : nodes_[node].children) {
    if (b == byte) return target;
  }
  return 0;
}

uint32_t AhoCorasickBuilder::Add(std::string_view pattern) {
  const auto id = static_cast<uint32_t>(pattern_length_.size());
  pattern_length_.push_back(static_cast<uint32_t>(pattern.size()));
  if (pattern.empty()) return id;
  uint32_t node = 0;
  for (const char c : pattern) {
    const auto byte = static_cast<uint8_t>(c);
    uint32_t next = Child(node, byte);
    if (next == 0) {
      next = static_cast<uint32_t>(nodes_.size());
      nodes_[node].children.emplace_back(byte, next);
      nodes_.emplace_back();  // may move nodes_: nothing above holds a reference
    }
    node = next;
  }
  nodes_[node].outputs.push_back(id);
  return id;
}

AhoCorasick AhoCorasickBuilder::Build() {
  const auto n = static_cast<uint32_t>(nodes_.size());
  AhoCorasick ac;
  ac.fail_.assign(n, 0);

  // Failure links breadth first, so a node's failure target (shallower) is
  // complete, outputs included, before the node itself.
  std::vector<uint32_t> order;
  order.reserve(n);
  order.push_back(0);
  for (size_t head = 0; head < order.size(); ++head) {
    const uint32_t u = order[head];
    for (const auto& [byte, v] : nodes_[u].children) {
      order.push_back(v);
      if (u == 0) continue;  // depth 1: fail to the root
      uint32_t f = ac.fail_[u];
      while (true) {
        const uint32_t target = Child(f, byte);
        if (target != 0) {
          ac.fail_[v] = target;
          break;
        }
        if (f == 0) break;
        f = ac.fail_[f];
      }
      const std::vector<uint32_t>& inherited = nodes_[ac.fail_[v]].outputs;
      nodes_[v].outputs.insert(nodes_[v].outputs.end(), inherited.begin(), inherited.end());
    }
  }

  // Flatten into arrays indexed by node id.
  ac.edge_begin_.resize(n + 1);
  ac.output_begin_.resize(n + 1);
  for (uint32_t s = 0; s < n; ++s) {
    auto& children = nodes_[s].children;
    std::sort(children.begin(), children.end());
    ac.edge_begin_[s] = static_cast<uint32_t>(ac.edges_.size());
    for (const auto& [byte, target] : children) ac.edges_.push_back(AhoCorasick::Edge{byte, target});
    ac.output_begin_[s] = static_cast<uint32_t>(ac.outputs_.size());
    ac.outputs_.insert(ac.outputs_.end(), nodes_[s].outputs.begin(), nodes_[s].outputs.end());
  }
  ac.edge_begin_[n] = static_cast<uint32_t>(ac.edges_.size());
  ac.output_begin_[n] = static_cast<uint32_t>(ac.outputs_.size());
  ac.root_next_.assign(256, 0);
  for (const auto& [byte, target] : nodes_[0].children) ac.root_next_[byte] = target;
  ac.pattern_length_ = std::move(pattern_length_);

  nodes_.assign(1, Node{});
  pattern_length_.clear();
  return ac;
}

}  // namespace kiln
