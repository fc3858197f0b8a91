#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/layout.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace umlab;
using namespace umlab::lab;

TEST_CASE("the layout is deterministic, inside its box, keeps hints and separates items", "[lab][layout]") {
  SourceManager sm;
  Diagnostics d;
  auto c = compileText("t.yaml", R"(name: l
nodes:
  a: {layout: {x: 500, y: 20}}
  b: {}
  c: {}
  d: {}
segments: {lan: {}, wan: {}}
links:
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [b:eth0, lan]}
  - {endpoints: [c:eth0, wan]}
  - {endpoints: [d:eth0, wan]}
  - {endpoints: [a:eth1, wan]}
)", sm, d);
  REQUIRE(c);
  LabLayout l1 = computeLayout(c->topology);
  LabLayout l2 = computeLayout(c->topology);
  REQUIRE(l1.nodes.size() == 4);
  REQUIRE(l1.segments.size() == 2);
  CHECK(l1.nodes[0].x == 500);
  CHECK(l1.nodes[0].y == 20);
  std::vector<Layout> all = l1.nodes;
  all.insert(all.end(), l1.segments.begin(), l1.segments.end());
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].x >= 0);
    CHECK(all[i].y >= 0);
    CHECK(all[i].x <= l1.width);
    CHECK(all[i].y <= l1.height);
    for (size_t j = i + 1; j < all.size(); ++j)
      CHECK(std::hypot(all[i].x - all[j].x, all[i].y - all[j].y) > 10);
  }
  for (size_t i = 0; i < 4; ++i) {
    CHECK(l1.nodes[i].x == l2.nodes[i].x);
    CHECK(l1.nodes[i].y == l2.nodes[i].y);
  }
}
