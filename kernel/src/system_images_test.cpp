#include "umlab/kernel/system_images.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

void addBuild(const fs::path& images, const std::string& dirName) {
  fs::create_directories(images / dirName);
  std::ofstream(images / dirName / "rootfs.img") << "ext4";
  std::ofstream(images / dirName / "recipe.txt") << "name x\n";
}

} // namespace

TEST_CASE("an image is found in the first directory that holds its build", "[kernel][image]") {
  TempDir tmp("umlab-sysimg");
  const fs::path own = tmp.path() / "own", shared = tmp.path() / "shared";
  addBuild(shared, "debian-1111111111111111");
  fs::create_directory_symlink("debian-1111111111111111", shared / "debian");
  CHECK(findImageBuild({own.string(), shared.string()}, "debian") == shared.string());
  CHECK(findImageBuild({own.string(), shared.string()}, "debian-1111111111111111") == shared.string());
  addBuild(own, "debian-2222222222222222");
  fs::create_directory_symlink("debian-2222222222222222", own / "debian");
  CHECK(findImageBuild({own.string(), shared.string()}, "debian") == own.string());
  CHECK(findImageBuild({own.string(), shared.string()}, "debian-1111111111111111") == shared.string());
  CHECK(findImageBuild({own.string(), shared.string()}, "web") == "");
  CHECK(findImageBuild({"", own.string()}, "debian") == own.string());
}

TEST_CASE("a shared build is readable by every user whatever the umask", "[kernel][image]") {
  TempDir tmp("umlab-sysimg");
  const fs::path images = tmp.path() / "var/lib/umlab/images";
  const mode_t old = ::umask(077);
  const std::string prepared = prepareSharedImagesDir(images.string());
  addBuild(images, "debian-1111111111111111");
  fs::create_directory_symlink("debian-1111111111111111", images / "debian");
  const std::string shared = shareImageBuild(images.string(), "debian-1111111111111111");
  ::umask(old);
  CHECK(prepared == "");
  CHECK(shared == "");
  CHECK(modeOf(tmp.path() / "var") == 0755);
  CHECK(modeOf(tmp.path() / "var/lib/umlab") == 0755);
  CHECK(modeOf(images) == 0755);
  CHECK(modeOf(images / "debian-1111111111111111") == 0755);
  CHECK(modeOf(images / "debian-1111111111111111/rootfs.img") == 0444);
  CHECK(modeOf(images / "debian-1111111111111111/recipe.txt") == 0644);
  CHECK(shareImageBuild(images.string(), "missing-0000000000000000").rfind("chmod ", 0) == 0);
}
