// `umlab image` without building anything: help, usage errors, `ls`, and the cache hit.
#include "image_command.hpp"

#include "umlab/kernel/image_recipe.hpp"
#include "umlab/kernel/image_store.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <sys/stat.h>
#include <utime.h>

using namespace umlab;
namespace fs = std::filesystem;

namespace {

struct Run {
  int status;
  std::string out, err;
};

Run image(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  int status = cli::runImageCommand(args, out, err);
  return {status, out.str(), err.str()};
}

/// Points the image cache at a fresh directory for the test's lifetime.
class TempCache {
public:
  TempCache() {
    std::string p = (fs::temp_directory_path() / "umlab-imagecli-XXXXXX").string();
    path_ = ::mkdtemp(p.data());
    if (const char* old = std::getenv("UMLAB_CACHE_DIR"))
      saved_ = old;
    if (const char* old = std::getenv("UMLAB_SYSTEM_IMAGES"))
      savedSystem_ = old;
    ::setenv("UMLAB_CACHE_DIR", path_.c_str(), 1);
    ::setenv("UMLAB_SYSTEM_IMAGES", system().c_str(), 1);
  }
  ~TempCache() {
    if (saved_)
      ::setenv("UMLAB_CACHE_DIR", saved_->c_str(), 1);
    else
      ::unsetenv("UMLAB_CACHE_DIR");
    if (savedSystem_)
      ::setenv("UMLAB_SYSTEM_IMAGES", savedSystem_->c_str(), 1);
    else
      ::unsetenv("UMLAB_SYSTEM_IMAGES");
    fs::remove_all(path_);
  }
  fs::path images() const { return path_ / "images"; }
  /// The system's image directory (kernel/system_images.hpp), empty until a test fills it.
  fs::path system() const { return path_ / "system/images"; }

  /// A finished build's directory: a sparse 1 MiB image with 8 KiB written, and its recipe.
  void addImage(const std::string& dirName, const std::string& name, const std::string& hash, time_t mtime) const {
    addImageIn(images(), dirName, name, hash, mtime);
  }
  void addSystemImage(const std::string& dirName, const std::string& name, const std::string& hash) const {
    addImageIn(system(), dirName, name, hash, 1700000000);
  }

private:
  static void addImageIn(const fs::path& dir, const std::string& dirName, const std::string& name,
                         const std::string& hash, time_t mtime) {
    fs::create_directories(dir / dirName);
    const fs::path img = dir / dirName / "rootfs.img";
    {
      std::ofstream f(img, std::ios::binary);
      f << std::string(8192, 'x');
    }
    fs::resize_file(img, 1 << 20);
    std::ofstream(dir / dirName / "recipe.txt") << "name " << name << "\nhash " << hash << "\n";
    struct utimbuf times {mtime, mtime};
    ::utime(img.c_str(), &times);
  }

  fs::path path_;
  std::optional<std::string> saved_, savedSystem_;
};

mode_t modeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::optional<kernel::ImageRecipe> installedRecipe() {
  std::string error;
  auto version = kernel::findUmlKernelVersion(kernel::kUmlModulesRoot, &error);
  return version ? std::optional(kernel::defaultImageRecipe("debian", *version)) : std::nullopt;
}

} // namespace

TEST_CASE("image --help shows the image help", "[cli][image]") {
  for (auto args : {std::vector<std::string>{"--help"}, {"-h"}, {"help"}, {"build", "--help"}, {"ls", "-h"}}) {
    Run r = image(args);
    CHECK(r.status == 0);
    CHECK(r.out == cli::kImageHelp);
    CHECK(r.err.empty());
  }
}

