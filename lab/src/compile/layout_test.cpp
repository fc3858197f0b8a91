#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/layout.hpp"

#include "genlab/genlab.hpp"

#include <catch2/catch.hpp>
#include <cmath>

using namespace umlab;
using namespace umlab::lab;

namespace {

std::optional<Compiled> compile(const std::string& text, SourceManager& sm) {
  Diagnostics d;
  return compileText("t.yaml", text, sm, d);
}

std::string campus(size_t nodes) {
  bench::GenOptions o;
  o.nodeCount = nodes;
  return bench::generateLab(o);
}

double distance(const Layout& a, const Layout& b) { return std::hypot(a.x - b.x, a.y - b.y); }

/// Every drawn element: the nodes and the segments other than point-to-point links.
std::vector<Layout> drawn(const Topology& t, const LabLayout& l) {
  std::vector<Layout> all = l.nodes;
  for (SegmentIndex s = 0; s < t.segments.size(); ++s)
    if (t.segments[s].type != SegmentType::PointToPoint)
      all.push_back(l.segments[s]);
  return all;
}

} // namespace

TEST_CASE("the layout is deterministic, inside its box, keeps hints and separates items", "[lab][layout]") {
  SourceManager sm;
  auto c = compile(R"(name: l
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
)", sm);
  REQUIRE(c);
  LabLayout l1 = computeLayout(c->topology);
  LabLayout l2 = computeLayout(c->topology);
  REQUIRE(l1.nodes.size() == 4);
  REQUIRE(l1.segments.size() == 2);
  CHECK(l1.nodes[0].x == 500);
  CHECK(l1.nodes[0].y == 20);
  std::vector<Layout> all = drawn(c->topology, l1);
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].x >= 0);
    CHECK(all[i].y >= 0);
    CHECK(all[i].x <= l1.width);
    CHECK(all[i].y <= l1.height);
    for (size_t j = i + 1; j < all.size(); ++j)
      CHECK(distance(all[i], all[j]) > 10);
  }
  for (size_t i = 0; i < 4; ++i) {
    CHECK(l1.nodes[i].x == l2.nodes[i].x);
    CHECK(l1.nodes[i].y == l2.nodes[i].y);
  }
}

TEST_CASE("a generated 500-node campus is laid out the same twice, with room around every element", "[lab][layout]") {
  SourceManager sm;
  auto c = compile(campus(500), sm);
  REQUIRE(c);
  const Topology& t = c->topology;
  const LabLayout l = computeLayout(t);
  const LabLayout again = computeLayout(t);
  for (NodeIndex n = 0; n < t.nodes.size(); ++n) {
    REQUIRE(l.nodes[n].x == again.nodes[n].x);
    REQUIRE(l.nodes[n].y == again.nodes[n].y);
  }
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    REQUIRE(l.segments[s].x == again.segments[s].x);
    REQUIRE(l.segments[s].y == again.segments[s].y);
  }
  const std::vector<Layout> all = drawn(t, l);
  double closest = 1e300;
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(all[i].x >= 0);
    CHECK(all[i].y >= 0);
    CHECK(all[i].x <= l.width);
    CHECK(all[i].y <= l.height);
    for (size_t j = i + 1; j < all.size(); ++j)
      closest = std::min(closest, distance(all[i], all[j]));
  }
  // An icon is 48 px with a label about 100 px wide under it.
  CHECK(closest >= 100);
}

TEST_CASE("a star, a campus of small LANs, a grid of routers and lone nodes keep every element apart", "[lab][layout]") {
  std::vector<std::string> labs;
  bench::GenOptions star;
  star.nodeCount = 300;
  star.shape = bench::Shape::Star;
  labs.push_back(bench::generateLab(star));
  bench::GenOptions small;
  small.nodeCount = 300;
  small.hostsPerLan = 2;
  labs.push_back(bench::generateLab(small));
  std::string grid = "name: grid\nnodes:\n", links = "links:\n";
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      const std::string n = "g" + std::to_string(i) + "-" + std::to_string(j);
      grid += "  " + n + ": {}\n";
      if (i < 5)
        links += "  - {endpoints: [" + n + ":eth0, g" + std::to_string(i + 1) + "-" + std::to_string(j) + ":eth1]}\n";
      if (j < 5)
        links += "  - {endpoints: [" + n + ":eth2, g" + std::to_string(i) + "-" + std::to_string(j + 1) + ":eth3]}\n";
    }
  for (int i = 0; i < 7; ++i)
    grid += "  alone" + std::to_string(i) + ": {}\n";
  labs.push_back(grid + links);
  for (const std::string& text : labs) {
    SourceManager sm;
    auto c = compile(text, sm);
    REQUIRE(c);
    const LabLayout l = computeLayout(c->topology);
    const std::vector<Layout> all = drawn(c->topology, l);
    double closest = 1e300;
    for (size_t i = 0; i < all.size(); ++i) {
      CHECK(std::isfinite(all[i].x));
      CHECK(std::isfinite(all[i].y));
      CHECK(all[i].x >= 0);
      CHECK(all[i].y >= 0);
      CHECK(all[i].x <= l.width);
      CHECK(all[i].y <= l.height);
      for (size_t j = i + 1; j < all.size(); ++j)
        closest = std::min(closest, distance(all[i], all[j]));
    }
    INFO(c->topology.name);
    CHECK(closest >= 100);
  }
}

