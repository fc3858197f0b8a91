#include "umlab/lab/runtime/guest_disk.hpp"

#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/saved_labs.hpp"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

namespace {

/// The disk of NODE among the COW files in `cowDir` (what `down --keep` or `umlab save` kept);
/// the base is the one each header names.
GuestDisk keptDisk(const std::string& cowDir, const std::string& lab, const std::string& node, const std::string& where) {
  GuestDisk disk;
  disk.cowPath = cowDir + "/" + node + ".cow";
  disk.where = where;
  // (a rootless lab's cow/ belongs to its guests' subordinate id: the caller may not see into
  // it, which is not a missing file; the reader enters the lab's ids to read it)
  std::error_code ec;
  if (!fs::exists(disk.cowPath, ec) && !ec) {
    std::string names;
    for (const auto& e : fs::directory_iterator(cowDir, ec))
      if (e.path().extension() == ".cow")
        names += (names.empty() ? "" : ", ") + e.path().stem().string();
    throw RuntimeError("lab '" + lab + "' (" + where + ") has no disk of node '" + node + "'" +
                       (names.empty() ? std::string(" (it has none)") : " (it has those of: " + names + ")"));
  }
  return disk;
}

} // namespace

GuestDisk locateGuestDisk(const std::string& stateRoot, const std::string& lab, const std::string& node) {
  if (std::string problem = checkLabName(lab); !problem.empty())
    throw RuntimeError(problem);
  const LabState state(stateRoot, lab);
  std::error_code ec;
  if (!state.exists()) {
    // A saved lab (saved_labs.hpp): its COW files in the data directory.
    const std::string saved = dataDirFromEnvironment() + "/saved/" + lab;
    if (fs::is_directory(saved, ec))
      return keptDisk(saved + "/cow", lab, node, "saved");
    throw RuntimeError("no lab named '" + lab + "' under " + stateRoot +
                       " (running, taken down with 'umlab down --keep', or saved); 'umlab ps' lists them");
  }
  GuestDisk disk;
  if (fs::exists(state.planFile(), ec)) {
    const LabClient client(stateRoot);
    const LaunchPlan plan = client.plan(lab);
    auto g = std::find_if(plan.guests.begin(), plan.guests.end(), [&](const GuestPlan& p) { return p.name == node; });
    if (g == plan.guests.end()) {
      std::string names;
      for (const GuestPlan& p : plan.guests)
        names += (names.empty() ? "" : ", ") + p.name;
      throw RuntimeError("lab '" + lab + "' has no node '" + node + "' (its nodes: " + names + ")");
    }
    disk.cowPath = g->cowPath;
    disk.basePath = g->basePath;
    disk.where = "crashed lab";
    if (client.isRunning(lab)) {
      for (const NodeStatus& n : client.status(lab).nodes)
        if (n.name == node)
          disk.where = n.state;
      disk.isRunning = disk.where == "ready" || disk.where == "booting" || disk.where == "stopping";
    }
  } else {
    // `umlab down --keep` left only the COW files; the base is the one each header names.
    return keptDisk(state.dir() + "/cow", lab, node, "kept by 'umlab down --keep'");
  }
  if (!fs::exists(disk.cowPath, ec) && !ec)
    throw RuntimeError("node '" + node + "' of lab '" + lab + "' has no COW file yet (" + disk.cowPath +
                       "): it has not booted, so its disk is its base image");
  return disk;
}

std::string flushGuestDisk(const LabClient& client, const std::string& lab, const std::string& node) {
  ExecOptions o;
  o.timeout = std::chrono::seconds(30);
  // One shell: the thaw runs right after the freeze whatever the freeze did.
  const ExecResult r = client.exec(lab, node, {"sh", "-c", "sync; fsfreeze -f / ; s=$?; fsfreeze -u / ; exit $s"}, o);
  if (r.exitCode == 0)
    return "";
  if (r.isTimedOut || r.exitCode < 0) {
    // Never leave a guest frozen: thaw again (it fails harmlessly when it is not frozen).
    ExecOptions again;
    again.timeout = std::chrono::seconds(10);
    client.exec(lab, node, {"fsfreeze", "-u", "/"}, again);
  }
  std::string why = !r.error.empty() ? r.error : r.err;
  while (!why.empty() && why.back() == '\n')
    why.pop_back();
  return "node '" + node + "' could not flush its disk (" + (why.empty() ? "exit " + std::to_string(r.exitCode) : why) +
         "): its latest writes may be missing";
}

GuestDiff diffLabNode(const std::string& stateRoot, const std::string& lab, const std::string& node,
                      const DiffOptions& options, bool flush) {
  const GuestDisk disk = locateGuestDisk(stateRoot, lab, node);
  std::string flushProblem;
  if (disk.isRunning && flush)
    flushProblem = flushGuestDisk(LabClient(stateRoot), lab, node);
  GuestDiff diff;
  try {
    diff = diffGuest(disk.cowPath, disk.basePath, options);
  } catch (const RuntimeError&) {
    throw;
  } catch (const std::runtime_error& e) {
    throw RuntimeError(std::string("node '") + node + "' of lab '" + lab + "': " + e.what());
  }
  if (!flushProblem.empty())
    diff.warnings.insert(diff.warnings.begin(), flushProblem);
  return diff;
}

} // namespace umlab::lab::runtime
