#pragma once
/// Where a node's disk is, and `umlab diff LAB NODE` as one call (guest_diff.hpp does the diff).
///
/// Design notes
/// ------------
/// A node's disk is its COW file over a base image. `locateGuestDisk` is the one place that maps
/// LAB NODE to those two paths, so a new home for COW files (a saved lab) is one more case here:
///   - a lab with a plan (running, or crashed): the plan's guests[].cowPath and basePath; the
///     node's state from the supervisor (a crashed lab's nodes count as not running);
///   - a lab taken down with `umlab down --keep`: only <stateRoot>/<lab>/cow/<node>.cow is left,
///     and the base is the one its COW header names;
///   - a saved lab (`umlab save`, saved_labs.hpp; no state directory): <dataDir>/saved/<lab>/
///     cow/<node>.cow, the base again from its header.
///
/// A running guest's disk is written by its kernel, which keeps recent writes in its page cache
/// and its ext4 journal. `flushGuestDisk` asks it, through the lab's agent, to `sync` and then to
/// freeze and thaw its root file system (`fsfreeze -f / ; fsfreeze -u /`): a freeze writes every
/// dirty page, checkpoints the journal (jbd2_journal_flush) and marks it empty, so the COW file
/// then holds a consistent file system. The thaw runs in the same shell right after, whatever
/// the freeze did, and a second thaw is sent if the first command did not come back: a guest is
/// never left frozen. Writes the guest makes after the flush may or may not be seen.

#include "umlab/lab/runtime/guest_diff.hpp"

#include <string>

namespace umlab::lab::runtime {

class LabClient;

struct GuestDisk {
  std::string cowPath;
  std::string basePath;  ///< empty: the base the COW header names
  bool isRunning = false; ///< the node's guest runs now (its disk changes under the reader)
  std::string where;      ///< "running", "stopped", "dead (signal 9)", "kept (lab down --keep)" ...
};

/// The disk of NODE in LAB under `stateRoot`. Throws RuntimeError saying what exists instead
/// (no such lab, no such node: the lab's nodes, no COW file yet).
GuestDisk locateGuestDisk(const std::string& stateRoot, const std::string& lab, const std::string& node);

/// Asks the running NODE to write its disk out (above). Returns "" when it did, else why not.
std::string flushGuestDisk(const LabClient& client, const std::string& lab, const std::string& node);

/// locate, flush a running node (unless `flush` is false), diff: what `umlab diff LAB NODE`
/// shows. A failed flush is a warning in the result, not an error. Throws RuntimeError.
GuestDiff diffLabNode(const std::string& stateRoot, const std::string& lab, const std::string& node,
                      const DiffOptions& options, bool flush = true);

} // namespace umlab::lab::runtime
