#pragma once
/// The system image directory: base images that root builds once for every user of the machine
/// (`umlab image build --system`), so that a class shares one `rootfs.img` instead of building
/// one per student.
///
///   /var/lib/umlab/images/                 mode 0755, owned by root ($UMLAB_SYSTEM_IMAGES
///                                          moves it, for tests)
///   /var/lib/umlab/images/<name>-<hash>/   mode 0755, a build laid out as in the user's cache
///                                          (image_builder.hpp): rootfs.img 0444, other files 0644
///   /var/lib/umlab/images/<name>           the link to the newest build, as in the user's cache
///
/// Lookup order. An image is looked up in the user's own cache first (`HostLayout::imageDir`),
/// then here: a user's own build of a recipe wins over the shared one, so that a user can try an
/// edited recipe without root. Neither having it leaves the user's own path in the plan, and
/// `umlab up` says how to build it. Guests only read the base image (each writes its own COW file),
/// so read-only access is all a user needs; nothing a user runs writes here (`recordImageUser`
/// is skipped, `image rm` and `prune` touch it only with `--system`, as root).

#include <string>
#include <vector>

namespace umlab::kernel {

inline constexpr const char* kSystemImagesDir = "/var/lib/umlab/images";

/// The first of `imagesDirs` that holds `<dir>/<buildName>/rootfs.img` (a build directory, or
/// the `<name>` link to one), or empty when none does.
std::string findImageBuild(const std::vector<std::string>& imagesDirs, const std::string& buildName);

/// Creates `imagesDir` (and its missing parents) with mode 0755 whatever the umask, and sets
/// `imagesDir` itself to 0755. Returns an empty string, or what failed.
std::string prepareSharedImagesDir(const std::string& imagesDir);

/// Makes the build `<imagesDir>/<dirName>` readable by every user: the directory 0755, its
/// rootfs.img 0444, its other files 0644 (symlinks are left alone). Returns an empty string, or
/// the first failure.
std::string shareImageBuild(const std::string& imagesDir, const std::string& dirName);

} // namespace umlab::kernel
