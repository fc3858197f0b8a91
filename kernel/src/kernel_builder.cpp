#include "umlab/kernel/kernel_builder.hpp"

#include "umlab/kernel/image_store.hpp"

#include "cache_build.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace umlab::kernel {

namespace fs = std::filesystem;

namespace {

using build::Clock;
using build::StepFailure;

/// The tools a build runs and the Debian packages that give them.
const std::vector<std::pair<const char*, const char*>>& requiredTools() {
  static const std::vector<std::pair<const char*, const char*>> tools{
      {"tar", "tar"},   {"xz", "xz-utils"}, {"patch", "patch"}, {"make", "make"}, {"gcc", "gcc"},
      {"bc", "bc"},     {"bison", "bison"}, {"flex", "flex"},   {"strip", "binutils"}};
  return tools;
}

/// Headers the configuration compiles against: libelf (objtool) and libpcap (the pcap transport).
const std::vector<std::pair<const char*, const char*>>& requiredHeaders() {
  static const std::vector<std::pair<const char*, const char*>> headers{{"/usr/include/pcap.h", "libpcap-dev"},
                                                                        {"/usr/include/libelf.h", "libelf-dev"}};
  return headers;
}

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void writeFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw std::system_error(errno, std::generic_category(), "write " + path.string());
}

