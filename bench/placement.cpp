// bench_placement: how well `place` (lab/compile/placement.hpp) keeps a lab's segments on one
// host, against round-robin placement, and how long it takes: generated campus labs (routers in a
// ring, a LAN of hosts each) of 100, 1 000 and 10 000 nodes on 2 to 16 hosts. Pure computation;
// run by hand:
//
//   build/bin/bench_placement [--sizes 100,1000,10000] [--hosts 2,4,8,16]
//
// Figures: tunnels (the sum over segments of the hosts it touches minus one: the VXLAN tunnels
// the lab needs), segments cut, the most guests on one host, and the placement's time (median of
// 5 runs; compiling the lab is not included).
#include "genlab/genlab.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/placement.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::vector<size_t> numbers(const char* text) {
  std::vector<size_t> out;
  std::stringstream s(text);
  for (std::string n; std::getline(s, n, ',');)
    out.push_back(std::stoul(n));
  return out;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes{100, 1000, 10000}, hostCounts{2, 4, 8, 16};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << "usage: bench_placement [--sizes 100,1000,10000] [--hosts 2,4,8,16]\n"
                   "Places generated campus labs on N hosts (umlab's placement and round-robin) and reports the\n"
                   "VXLAN tunnels each needs, the segments cut, the largest host and the placement's time.\n";
      return 0;
    }
    if (a == "--sizes" && i + 1 < argc)
      sizes = numbers(argv[++i]);
    else if (a == "--hosts" && i + 1 < argc)
      hostCounts = numbers(argv[++i]);
    else {
      std::cerr << "bench_placement: unknown argument '" << a << "'; see --help\n";
      return 2;
    }
  }
  std::printf("%7s %6s %9s %6s %10s %9s %6s %10s %8s %10s\n", "nodes", "hosts", "tunnels", "cut", "largest",
              "rr tunnels", "rr cut", "ratio", "ms", "segments");
  for (size_t n : sizes) {
    umlab::bench::GenOptions o;
    o.nodeCount = n;
    o.shape = umlab::bench::Shape::Campus;
    umlab::SourceManager sources;
    umlab::Diagnostics diags;
    auto compiled = umlab::lab::compileText("bench.yaml", umlab::bench::generateLab(o), sources, diags);
    if (!compiled) {
      std::cerr << "bench_placement: the generated lab of " << n << " nodes does not compile\n";
      return 1;
    }
    const umlab::lab::PlacementGraph g = umlab::lab::placementGraphOf(compiled->topology);
    for (size_t h : hostCounts) {
      std::vector<double> ms;
      std::optional<umlab::lab::Placement> p;
      std::string error;
      for (int run = 0; run < 5; ++run) {
        const auto t0 = std::chrono::steady_clock::now();
        p = umlab::lab::place(g, static_cast<uint32_t>(h), {}, error);
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
      if (!p) {
        std::cerr << "bench_placement: " << error << "\n";
        return 1;
      }
      std::sort(ms.begin(), ms.end());
      std::vector<size_t> on(h, 0);
      for (uint32_t host : p->hostOf)
        ++on[host];
      const umlab::lab::Placement rr = umlab::lab::placeRoundRobin(g, static_cast<uint32_t>(h));
      std::printf("%7zu %6zu %9zu %6zu %10zu %9zu %6zu %9.3fx %8.2f %10zu\n", n, h, p->tunnels, p->cutNets,
                  *std::max_element(on.begin(), on.end()), rr.tunnels, rr.cutNets,
                  rr.tunnels ? static_cast<double>(p->tunnels) / static_cast<double>(rr.tunnels) : 0.0, ms[2],
                  g.nets.size());
    }
  }
  return 0;
}
