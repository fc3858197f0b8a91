#include "umlab/lab/runtime/sparse_copy.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace umlab::lab::runtime;

namespace {
std::string readAt(const std::string& path, off_t at, size_t n) {
  std::string s(n, '\0');
  const int fd = ::open(path.c_str(), O_RDONLY);
  REQUIRE(fd >= 0);
  REQUIRE(::pread(fd, s.data(), n, at) == static_cast<ssize_t>(n));
  ::close(fd);
  return s;
}
} // namespace

TEST_CASE("a sparse file is copied with its data and its holes, without allocating the holes", "[runtime][save]") {
  umlab::TempDir dir("sparse");
  const std::string from = dir.file("a.cow"), to = dir.file("b.cow");
  const off_t size = off_t(1) << 30; // 1 GiB apparent, like a COW file
  {
    const int fd = ::open(from.c_str(), O_WRONLY | O_CREAT, 0600);
    REQUIRE(fd >= 0);
    REQUIRE(::pwrite(fd, "header", 6, 0) == 6);
    REQUIRE(::pwrite(fd, "middle", 6, size / 2) == 6);
    REQUIRE(::pwrite(fd, "end", 3, size - 3) == 3);
    ::close(fd);
  }
  copySparseFile(from, to, 0640);
  struct stat st {};
  REQUIRE(::stat(to.c_str(), &st) == 0);
  CHECK(st.st_size == size);
  CHECK((st.st_mode & 0777) == 0640);
  CHECK(readAt(to, 0, 6) == "header");
  CHECK(readAt(to, size / 2, 6) == "middle");
  CHECK(readAt(to, size - 3, 3) == "end");
  CHECK(readAt(to, 4096 * 10, 4) == std::string(4, '\0'));
  CHECK(allocatedSize(to) < 1024 * 1024); // three blocks' worth, not a gigabyte
  CHECK(allocatedTreeSize(dir.path().string()) < 2 * 1024 * 1024);
}

TEST_CASE("a sparse copy refuses to overwrite, and a missing source names itself", "[runtime][save]") {
  umlab::TempDir dir("sparse");
  std::ofstream(dir.file("a")) << "x";
  std::ofstream(dir.file("b")) << "y";
  CHECK_THROWS_WITH(copySparseFile(dir.file("a"), dir.file("b")), Catch::Contains("create " + dir.file("b")));
  CHECK_THROWS_WITH(copySparseFile(dir.file("none"), dir.file("c")), Catch::Contains("open " + dir.file("none")));
  CHECK_FALSE(std::ifstream(dir.file("c")).good());
}
