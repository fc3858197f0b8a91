#include "umlab/base/file_io.hpp"
#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <iterator>
#include <string>
#include <sys/stat.h>

using namespace umlab;

namespace {

/// The entries of `dir` (no "." or "..").
int entriesIn(const std::filesystem::path& dir) {
  return int(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()));
}

} // namespace

TEST_CASE("a file written atomically reads back whole, with nothing beside it", "[base][file_io]") {
  TempDir dir("umlab-file-io");
  const std::string file = dir.file("state.json");
  writeFileAtomically(file, "first\n");
  writeFileAtomically(file, std::string("second\0binary", 13));
  CHECK(readWholeFile(file) == std::string("second\0binary", 13));
  CHECK(readFileOrEmpty(file) == std::string("second\0binary", 13));
  CHECK(entriesIn(dir.path()) == 1); // no temporary left behind
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a missing file and an empty one differ for readWholeFile only", "[base][file_io]") {
  TempDir dir("umlab-file-io");
  const std::string empty = dir.file("empty");
  writeFileAtomically(empty, "");
  CHECK(readWholeFile(empty) == std::string());
  CHECK_FALSE(readWholeFile(dir.file("absent")).has_value());
  CHECK(readFileOrEmpty(dir.file("absent")).empty());
}

TEST_CASE("writing into a directory that does not exist names the path", "[base][file_io]") {
  TempDir dir("umlab-file-io");
  const std::string file = dir.file("no/such/dir/file");
  try {
    writeFileAtomically(file, "x");
    FAIL("no error");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find(dir.file("no/such/dir")) != std::string::npos);
  }
}
