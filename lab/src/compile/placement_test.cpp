#include "umlab/lab/compile/placement.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace umlab::lab;

namespace {

/// A campus: `lans` routers in a ring (point-to-point links), each with a LAN of `hosts` hosts
/// on a switch segment with its router. Nodes: routers first, then each LAN's hosts.
PlacementGraph campus(uint32_t lans, uint32_t hosts) {
  PlacementGraph g;
  g.memoryMiB.assign(lans + lans * hosts, 64);
  for (uint32_t r = 0; r < lans; ++r)
    g.nets.push_back({r, (r + 1) % lans});
  for (uint32_t r = 0; r < lans; ++r) {
    std::vector<uint32_t> lan{r};
    for (uint32_t h = 0; h < hosts; ++h)
      lan.push_back(lans + r * hosts + h);
    g.nets.push_back(lan);
  }
  return g;
}

size_t mostOnOneHost(const Placement& p, uint32_t hosts) {
  std::vector<size_t> count(hosts, 0);
  for (uint32_t h : p.hostOf)
    ++count.at(h);
  return *std::max_element(count.begin(), count.end());
}

} // namespace

TEST_CASE("evaluate counts a tunnel per extra host of each segment", "[placement]") {
  PlacementGraph g;
  g.memoryMiB = {64, 64, 64, 64};
  g.nets = {{0, 1, 2, 3}, {0, 1}, {2, 3}};
  const Placement p = evaluate(g, {0, 1, 2, 2});
  CHECK(p.tunnels == 2 + 1 + 0);
  CHECK(p.cutNets == 2);
  CHECK(evaluate(g, {0, 0, 0, 0}).tunnels == 0);
}

TEST_CASE("a campus is placed LAN by LAN: few tunnels, balanced hosts, the same answer every time",
          "[placement]") {
  const PlacementGraph g = campus(8, 9); // 80 nodes
  std::string error;
  const auto p = place(g, 4, {}, error);
  REQUIRE(p);
  const Placement rr = placeRoundRobin(g, 4);
  // The ring must be cut at least twice to make 4 parts; each LAN whole on one host.
  INFO("tunnels " << p->tunnels << ", round-robin " << rr.tunnels);
  CHECK(p->tunnels <= 4);
  CHECK(rr.tunnels >= 30);
  CHECK(mostOnOneHost(*p, 4) <= 21); // share 20, slack 1
  const auto again = place(g, 4, {}, error);
  REQUIRE(again);
  CHECK(again->hostOf == p->hostOf);
  // One host: nothing crosses.
  CHECK(place(g, 1, {}, error)->tunnels == 0);
}

TEST_CASE("placement keeps within each host's guests and memory, and says when the lab cannot fit",
          "[placement]") {
  const PlacementGraph g = campus(4, 4); // 20 nodes of 64 MiB
  std::string error;
  const auto p = place(g, 3, HostCapacity{8, 0}, error);
  REQUIRE(p);
  CHECK(mostOnOneHost(*p, 3) <= 8);
  const auto byMemory = place(g, 3, HostCapacity{0, 7 * 64}, error);
  REQUIRE(byMemory);
  CHECK(mostOnOneHost(*byMemory, 3) <= 7);
  CHECK_FALSE(place(g, 2, HostCapacity{8, 0}, error));
  CHECK(error == "20 guests do not fit on 2 hosts of 8 guests each");
  CHECK_FALSE(place(g, 2, HostCapacity{0, 512}, error));
  CHECK(error == "1280 MiB of guest memory does not fit on 2 hosts of 512 MiB each");
  CHECK_FALSE(place(g, 0, {}, error));
  CHECK(error == "no hosts to place the lab on");
}
