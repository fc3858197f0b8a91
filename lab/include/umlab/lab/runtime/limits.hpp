#pragma once
/// Per-user resource limits on a shared machine: how many guests, and how much guest memory, one
/// user's running labs may hold at once (issue 16; docs/limits.md).
///
/// Design notes
/// ------------
/// The machine's administrator writes one YAML file, `kLimitsFile`, read with the same loader as
/// topologies, so every mistake is an error at file:line:col and a misspelt key gets a "did you
/// mean":
///
///   # /etc/umlab/limits.yaml
///   default: {max-guests: 20, max-memory: 4G}      # everybody
///   groups:
///     students: {max-guests: 12, max-memory: 2G}   # members of the Unix group 'students'
///     teachers: {max-guests: 200, max-memory: unlimited}
///   users:
///     alice: {max-guests: 40, max-memory: 8G}
///
/// `max-guests` is a count from 1 up; `max-memory` is a size as topologies write `memory:`
/// (`parseByteSize`: 512M, 4G), at least one smallest guest (`kMinMemory`). Either may be
/// `unlimited`, and an entry may leave either out. Keys are kebab-case, as in topologies.
///
/// Resolution, for each limit on its own (so that an entry may set one and inherit the other):
///   1. the user's own entry (`users.NAME`) when it sets the limit: it wins, even when a group
///      would give more, so that one user can be held back;
///   2. else the most generous of the user's groups' entries that set it (`unlimited` beats any
///      number; on a tie, the group written first in the file);
///   3. else `default` when it sets it;
///   4. else unlimited.
/// Every resolved limit names the entry it came from and its place in the file, so that a refusal
/// can say "max-guests: 40 (users.alice in /etc/umlab/limits.yaml)".
///
/// A missing file means nobody is limited; an empty file or one holding only comments sets no
/// limit. Root (uid 0) is never limited: callers skip `checkLimits` for root, which could run the
/// guests by hand anyway. The limits are a fairness policy that umlab applies when it starts
/// guests (`up`, `apply`), not a kernel boundary: a user can still start `linux.uml` processes
/// directly. Everything here is pure (the file's path is a parameter, no global state);
/// `user_account.hpp` finds who is asking.

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/source.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace umlab::lab::runtime {

/// Where the machine's limits live.
inline constexpr const char* kLimitsFile = "/etc/umlab/limits.yaml";

/// One limit as an entry of the file writes it.
struct LimitValue {
  std::optional<uint64_t> amount; ///< guests, or bytes of memory; nullopt for `unlimited`
  std::string text;               ///< as written ("4G", "40", "unlimited"), for messages
  uint32_t line = 0;              ///< 1-based place of the value in the file
  uint32_t column = 0;
  friend bool operator==(const LimitValue&, const LimitValue&) = default;
};

/// `default`, `groups.NAME` or `users.NAME`.
struct LimitEntry {
  std::string name;   ///< the user or group; empty for `default`
  std::string source; ///< "default", "groups.students", "users.alice"
  uint32_t line = 0;  ///< where the entry's name is
  std::optional<LimitValue> maxGuests;
  std::optional<LimitValue> maxMemory;
  friend bool operator==(const LimitEntry&, const LimitEntry&) = default;
};

/// The whole file, checked. Plain data: it does not refer to the `SourceManager` it was read with.
struct Limits {
  std::string path;   ///< the file read (or looked for)
  bool exists = false; ///< false when there is no file: nobody is limited
  std::optional<LimitEntry> defaults;
  std::vector<LimitEntry> groups; ///< in file order
  std::vector<LimitEntry> users;  ///< in file order
};

/// Reads `path` (normally `kLimitsFile`). A missing file gives `Limits{exists = false}`, not an
/// error. Every mistake in the file is reported to `diags` (all of them, at file:line:col); then
/// the result is nullopt. `sources` keeps the text for the diagnostics and must outlive them.
std::optional<Limits> loadLimits(const std::string& path, SourceManager& sources, Diagnostics& diags);
/// Checks `text` as if read from a file named `path` (tests).
std::optional<Limits> loadLimitsText(const std::string& path, std::string text, SourceManager& sources,
                                     Diagnostics& diags);

/// One resolved limit and where it came from.
struct EffectiveLimit {
  std::optional<uint64_t> amount; ///< nullopt: unlimited
  std::string text;               ///< as written in the file; "unlimited" when no entry sets it
  std::string source;             ///< "users.alice", "groups.students", "default"; empty: no entry
  std::string file;               ///< the limits file (empty when no entry sets the limit)
  uint32_t line = 0;
  uint32_t column = 0;

  bool isLimited() const { return amount.has_value(); }
  /// "users.alice in /etc/umlab/limits.yaml", or "no entry sets it".
  std::string describeSource() const;
};

struct EffectiveLimits {
  std::string user;
  EffectiveLimit maxGuests;
  EffectiveLimit maxMemory;
};

/// The limits of `user`, a member of `groups` (names; order does not matter), by the rules in the
/// design notes. Pure: who the user is comes from the caller (`currentUserAccount`).
EffectiveLimits limitsFor(const Limits& limits, const std::string& user, const std::vector<std::string>& groups);

/// Guests and guest memory (the sum of the nodes' `memory`, as the plan gives them).
struct Usage {
  size_t guests = 0;
  uint64_t memoryBytes = 0;
};

/// nullopt when `alreadyRunning` plus `requested` stays within `limits`; else one message naming
/// every limit that would be passed, its value, its entry and the file, and what to do:
///
///   this needs 12 more guests and your running labs have 30; your limit is max-guests: 40
///   (users.alice in /etc/umlab/limits.yaml); stop a lab with 'umlab down LAB' or ask the
///   machine's administrator
///
/// (one line). For `up`, `requested` is the whole lab; for `apply`, what the change adds (a
/// shrinking change need not be checked). Callers do not call this for root.
std::optional<std::string> checkLimits(const EffectiveLimits& limits, Usage alreadyRunning, Usage requested);

/// A size as limits messages write it: "4G" when a whole number of GiB, else as `formatByteSize`.
std::string formatLimitSize(uint64_t bytes);

} // namespace umlab::lab::runtime
