#pragma once
/// The kernel cache as `umlab kernel ls` shows it, and where a topology's `kernel:` name points.
///
///   <kernels>/<name>-<hash>/linux       a finished build (kernel_builder.hpp)
///   <kernels>/<name> -> <name>-<hash>   the build that `kernel: <name>` boots
///
/// `kernel: debian` is the packaged /usr/bin/linux.uml (or $UMLAB_KERNEL) and is not in the cache.

#include <cstdint>
#include <string>
#include <vector>

namespace umlab::kernel {

struct BuiltKernel {
  std::string dirName;    ///< "umlab-8d3f2bd6b6fd1f5e"
  std::string name;       ///< "umlab"
  std::string hash;
  std::string release;    ///< from recipe.txt: "6.1.192-umlab"
  std::string source;     ///< from recipe.txt: "linux-source-6.1 6.1.192-3"
  std::string kernelPath; ///< <kernels>/<dirName>/linux
  uint64_t size = 0;      ///< the binary's size, bytes
  int64_t builtTime = 0;  ///< the binary's mtime, seconds since the epoch
  bool isCurrent = false; ///< the link <kernels>/<name> points at it
};

/// Finished builds in `kernelsDir`, by name and then newest first; work directories (".build-*")
/// are not builds. A missing directory has none.
std::vector<BuiltKernel> listBuiltKernels(const std::string& kernelsDir);

/// `<kernelsDir>/<name>/linux`: the path a guest on `kernel: <name>` runs (through the link, which
/// the plan resolves to the build's directory when it exists).
std::string cachedKernelPath(const std::string& kernelsDir, const std::string& name);

} // namespace umlab::kernel
