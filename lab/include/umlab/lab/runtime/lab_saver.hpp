#pragma once
/// `umlab save` and `umlab resume`: a running lab to a saved lab and back (saved_labs.hpp has the
/// layout, docs/save-resume.md the user's view).
///
/// Save, in this order, so that nothing is lost whatever fails: the plan, the topology file and
/// the config disks are copied while the lab runs; each switch's capture ring is written to a
/// pcap (what the ring holds of the last 24 hours); the lab's capture files are copied; then the
/// guests are powered off cleanly as by `down --keep`; their COW files are copied (sparse) into
/// the saved lab, which is committed (renamed into place) last. Only then is the lab's state
/// directory (its kept COW files) removed. A failure before the commit leaves the kept COW files
/// in the state directory, where `umlab up` of the same topology reuses them.
///
/// Resume: the saved plan is relocated to this host (saved_labs.hpp `relocatePlan`: state root,
/// name, kernel, switch daemon, and each base image's build found by `findLocalBase`), and the
/// Launcher boots it from the saved lab (LaunchOptions::resumeFrom copies the COW files,
/// config disks and captures into the new state directory). The saved copy is removed only once
/// every guest is ready: a failed resume leaves it as it was.

#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/saved_labs.hpp"

#include <chrono>
#include <string>

namespace umlab::lab::runtime {

struct SaveResult {
  std::string dir;
  double seconds = 0;
  uint64_t diskBytes = 0;
  size_t captures = 0; ///< capture rings and files kept
};

/// Saves the running `lab` of `client` into `store`. Throws RuntimeError (the lab not running,
/// already saved, a copy that failed: what to do).
SaveResult saveLab(const LabClient& client, const std::string& lab, const SavedLabs& store,
                   const std::string& umlabVersion, LaunchProgress& progress);

struct ResumeOptions {
  std::string stateRoot;
  std::string self; ///< the running program (host layout: kernel, switch daemon, images)
  std::chrono::seconds bootTimeout{180};
  std::string guestBinDir;
};

struct ResumeResult {
  LaunchPlan plan;
  double seconds = 0;
};

/// Boots the saved `lab` under `options.stateRoot`, then removes it from `store`. Throws
/// RuntimeError; the saved lab is untouched then.
ResumeResult resumeLab(const SavedLabs& store, const std::string& lab, const ResumeOptions& options,
                       LaunchProgress& progress);

/// The saved lab's plan relocated to this host and `stateRoot` (and renamed to `newName` when
/// not empty): what `resumeLab` boots. Throws RuntimeError naming a base image that is not here.
LaunchPlan planForResume(const SavedLabs& store, const std::string& lab, const std::string& self,
                         const std::string& stateRoot, const std::string& newName = "");

} // namespace umlab::lab::runtime
