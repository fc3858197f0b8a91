#pragma once
/// A YAML document as umlab reads it: a tree of null, scalar, sequence and mapping nodes, each
/// with its source location. It is our own type, so that nothing outside lab/yaml sees yaml-cpp.
///
/// Nodes live in one arena and refer to each other by index; an alias is a second reference to
/// an existing node, so `&a`/`*a` costs nothing and no traversal here recurses.

#include "umlab/base/source.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace umlab::lab::yaml {

using NodeId = uint32_t;

enum class NodeKind : uint8_t { Null, Scalar, Sequence, Mapping };

struct Key {
  std::string text;
  SourceLoc loc;
};

struct Node {
  NodeKind kind = NodeKind::Null;
  bool quoted = false;   ///< a scalar written in quotes (or with an explicit tag): always a string
  SourceLoc loc;
  std::string scalar;                              ///< Scalar only
  std::vector<NodeId> items;                       ///< Sequence only
  std::vector<std::pair<Key, NodeId>> entries;     ///< Mapping only, in file order, keys unique
};

class Document {
public:
  const Node& root() const { return nodes_[root_]; }
  const Node& node(NodeId id) const { return nodes_[id]; }
  size_t nodeCount() const { return nodes_.size(); }

  /// Builder interface, used by the loader.
  NodeId add(Node n) {
    nodes_.push_back(std::move(n));
    return static_cast<NodeId>(nodes_.size() - 1);
  }
  Node& mutableNode(NodeId id) { return nodes_[id]; }
  void setRoot(NodeId id) { root_ = id; }

private:
  std::vector<Node> nodes_;
  NodeId root_ = 0;
};

/// "a mapping", "a sequence", "a string", "null": for messages such as "expected X, got Y".
const char* describe(const Node& n);

} // namespace umlab::lab::yaml
