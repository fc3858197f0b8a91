#pragma once
// Helpers shared by the CLI tests: run `umlab` in-process, read and (on request) rewrite
// expected files.

#include "cli.hpp"
#include "umlab/base/temp_dir.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace umlab::test {

inline std::string sourceDir() { return UMLAB_SOURCE_DIR; }

inline bool updateGolden() {
  const char* v = std::getenv("UMLAB_UPDATE_GOLDEN");
  return v && std::string(v) == "1";
}

inline std::string readFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void writeFile(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

struct CliResult {
  int status = 0;
  std::string out;
  std::string err;
};

/// Runs `umlab args...` in-process with `dir` as the working directory.
inline CliResult runUmlab(const std::vector<std::string>& args, const std::filesystem::path& dir = {}) {
  std::filesystem::path previous = std::filesystem::current_path();
  if (!dir.empty())
    std::filesystem::current_path(dir);
  std::ostringstream out, err;
  CliResult r;
  r.status = cli::run("umlab", args, out, err);
  r.out = out.str();
  r.err = err.str();
  std::filesystem::current_path(previous);
  return r;
}

using umlab::TempDir;

} // namespace umlab::test
