#include "umlab/lab/runtime/lab_saver.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/image_store.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/sparse_copy.hpp"
#include "umlab/lab/runtime/user_namespace.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

/// Removes a partial saved lab unless it was committed.
struct PartialGuard {
  std::string dir;
  bool isCommitted = false;
  ~PartialGuard() {
    std::error_code ec;
    if (!isCommitted && !dir.empty())
      fs::remove_all(dir, ec);
  }
};

void makeDir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw RuntimeError("cannot create '" + dir + "': " + std::strerror(errno));
}

/// Copies `from` to `to` as root of a new user namespace of the caller's, where a rootless lab's
/// files (owned by one of the user's subordinate ids: user_namespace.hpp) are readable; the copy
/// belongs to the user. False when that is not possible or fails.
bool copyInUserNamespace(const std::string& from, const std::string& to) {
  return runAsLabOwner([&] {
    copySparseFile(from, to);
    return true;
  });
}

/// Keeps `from` as `to` (sparse); false when `from` does not exist. Throws RuntimeError.
bool keepFile(const std::string& from, const std::string& to, const std::string& what) {
  try {
    copySparseFile(from, to);
    return true;
  } catch (const std::system_error& e) {
    if (e.code().value() == ENOENT && std::string(e.what()).rfind("open ", 0) == 0)
      return false;
    if ((e.code().value() == EACCES || e.code().value() == EPERM) && copyInUserNamespace(from, to))
      return true;
    throw RuntimeError("cannot keep " + what + ": " + e.what() + "; nothing was lost: the lab's files are where they were");
  }
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw RuntimeError("cannot write '" + path + "': " + std::strerror(errno));
}

std::string seconds(double s) {
  char t[32];
  std::snprintf(t, sizeof t, "%.1f s", s);
  return t;
}

} // namespace

