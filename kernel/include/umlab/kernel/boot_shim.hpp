#pragma once
/// The base image's /sbin/umlab-boot (mode 0755), the guest's first PID 1 (`init=/sbin/umlab-boot`).
///
/// The base image changes rarely; umlab-init and umlab-agent change with every build. So the
/// base image holds only this shim, and the node's config disk (node_config.hpp; `ubd1r=`, the
/// guest's /dev/ubdb) carries the programs of the running build. The shim:
///
///   1. mounts devtmpfs on /dev unless the kernel already did (CONFIG_DEVTMPFS_MOUNT; a
///      debootstrapped /dev holds static nodes, so the test is for the config disk's node),
///   2. mounts a tmpfs on /run, then the config disk read-only on /run/umlab (so umlab-init
///      finds /run already mounted and leaves it alone, rather than hiding the config disk),
///   3. execs /run/umlab/bin/umlab-init, which stays PID 1 for the guest's life.
///
/// If the config disk is missing it says so on the console and starts a shell, so that a base
/// image booted by hand can still be inspected. It uses only /bin/sh, mount and mkdir, and needs
/// no /proc (`mount -n` does not write /etc/mtab).
namespace umlab::kernel {

inline constexpr const char* kBootShim = R"(#!/bin/sh
# umlab-boot: mount the node's config disk and hand PID 1 to its umlab-init.
# Installed by umlab into the base image; see umlab/kernel/boot_shim.hpp.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
[ -b /dev/ubdb ] || mount -n -t devtmpfs -o mode=0755,nosuid devtmpfs /dev
mount -n -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/umlab
if mount -n -t ext4 -o ro /dev/ubdb /run/umlab && [ -x /run/umlab/bin/umlab-init ]; then
  exec /run/umlab/bin/umlab-init "$@"
fi
echo "umlab-boot: no umlab config disk on /dev/ubdb (ubd1); starting a shell" >&2
exec /bin/sh
)";

} // namespace umlab::kernel
