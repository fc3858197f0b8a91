#pragma once
/// The per-node config disk: what a guest needs to configure itself, on a small read-only ext4
/// image made with `mkfs.ext4 -d` (no loop mount, no root needed). The layout and node.conf
/// format are in kernel/node_config.hpp; this is the host side that writes them.

#include "umlab/lab/compile/plan.hpp"

#include <string>

namespace umlab::lab::runtime {

/// Writes `guest.configDisk`. `guestBinDir` holds the static umlab-init and umlab-agent of this
/// build. Throws std::system_error (with the step that failed) on any host failure.
void writeConfigDisk(const GuestPlan& guest, const std::string& guestBinDir);

/// Where this build's umlab-init and umlab-agent are: $UMLAB_GUEST_BIN_DIR, else beside
/// `selfPath` (build/bin/).
std::string guestBinDir(const std::string& selfPath);

} // namespace umlab::lab::runtime
