#include "umlab/kernel/image_recipe.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <functional>

using namespace umlab::kernel;
using umlab::TempDir;
namespace fs = std::filesystem;

namespace {

ImageRecipe sampleRecipe() {
  ImageRecipe r;
  r.name = "debian";
  r.suite = "bookworm";
  r.variant = "minbase";
  r.packages = {"iproute2", "kmod"};
  r.architecture = "amd64";
  r.kernelVersion = "6.1.176";
  r.bootShim = "#!/bin/sh\nexec /run/umlab/bin/umlab-init\n";
  r.imageSize = "1G";
  r.formatVersion = 1;
  return r;
}


} // namespace

TEST_CASE("the same recipe always has the same hash", "[kernel][image]") {
  ImageRecipe a = sampleRecipe(), b = sampleRecipe();
  CHECK(recipeHash(a) == recipeHash(b));
  CHECK(recipeHash(a).size() == 16);
  CHECK(recipeHash(a).find_first_not_of("0123456789abcdef") == std::string::npos);
  // Pinned: the hash must not depend on the machine, the compiler or the run. If this changes,
  // every user's cached image is rebuilt; change it only together with kImageFormatVersion.
  CHECK(recipeHash(a) == "ca129add21bef47c");
  CHECK(imageDirName(a) == "debian-" + recipeHash(a));
}

TEST_CASE("changing any field of a recipe changes its hash", "[kernel][image]") {
  const std::string base = recipeHash(sampleRecipe());
  const std::vector<std::pair<const char*, std::function<void(ImageRecipe&)>>> changes{
      {"name", [](ImageRecipe& r) { r.name = "debian2"; }},
      {"suite", [](ImageRecipe& r) { r.suite = "trixie"; }},
      {"variant", [](ImageRecipe& r) { r.variant = "buildd"; }},
      {"a package added", [](ImageRecipe& r) { r.packages.push_back("net-tools"); }},
      {"a package removed", [](ImageRecipe& r) { r.packages.pop_back(); }},
      {"package order", [](ImageRecipe& r) { std::swap(r.packages[0], r.packages[1]); }},
      {"package boundaries", [](ImageRecipe& r) { r.packages = {"iproute2kmod"}; }},
      {"architecture", [](ImageRecipe& r) { r.architecture = "i386"; }},
      {"kernel version", [](ImageRecipe& r) { r.kernelVersion = "6.1.177"; }},
      {"boot shim", [](ImageRecipe& r) { r.bootShim += "\n"; }},
      {"image size", [](ImageRecipe& r) { r.imageSize = "2G"; }},
      {"format version", [](ImageRecipe& r) { r.formatVersion = 2; }},
  };
  std::vector<std::string> seen{base};
  for (const auto& [what, change] : changes) {
    ImageRecipe r = sampleRecipe();
    change(r);
    INFO("changed: " << what);
    const std::string h = recipeHash(r);
    CHECK(std::find(seen.begin(), seen.end(), h) == seen.end());
    seen.push_back(h);
  }
}

TEST_CASE("a value cannot pose as the next field", "[kernel][image]") {
  ImageRecipe a = sampleRecipe(), b = sampleRecipe();
  a.suite = "bookworm\nvariant=7:minbase";
  b.variant = "";
  CHECK(recipeHash(a) != recipeHash(b));
}

TEST_CASE("the default recipe carries the lab packages and the kernel version", "[kernel][image]") {
  ImageRecipe r = defaultImageRecipe("debian", "6.1.176");
  CHECK(r.suite == "bookworm");
  CHECK(r.variant == "minbase");
  CHECK(r.packages.size() == 12);
  CHECK(r.packages.back() == "net-tools");
  CHECK(r.kernelVersion == "6.1.176");
  CHECK(r.bootShim.rfind("#!/bin/sh", 0) == 0);
  CHECK(r.formatVersion == kImageFormatVersion);
  CHECK(recipeHash(r) != recipeHash(defaultImageRecipe("debian", "6.1.177")));
}

TEST_CASE("the UML kernel version is the one directory of modules", "[kernel][image]") {
  TempDir dir("umlab-recipe");
  std::string error;
  CHECK_FALSE(findUmlKernelVersion((dir.path() / "missing").string(), &error));
  CHECK(error == "user-mode-linux is not installed; apt-get install user-mode-linux");
  error.clear();
  CHECK_FALSE(findUmlKernelVersion(dir.path().string(), &error));
  CHECK(error == "user-mode-linux is not installed; apt-get install user-mode-linux");
  fs::create_directory(dir.path() / "6.1.176");
  CHECK(findUmlKernelVersion(dir.path().string(), &error) == "6.1.176");
  fs::create_directory(dir.path() / "6.1.180");
  CHECK_FALSE(findUmlKernelVersion(dir.path().string(), &error));
  CHECK(error == "several UML kernels have modules in '" + dir.path().string() +
                     "' (6.1.176 6.1.180); remove the ones not in use");
}

TEST_CASE("image names are plain lowercase words that cannot look like cache directories", "[kernel][image]") {
  CHECK(isValidImageName("debian"));
  CHECK(isValidImageName("lab-2.test_x"));
  CHECK_FALSE(isValidImageName(""));
  CHECK_FALSE(isValidImageName(".hidden"));
  CHECK_FALSE(isValidImageName("-x"));
  CHECK_FALSE(isValidImageName("Debian"));
  CHECK_FALSE(isValidImageName("a/b"));
  CHECK_FALSE(isValidImageName(std::string(65, 'a')));
  CHECK_FALSE(isValidImageName("debian-0123456789abcdef"));
  CHECK(isValidImageName("debian-0123456789abcdeg"));
}

TEST_CASE("recipe.txt lists every field and ends with the hash", "[kernel][image]") {
  ImageRecipe r = sampleRecipe();
  std::string text = renderRecipe(r);
  CHECK(text.rfind("name debian\nsuite bookworm\nvariant minbase\npackages iproute2 kmod\n", 0) == 0);
  CHECK(text.find("\nkernel 6.1.176\n") != std::string::npos);
  CHECK(text.find("\nboot-shim-fnv1a64 ") != std::string::npos);
  CHECK(text.size() > 22);
  CHECK(text.substr(text.size() - 22) == "hash " + recipeHash(r) + "\n");
}
