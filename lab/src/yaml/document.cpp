#include "umlab/lab/yaml/document.hpp"

namespace umlab::lab::yaml {

const char* describe(const Node& n) {
  switch (n.kind) {
  case NodeKind::Null: return "nothing (null)";
  case NodeKind::Scalar: return "a string";
  case NodeKind::Sequence: return "a list";
  case NodeKind::Mapping: return "a mapping";
  }
  return "a value";
}

} // namespace umlab::lab::yaml
