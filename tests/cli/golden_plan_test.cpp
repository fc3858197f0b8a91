// The launch plan of every example lab, byte for byte, against tests/golden/. A fixed host
// layout keeps the files independent of the machine that runs the test.
#include "test_support.hpp"

#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using namespace umlab;
using namespace umlab::test;

namespace {

const lab::HostLayout kFixedHost{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images",
                                 "/usr/lib/umlab/umlab-switchd"};

std::optional<lab::LaunchPlan> planOf(const std::string& relativePath) {
  SourceManager sources;
  Diagnostics diags;
  auto compiled = lab::compileFile(relativePath, sources, diags);
  if (!compiled)
    return std::nullopt;
  return lab::plan(compiled->topology, kFixedHost, diags);
}

std::vector<std::string> exampleLabs() {
  std::vector<std::string> labs;
  // The teaching labs; generated large labs are covered by the determinism test instead.
  for (const auto& e : fs::directory_iterator(sourceDir() + "/topologies"))
    if (e.path().extension() == ".yaml" && e.path().filename().string().rfind("large", 0) != 0 &&
        !e.path().filename().string().ends_with(".tests.yaml")) // tests files are not topologies
      labs.push_back("topologies/" + e.path().filename().string());
  std::sort(labs.begin(), labs.end());
  return labs;
}

} // namespace

TEST_CASE("the plan of every example lab matches its golden file", "[cli][plan][golden]") {
  const fs::path previous = fs::current_path();
  fs::current_path(sourceDir());
  const auto labs = exampleLabs();
  REQUIRE(labs.size() >= 5);
  for (const std::string& lab : labs) {
    DYNAMIC_SECTION(lab) {
      auto p = planOf(lab);
      REQUIRE(p);
      const std::string stem = fs::path(lab).stem().string();
      const fs::path golden = fs::path(sourceDir()) / "tests/golden" / stem;
      const std::string text = lab::renderPlanText(*p), json = lab::renderPlanJson(*p);
      if (updateGolden()) {
        writeFile(golden.string() + ".plan.txt", text);
        writeFile(golden.string() + ".plan.json", json);
      }
      CHECK(text == readFile(golden.string() + ".plan.txt"));
      CHECK(json == readFile(golden.string() + ".plan.json"));
    }
  }
  fs::current_path(previous);
}

TEST_CASE("planning the same lab twice gives byte-identical output", "[cli][plan]") {
  const fs::path previous = fs::current_path();
  fs::current_path(sourceDir());
  auto a = planOf("topologies/dmz.yaml");
  auto b = planOf("topologies/dmz.yaml");
  fs::current_path(previous);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(lab::renderPlanText(*a) == lab::renderPlanText(*b));
  CHECK(lab::renderPlanJson(*a) == lab::renderPlanJson(*b));
}