TEST_CASE("a leaf is nearer its own segment than any other segment", "[lab][layout]") {
  SourceManager sm;
  auto c = compile(campus(500), sm);
  REQUIRE(c);
  const Topology& t = c->topology;
  const LabLayout l = computeLayout(t);
  size_t leaves = 0;
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    if (t.segments[s].type == SegmentType::PointToPoint)
      continue;
    for (const Member& m : t.segments[s].members) {
      if (t.nodes[m.node].interfaces.size() != 1)
        continue; // a router
      ++leaves;
      const double own = distance(l.nodes[m.node], l.segments[s]);
      for (SegmentIndex o = 0; o < t.segments.size(); ++o)
        if (o != s && t.segments[o].type != SegmentType::PointToPoint) {
          INFO(t.nodes[m.node].name << " on " << t.segments[s].name << " against " << t.segments[o].name);
          CHECK(own < distance(l.nodes[m.node], l.segments[o]));
        }
    }
  }
  CHECK(leaves > 400);
}

TEST_CASE("a leaf without a hint goes round its segment's hint", "[lab][layout]") {
  SourceManager sm;
  auto c = compile(R"(name: l
nodes: {r: {}, a: {}, b: {}, c: {}}
segments: {lan: {layout: {x: 2000, y: 1500}}, wan: {}}
links:
  - {endpoints: [r:eth0, lan]}
  - {endpoints: [r:eth1, wan]}
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [b:eth0, lan]}
  - {endpoints: [c:eth0, wan]}
)", sm);
  REQUIRE(c);
  const LabLayout l = computeLayout(c->topology);
  CHECK(l.segments[0].x == 2000);
  CHECK(l.segments[0].y == 1500);
  for (NodeIndex n : {1u, 2u}) {
    CHECK(distance(l.nodes[n], l.segments[0]) >= 100);
    CHECK(distance(l.nodes[n], l.segments[0]) < 500);
  }
  CHECK(l.width >= 2000);
  CHECK(l.height >= 1500);
}

TEST_CASE("point-to-point links, a lone node and separate parts are laid out apart", "[lab][layout]") {
  SourceManager sm;
  auto c = compile(R"(name: l
nodes: {fw: {}, web: {}, pc: {}, alone: {}, x: {}, y: {}}
segments: {lan: {}}
links:
  - {endpoints: [fw:eth0, lan]}
  - {endpoints: [pc:eth0, lan]}
  - {endpoints: [fw:eth1, web:eth0]}
  - {endpoints: [x:eth0, y:eth0]}
)", sm);
  REQUIRE(c);
  const Topology& t = c->topology;
  const LabLayout l = computeLayout(t);
  const std::vector<Layout> all = drawn(t, l);
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j)
      CHECK(distance(all[i], all[j]) >= 100);
  // 'web' hangs off 'fw' alone, so it is drawn next to it: nearer than to anything else.
  for (size_t i = 0; i < all.size(); ++i)
    if (i != 0 && i != 1)
      CHECK(distance(l.nodes[1], l.nodes[0]) < distance(l.nodes[1], all[i]));
  // A point-to-point link's segment is not drawn: it sits half way between its ends.
  for (SegmentIndex s = 0; s < t.segments.size(); ++s)
    if (t.segments[s].type == SegmentType::PointToPoint) {
      const Layout& a = l.nodes[t.segments[s].members[0].node];
      const Layout& b = l.nodes[t.segments[s].members[1].node];
      CHECK(std::abs(l.segments[s].x - (a.x + b.x) / 2) <= 1);
      CHECK(std::abs(l.segments[s].y - (a.y + b.y) / 2) <= 1);
    }
}

TEST_CASE("an empty lab and a lone node get a small picture", "[lab][layout]") {
  Topology empty;
  const LabLayout none = computeLayout(empty);
  CHECK(none.nodes.empty());
  CHECK(none.width == 0);
  Topology one;
  one.nodes.push_back(Node{});
  const LabLayout l = computeLayout(one);
  CHECK(l.nodes[0].x == 60);
  CHECK(l.nodes[0].y == 60);
  CHECK(l.width == 120);
  CHECK(l.height == 120);
}
