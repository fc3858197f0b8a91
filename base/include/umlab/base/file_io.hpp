#pragma once
/// Whole files in and out, for the small state files umlab keeps (plans, records, logs).

#include <optional>
#include <string>
#include <string_view>

namespace umlab {

/// Writes `text` to `path` atomically: a temporary file beside it (mode 0600), synced, then
/// renamed over `path`, so a reader sees the old file or the new one, never part of one. Throws
/// std::system_error naming the failed call and path; leaves no temporary behind.
void writeFileAtomically(const std::string& path, std::string_view text);

/// The whole of `path`; nullopt when it cannot be opened (absent, unreadable), so an empty file
/// and a missing one differ.
std::optional<std::string> readWholeFile(const std::string& path);

/// The whole of `path`; empty when it cannot be read (absent, unreadable).
std::string readFileOrEmpty(const std::string& path);

} // namespace umlab
