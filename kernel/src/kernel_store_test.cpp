// The kernel cache listing, and the builder against a fake runner: steps, cache, link, failures.
// (The builder first checks for the headers of libpcap-dev and libelf-dev, which scripts/lib.sh
// installs for the build.)
#include "umlab/kernel/kernel_store.hpp"
#include "umlab/kernel/kernel_builder.hpp"

#include "umlab/base/temp_dir.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace umlab;
using namespace umlab::kernel;
namespace fs = std::filesystem;

namespace {

void writeFile(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Plays tar, patch, make, the kernel's --version and strip well enough for the builder.
class FakeKernelTools : public CommandRunner {
public:
  std::vector<Command> commands;
  std::string failing;           ///< the program that fails
  std::string configChange;      ///< appended to .config by olddefconfig
  std::string release = "6.1.192-umlab";

  CommandResult run(const Command& c, const std::function<void(std::string_view)>& onLine,
                    const std::function<void()>&) override {
    commands.push_back(c);
    CommandResult r;
    r.status.code = 0;
    const std::string& program = c.argv[0];
    std::vector<std::string> out;
    if (program == failing) {
      out = {"error: the last line"};
      r.status.code = 2;
    } else if (program == "tar") {
      writeFile(fs::path(c.argv[4]) / "linux-source-6.1" / "Makefile", "VERSION = 6\n");
    } else if (program == "make" && c.argv.back() == "olddefconfig") {
      const fs::path config = fs::path(c.argv[2]) / ".config";
      writeFile(config, readFile(config) + configChange);
    } else if (program == "make" && c.argv.back() == "linux") {
      out = {"  CC      kernel/fork.o", "  CC [U]  arch/um/os-Linux/file.o", "  LD      vmlinux.o"};
      writeFile(fs::path(c.argv[2]) / "linux", "#!/bin/sh\n");
    } else if (program.size() > 6 && program.substr(program.size() - 6) == "/linux") {
      out = {release};
    } else if (program == "strip") {
      fs::copy_file(c.argv[3], c.argv[2]);
    }
    for (const std::string& l : out)
      onLine(l);
    r.lastLines = out;
    return r;
  }
  bool hasProgram(const std::string&) override { return true; }
};

class SilentProgress : public ImageProgress {
public:
  std::vector<std::string> steps;
  void stepStarted(int, int, const std::string& title) override { steps.push_back(title); }
  void stepUpdated(const std::string&, double) override {}
  void stepFinished(const std::string&, double) override {}
  void note(const std::string&) override {}
};

KernelRecipe testRecipe(const fs::path& tarball) {
  writeFile(tarball, "x");
  KernelRecipe r = builtinKernelRecipe("6.1.192-3", tarball.string());
  return r;
}

} // namespace

TEST_CASE("kernel builder: builds, installs, points the link, then finds the build cached") {
  TempDir dir;
  const fs::path kernels = fs::path(dir.path()) / "kernels";
  FakeKernelTools tools;
  SilentProgress progress;
  const KernelRecipe recipe = testRecipe(fs::path(dir.path()) / "linux-source-6.1.tar.xz");
  KernelBuildResult r = KernelBuilder(recipe, {kernels.string(), false, 2}, tools, progress).build();
  INFO(r.message);
  REQUIRE(r.outcome == KernelBuildResult::Outcome::Built);
  CHECK(progress.steps.size() == 6);
  CHECK(progress.steps[3] == "compile (make -j2 linux)");
  const fs::path built = kernels / kernelDirName(recipe);
  CHECK(r.kernelPath == (built / "linux").string());
  CHECK(fs::read_symlink(kernels / "umlab") == kernelDirName(recipe));
  CHECK(readFile(built / "config") == recipe.config);
  const std::string text = readFile(built / "recipe.txt");
  CHECK(text.find("\nrelease 6.1.192-umlab\n") != std::string::npos);
  CHECK(text.find("\nobjects 2\n") != std::string::npos);
  CHECK(text.find("\npatch 0001-uml-net-live-mac-change.patch\n") != std::string::npos);
  CHECK_FALSE(fs::exists(kernels / (".build-" + kernelDirName(recipe))));
  // one patch command per patch, in order
  size_t patches = 0;
  for (const Command& c : tools.commands)
    patches += c.argv[0] == "patch";
  CHECK(patches == recipe.patches.size());

  const auto listed = listBuiltKernels(kernels.string());
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == "umlab");
  CHECK(listed[0].hash == kernelRecipeHash(recipe));
  CHECK(listed[0].release == "6.1.192-umlab");
  CHECK(listed[0].source == "linux-source-6.1 6.1.192-3");
  CHECK(listed[0].isCurrent);
  CHECK(cachedKernelPath(kernels.string(), "umlab") == (kernels / "umlab" / "linux").string());

  tools.commands.clear();
  r = KernelBuilder(recipe, {kernels.string(), false, 2}, tools, progress).build();
  CHECK(r.outcome == KernelBuildResult::Outcome::Cached);
  CHECK(tools.commands.empty());
}

TEST_CASE("kernel builder: a failure names the step, removes the work directory and keeps the link") {
  TempDir dir;
  const fs::path kernels = fs::path(dir.path()) / "kernels";
  SilentProgress progress;
  const KernelRecipe recipe = testRecipe(fs::path(dir.path()) / "linux-source-6.1.tar.xz");

  SECTION("a patch that does not apply") {
    FakeKernelTools tools;
    tools.failing = "patch";
    KernelBuildResult r = KernelBuilder(recipe, {kernels.string(), false, 2}, tools, progress).build();
    CHECK(r.outcome == KernelBuildResult::Outcome::Failed);
    CHECK(r.message.rfind("step 2/6 (apply ", 0) == 0);
    CHECK(r.message.find("the patches in kernel/uml/patches need updating") != std::string::npos);
  }
  SECTION("olddefconfig changed an option") {
    FakeKernelTools tools;
    tools.configChange = "CONFIG_UML_NET_PCAP=n\n";
    KernelBuildResult r = KernelBuilder(recipe, {kernels.string(), false, 2}, tools, progress).build();
    CHECK(r.outcome == KernelBuildResult::Outcome::Failed);
    CHECK(r.message.find("derive the configuration again with kernel/uml/derive-config.sh") != std::string::npos);
  }
  SECTION("the compiler fails") {
    FakeKernelTools tools;
    tools.failing = "make";
    KernelBuildResult r = KernelBuilder(recipe, {kernels.string(), false, 2}, tools, progress).build();
    CHECK(r.outcome == KernelBuildResult::Outcome::Failed);
    CHECK(r.lastOutput == std::vector<std::string>{"error: the last line"});
  }
  SECTION("the kernel names another release") {
    FakeKernelTools tools;
    tools.release = "6.1.192";
    KernelBuildResult r = KernelBuilder(recipe, {kernels.string(), false, 2}, tools, progress).build();
    CHECK(r.outcome == KernelBuildResult::Outcome::Failed);
    CHECK(r.message.find("not '6.1.192-umlab'") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(kernels / (".build-" + kernelDirName(recipe))));
  CHECK_FALSE(fs::exists(fs::symlink_status(kernels / "umlab")));
  CHECK(listBuiltKernels(kernels.string()).empty());
}
