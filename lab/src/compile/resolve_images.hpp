#pragma once
/// Resolves the `images:` section (private to resolve.cpp): every `RawImage` checked and turned
/// into a `TopologyImage`, every error at its file:line:col in the same pass as the rest of
/// the topology.
///
/// Checked: the name (kernel::isValidImageName, and not a built-in one), `from` (a built-in image
/// or another entry, with "did you mean"; no cycle), package names (Debian policy §5.6.1: lowercase
/// letters, digits, '+', '-', '.', two characters at least, starting with a letter or digit),
/// files (absolute guest paths, existing host paths relative to the topology file, as a node's
/// `files`), commands (not empty) and the size (whole megabytes, 256M to 64G).

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/model/raw_topology.hpp"
#include "umlab/lab/model/topology.hpp"

#include <vector>

namespace umlab::lab {

/// `options.pathExists` must be set (the Resolver sets its default before calling).
std::vector<TopologyImage> resolveImages(const RawTopology& raw, Diagnostics& diags, const ResolveOptions& options);

/// True for a Debian package name as the policy defines it.
bool isDebianPackageName(std::string_view name);

} // namespace umlab::lab
