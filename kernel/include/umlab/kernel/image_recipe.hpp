#pragma once
/// What goes into a base image, and the hash that names it in the image cache.
///
/// A base image is a Debian minbase root with the lab tools, the UML kernel's modules and the
/// boot shim (node_config.hpp), made into an ext4 file. Everything that changes the image's
/// content is a field of `ImageRecipe`, and `recipeHash` covers every field, so a cached image
/// is reused exactly when it would come out the same. What only changes where the packages come
/// from (the mirror) or when the image was built is not part of the recipe.
///
/// The cache (`ImageBuilder`) keeps each build in `<images>/<name>-<hash>/` and points the
/// symlink `<images>/<name>` at the newest, which is what `HostLayout` resolves.
///
/// A recipe may derive from another (`ImageLayer::from`, a topology's `images:` entry or a
/// built-in, builtin_images.hpp): `flattenImage` walks the chain to its root and merges it into one
/// recipe, so the builder never sees layers and an image is one debootstrap, not a stack. The
/// fields a derivation adds (`from`, `files`, `commands`) enter the hash only when they are not
/// empty, so the recipes that have none (`debian`, `services`) keep the hashes they had.
///
/// Bump `kImageFormatVersion` whenever the builder changes what it puts into an image (a new
/// step, a different file), so that existing caches are rebuilt.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::kernel {

constexpr int kImageFormatVersion = 1;
constexpr const char* kDefaultImageName = "debian";
constexpr const char* kUmlModulesRoot = "/usr/lib/uml/modules";

/// A file the recipe copies into the image: its guest path, its mode and its content (read when
/// the recipe is made, so that the hash covers what is copied, not where it came from).
struct RecipeFile {
  std::string guestPath; ///< absolute, inside the guest
  std::string hostPath;  ///< where the content was read; not hashed
  std::string content;
  unsigned mode = 0644;  ///< 0755 when the host file is executable by its owner

  bool operator==(const RecipeFile&) const = default;
};

struct ImageRecipe {
  std::string name;                  ///< "debian"; also the symlink's name
  std::string suite;                 ///< "bookworm"
  std::string variant;               ///< debootstrap variant, "minbase"
  std::vector<std::string> packages; ///< installed on top of the variant, in this order
  std::string architecture;          ///< Debian's name for the host's: "amd64"
  std::string kernelVersion;         ///< the UML kernel whose modules are installed: "6.1.176"
  std::string bootShim;              ///< the text of /sbin/umlab-boot
  std::string imageSize;             ///< mkfs.ext4's size argument, "1G"
  int formatVersion = kImageFormatVersion;
  std::vector<std::string> from;     ///< the parent chain, nearest first: {"kathara-base", "debian"}
  std::vector<RecipeFile> files;     ///< copied in this order (a later one replaces an earlier one)
  std::vector<std::string> commands; ///< `chroot ROOT /bin/sh -c CMD`, in this order, after the files
};

/// One image as declared: what it adds to its parent. A layer with an empty `from` is a root:
/// its `packages` are the whole list, on Debian minbase with the boot shim.
struct ImageLayer {
  std::string name;
  std::string from;                  ///< the parent's name; empty for a root
  std::vector<std::string> packages; ///< added to the parent's, in order
  std::vector<RecipeFile> files;
  std::vector<std::string> commands;
  std::string imageSize;             ///< empty: the parent's
  std::string description;           ///< one line, for `umlab image ls` and the docs; not hashed
};

/// The recipe of `name`: looked up in `layers` first (a topology's images), then among the
/// built-in ones (builtin_images.hpp), its `from` chain followed to a root and merged: packages
/// are the root's then each descendant's own (duplicates dropped, first place kept), files and
/// commands the root's first, the size the nearest one given. nullopt with `error` set when a
/// name in the chain is unknown ("image 'x' (the parent of 'web') is neither ...") or the chain
/// has a cycle.
std::optional<ImageRecipe> flattenImage(std::string_view name, const std::vector<ImageLayer>& layers,
                                        const std::string& kernelVersion, std::string* error);

/// The packages every base image has: iproute2 ... net-tools (net-tools for Netkit-style labs).
std::vector<std::string> defaultImagePackages();

/// The image variant for labs that run services: the default packages plus a DHCP and DNS
/// server and client (dnsmasq, isc-dhcp-client, dnsutils), a routing suite (frr, for OSPF and
/// BGP labs) and bridge-utils. Built with `umlab image build --name services`; nodes choose it
/// with `image: services`.
constexpr const char* kServicesImageName = "services";
std::vector<std::string> servicesImagePackages();

/// The recipe `umlab image build --name NAME` uses: the built-in recipe of that name
/// (builtin_images.hpp), else the default packages under that name.
ImageRecipe imageRecipeFor(std::string name, std::string kernelVersion);

/// The recipe `umlab image build` uses: Debian bookworm minbase, `defaultImagePackages()`, this
/// build's boot shim (`kBootShim`), a 1G image.
ImageRecipe defaultImageRecipe(std::string name, std::string kernelVersion);

/// The version of the installed UML kernel: the single directory under `modulesRoot`
/// (/usr/lib/uml/modules). nullopt with `error` set when there is none ("user-mode-linux is not
/// installed; apt-get install user-mode-linux") or more than one.
std::optional<std::string> findUmlKernelVersion(const std::string& modulesRoot, std::string* error);

/// 16 lowercase hex digits (FNV-1a 64) over every field, each written as `key=<length>:<value>`
/// so that no two recipes serialise alike. Stable across runs, builds and machines.
std::string recipeHash(const ImageRecipe& recipe);

/// "<name>-<hash>", the recipe's directory in the image cache.
std::string imageDirName(const ImageRecipe& recipe);

/// True for names that can be an image: [a-z0-9][a-z0-9._-]*, at most 64 characters, and not
/// ending in "-<16 hex digits>" (that would look like a cache directory).
bool isValidImageName(std::string_view name);

/// The recipe as `recipe.txt` lines ("key value"), ending with "hash <hash>". The boot shim and
/// each file's content are listed by their FNV-1a 64 hash, since they have several lines; the
/// lines for `from`, files and commands appear only when the recipe has them.
std::string renderRecipe(const ImageRecipe& recipe);

} // namespace umlab::kernel
