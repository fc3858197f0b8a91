#pragma once
/// `umlab import`: a Netkit or Kathará lab directory turned into a umlab topology.
///
/// Design notes
/// ------------
/// The shared format (Netkit's, which Kathará kept): a directory with
///   lab.conf            `LAB_DESCRIPTION="..."` and other LAB_* metadata; `pc1[0]="A"` puts
///                       interface eth0 of pc1 on collision domain A (Kathará also accepts
///                       "A/02:00:..:01" to give the MAC); `pc1[mem]=128` (MiB),
///                       `pc1[image]=...`, `pc1[sysctl]="net.ipv4.ip_forward=1"` and more options;
///                       `#` starts a comment; values may be quoted
///   NODE.startup        a shell script run at boot
///   NODE/               a tree copied onto the node's file system
///   shared.startup, shared/   the same, for every node
/// Collision domains become `switch` segments, interface numbers `ethN`, startup scripts the
/// node's `startup` (shared first), and every file of the trees an entry of `files`. A node that
/// has only a directory or a startup script is a node too, as in Kathará. What umlab cannot
/// honour (`image`, `bridged`, `port`, `exec`, `num_terms`, `ipv6`, `shell`, `env`, ...) is
/// reported as a warning naming the line, never dropped silently.
///
/// The output is YAML text with a header comment that names the source and lists what was not
/// carried over; `validate` it like any topology.

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/source.hpp"

#include <map>
#include <optional>
#include <string>

namespace umlab::lab {

struct ImportOptions {
  /// The directory the topology's relative `files` paths start from (where it will be written);
  /// empty: absolute paths.
  std::string relativeTo;
  /// The lab's name; empty: the directory's name, made a valid lab name.
  std::string name;
  /// Docker image (with or without its tag) -> umlab image, over the built-in table
  /// (kathara_images.hpp).
  std::map<std::string, std::string> imageMap;
};

/// Reads the lab in `dir` and returns the topology text; nullopt after reporting errors (no
/// lab.conf, a malformed line). Warnings report what was not carried over.
std::optional<std::string> importNetkitLab(const std::string& dir, const ImportOptions& options, SourceManager& sources,
                                           Diagnostics& diags);

} // namespace umlab::lab
