#include "umlab/lab/yaml/loader.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab;
using namespace umlab::lab;

namespace {
std::string errorsOf(const Diagnostics& d) {
  std::ostringstream s;
  renderDiagnostics(d, s);
  return s.str();
}
} // namespace

TEST_CASE("the loader keeps 1-based locations of keys and values", "[lab][yaml]") {
  SourceManager sm;
  Diagnostics d;
  auto doc = yaml::loadText("t.yaml", "name: x\nnodes:\n  pc1: {memory: 96M}\n", sm, d);
  REQUIRE(doc);
  const yaml::Node& root = doc->root();
  REQUIRE(root.kind == yaml::NodeKind::Mapping);
  REQUIRE(root.entries.size() == 2);
  CHECK(root.entries[1].first.text == "nodes");
  CHECK(root.entries[1].first.loc.line == 2);
  CHECK(root.entries[1].first.loc.column == 1);
  const yaml::Node& nodes = doc->node(root.entries[1].second);
  const yaml::Node& pc1 = doc->node(nodes.entries[0].second);
  const yaml::Node& mem = doc->node(pc1.entries[0].second);
  CHECK(mem.scalar == "96M");
  CHECK(mem.loc.line == 3);
  CHECK(mem.loc.column == 17);
  CHECK_FALSE(mem.quoted);
}

TEST_CASE("quoted scalars and nulls are told apart", "[lab][yaml]") {
  SourceManager sm;
  Diagnostics d;
  auto doc = yaml::loadText("t.yaml", "a: 'x'\nb:\nc: ~\n", sm, d);
  REQUIRE(doc);
  CHECK(doc->node(doc->root().entries[0].second).quoted);
  CHECK(doc->node(doc->root().entries[1].second).kind == yaml::NodeKind::Null);
  CHECK(doc->node(doc->root().entries[2].second).kind == yaml::NodeKind::Null);
}

TEST_CASE("aliases share one node instead of copying it", "[lab][yaml]") {
  SourceManager sm;
  Diagnostics d;
  auto doc = yaml::loadText("t.yaml", "a: &x {k: v}\nb: *x\n", sm, d);
  REQUIRE(doc);
  CHECK(doc->root().entries[0].second == doc->root().entries[1].second);
}

TEST_CASE("a cyclic alias is refused", "[lab][yaml]") {
  SourceManager sm;
  Diagnostics d;
  auto doc = yaml::loadText("t.yaml", "a: &x [1, *x]\n", sm, d);
  CHECK_FALSE(doc);
  CHECK(errorsOf(d).find("aliases cannot form cycles") != std::string::npos);
}

TEST_CASE("depth is bounded without recursing into a deep document", "[lab][yaml]") {
  SourceManager sm;
  Diagnostics d;
  // 200 000 levels would overflow the stack of a recursive parser many times over.
  std::string text = "a: " + std::string(200000, '[') + std::string(200000, ']') + "\n";
  auto doc = yaml::loadText("deep.yaml", text, sm, d);
  CHECK_FALSE(doc);
  CHECK(errorsOf(d).rfind("deep.yaml:1:", 0) == 0);
  CHECK(errorsOf(d).find("nesting is deeper than 64 levels") != std::string::npos);
}

TEST_CASE("a byte-order mark and CRLF line ends are accepted", "[lab][yaml]") {
  SourceManager sm;
  Diagnostics d;
  auto doc = yaml::loadText("t.yaml", "\xEF\xBB\xBFname: x\r\nnodes: {}\r\n", sm, d);
  REQUIRE(doc);
  CHECK(doc->root().entries.size() == 2);
}