class KernelBuildRun {
public:
  KernelBuildRun(const KernelRecipe& recipe, const KernelBuildOptions& options, CommandRunner& runner,
                 ImageProgress& progress)
      : recipe_(recipe), options_(options), runner_(runner), progress_(progress), hash_(kernelRecipeHash(recipe)),
        kernels_(options.kernelsDir), finalDir_(kernels_ / kernelDirName(recipe)), link_(kernels_ / recipe.name),
        work_(kernels_ / (".build-" + kernelDirName(recipe))), sources_(work_ / "src"),
        release_(expectedKernelRelease(recipe)),
        steps_(runner, progress,
               {{"LC_ALL", "C"},
                {"KBUILD_BUILD_USER", "umlab"},
                {"KBUILD_BUILD_HOST", "umlab"},
                {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}) {}

  KernelBuildResult run() {
    const auto start = Clock::now();
    result_.kernelDir = finalDir_.string();
    result_.kernelPath = (finalDir_ / "linux").string();
    result_.linkPath = link_.string();
    try {
      if (!options_.isForced && isCached())
        return cached(start);
      if (std::string problem = checkHost(); !problem.empty())
        return failed(start, problem);
      std::error_code ec;
      fs::create_directories(kernels_, ec);
      if (ec)
        return failed(start, build::describeErrno("cannot create '" + kernels_.string() + "'", ec.value()));
      if (std::string problem = build::checkLink(link_); !problem.empty())
        return failed(start, problem);
      lock_ = build::lockCache(kernels_, "waiting for another 'umlab kernel build' to finish with '" + kernels_.string() + "'...",
                               runner_, progress_);
      if (!lock_)
        return failed(start, "interrupted while waiting for another build");
      if (!options_.isForced && isCached())
        return cached(start);
      build::removeLeftovers(kernels_, progress_);
      progress_.note("building UML kernel '" + recipe_.name + "' (recipe " + hash_ + ") from " + recipe_.sourcePackage +
                     " " + recipe_.sourceVersion + " with " + std::to_string(recipe_.patches.size()) +
                     " patches, make -j" + std::to_string(jobs()) + "; a cold build takes " + kKernelBuildTime);
      fs::create_directories(sources_);
      if (!runSteps()) {
        std::string note = removeTree(work_.string());
        result_.message += note.empty() ? "" : "; could not remove the work directory: " + note;
        result_.totalSeconds = build::secondsSince(start);
        result_.outcome = KernelBuildResult::Outcome::Failed;
        return result_;
      }
    } catch (const std::exception& e) {
      if (lock_)
        removeTree(work_.string());
      return failed(start, e.what());
    }
    result_.outcome = KernelBuildResult::Outcome::Built;
    result_.totalSeconds = build::secondsSince(start);
    result_.message = "built UML kernel '" + recipe_.name + "' " + release_ + " in " +
                      formatSeconds(result_.totalSeconds) + ": " + result_.kernelPath + " (" +
                      formatSize(build::diskUsage(result_.kernelPath)) + "); '" + link_.string() + "' -> " +
                      finalDir_.filename().string();
    return result_;
  }

private:
  int jobs() const {
    if (options_.jobs > 0)
      return options_.jobs;
    const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
  }

  bool isCached() const {
    std::error_code ec;
    return fs::is_regular_file(finalDir_ / "linux", ec);
  }

  KernelBuildResult cached(Clock::time_point start) {
    result_.outcome = KernelBuildResult::Outcome::Cached;
    result_.message = "UML kernel '" + recipe_.name + "' is up to date (recipe " + hash_ + "): " + result_.kernelPath;
    if (build::linkTarget(link_) != finalDir_.filename().string()) {
      if (std::string problem = build::checkLink(link_); !problem.empty())
        return failed(start, problem);
      build::pointLink(kernels_, recipe_.name, finalDir_.filename().string());
      result_.message += "; '" + link_.string() + "' now points at it";
    }
    result_.message += "; use --force to rebuild it";
    result_.totalSeconds = build::secondsSince(start);
    return result_;
  }

  KernelBuildResult failed(Clock::time_point start, std::string message) {
    result_.outcome = KernelBuildResult::Outcome::Failed;
    result_.message = std::move(message);
    result_.totalSeconds = build::secondsSince(start);
    return result_;
  }

  std::string checkHost() {
    std::string missing;
    for (const auto& [tool, package] : requiredTools())
      if (!runner_.hasProgram(tool))
        missing += std::string(missing.empty() ? "" : " ") + package;
    for (const auto& [header, package] : requiredHeaders())
      if (::access(header, R_OK) != 0)
        missing += std::string(missing.empty() ? "" : " ") + package;
    if (!missing.empty())
      return "building the UML kernel needs packages that are missing here; apt-get install " + missing;
    if (::access(recipe_.sourceTarball.c_str(), R_OK) != 0)
      return "cannot read the kernel sources '" + recipe_.sourceTarball + "'; apt-get install --reinstall " +
             recipe_.sourcePackage;
    return "";
  }

  bool runSteps() {
    std::vector<build::StepRunner::Step> steps{
        {"unpack " + fs::path(recipe_.sourceTarball).filename().string(), [this] { return unpack(); }},
        {"apply " + std::to_string(recipe_.patches.size()) + " patches", [this] { return applyPatches(); }},
        {"configure (ARCH=um olddefconfig)", [this] { return configure(); }},
        {"compile (make -j" + std::to_string(jobs()) + " linux)", [this] { return compile(); }},
        {"check the kernel", [this] { return check(); }},
        {"install the kernel", [this] { return install(); }},
    };
    return steps_.run(steps, result_.steps, result_.message, result_.lastOutput);
  }

  std::string unpack() {
    steps_.tool({{"tar", "-xf", recipe_.sourceTarball, "-C", sources_.string()}});
    std::error_code ec;
    for (fs::directory_iterator it(sources_, ec), end; !ec && it != end; it.increment(ec))
      if (it->is_directory() && fs::exists(it->path() / "Makefile")) {
        tree_ = it->path();
        return tree_.filename().string();
      }
    throw StepFailure{"the tarball holds no kernel tree (no top directory with a Makefile)", {}};
  }

  std::string applyPatches() {
    const fs::path dir = work_ / "patches";
    fs::create_directories(dir);
    for (const KernelPatch& p : recipe_.patches) {
      const fs::path file = dir / p.name;
      writeFile(file, p.text);
      try {
        steps_.tool({{"patch", "-p1", "--forward", "--batch", "-d", tree_.string(), "-i", file.string()}});
      } catch (StepFailure& f) {
        f.message = "patch " + p.name + " does not apply to " + recipe_.sourcePackage + " " + recipe_.sourceVersion +
                    " (" + f.message + "); the patches in kernel/uml/patches need updating for these sources";
        throw;
      }
    }
    return std::to_string(recipe_.patches.size()) + " applied";
  }

  std::string configure() {
    writeFile(tree_ / ".config", recipe_.config);
    steps_.tool({{"make", "-C", tree_.string(), "ARCH=um", "olddefconfig"}});
    const std::vector<std::string> changed = configDifferences(recipe_.config, readFile(tree_ / ".config"));
    if (!changed.empty()) {
      std::vector<std::string> shown(changed.begin(), changed.begin() + std::min<size_t>(changed.size(), 10));
      throw StepFailure{std::to_string(changed.size()) + " options of kernel/uml/umlab.config do not hold for " +
                            recipe_.sourcePackage + " " + recipe_.sourceVersion +
                            "; derive the configuration again with kernel/uml/derive-config.sh and rebuild umlab",
                        shown};
    }
    return "configuration holds (" + release_ + ")";
  }

  std::string compile() {
    KbuildCounter counter;
    steps_.tool({{"make", "-C", tree_.string(), "ARCH=um", "-j" + std::to_string(jobs()), "linux"}},
                [&](std::string_view line) { counter.feed(line); },
                [&] { return counter.describe(recipe_.expectedObjects); });
    objects_ = counter.compiled;
    return std::to_string(counter.compiled) + " objects";
  }

  std::string check() {
    const fs::path binary = tree_ / "linux";
    std::string output;
    steps_.tool({{binary.string(), "--version"}}, [&](std::string_view line) { output += std::string(line) + "\n"; });
    while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
      output.pop_back();
    if (output != release_)
      throw StepFailure{"'" + binary.string() + " --version' says '" + output + "', not '" + release_ + "'", {}};
    return "'linux --version' says " + output;
  }

  std::string install() {
    const fs::path binary = work_ / "linux";
    steps_.tool({{"strip", "-o", binary.string(), (tree_ / "linux").string()}});
    if (::chmod(binary.c_str(), 0555) != 0)
      throw std::system_error(errno, std::generic_category(), "chmod " + binary.string());
    writeFile(work_ / "config", recipe_.config);
    std::string text = "# umlab UML kernel, written by 'umlab kernel build'\n";
    text += "name " + recipe_.name + "\nsource " + recipe_.sourcePackage + " " + recipe_.sourceVersion + "\n";
    for (const KernelPatch& p : recipe_.patches)
      text += "patch " + p.name + "\n";
    text += "release " + release_ + "\nobjects " + std::to_string(objects_) + "\nhash " + hash_ + "\nbuilt " +
            build::utcNow() + "\n";
    writeFile(work_ / "recipe.txt", text);
    if (std::string problem = removeTree(sources_.string()); !problem.empty())
      throw StepFailure{"cannot remove the sources: " + problem, {}};
    removeTree((work_ / "patches").string());
    build::moveIntoPlace(work_, finalDir_, progress_);
    build::pointLink(kernels_, recipe_.name, finalDir_.filename().string());
    return formatSize(build::diskUsage(finalDir_ / "linux")) + "; '" + link_.filename().string() + "' -> " +
           finalDir_.filename().string();
  }

  const KernelRecipe& recipe_;
  const KernelBuildOptions& options_;
  CommandRunner& runner_;
  ImageProgress& progress_;
  const std::string hash_;
  const fs::path kernels_, finalDir_, link_, work_, sources_;
  fs::path tree_;
  const std::string release_; ///< what `linux --version` must say
  size_t objects_ = 0;
  build::StepRunner steps_;
  UniqueFd lock_;
  KernelBuildResult result_;
};

} // namespace

KernelBuildResult KernelBuilder::build() { return KernelBuildRun(recipe_, options_, runner_, progress_).run(); }

} // namespace umlab::kernel
