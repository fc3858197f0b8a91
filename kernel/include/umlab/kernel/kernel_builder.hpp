#pragma once
/// Builds umlab's UML kernel from a `KernelRecipe` into the kernel cache, and points the kernel's
/// name at it (`umlab kernel build`).
///
///   <kernels>/<name>-<hash>/linux        the stripped kernel binary, mode 0555
///   <kernels>/<name>-<hash>/config       the .config it was built with
///   <kernels>/<name>-<hash>/recipe.txt   source package and version, patches, hash, the
///                                        kernel's release (`linux --version`), build time, date
///   <kernels>/<name> -> <name>-<hash>    a relative symlink, replaced atomically
///   <kernels>/.build-<name>-<hash>/      the work directory (the unpacked sources, ~1.5 GB)
///   <kernels>/.lock                      flock(2): one build at a time per cache
///
/// The steps, each reported to `ImageProgress` with its elapsed time:
///
///   1. unpack the source tarball (tar)
///   2. apply the patches (`patch -p1 --forward --batch`), in order
///   3. configure: write .config, `make ARCH=um olddefconfig`, and refuse the build when that
///      changed any option (the configuration was derived for other sources)
///   4. compile: `make ARCH=um -j<jobs> linux`, counting objects against the recipe's estimate
///   5. check: `linux --version` runs and names the configured release
///   6. install: strip into the build directory, write config and recipe.txt, remove the sources,
///      rename into place, point the link
///
/// No step needs root. A failure or an interruption removes the work directory and leaves the link
/// as it was; the result names the step and carries the tool's last lines. A build whose
/// `<name>-<hash>/linux` exists returns at once (`Cached`) unless forced.

#include "umlab/base/child_process.hpp"
#include "umlab/kernel/image_builder.hpp"
#include "umlab/kernel/image_progress.hpp"
#include "umlab/kernel/kernel_recipe.hpp"

#include <string>
#include <vector>

namespace umlab::kernel {

struct KernelBuildOptions {
  std::string kernelsDir; ///< <cache>/kernels, created when missing
  bool isForced = false;
  int jobs = 0;           ///< make -j; 0: the number of online CPUs
};

struct KernelBuildResult {
  enum class Outcome { Built, Cached, Failed };
  Outcome outcome = Outcome::Failed;
  std::string kernelDir;  ///< <kernels>/<name>-<hash>
  std::string kernelPath; ///< <kernelDir>/linux
  std::string linkPath;   ///< <kernels>/<name>
  std::string message;    ///< one line: what happened, or what failed and what to do
  std::vector<std::string> lastOutput;
  std::vector<ImageStepTiming> steps;
  double totalSeconds = 0;
};

class KernelBuilder {
public:
  KernelBuilder(KernelRecipe recipe, KernelBuildOptions options, CommandRunner& runner, ImageProgress& progress)
      : recipe_(std::move(recipe)), options_(std::move(options)), runner_(runner), progress_(progress) {}

  /// Never throws for a failed step or a host error; the result says what went wrong.
  KernelBuildResult build();

private:
  KernelRecipe recipe_;
  KernelBuildOptions options_;
  CommandRunner& runner_;
  ImageProgress& progress_;
};

} // namespace umlab::kernel
