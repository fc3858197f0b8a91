#include "umlab/lab/runtime/plan_file.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/kernel/image_store.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/topology_images.hpp"

#include <filesystem>
#include <sstream>
#include <system_error>

namespace fs = std::filesystem;

namespace umlab::lab::runtime {

namespace {

/// Records `file` as a user of the builds of its own images that exist (image_store.hpp). Builds
/// in the system's directory (kernel/system_images.hpp) are read-only here and not recorded.
void recordTopologyImageUsers(const HostLayout& host, const std::string& file) {
  std::error_code ec;
  const std::string absolute = fs::absolute(file, ec).lexically_normal().string();
  for (const auto& [name, dir] : host.imageDirs) {
    if (host.imageRoots.count(name) || !fs::exists(fs::path(host.imageDir) / dir / "rootfs.img", ec))
      continue;
    try {
      kernel::recordImageUser(host.imageDir, dir, absolute);
    } catch (const std::system_error&) {
      // Not fatal: a read-only shared cache just cannot record; prune then keeps nothing for it.
    }
  }
}

} // namespace

PlannedFile planTopologyFile(const std::string& self, const std::string& file, const std::string& stateRoot) {
  PlannedFile out;
  HostLayout host = hostLayoutFromEnvironment(self);
  host.stateRoot = stateRoot;
  SourceManager sources;
  Diagnostics diags;
  std::optional<Compiled> compiled = compileFile(file, sources, diags);
  if (compiled) {
    out.imageWarning = locateTopologyImages(compiled->topology, host);
    out.plan = lab::plan(compiled->topology, host, diags);
  }
  std::ostringstream text;
  renderDiagnostics(diags, text);
  out.diagnostics = text.str();
  if (out.plan)
    recordTopologyImageUsers(host, file);
  return out;
}

} // namespace umlab::lab::runtime