SaveResult saveLab(const LabClient& client, const std::string& lab, const SavedLabs& store,
                   const std::string& umlabVersion, LaunchProgress& progress) {
  const auto started = Clock::now();
  if (!client.isRunning(lab))
    throw RuntimeError("lab '" + lab + "' is not running; 'umlab ps' lists the running and saved labs");
  if (store.has(lab))
    throw RuntimeError("lab '" + lab + "' is saved already (" + store.dir(lab) + "); delete that copy first with 'umlab down --saved " +
                       lab + "', or resume it under another name");
  const LaunchPlan plan = client.plan(lab);
  PartialGuard partial{store.makePartial(lab)};
  const std::string dir = partial.dir;
  for (const char* sub : {"cow", "nodes", "captures", "topology"})
    makeDir(dir + "/" + sub);
  progress.step("saving lab '" + lab + "' into " + store.dir(lab));

  // While the lab runs: its plan, its topology file, its config disks.
  try {
    savePlanJson(plan, dir + "/plan.json");
  } catch (const std::system_error& e) {
    throw RuntimeError(std::string("cannot keep the plan: ") + e.what());
  }
  std::error_code ec;
  if (!plan.sourcePath.empty() && fs::is_regular_file(plan.sourcePath, ec))
    keepFile(plan.sourcePath, dir + "/topology/" + fs::path(plan.sourcePath).filename().string(), "the topology file");
  for (const GuestPlan& g : plan.guests) {
    makeDir(dir + "/nodes/" + g.name);
    keepFile(g.configDisk, dir + "/nodes/" + g.name + "/config.img", "the config disk of '" + g.name + "'");
  }

  // The switches' capture rings, then the lab's own capture files.
  SaveResult result;
  for (const SwitchPlan& s : plan.switches) {
    const std::string file = dir + "/captures/ring-" + s.segment + ".pcap";
    UniqueFd out(::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!out)
      throw RuntimeError("cannot create '" + file + "': " + std::strerror(errno));
    try {
      const long long frames = client.capture(lab, s.segment, out.get(), std::chrono::milliseconds(0),
                                              std::chrono::hours(24), [] { return true; });
      out.reset();
      if (frames <= 0) {
        ::unlink(file.c_str());
        continue;
      }
      ++result.captures;
      progress.step("segment " + s.segment + ": " + std::to_string(frames) + " frame" + (frames == 1 ? "" : "s") +
                    " of its capture ring kept");
    } catch (const RuntimeError& e) {
      out.reset();
      ::unlink(file.c_str());
      progress.warning("segment " + s.segment + ": its capture ring was not kept: " + e.what());
    }
  }
  LabState state(client.stateRoot(), lab);
  std::error_code listing;
  for (const auto& e : fs::directory_iterator(state.dir() + "/captures", listing)) {
    if (!e.is_regular_file(ec) || e.is_symlink(ec))
      continue;
    const std::string to = dir + "/captures/" + e.path().filename().string();
    if (!fs::exists(to, ec) && keepFile(e.path().string(), to, "capture " + e.path().string()))
      ++result.captures;
  }
  // A rootless lab's captures/ belongs to its subordinate id; it holds only replays' copies of
  // topology files there (`umlab capture` removes its own), so it is not worth a namespace.
  if (listing && listing != std::errc::no_such_file_or_directory &&
      !(listing == std::errc::permission_denied && isRootless()))
    progress.warning("the lab's capture files in " + state.dir() + "/captures were not kept: " + listing.message());

  // How far the timeline has gone: a resumed lab goes on from there, not from its start.
  int64_t timelineMs = 0;
  try {
    const TimelineStatus t = client.status(lab).timeline;
    if (t.steps > 0 && t.startTime > 0)
      timelineMs = static_cast<int64_t>((eventTimeNow() - t.startTime) * 1000);
  } catch (const RuntimeError&) {
  }
  // Power off, then keep the disks.
  progress.step("stopping " + std::to_string(plan.guests.size()) + " guest" + (plan.guests.size() == 1 ? "" : "s") +
                " cleanly (their disks are kept)");
  const auto downStarted = Clock::now();
  client.down(lab, true);
  progress.step("stopped in " + seconds(std::chrono::duration<double>(Clock::now() - downStarted).count()));
  for (const GuestPlan& g : plan.guests) {
    const std::string to = dir + "/cow/" + g.name + ".cow";
    // A guest that never booted has no disk of its own yet.
    if (keepFile(g.cowPath, to, "the disk of '" + g.name + "' (kept in " + g.cowPath + ")"))
      progress.step("disk of " + g.name + " kept (" + kernel::formatSize(allocatedSize(to)) + " of data)");
  }
  SavedLabMeta meta;
  meta.lab = lab;
  meta.savedTime = static_cast<int64_t>(::time(nullptr));
  meta.umlabVersion = umlabVersion;
  meta.origin = state.dir();
  for (const GuestPlan& g : plan.guests)
    meta.nodes.push_back(g.name);
  meta.images = imagesOfPlan(plan);
  meta.timelineMs = timelineMs;
  writeText(dir + "/saved.json", savedLabMetaJson(meta));
  store.commit(dir, lab);
  partial.isCommitted = true;
  // Saved: the kept COW files in the state root are no longer needed.
  client.cleanCrashed(lab);
  result.dir = store.dir(lab);
  result.diskBytes = allocatedTreeSize(result.dir);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

LaunchPlan planForResume(const SavedLabs& store, const std::string& lab, const std::string& self,
                         const std::string& stateRoot, const std::string& newName) {
  const SavedLab saved = store.read(lab);
  const std::optional<LaunchPlan> plan = savedPlan(saved);
  const HostLayout host = hostLayoutFromEnvironment(self);
  PlanRelocation r;
  r.lab = newName.empty() ? saved.meta.lab : newName;
  r.stateRoot = stateRoot;
  std::string topologyFile; // for the message that says how to build a topology's own image
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(saved.dir + "/topology", ec))
    topologyFile = e.path().string();
  const ImageDirs dirs{host.imageDir, host.systemImageDir};
  for (const SavedImage& image : saved.meta.images) {
    const std::string local = findLocalBase(image, dirs, topologyFile);
    for (const GuestPlan& g : plan->guests)
      if (g.image == image.name && g.basePath != local)
        r.paths[g.basePath] = local;
  }
  for (const GuestPlan& g : plan->guests)
    if (g.kernel == "debian" && !g.argv.empty() && g.argv.front() != host.kernel)
      r.paths[g.argv.front()] = host.kernel;
  for (const SwitchPlan& s : plan->switches)
    if (!s.argv.empty() && s.argv.front() != host.switchd)
      r.paths[s.argv.front()] = host.switchd;
  return relocatePlan(*plan, r);
}

ResumeResult resumeLab(const SavedLabs& store, const std::string& lab, const ResumeOptions& options,
                       LaunchProgress& progress) {
  ResumeResult result;
  result.plan = planForResume(store, lab, options.self, options.stateRoot);
  LaunchOptions launch;
  launch.stateRoot = options.stateRoot;
  launch.bootTimeout = options.bootTimeout;
  launch.guestBinDir = options.guestBinDir;
  launch.resumeFrom = store.dir(lab);
  launch.timelineFromMs = store.read(lab).meta.timelineMs;
  result.seconds = Launcher(progress).launch(result.plan, launch).seconds;
  store.remove(lab);
  progress.step("the saved copy in " + store.dir(lab) + " was removed (the lab runs from " + result.plan.stateDir + ")");
  return result;
}

} // namespace umlab::lab::runtime
