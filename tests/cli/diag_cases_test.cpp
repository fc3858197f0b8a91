// Every bad input of the compiler, one directory per case, with the exact text the user sees.
#include "test_support.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

namespace fs = std::filesystem;
using namespace umlab::test;

namespace {

std::vector<std::string> splitWords(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  for (std::string w; in >> w;)
    words.push_back(w);
  return words;
}

std::vector<fs::path> caseDirs() {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(sourceDir() + "/tests/data/diag"))
    if (e.is_directory())
      dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

} // namespace

TEST_CASE("every diagnostic case prints exactly its expected text", "[cli][diag]") {
  const auto dirs = caseDirs();
  REQUIRE(dirs.size() >= 30);
  for (const fs::path& dir : dirs) {
    DYNAMIC_SECTION(dir.filename().string()) {
      std::string cmd = fs::exists(dir / "cmd") ? readFile(dir / "cmd") : "validate lab.yaml";
      CliResult r = runUmlab(splitWords(cmd), dir);
      // Diagnostics come before the summary on a terminal, so stderr is listed first.
      std::string actual = "exit " + std::to_string(r.status) + "\n" + r.err + r.out;
      if (updateGolden())
        writeFile(dir / "expected.txt", actual);
      REQUIRE(fs::exists(dir / "expected.txt"));
      CHECK(actual == readFile(dir / "expected.txt"));
    }
  }
}
