#pragma once
/// Which umlab image runs a device that a Kathará lab gives a Docker image.
///
/// Kathará devices name Docker images (`pc1[image]="kathara/frr"`); umlab guests boot Debian
/// images built from recipes (kernel/image_recipe.hpp). The table maps each image the public
/// catalogues use to the recipe that carries the same software:
///
///   kathara/base[:tag]     -> kathara-base  (the usual lab tools, bind9, apache2, dhcp, ...)
///   kathara/bind[:tag]     -> kathara-base  (kathara/bind is kathara/base's bind9); the options
///                             BIND 9.18 refuses (dnssec-enable, dnssec-lookaside,
///                             filter-aaaa-on-v4: named would not start) are commented out in
///                             /etc/bind before startup, by a command the topology shows
///   kathara/frr[:tag]      -> kathara-frr   (kathara-base + FRR)
///   kathara/quagga[:tag]   -> kathara-frr, and the device starts Quagga's configuration with
///                             FRR's daemons (`/etc/init.d/quagga start`), as Kathará's quagga
///                             image starts Quagga itself: Debian 12 has no Quagga
///   .../wireshark          -> no device: it is a lab's capture viewer; `umlab capture` does
///                             that from the host
///   no image               -> kathara-base (Kathará's default image)
///
/// Images whose software umlab's guests cannot run are refused with the reason: P4 switches
/// (bmv2), Open vSwitch SDN images and the POX controller image. Any other image is refused as
/// unknown, naming the ones that map; `ImportOptions::imageMap` maps it to an image of the
/// user's own (`umlab import --image NAME=IMAGE`).

#include <map>
#include <optional>
#include <string>

namespace umlab::lab {

struct KatharaImageMapping {
  enum class Outcome { Image, Omit, Refuse } outcome = Outcome::Refuse;
  std::string image;   ///< Image: the umlab image
  bool startsQuagga = false; ///< Image: the device starts /etc/quagga's daemons at boot
  /// Image: the device's BIND configuration was written for BIND 9.11 (kathara/bind:9.11), and
  /// options that Debian 12's BIND 9.18 no longer accepts are commented out before startup.
  bool isBind911 = false;
  std::string note;    ///< Omit and Refuse: why, and what to do instead
};

constexpr const char* kKatharaDefaultImage = "kathara-base";

/// `name` as written in lab.conf (quotes removed); an empty name is Kathará's default image.
/// `userMap` (Docker image, with or without its tag -> umlab image) wins over the table.
KatharaImageMapping mapKatharaImage(const std::string& name, const std::map<std::string, std::string>& userMap = {});

} // namespace umlab::lab