TEST_CASE("image usage errors exit 2 with one line", "[cli][image]") {
  Run r = image({});
  CHECK(r.status == 2);
  CHECK(r.err == "umlab: error: image needs a command: 'umlab image build', 'ls', 'rm' or 'prune'\n");
  r = image({"biuld"});
  CHECK(r.status == 2);
  CHECK(r.err == "umlab: error: unknown image command 'biuld'; did you mean 'build'?\n");
  r = image({"frobnicate"});
  CHECK(r.err == "umlab: error: unknown image command 'frobnicate'; the commands are 'build', 'ls', 'rm' and 'prune'\n");
  r = image({"build", "--name", "Lab/1"});
  CHECK(r.status == 2);
  CHECK(r.err == "umlab: error: invalid image name 'Lab/1'; use lowercase letters, digits, '.', '_' and '-', "
                 "starting with a letter or digit\n");
  r = image({"build", "lab1"});
  CHECK(r.status == 2);
  CHECK(r.err == "umlab: error: 'lab1' is not a topology file; did you mean '--name lab1'?\n");
  CHECK(image({"build", "--forse"}).status == 2);
  CHECK(image({"rm"}).status == 2);
  CHECK(image({"prune", "extra"}).status == 2);
}

TEST_CASE("image ls lists the built-in recipes, whether each is built, and orphan builds", "[cli][image]") {
  TempCache cache;
  auto recipe = installedRecipe();
  const std::string hash = recipe ? kernel::recipeHash(*recipe) : "1111111111111111";
  cache.addImage("debian-" + hash, "debian", hash, 1700000000);
  cache.addImage("debian-0000000000000000", "debian", "0000000000000000", 1600000000);
  fs::create_directories(cache.images() / ".build-debian-2222222222222222/root"); // a build in progress
  fs::create_directory_symlink("debian-" + hash, cache.images() / "debian");
  Run r = image({"ls"});
  CHECK(r.status == 0);
  std::vector<std::string> lines;
  std::istringstream in(r.out);
  for (std::string l; std::getline(in, l);)
    lines.push_back(l);
  REQUIRE(lines.size() == 10);
  CHECK(lines[0].rfind("NAME          FROM          HASH              BUILT  ON DISK  APPARENT  DEFINED IN", 0) == 0);
  const std::string disk = kernel::formatSize(kernel::listBuiltImages(cache.images().string())[0].diskSize);
  const std::string pad(7 - disk.size(), ' ');
  if (recipe)
    CHECK(lines[1] == "debian        -             " + hash + "  yes    " + disk + pad + "  1.0M      built in");
  CHECK(lines[3].rfind("kathara-base  debian        ", 0) == 0);
  CHECK(lines[3].find("  no     -        -         built in") != std::string::npos);
  CHECK(lines[7] == "BUILD                    ON DISK  APPARENT  RECORDED USERS");
  CHECK(lines[8] == "debian-0000000000000000  " + disk + pad + "  1.0M      -");
  CHECK(lines[9] == "4 recipes, 2 builds (" + kernel::formatSize(2 * kernel::listBuiltImages(cache.images().string())[0].diskSize) +
                        " on disk) in '" + cache.images().string() + "'");
}

TEST_CASE("image rm removes every build of a name and its link, prune every build no recipe names",
          "[cli][image]") {
  TempCache cache;
  auto recipe = installedRecipe();
  if (!recipe)
    return; // prune needs the kernel's version to know the built-in hashes
  const std::string hash = kernel::recipeHash(*recipe);
  cache.addImage("debian-" + hash, "debian", hash, 1700000000);
  cache.addImage("debian-0000000000000000", "debian", "0000000000000000", 1600000000);
  cache.addImage("web-1111111111111111", "web", "1111111111111111", 1600000000);
  fs::create_directory_symlink("web-1111111111111111", cache.images() / "web");
  const uint64_t diskSize = kernel::listBuiltImages(cache.images().string())[0].diskSize; // each the same
  const std::string one = kernel::formatSize(diskSize), two = kernel::formatSize(2 * diskSize);
  Run dry = image({"prune", "--dry-run"});
  CHECK(dry.status == 0);
  CHECK(dry.out == "would remove debian-0000000000000000 (" + one + ")\nwould remove web-1111111111111111 (" + one +
                       ")\nwould free " + two + "\n");
  CHECK(fs::exists(cache.images() / "web-1111111111111111"));
  Run rm = image({"rm", "web"});
  CHECK(rm.status == 0);
  CHECK(rm.out == "removed web-1111111111111111 (" + one + ")\nfreed " + one + "\n");
  CHECK_FALSE(fs::exists(cache.images() / "web-1111111111111111"));
  CHECK_FALSE(fs::exists(fs::symlink_status(cache.images() / "web")));
  Run missing = image({"rm", "wbe"});
  CHECK(missing.status == 1);
  CHECK(missing.err == "umlab: error: no build of image 'wbe' in '" + cache.images().string() +
                           "'\n");
  Run prune = image({"prune"});
  CHECK(prune.status == 0);
  CHECK(prune.out == "removed debian-0000000000000000 (" + one + ")\nfreed " + one + "\n");
  CHECK(fs::exists(cache.images() / ("debian-" + hash)));
  CHECK(image({"prune"}).out.rfind("nothing to prune", 0) == 0);
}

