#include "kernel_command.hpp"

#include "build_report.hpp"
#include "cli.hpp"
#include "cli_args.hpp"
#include "image_listing.hpp"
#include "interrupt_signals.hpp"

#include "umlab/base/child_process.hpp"
#include "umlab/kernel/image_recipe.hpp"
#include "umlab/kernel/kernel_builder.hpp"
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/kernel/kernel_store.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <charconv>
#include <iostream>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::cli {

namespace {

namespace k = umlab::kernel;

constexpr int kExitFailed = 1;

std::string kernelsDir() { return lab::kernelCacheDir(lab::hostLayoutFromEnvironment("umlab")); }

int build(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  k::KernelBuildOptions options;
  options.kernelsDir = kernelsDir();
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--force") {
      options.isForced = true;
    } else if (args[i] == "--jobs" || args[i] == "-j") {
      int jobs = 0;
      const std::string value = i + 1 < args.size() ? args[++i] : "";
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), jobs);
      if (ec != std::errc() || end != value.data() + value.size() || jobs < 1 || jobs > 256)
        throw CliUsageError{"--jobs needs a number from 1 to 256"};
      options.jobs = jobs;
    } else {
      throw CliUsageError{"unknown argument '" + args[i] + "' for 'umlab kernel build'; see 'umlab kernel --help'"};
    }
  }
  std::string error;
  std::optional<k::KernelSource> source = k::findKernelSource(k::kKernelSourcePackage, &error);
  if (!source) {
    err << "umlab: error: " << error << "\n";
    return kExitFailed;
  }
  InterruptSignals signals;
  SystemCommandRunner runner(signals.fd());
  k::TextImageProgress progress(out, &out == &std::cout && ::isatty(STDOUT_FILENO));
  k::KernelBuildResult r =
      k::KernelBuilder(k::builtinKernelRecipe(source->version, source->tarball), options, runner, progress).build();
  if (r.outcome != k::KernelBuildResult::Outcome::Failed) {
    out << r.message << "\n";
    return kExitOk;
  }
  out.flush();
  reportBuildFailure(err, "kernel", !r.steps.empty(), r.message, r.lastOutput, r.linkPath);
  return kExitFailed;
}

int list(const std::vector<std::string>& args, std::ostream& out) {
  if (!args.empty())
    throw CliUsageError{"'umlab kernel ls' takes no arguments"};
  PackagedKernel debian;
  debian.path = lab::hostLayoutFromEnvironment("umlab").kernel;
  struct stat st {};
  if (::stat(debian.path.c_str(), &st) == 0) {
    debian.size = static_cast<uint64_t>(st.st_size);
    debian.release = k::findUmlKernelVersion(k::kUmlModulesRoot, nullptr).value_or("?");
  }
  std::string currentHash;
  if (auto source = k::findKernelSource(k::kKernelSourcePackage, nullptr))
    currentHash = k::kernelRecipeHash(k::builtinKernelRecipe(source->version, source->tarball));
  const std::string dir = kernelsDir();
  out << renderKernelListing(debian, k::listBuiltKernels(dir), currentHash, dir);
  if (currentHash.empty())
    out << "the kernel sources are not installed: apt-get install " << k::kKernelSourcePackage << "\n";
  return kExitOk;
}

} // namespace

int runKernelCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty())
    throw CliUsageError{"'umlab kernel' needs a command: build or ls; see 'umlab kernel --help'"};
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (args[0] == "-h" || args[0] == "--help") {
    out << kKernelHelp;
    return kExitOk;
  }
  for (const std::string& a : rest)
    if (a == "-h" || a == "--help") {
      out << kKernelHelp;
      return kExitOk;
    }
  if (args[0] == "build")
    return build(rest, out, err);
  if (args[0] == "ls")
    return list(rest, out);
  throw CliUsageError{"unknown command 'umlab kernel " + args[0] + "'; use build or ls"};
}

} // namespace umlab::cli
