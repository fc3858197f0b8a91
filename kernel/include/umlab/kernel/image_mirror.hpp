#pragma once
/// The Debian mirror a base image is built from: the host's own, as apt is configured, so that a
/// machine behind a proxy or with a local mirror builds from the same place it updates from.
///
/// apt reads /etc/apt/sources.list and then /etc/apt/sources.list.d/ in name order: `*.list`
/// files in the one-line format and `*.sources` files in the deb822 format (sources.list(5)):
///
///   deb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm main contrib
///
///   Types: deb
///   URIs: http://deb.debian.org/debian
///   Suites: bookworm bookworm-updates
///   Components: main
///
/// The mirror is the first `deb` (not `deb-src`) entry, in that order, whose suite is exactly the
/// image's suite (so bookworm-security and third-party suites are skipped), whose components
/// include `main`, and whose URI is http, https or file (what debootstrap can fetch from).
/// Entries with `Enabled: no` are skipped. Without one, `kFallbackMirror`.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::kernel {

constexpr const char* kFallbackMirror = "http://deb.debian.org/debian";

struct AptSource {
  std::string type; ///< "deb" or "deb-src"
  std::string uri;
  std::string suite;
  std::vector<std::string> components;
};

/// Entries of a one-line-format file, in order. Malformed lines are skipped, as apt would
/// refuse them and they are not this program's to report.
std::vector<AptSource> parseOneLineSources(std::string_view text);
/// Entries of a deb822 `.sources` file: every type x URI x suite of each enabled stanza.
std::vector<AptSource> parseDeb822Sources(std::string_view text);

/// The first entry that can serve `suite`'s main component, with trailing slashes removed.
std::optional<std::string> pickDebianMirror(const std::vector<AptSource>& sources, std::string_view suite);

struct MirrorChoice {
  std::string uri;
  std::string origin; ///< the file it came from, or "default" for kFallbackMirror
};

/// The host's mirror for `suite`, read from `aptDir` (/etc/apt) as described above.
MirrorChoice findHostMirror(std::string_view suite, const std::string& aptDir = "/etc/apt");

} // namespace umlab::kernel