TEST_CASE("image build returns at once when the recipe's image is cached", "[cli][image]") {
  TempCache cache;
  auto recipe = installedRecipe();
  if (!recipe) {
    Run r = image({"build"});
    CHECK(r.status == 1);
    CHECK(r.err == "umlab: error: user-mode-linux is not installed; apt-get install user-mode-linux\n");
    return;
  }
  const std::string dir = kernel::imageDirName(*recipe);
  cache.addImage(dir, "debian", kernel::recipeHash(*recipe), 1700000000);
  Run r = image({"build"});
  CHECK(r.status == 0);
  CHECK(r.out == "image 'debian' is up to date (recipe " + kernel::recipeHash(*recipe) + "): " +
                     (cache.images() / dir / "rootfs.img").string() + "; '" + (cache.images() / "debian").string() +
                     "' now points at it; use --force to rebuild it\n");
  CHECK(fs::read_symlink(cache.images() / "debian") == dir);
  CHECK(image({"build"}).out.find("now points") == std::string::npos);
}

TEST_CASE("image ls marks the builds of the system's directory", "[cli][image][system]") {
  TempCache cache;
  auto recipe = installedRecipe();
  const std::string hash = recipe ? kernel::recipeHash(*recipe) : "1111111111111111";
  cache.addSystemImage("debian-" + hash, "debian", hash);
  cache.addSystemImage("web-3333333333333333", "web", "3333333333333333");
  Run r = image({"ls"});
  CHECK(r.status == 0);
  if (recipe)
    CHECK(r.out.find("debian        -             " + hash + "  system ") != std::string::npos);
  CHECK(r.out.find("\nweb-3333333333333333 (system)  ") != std::string::npos);
  CHECK(r.out.find("4 recipes, 0 builds (0B on disk) in '" + cache.images().string() + "'\n2 builds (") !=
        std::string::npos);
  CHECK(r.out.find(" on disk) shared read-only by the system in '" + cache.system().string() + "'\n") !=
        std::string::npos);
}

TEST_CASE("image build finds a build in the system's directory, --system fills it readable by all",
          "[cli][image][system]") {
  TempCache cache;
  auto recipe = installedRecipe();
  if (!recipe)
    return; // the recipe's hash needs the kernel's version
  const std::string dir = kernel::imageDirName(*recipe), hash = kernel::recipeHash(*recipe);
  cache.addSystemImage(dir, "debian", hash);
  Run r = image({"build"});
  CHECK(r.status == 0);
  CHECK(r.out == "image 'debian' is shared by the system (recipe " + hash + "): " +
                     (cache.system() / dir / "rootfs.img").string() + "; nothing to build\n");
  CHECK_FALSE(fs::exists(cache.images() / dir));

  // A build made with a tight umask (or copied in) becomes readable by every user.
  fs::permissions(cache.system(), fs::perms::owner_all);
  fs::permissions(cache.system() / dir, fs::perms::owner_all);
  fs::permissions(cache.system() / dir / "recipe.txt", fs::perms::owner_read | fs::perms::owner_write);
  Run system = image({"build", "--system"});
  CHECK(system.status == 0);
  CHECK(system.out.rfind("image 'debian' is up to date (recipe " + hash + "): " +
                             (cache.system() / dir / "rootfs.img").string(),
                         0) == 0);
  CHECK(fs::read_symlink(cache.system() / "debian") == dir);
  CHECK(modeOf(cache.system()) == 0755);
  CHECK(modeOf(cache.system() / dir) == 0755);
  CHECK(modeOf(cache.system() / dir / "recipe.txt") == 0644);
  CHECK(modeOf(cache.system() / dir / "rootfs.img") == 0444);
}

