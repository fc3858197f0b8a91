#include "umlab/base/file_io.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <dirent.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using namespace umlab;

namespace {

/// A fresh directory under TMPDIR, removed with what it holds.
struct ScratchDir {
  std::string path;
  ScratchDir() {
    const char* t = std::getenv("TMPDIR");
    std::string templ = std::string(t && *t ? t : "/tmp") + "/umlab-file-io-XXXXXX";
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path = templ;
  }
  ~ScratchDir() {
    if (DIR* d = ::opendir(path.c_str())) {
      while (const dirent* e = ::readdir(d))
        if (std::string(e->d_name) != "." && std::string(e->d_name) != "..")
          ::unlink((path + "/" + e->d_name).c_str());
      ::closedir(d);
    }
    ::rmdir(path.c_str());
  }
  int entries() const {
    int n = 0;
    if (DIR* d = ::opendir(path.c_str())) {
      while (const dirent* e = ::readdir(d))
        n += std::string(e->d_name) != "." && std::string(e->d_name) != "..";
      ::closedir(d);
    }
    return n;
  }
};

} // namespace

TEST_CASE("a file written atomically reads back whole, with nothing beside it", "[base][file_io]") {
  ScratchDir dir;
  const std::string file = dir.path + "/state.json";
  writeFileAtomically(file, "first\n");
  writeFileAtomically(file, std::string("second\0binary", 13));
  CHECK(readWholeFile(file) == std::string("second\0binary", 13));
  CHECK(readFileOrEmpty(file) == std::string("second\0binary", 13));
  CHECK(dir.entries() == 1); // no temporary left behind
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("a missing file and an empty one differ for readWholeFile only", "[base][file_io]") {
  ScratchDir dir;
  const std::string empty = dir.path + "/empty";
  writeFileAtomically(empty, "");
  CHECK(readWholeFile(empty) == std::string());
  CHECK_FALSE(readWholeFile(dir.path + "/absent").has_value());
  CHECK(readFileOrEmpty(dir.path + "/absent").empty());
}

TEST_CASE("writing into a directory that does not exist names the path", "[base][file_io]") {
  ScratchDir dir;
  const std::string file = dir.path + "/no/such/dir/file";
  try {
    writeFileAtomically(file, "x");
    FAIL("no error");
  } catch (const std::system_error& e) {
    CHECK(std::string(e.what()).find(dir.path + "/no/such/dir") != std::string::npos);
  }
}
