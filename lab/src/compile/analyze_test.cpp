#include "umlab/lab/compile/compile.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab;
using namespace umlab::lab;

namespace {
std::optional<Compiled> compileOk(const std::string& text, std::string& diagnostics) {
  SourceManager sm;
  Diagnostics d;
  auto c = compileText("t.yaml", text, sm, d);
  std::ostringstream s;
  renderDiagnostics(d, s);
  diagnostics = s.str();
  return c;
}
} // namespace

TEST_CASE("a ring of trunked switches is one loop, named in order", "[lab][analyze]") {
  std::string diags;
  auto c = compileOk(R"(name: ring
nodes: {a: {}, b: {}}
segments: {s1: {}, s2: {}, s3: {}, s4: {}}
links:
  - {endpoints: [a:eth0, s1]}
  - {endpoints: [b:eth0, s4]}
  - {endpoints: [s1, s2]}
  - {endpoints: [s2, s3]}
  - {endpoints: [s3, s1]}
  - {endpoints: [s3, s4]}
)", diags);
  REQUIRE(c);
  REQUIRE(c->analysis.loops.size() == 1);
  CHECK(c->analysis.loops[0] == std::vector<std::string>{"s1", "s2", "s3", "s1"});
  CHECK(diags.find("switch segments form a loop: s1 -> s2 -> s3 -> s1") != std::string::npos);
  CHECK(c->analysis.components == 1);
}

TEST_CASE("two parallel trunks are a loop, a tree of trunks is not", "[lab][analyze]") {
  std::string diags;
  auto tree = compileOk(R"(name: tree
nodes: {a: {}, b: {}, c: {}}
segments: {s1: {}, s2: {}, s3: {}}
links:
  - {endpoints: [a:eth0, s1]}
  - {endpoints: [b:eth0, s2]}
  - {endpoints: [c:eth0, s3]}
  - {endpoints: [s1, s2]}
  - {endpoints: [s1, s3]}
)", diags);
  REQUIRE(tree);
  CHECK(tree->analysis.loops.empty());
  CHECK(diags.empty());
  auto parallel = compileOk(R"(name: par
nodes: {a: {}, b: {}}
segments: {s1: {}, s2: {}}
links:
  - {endpoints: [a:eth0, s1]}
  - {endpoints: [b:eth0, s2]}
  - {endpoints: [s1, s2]}
  - {endpoints: [s2, s1]}
)", diags);
  REQUIRE(parallel);
  REQUIRE(parallel->analysis.loops.size() == 1);
  CHECK(parallel->analysis.loops[0].size() == 3);
}

TEST_CASE("islands are counted", "[lab][analyze]") {
  std::string diags;
  auto c = compileOk(R"(name: islands
nodes: {a: {}, b: {}, c: {}, d: {}}
links:
  - {endpoints: [a:eth0, b:eth0]}
  - {endpoints: [c:eth0, d:eth0]}
)", diags);
  REQUIRE(c);
  CHECK(c->analysis.components == 2);
}