TEST_CASE("who may build and change images: root, and users for their own cache",
          "[cli][image][system]") {
  const std::string sys = "/var/lib/umlab/images";
  CHECK(cli::imageRootProblem(true, sys, {"build", "--system"}) == "");
  CHECK(cli::imageRootProblem(true, sys, {"build"}) == "");
  CHECK(cli::imageRootProblem(false, sys, {"build"}) ==
        "building an image needs root (debootstrap and chroot); ask the administrator to run 'sudo umlab image "
        "build --system' (it is then shared with every user from '/var/lib/umlab/images'), or run 'sudo umlab "
        "image build' for root's own labs");
  CHECK(cli::imageRootProblem(false, sys, {"build", "--name", "services", "my lab.yaml"}) ==
        "building an image needs root (debootstrap and chroot); ask the administrator to run 'sudo umlab image "
        "build --system --name services 'my lab.yaml'' (it is then shared with every user from "
        "'/var/lib/umlab/images'), or run 'sudo umlab image build --name services 'my lab.yaml'' for root's own "
        "labs");
  CHECK(cli::imageRootProblem(false, sys, {"build", "--system", "--name", "services"}) ==
        "'umlab image build --system' changes the images every user shares in '/var/lib/umlab/images' and needs "
        "root; run it as root: 'sudo umlab image build --system --name services'");
  CHECK(cli::imageRootProblem(false, sys, {"rm", "--system", "web"}) ==
        "'umlab image rm --system' changes the images every user shares in '/var/lib/umlab/images' and needs "
        "root; run it as root: 'sudo umlab image rm --system web'");
  CHECK(cli::imageRootProblem(false, sys, {"prune", "--system"}).find("needs root") != std::string::npos);
  CHECK(cli::imageRootProblem(false, sys, {"rm", "web"}) == "");
  CHECK(cli::imageRootProblem(false, sys, {"prune"}) == "");
}

TEST_CASE("image rm and prune leave the system's directory alone unless --system", "[cli][image][system]") {
  TempCache cache;
  cache.addSystemImage("web-1111111111111111", "web", "1111111111111111");
  fs::create_directory_symlink("web-1111111111111111", cache.system() / "web");
  Run rm = image({"rm", "web"});
  CHECK(rm.status == 1);
  CHECK(rm.err == "umlab: error: no build of image 'web' in '" + cache.images().string() +
                      "'; the system's directory '" + cache.system().string() +
                      "' has one, which only root removes: 'sudo umlab image rm --system web'\n");
  if (installedRecipe()) { // prune needs the kernel's version
    Run prune = image({"prune"});
    CHECK(prune.status == 0);
    CHECK(prune.out.rfind("nothing to prune", 0) == 0);
    CHECK(fs::exists(cache.system() / "web-1111111111111111"));
    CHECK(image({"prune", "--system", "--dry-run"}).out.find("would remove web-1111111111111111") !=
          std::string::npos);
  }
  Run system = image({"rm", "--system", "web"}); // the tests run as root
  CHECK(system.status == 0);
  CHECK(system.out.rfind("removed web-1111111111111111 (", 0) == 0);
  CHECK_FALSE(fs::exists(cache.system() / "web-1111111111111111"));
  CHECK_FALSE(fs::exists(fs::symlink_status(cache.system() / "web")));
}
