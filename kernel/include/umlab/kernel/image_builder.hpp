#pragma once
/// Builds a base image from an `ImageRecipe` into the image cache, and points the image's name
/// at it.
///
///   <images>/<name>-<hash>/rootfs.img   the ext4 image, mode 0444 (guests only read it, through
///                                       their COW files)
///   <images>/<name>-<hash>/recipe.txt   the recipe's fields, its hash, the mirror and the date
///   <images>/<name> -> <name>-<hash>    a relative symlink, replaced atomically (a new symlink
///                                       renamed over the old), so `HostLayout`'s
///                                       <imageDir>/<image>/rootfs.img always names a whole image
///   <images>/.build-<name>-<hash>/      the work directory while building, on the same
///                                       filesystem so that the result is renamed, not copied
///   <images>/.lock                      flock(2): one build at a time per cache
///
/// The steps, each reported to `ImageProgress` with its elapsed time:
///
///   1. debootstrap --variant=<variant> --include=<packages> <suite> ROOT <mirror>
///   2. copy /usr/lib/uml/modules/<version> to ROOT/lib/modules/<version>; chroot ROOT depmod
///      (the guest's own kmod: the host need not have one)
///   3. configure: iptables and ip6tables alternatives set to -legacy (the UML kernel has no
///      nf_tables), root's password "root", /etc/motd, /etc/hostname, /etc/hosts, an empty
///      /etc/fstab, /sbin/umlab-boot (mode 0755), apt's caches emptied
///   -  only for a recipe with files or commands (a derived one, image_recipe.hpp): copy its
///      files into ROOT, then run each command as `chroot ROOT /bin/sh -c CMD` with a
///      /usr/sbin/policy-rc.d that exits 101 (so no service starts in the chroot; debootstrap
///      does the same around its own package installs), removed afterwards; apt's caches emptied
///      again. A failing command fails the build with the recipe's name, the command and its
///      last lines. The commands run without /proc; the guest's /etc/resolv.conf is empty.
///   4. mkfs.ext4 -q -F -L umlab-root -d ROOT rootfs.img <size>: no loop mount, sparse
///   5. check the image with debugfs: the shim's text and mode, modules.dep, the iptables link
///   6. chmod 0444, recipe.txt, remove ROOT, rename the work directory into place, swap the link
///
/// (With the extra step, the steps are numbered 1 to 7.)
///
/// Files are written inside ROOT by resolving symlinks as the guest would see them, so that a
/// link in the guest tree (ROOT/sbin -> usr/sbin, or an absolute one) never points a write at
/// the host.
///
/// If any step fails (or the user interrupts, via the runner's cancel fd), the work directory
/// is removed — after unmounting anything a killed debootstrap left mounted in it, and without
/// crossing into other filesystems — and the existing link is left untouched. The result names
/// the step and carries the tool's last lines of output.
///
/// If `<name>-<hash>/rootfs.img` already exists the build returns at once (`Cached`), after
/// pointing the link at it if it pointed elsewhere; `isForced` builds anyway and replaces that
/// directory (renameat2 RENAME_EXCHANGE, then the old one is removed).

#include "umlab/base/child_process.hpp"
#include "umlab/kernel/image_progress.hpp"
#include "umlab/kernel/image_recipe.hpp"

#include <string>
#include <vector>

namespace umlab::kernel {

struct ImageBuildOptions {
  std::string imagesDir;                    ///< <cache>/images, created when missing
  std::string modulesRoot = kUmlModulesRoot; ///< the recipe's kernel modules are <modulesRoot>/<version>
  std::string mirror;                       ///< the Debian mirror for debootstrap
  std::string mirrorOrigin;                 ///< where the mirror came from, for the first message
  bool isForced = false;                    ///< rebuild even when the recipe's image exists
  bool hasRoot = false;                     ///< debootstrap and chroot need root
};

struct ImageStepTiming {
  std::string title;
  double seconds = 0;
};

struct ImageBuildResult {
  enum class Outcome { Built, Cached, Failed };
  Outcome outcome = Outcome::Failed;
  std::string imageDir;  ///< <images>/<name>-<hash>
  std::string imagePath; ///< <imageDir>/rootfs.img
  std::string linkPath;  ///< <images>/<name>
  /// Built and Cached: one line saying what happened. Failed: what failed, as
  /// "step 4/6 (make the ext4 image): 'mkfs.ext4 ...' exited with status 1".
  std::string message;
  std::vector<std::string> lastOutput; ///< Failed: the failing tool's last lines
  std::vector<ImageStepTiming> steps;  ///< every step that ran, failed one included
  double totalSeconds = 0;
};

class ImageBuilder {
public:
  ImageBuilder(ImageRecipe recipe, ImageBuildOptions options, CommandRunner& runner, ImageProgress& progress)
      : recipe_(std::move(recipe)), options_(std::move(options)), runner_(runner), progress_(progress) {}

  /// Never throws for a failed step or a host error; the result says what went wrong.
  ImageBuildResult build();

private:
  ImageRecipe recipe_;
  ImageBuildOptions options_;
  CommandRunner& runner_;
  ImageProgress& progress_;
};

/// `guestPath` (absolute, as seen inside `root`) as a host path, with every symlink on the
/// way resolved inside `root` the way the guest would resolve it: absolute targets restart at
/// `root`, and ".." never climbs above it. Components that do not exist are kept as they are.
std::string resolveInRoot(const std::string& root, const std::string& guestPath);

/// Removes `path` and everything below it without following symlinks or crossing into other
/// filesystems, after lazily unmounting any mount point inside it (what a killed debootstrap
/// leaves on ROOT/proc). Returns an empty string, or the first error as "<path>: <reason>".
std::string removeTree(const std::string& path);

} // namespace umlab::kernel
