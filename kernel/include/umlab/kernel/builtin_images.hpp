#pragma once
/// The images umlab knows without a topology, as one table (`builtinImageLayers`), so that
/// `umlab image build --name`, `image ls`, `image prune` and the docs read the same list.
///
///   debian        the lab base: Debian bookworm minbase and the usual network tools
///   services      debian's tools plus DHCP, DNS and FRR, for the catalogue's service labs
///   kathara-base  the tools of Kathará's kathara/base image (Docker-Images/base/Dockerfile,
///                 Debian 12), as bookworm packages: apache2, bind9, isc-dhcp-*, ssh, radvd, ...
///   kathara-frr   kathara-base plus FRR (frr, frr-pythontools, frr-snmp), as kathara/frr
///
/// `debian` and `services` are roots with their whole package list, exactly as before the table
/// existed, so their recipe hashes (and the caches built from them) did not change. The Kathará
/// equivalents leave out what kathara/base compiles or fetches at build time (iproute2 from
/// kernel.org, pip's scapy, a systemctl replacement) and its development packages; they use
/// Debian's own iproute2 and python3-scapy instead. The Kathará importer maps image names onto
/// these (kathara/bind is kathara-base, which has bind9).

#include "umlab/kernel/image_recipe.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::kernel {

constexpr const char* kKatharaBaseImageName = "kathara-base";
constexpr const char* kKatharaFrrImageName = "kathara-frr";

/// Every built-in image, parents before the images derived from them.
const std::vector<ImageLayer>& builtinImageLayers();

/// The built-in layer called `name`, or nullptr.
const ImageLayer* findBuiltinImage(std::string_view name);

struct BuiltinImageInfo {
  std::string name;
  std::string description; ///< one line
};

/// The built-in images' names with a one-line description each, in table order.
std::vector<BuiltinImageInfo> builtinImages();

} // namespace umlab::kernel
