// Integration test `image.build`: builds the real base image with `umlab image build` in the real
// cache ($UMLAB_CACHE_DIR, else ~/.cache/umlab), so that CI builds it once and the guest tests
// that follow reuse it (the fixture `umlab_image`). Needs root, debootstrap, e2fsprogs,
// user-mode-linux and the Debian mirror; the first run takes minutes, later ones find the cache.
#include "image_command.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/kernel/boot_shim.hpp"
#include "umlab/kernel/image_recipe.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <sys/stat.h>

using namespace umlab;
namespace fs = std::filesystem;

namespace {

/// debugfs's answer to `request` on `image`, without its version banner.
std::string debugfs(const std::string& image, const std::string& request) {
  std::string text;
  CommandResult r = runCommand({{"debugfs", "-R", request, image}}, CommandObserver{[&text](std::string_view line) {
                                  if (line.rfind("debugfs ", 0) != 0)
                                    text += std::string(line) + "\n";
                                }});
  REQUIRE(r.isSuccess());
  return text;
}

} // namespace

TEST_CASE("umlab image build makes a bootable base image once and then finds it cached", "[image][integration]") {
  std::string error;
  auto version = kernel::findUmlKernelVersion(kernel::kUmlModulesRoot, &error);
  REQUIRE(version);
  const kernel::ImageRecipe recipe = kernel::defaultImageRecipe(kernel::kDefaultImageName, *version);
  const fs::path images = lab::hostLayoutFromEnvironment("umlab").imageDir;

  // The first build streams its progress to the test's output, as a user would see it.
  std::ostringstream err;
  const int status = cli::runImageCommand({"build"}, std::cout, err);
  INFO(err.str());
  REQUIRE(status == 0);

  // HostLayout's path finds it through the link.
  const fs::path image = images / "debian" / "rootfs.img";
  REQUIRE(fs::is_regular_file(image));
  CHECK(fs::read_symlink(images / "debian") == kernel::imageDirName(recipe));
  struct stat st {};
  REQUIRE(::stat(image.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0444);
  CHECK(st.st_size == 1LL << 30);
  CHECK(static_cast<uint64_t>(st.st_blocks) * 512 < static_cast<uint64_t>(st.st_size)); // sparse
  CHECK(fs::is_regular_file(images / "debian" / "recipe.txt"));
  CHECK_FALSE(fs::exists(images / (".build-" + kernel::imageDirName(recipe))));

  // debugfs's ls wants a directory, and /sbin is a symlink to usr/sbin (merged /usr), so list
  // that; stat and cat follow the link.
  const std::string sbin = debugfs(image.string(), "ls -l /usr/sbin");
  const size_t entry = sbin.find(" umlab-boot\n");
  REQUIRE(entry != std::string::npos);
  CHECK(sbin.substr(sbin.rfind('\n', entry) + 1, entry - sbin.rfind('\n', entry)).find(" 100755 ") != std::string::npos);
  CHECK(debugfs(image.string(), "stat /sbin/umlab-boot").find("Type: regular    Mode:  0755") != std::string::npos);
  CHECK(debugfs(image.string(), "cat /sbin/umlab-boot") == std::string(kernel::kBootShim));
  CHECK(debugfs(image.string(), "stat /lib/modules/" + *version + "/modules.dep").find("Type: regular") !=
        std::string::npos);
  CHECK(debugfs(image.string(), "stat /etc/alternatives/iptables").find("/usr/sbin/iptables-legacy") !=
        std::string::npos);
  CHECK(debugfs(image.string(), "stat /etc/alternatives/ip6tables").find("/usr/sbin/ip6tables-legacy") !=
        std::string::npos);
  CHECK(debugfs(image.string(), "cat /etc/motd").find("umlab guest") != std::string::npos);

  // The second build is the cache.
  std::ostringstream out2, err2;
  const auto start = std::chrono::steady_clock::now();
  CHECK(cli::runImageCommand({"build"}, out2, err2) == 0);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  CHECK(out2.str().rfind("image 'debian' is up to date (recipe " + kernel::recipeHash(recipe) + ")", 0) == 0);
  CHECK(err2.str().empty());

  std::ostringstream ls, lsErr;
  CHECK(cli::runImageCommand({"ls"}, ls, lsErr) == 0);
  // Columns widen with the longest name (the built-in recipes are all listed).
  const size_t row = ls.str().find("\ndebian ");
  REQUIRE(row != std::string::npos);
  const std::string line = ls.str().substr(row + 1, ls.str().find('\n', row + 1) - row - 1);
  CHECK(line.find(" " + kernel::recipeHash(recipe) + "  yes ") != std::string::npos);
  CHECK(line.find(" built in") != std::string::npos);
}
