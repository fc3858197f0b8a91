#pragma once
/// The host side of a topology's paths (private to resolve.cpp and resolve_images.cpp): a host
/// path is relative to the topology file's directory, or absolute; and a `files` entry, which a
/// node and an image recipe both have, is checked the same way for both.

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/model/raw_topology.hpp"
#include "umlab/lab/model/topology.hpp"

#include <functional>
#include <optional>
#include <string>

namespace umlab::lab {

/// `text` as a host path: absolute as given, else below `baseDir`; lexically normal.
std::string hostPathIn(const std::string& baseDir, const std::string& text);

/// A `files` entry of `owner` ("node 'pc1'", "image 'web'"): an absolute guest path to a file
/// without '.' or '..', and a host path that `pathExists`. nullopt after reporting the error at
/// the offending key or value.
std::optional<GuestFile> resolveGuestFile(const RawFile& f, const std::string& owner, const std::string& baseDir,
                                          const std::function<bool(const std::string&)>& pathExists,
                                          Diagnostics& diags);

} // namespace umlab::lab
