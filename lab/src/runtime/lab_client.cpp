#include "umlab/lab/runtime/lab_client.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/base/process.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/kernel/agent_protocol.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/compile/plan_render.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/limit_gate.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/switch_admin.hpp"
#include "umlab/lab/runtime/user_namespace.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {

namespace fs = std::filesystem;
namespace agent = umlab::kernel::agent;
using SteadyClock = std::chrono::steady_clock;

std::string oneLine(const std::function<void(JsonWriter&)>& fill) {
  JsonWriter w(JsonWriter::kOneLine);
  w.beginObject();
  fill(w);
  w.endObject();
  return w.str();
}

/// Copies what was appended to `from` since `offset` to `to`; false when `to` refuses.
bool copyNew(int from, off_t& offset, int to) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::pread(from, buf, sizeof buf, offset);
    if (n <= 0)
      return true;
    if (!writeAll(to, std::string_view(buf, static_cast<size_t>(n))))
      return false;
    offset += n;
  }
}

/// A file name no other capture or replay of this process uses, even from another thread.
std::string uniqueSuffix() {
  static std::atomic<unsigned> counter{0};
  return std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
}

} // namespace

std::string checkLabName(const std::string& name) {
  if (!hasValidNameCharacters(name) || name.size() > kMaxLabNameLength)
    return "'" + name + "' is not a lab name (letters, digits, '-' and '_'); 'umlab ps' lists the running labs";
  return {};
}

std::vector<std::string> LabClient::labs() const { return listLabs(stateRoot_); }

bool LabClient::isRunning(const std::string& lab) const { return LabState(stateRoot_, lab).liveSupervisor().has_value(); }

UniqueFd LabClient::request(const std::string& lab, const std::string& requestJson) const {
  if (std::string problem = checkLabName(lab); !problem.empty())
    throw RuntimeError(problem);
  LabState state(stateRoot_, lab);
  if (!state.exists())
    throw RuntimeError("no lab named '" + lab + "' is running; 'umlab ps' lists the running labs");
  if (!state.liveSupervisor())
    throw RuntimeError("lab '" + lab + "' is not running: its supervisor is gone (a crash?); 'umlab clean " + lab +
                       "' removes what it left");
  UniqueFd fd = tryConnectUnixStream(state.controlSocket());
  if (!fd)
    throw RuntimeError("cannot reach the supervisor of lab '" + lab + "' at " + state.controlSocket() + ": " +
                       std::strerror(errno));
  if (!writeAll(fd.get(), requestJson))
    throw RuntimeError("lost the connection to the supervisor of lab '" + lab + "'");
  return fd;
}

JsonValue LabClient::expectOk(int fd, const std::string& lab, std::chrono::milliseconds timeout) const {
  const std::optional<std::string> line = readLine(fd, timeout);
  if (!line)
    throw RuntimeError("the supervisor of lab '" + lab + "' did not answer");
  JsonError e;
  std::optional<JsonValue> reply = parseJson(*line, e);
  if (!reply)
    throw RuntimeError("unexpected answer from the supervisor of lab '" + lab + "': " + e.str());
  const JsonValue* ok = reply->find("ok");
  if (ok && ok->asBool() == std::optional<bool>(false))
    throw RuntimeError(jsonString(*reply, "error"));
  return std::move(*reply);
}

LabStatus LabClient::status(const std::string& lab) const {
  LabState state(stateRoot_, lab);
  if (!state.exists() || !checkLabName(lab).empty())
    throw RuntimeError("no lab named '" + lab + "' is running; 'umlab ps' lists the running labs");
  struct stat st {};
  std::string owner;
  if (::stat(state.dir().c_str(), &st) == 0) {
    const passwd* pw = ::getpwuid(st.st_uid);
    owner = pw ? pw->pw_name : std::to_string(st.st_uid);
  }
  if (!state.liveSupervisor()) {
    LabStatus s;
    s.lab = lab;
    s.stateDir = state.dir();
    s.owner = owner;
    s.state = "crashed";
    return s;
  }
  UniqueFd fd = request(lab, "{\"op\": \"ps\"}\n");
  // The supervisor closes the connection after the status: read it whole, not byte by byte
  // (100 guests and 100 switches make about 60 KB).
  std::string text = readAll(fd.get(), std::chrono::seconds(10));
  const std::optional<std::string> line =
      text.empty() ? std::nullopt : std::optional<std::string>(text.substr(0, text.find('\n')));
  if (!line)
    throw RuntimeError("the supervisor of lab '" + lab + "' did not answer");
  JsonError e;
  std::optional<JsonValue> json = parseJson(*line, e);
  std::string error = json ? std::string() : e.str();
  std::optional<LabStatus> s;
  if (json) {
    if (const JsonValue* ok = json->find("ok"); ok && ok->asBool() == std::optional<bool>(false))
      throw RuntimeError(jsonString(*json, "error"));
    s = readLabStatus(*json, error);
  }
  if (!s)
    throw RuntimeError("the status of lab '" + lab + "' is unreadable: " + error);
  s->owner = owner;
  return *s;
}

LaunchPlan LabClient::plan(const std::string& lab) const {
  LabState state(stateRoot_, lab);
  std::string error;
  std::optional<LaunchPlan> p;
  try {
    p = loadPlanJson(state.planFile(), error);
  } catch (const std::system_error& e) {
    error = e.what();
  }
  if (!p)
    throw RuntimeError(state.exists() ? "cannot read the plan of lab '" + lab + "': " + error
                                      : "no lab named '" + lab + "' is running; 'umlab ps' lists the running labs");
  return *p;
}

ExecResult LabClient::exec(const std::string& lab, const std::string& node, const std::vector<std::string>& argv,
                           const ExecOptions& o) const {
  ExecResult r;
  UniqueFd fd;
  try {
    fd = request(lab, oneLine([&](JsonWriter& w) { w.field("op", "exec").field("node", node); }));
    expectOk(fd.get(), lab);
  } catch (const RuntimeError& e) {
    r.error = e.what();
    r.isRefused = true;
    return r;
  }
  agent::ExecRequest req;
  req.argv = argv;
  req.hasStdin = o.stdinFd >= 0;
  std::string frames;
  agent::encodeFrame({agent::FrameType::Exec, 1, agent::encodeExecRequest(req)}, frames);
  if (!writeAll(fd.get(), frames)) {
    r.error = "lost the connection to lab '" + lab + "'";
    return r;
  }
  auto collect = [&](std::string& into, const std::string& data) {
    into.append(data, 0, o.maxCollected - std::min(o.maxCollected, into.size()));
  };
  agent::FrameDecoder decoder;
  bool stdinOpen = o.stdinFd >= 0;
  bool killed = false;
  const auto deadline = SteadyClock::now() + o.timeout;
  char buf[65536];
  for (;;) {
    pollfd p[3] = {{fd.get(), POLLIN, 0},
                   {o.stdinFd, static_cast<short>(stdinOpen ? POLLIN : 0), 0},
                   {o.cancelFd, POLLIN, 0}};
    int wait = 500;
    if (o.timeout.count() > 0 && !killed) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
      if (left <= 0) {
        std::string sig;
        agent::encodeFrame({agent::FrameType::Signal, 1, std::string(1, static_cast<char>(SIGKILL))}, sig);
        writeAll(fd.get(), sig);
        killed = true;
        continue;
      }
      wait = static_cast<int>(std::min<long long>(left, 500));
    }
    const int n = ::poll(p, 3, wait);
    if (n < 0 && errno != EINTR)
      break;
    if (o.cancelFd >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR))) {
      std::string sig;
      agent::encodeFrame({agent::FrameType::Signal, 1, std::string(1, static_cast<char>(SIGKILL))}, sig);
      writeAll(fd.get(), sig);
      r.error = "'" + argv.front() + "' in node '" + node + "' was cancelled and killed";
      return r;
    }
    if (stdinOpen && (p[1].revents & (POLLIN | POLLHUP))) {
      const ssize_t got = ::read(o.stdinFd, buf, std::min<size_t>(agent::kMaxPayload, sizeof buf));
      std::string frame;
      agent::encodeFrame({agent::FrameType::Stdin, 1, got > 0 ? std::string(buf, static_cast<size_t>(got)) : ""}, frame);
      writeAll(fd.get(), frame);
      if (got <= 0)
        stdinOpen = false;
    }
    if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
      continue;
    const ssize_t got = ::read(fd.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      break;
    decoder.feed(std::span<const char>(buf, static_cast<size_t>(got)));
    while (auto f = decoder.next()) {
      if (f->type == agent::FrameType::Stdout) {
        o.onStdout ? o.onStdout(f->payload) : collect(r.out, f->payload);
      } else if (f->type == agent::FrameType::Stderr) {
        o.onStderr ? o.onStderr(f->payload) : collect(r.err, f->payload);
      } else if (f->type == agent::FrameType::Exit) {
        auto st = agent::decodeExitStatus(f->payload);
        if (!st)
          break;
        if (st->startError != 0) {
          r.error = "cannot run '" + argv.front() + "' in node '" + node + "': " + std::strerror(int(st->startError));
          r.exitCode = st->startError == ENOENT ? 127 : 126;
        } else if (killed) {
          r.isTimedOut = true;
          r.error = "'" + argv.front() + "' in node '" + node + "' timed out after " + formatDuration(o.timeout) +
                    " and was killed";
          r.exitCode = 124;
        } else {
          r.exitCode = st->code;
        }
        return r;
      }
    }
  }
  r.error = "lost the connection to lab '" + lab + "' before the command ended";
  return r;
}

UniqueFd LabClient::console(const std::string& lab, const std::string& node) const {
  UniqueFd fd = request(lab, oneLine([&](JsonWriter& w) { w.field("op", "console").field("node", node); }));
  expectOk(fd.get(), lab);
  return fd;
}

void LabClient::events(const std::string& lab, const std::function<bool(const LabEvent&)>& onEvent, int cancelFd) const {
  UniqueFd fd = request(lab, "{\"op\": \"events\"}\n");
  expectOk(fd.get(), lab);
  std::string buffer;
  char buf[65536];
  for (;;) {
    pollfd p[2] = {{fd.get(), POLLIN, 0}, {cancelFd, POLLIN, 0}};
    const int n = ::poll(p, cancelFd >= 0 ? 2 : 1, -1);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || (cancelFd >= 0 && (p[1].revents & (POLLIN | POLLHUP))))
      return;
    const ssize_t got = ::read(fd.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return; // the lab is gone
    buffer.append(buf, static_cast<size_t>(got));
    size_t nl;
    while ((nl = buffer.find('\n')) != std::string::npos) {
      const std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      JsonError jsonError;
      const std::optional<JsonValue> json = parseJson(line, jsonError);
      const std::optional<LabEvent> event = json ? readLabEvent(*json) : std::nullopt;
      if (!event)
        continue; // a kind of event this reader does not know: a newer supervisor's
      if (!onEvent(*event))
        return;
      if (event->type == LabEvent::Type::Lab && event->state == "down")
        return;
    }
  }
}

DownResult LabClient::down(const std::string& lab, bool keep) const {
  if (std::string problem = checkLabName(lab); !problem.empty())
    throw RuntimeError(problem);
  LabState state(stateRoot_, lab);
  if (!state.exists())
    throw RuntimeError("no lab named '" + lab + "' is running; 'umlab ps' lists the running labs");
  DownResult r;
  const std::optional<ProcessEntry> sup = state.liveSupervisor();
  if (!sup) {
    r.wasRunning = false;
    r.strayGroups = cleanCrashed(lab).value_or(0);
    return r;
  }
  {
    UniqueFd fd = request(lab, keep ? "{\"op\": \"down\", \"keep\": true}\n" : "{\"op\": \"down\", \"keep\": false}\n");
    readAll(fd.get(), std::chrono::seconds(60));
  }
  // The supervisor exits right after answering; make sure, then check nothing is left.
  for (int i = 0; i < 250 && processStartTime(sup->id.pid) == sup->id.startTime; ++i)
    ::usleep(20000);
  std::vector<ProcessId> left;
  for (const ProcessEntry& e : state.processes())
    left.push_back(e.id);
  r.strayGroups = stopForeignProcessGroups(left);
  if (!keep)
    removeLabTree(state.dir());
  return r;
}

std::optional<size_t> LabClient::cleanCrashed(const std::string& lab) const {
  LabState state(stateRoot_, lab);
  if (state.liveSupervisor())
    return std::nullopt;
  std::vector<ProcessId> ids;
  for (const ProcessEntry& e : state.processes())
    ids.push_back(e.id);
  const size_t stopped = stopForeignProcessGroups(ids);
  if (!removeLabTree(state.dir()))
    throw RuntimeError("cannot remove everything in " + state.dir() + "; remove it as root");
  return stopped;
}

std::string LabClient::plug(const std::string& lab, const std::string& node, const std::string& iface,
                            const std::string& segment, const std::string& ip) const {
  UniqueFd fd = request(lab, oneLine([&](JsonWriter& w) {
                          w.field("op", "plug").field("node", node).field("iface", iface).field("segment", segment).field("ip", ip);
                        }));
  const JsonValue reply = expectOk(fd.get(), lab, std::chrono::seconds(60));
  return jsonString(reply, "mac");
}

void LabClient::unplug(const std::string& lab, const std::string& node, const std::string& iface) const {
  UniqueFd fd = request(lab, oneLine([&](JsonWriter& w) { w.field("op", "unplug").field("node", node).field("iface", iface); }));
  expectOk(fd.get(), lab, std::chrono::seconds(60));
}

PlanChanges LabClient::planChanges(const std::string& lab, const LaunchPlan& next, const std::vector<std::string>& restart) const {
  return diffPlans(plan(lab), next, restart);
}

const char* nodeActionName(NodeAction action) {
  switch (action) {
  case NodeAction::Stop: return "stop";
  case NodeAction::Start: return "start";
  case NodeAction::Restart: return "restart";
  case NodeAction::Crash: return "crash";
  }
  return "?";
}

std::optional<NodeAction> parseNodeAction(std::string_view word) {
  for (NodeAction a : {NodeAction::Stop, NodeAction::Start, NodeAction::Restart, NodeAction::Crash})
    if (word == nodeActionName(a))
      return a;
  return std::nullopt;
}

void LabClient::nodeAction(const std::string& lab, const std::string& node, NodeAction action) const {
  UniqueFd fd = request(lab, oneLine([&](JsonWriter& w) {
                          w.field("op", "node").field("node", node).field("action", nodeActionName(action));
                        }));
  // A stop takes at most the supervisor's 20 s of power-off; a start, the lab's boot timeout
  // (180 s unless `up --timeout` said otherwise), as for apply.
  const bool boots = action == NodeAction::Start || action == NodeAction::Restart;
  expectOk(fd.get(), lab, boots ? std::chrono::minutes(10) : std::chrono::minutes(1));
}

std::vector<std::string> LabClient::apply(const std::string& lab, const LaunchPlan& next, const PlanChanges& changes,
                                          const std::vector<std::string>& restart, const std::string& guestBinDir) const {
  if (!changes.refused.empty()) {
    std::string text;
    for (const std::string& r : changes.refused)
      text += "\n  " + r;
    throw RuntimeError("nothing was changed; these changes cannot be made while the lab runs:" + text);
  }
  if (changes.empty())
    return {};
  // The machine's limits (limit_gate.hpp), when the change makes the lab bigger.
  const Usage now = usageOf(plan(lab)), after = usageOf(next);
  if (after.guests > now.guests || after.memoryBytes > now.memoryBytes)
    if (std::optional<std::string> refusal = limitRefusal(next, lab))
      throw RuntimeError("nothing was changed: " + *refusal);
  // New and restarted nodes boot from their config disks: made here, where waiting on
  // mkfs.ext4 stalls nobody, not in the supervisor.
  std::vector<std::string> boot = changes.addedGuests;
  boot.insert(boot.end(), changes.restartedGuests.begin(), changes.restartedGuests.end());
  // In a rootless lab nodes/ belongs to the lab's subordinate id: the disks are written from
  // inside its user namespace (LabSide), and the supervisor gives them to the lab's uid.
  const LabSide side(supervisorPid(lab));
  for (const GuestPlan& g : next.guests)
    if (std::find(boot.begin(), boot.end(), g.name) != boot.end()) {
      const std::string failure = side.attempt([&]() -> std::string {
        std::error_code ec;
        fs::create_directories(fs::path(g.configDisk).parent_path(), ec);
        try {
          writeConfigDisk(g, guestBinDir);
        } catch (const std::system_error& e) {
          return e.what();
        }
        return "";
      });
      if (!failure.empty())
        throw RuntimeError("cannot write the config disk of node '" + g.name + "': " + failure);
    }
  // The plan travels inside the request as the JSON its one writer makes, on one line.
  JsonError parseError;
  const std::optional<JsonValue> planJson = parseJson(renderPlanJson(next), parseError);
  if (!planJson)
    throw RuntimeError("cannot send the plan: " + parseError.str());
  JsonWriter w(JsonWriter::kOneLine);
  w.beginObject().field("op", "apply").key("restart").beginArray();
  for (const std::string& r : restart)
    w.value(r);
  w.endArray().key("plan").value(*planJson).endObject();
  const std::string requestLine = w.str();
  UniqueFd fd = request(lab, requestLine);
  const JsonValue reply = expectOk(fd.get(), lab, std::chrono::minutes(10));
  std::vector<std::string> lines;
  if (const JsonValue* c = reply.find("changes"); c && c->asArray())
    for (const JsonValue& v : *c->asArray())
      if (v.asString())
        lines.emplace_back(*v.asString());
  return lines;
}

std::string LabClient::switchAdminPath(const std::string& lab, const std::string& segment) const {
  const LaunchPlan p = plan(lab);
  std::string known;
  for (const SwitchPlan& s : p.switches) {
    if (s.segment == segment)
      return s.adminPath;
    if (!s.implicit)
      known += (known.empty() ? "" : ", ") + s.segment;
  }
  throw RuntimeError("lab '" + lab + "' has no switch segment '" + segment + "'" +
                     (known.empty() ? std::string() : " (its switch segments: " + known + ")") +
                     "; mcast segments have no switch to ask");
}

std::optional<std::pair<std::string, uint16_t>> LabClient::mcastGroup(const std::string& lab, const std::string& segment) const {
  for (const McastPlan& m : plan(lab).mcast)
    if (m.segment == segment)
      return std::make_pair(m.group, m.port);
  return std::nullopt;
}

namespace {

/// Asks the switch at `adminPath` (switch_admin.hpp), its socket reached through `side`: the
/// lab's user namespace when it is a rootless lab of the caller's.
AdminReply askSwitch(const LabSide& side, const std::string& adminPath, const std::string& command,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(2000)) {
  UniqueFd fd = side.descriptor([&] {
    UniqueFd c = tryConnectUnixStream(adminPath, ConnectMode::Now);
    return c ? c.release() : -errno;
  });
  return switchAdmin(std::move(fd), adminPath, command, timeout);
}

/// Opens a file the lab's switches wrote (a capture), through `side` as `askSwitch` does.
UniqueFd openLabFile(const LabSide& side, const std::string& path) {
  return side.descriptor([&] {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
  });
}

} // namespace

std::pair<std::string, std::string> LabClient::linkConditions(const std::string& lab, const std::string& port,
                                                              const std::string& direction, const std::string& words,
                                                              const std::optional<std::string>& seed) const {
  if (!isRunning(lab))
    status(lab); // throws with the reason when there is no such lab
  if (!isRunning(lab))
    throw RuntimeError("lab '" + lab + "' is not running: its supervisor is gone; 'umlab clean " + lab +
                       "' removes what it left");
  // The switch the plan puts the port on is asked first; the others only for a port plugged in
  // later (`link add`), so a planned port costs one round trip, not one per switch.
  std::vector<SwitchPlan> switches = plan(lab).switches;
  const LabSide side(supervisorPid(lab));
  std::stable_partition(switches.begin(), switches.end(), [&](const SwitchPlan& sw) {
    return std::any_of(sw.ports.begin(), sw.ports.end(), [&](const PortPlan& p) { return p.name == port; });
  });
  for (const SwitchPlan& sw : switches) {
    const AdminReply r = words.empty() ? askSwitch(side, sw.adminPath, "show ports")
                                       : askSwitch(side, sw.adminPath, "set port " + port + " " + direction + words);
    if (!r.reached)
      continue;
    if (words.empty()) {
      const size_t at = r.text.find(" name=" + port + " ");
      if (at == std::string::npos)
        continue;
      const std::string l = r.text.substr(at, r.text.find('\n', at) - at);
      auto field = [&](const std::string& key) {
        const size_t k = l.find(" " + key + "=");
        return l.substr(k + key.size() + 2, l.find(' ', k + 1) - k - key.size() - 2);
      };
      return {sw.segment, "in " + field("in") + ", out " + field("out")};
    }
    if (!r.ok && r.text.rfind("no port", 0) == 0)
      continue;
    if (!r.ok)
      throw RuntimeError(r.text);
    if (seed) {
      const AdminReply s = askSwitch(side, sw.adminPath, "set seed " + *seed);
      if (!s.ok)
        throw RuntimeError("--seed: " + s.text);
    }
    // The supervisor reports the change to `events` subscribers; best effort.
    try {
      UniqueFd fd = request(lab, oneLine([&](JsonWriter& w) { w.field("op", "refresh").field("segment", sw.segment); }));
      readLine(fd.get(), std::chrono::seconds(2));
    } catch (const RuntimeError&) {
    }
    return {sw.segment, r.text};
  }
  throw RuntimeError("no switch of lab '" + lab + "' has a port " + port +
                     " (is it on an mcast segment or a tap? those have no switch; 'umlab ps " + lab +
                     "' shows where each interface is)");
}

std::string LabClient::captureDir(const std::string& lab, const LabSide& side) const {
  LabState state(stateRoot_, lab);
  const std::string dir = state.dir() + "/captures";
  const std::string sw = state.dir() + "/sw";
  struct stat existing {};
  if (::stat(sw.c_str(), &existing) != 0)
    throw RuntimeError("cannot read the state of lab '" + lab + "': " + std::strerror(errno));
  if (::lstat(dir.c_str(), &existing) == 0 && !S_ISDIR(existing.st_mode))
    throw RuntimeError(dir + " is not a directory; 'umlab down " + lab + "' and up again");
  // The lab's (unprivileged, jailed) switches write here: they see the state directory at the
  // same path, as its owner, the owner of sw/. In a rootless lab that owner is one of the user's
  // subordinate ids, which only root of the lab's user namespace may give it to; ids are read
  // there too, since inside that namespace they read otherwise.
  const int e = side.run([&] {
    struct stat owner {};
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
      return -errno;
    return ::stat(sw.c_str(), &owner) == 0 && ::lchown(dir.c_str(), owner.st_uid, owner.st_gid) == 0 ? 0 : -errno;
  });
  if (e != 0)
    throw RuntimeError("cannot hand " + dir + " to the lab's switches: " + std::strerror(e) +
                       "; 'umlab down " + lab + "' and up again");
  return dir;
}

void LabClient::startReplay(const std::string& lab, const std::string& segment, const std::string& capture,
                            const ReplayOptions& options) const {
  const std::string admin = switchAdminPath(lab, segment);
  const LabSide side(supervisorPid(lab));
  const std::string dir = captureDir(lab, side);
  // The switch is confined to the lab's state: it reads a copy there, all of it at start.
  const std::string copy = dir + "/replay." + segment + "." + uniqueSuffix() + ".pcap";
  UniqueFd source(::open(capture.c_str(), O_RDONLY | O_CLOEXEC));
  if (!source)
    throw RuntimeError("cannot read the capture " + capture + ": " + std::strerror(errno));
  // A new file of the switch's (the name is made here: O_EXCL follows nothing planted there).
  UniqueFd target = side.descriptor([&] {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0)
      return -errno;
    const int fd = ::open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
      return -errno;
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) {
      const int e = errno;
      ::close(fd);
      ::unlink(copy.c_str());
      return -e;
    }
    return fd;
  });
  if (!target)
    throw RuntimeError("cannot hand a copy of the capture to the lab's switch (" + copy + "): " + std::strerror(errno));
  char buf[65536];
  for (ssize_t n; (n = ::read(source.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 || !writeAll(target.get(), std::string_view(buf, static_cast<size_t>(n))))
      throw RuntimeError("cannot copy the capture " + capture + ": " + std::strerror(errno));
  }
  target.reset();
  std::ostringstream words;
  words << " speed " << options.speed << " loop " << options.loop;
  if (!options.rewriteDst.empty())
    words << " dst " << options.rewriteDst;
  const AdminReply start = askSwitch(side, admin, "replay start " + copy + words.str(), std::chrono::seconds(30));
  side.run([&] { return ::unlink(copy.c_str()) == 0 ? 0 : -errno; });
  if (!start.ok) {
    std::string why = start.text;
    if (size_t at = why.find(copy); at != std::string::npos)
      why.replace(at, copy.size(), capture);
    throw RuntimeError("cannot replay " + capture + " into " + segment + ": " + why);
  }
}

std::pair<long long, bool> LabClient::replayProgress(const std::string& lab, const std::string& segment) const {
  const AdminReply s = askSwitch(LabSide(supervisorPid(lab)), switchAdminPath(lab, segment), "show replay");
  if (!s.ok)
    throw RuntimeError("segment " + segment + ": " + s.text);
  return {adminValue(s.text, "replay_frames_sent=", "replay_frames_sent"), s.text.rfind("replay=-", 0) != 0};
}

void LabClient::stopReplay(const std::string& lab, const std::string& segment) const {
  askSwitch(LabSide(supervisorPid(lab)), switchAdminPath(lab, segment), "replay stop");
}

void LabClient::startPlannedReplays(const LaunchPlan& plan) const {
  for (const ReplayPlan& r : plan.replays) {
    ReplayOptions o;
    o.speed = r.speed;
    o.loop = r.loop;
    if (r.rewriteMac)
      o.rewriteDst = r.rewriteTo;
    startReplay(plan.lab, r.segment, r.pcapPath, o);
  }
}

std::vector<UniqueFd> LabClient::socketsInLab(const std::string& lab, int domain, int type, size_t count) const {
  // Sockets keep the network namespace they were made in, so a child joins the lab's and makes
  // them there; binding, joining groups and sending work from anywhere afterwards. A rootless
  // lab's namespace is reached through its user namespace, which only a single-threaded process
  // may join (a GUI is not one): hence the child, and the sockets passed back.
  const pid_t supervisor = supervisorPid(lab);
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    throw RuntimeError(std::string("socketpair: ") + std::strerror(errno));
  UniqueFd mine(pair[0]), theirs(pair[1]);
  const std::string userNs = "/proc/" + std::to_string(supervisor) + "/ns/user";
  const std::string netNs = "/proc/" + std::to_string(supervisor) + "/ns/net";
  const pid_t child = ::fork();
  if (child < 0)
    throw RuntimeError(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    // Between fork and _exit only system calls: the parent may have threads. The tag byte says
    // which step failed; the errno travels as the exit status.
    mine.reset();
    auto failed = [&](char step) {
      const int e = errno;
      ::send(theirs.get(), &step, 1, MSG_NOSIGNAL);
      ::_exit(e & 0xff);
    };
    struct stat self {}, labs {};
    if (::stat("/proc/self/ns/user", &self) != 0 || ::stat(userNs.c_str(), &labs) != 0)
      failed('u');
    if (self.st_ino != labs.st_ino && ::geteuid() != 0) {
      const int user = ::open(userNs.c_str(), O_RDONLY | O_CLOEXEC);
      if (user < 0 || ::setns(user, CLONE_NEWUSER) != 0)
        failed('u');
    }
    const int net = ::open(netNs.c_str(), O_RDONLY | O_CLOEXEC);
    if (net < 0 || ::setns(net, CLONE_NEWNET) != 0)
      failed('n');
    for (size_t k = 0; k < count; ++k) {
      const int sock = ::socket(domain, type | SOCK_CLOEXEC, 0);
      if (sock < 0)
        failed('s');
      if (!sendDescriptor(theirs.get(), sock, 'k'))
        ::_exit(EPIPE);
      ::close(sock);
    }
    ::_exit(0);
  }
  theirs.reset();
  std::vector<UniqueFd> sockets;
  char step = 0;
  while (sockets.size() < count) {
    UniqueFd sock = receiveDescriptor(mine.get(), &step);
    if (!sock)
      break;
    sockets.push_back(std::move(sock));
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  if (sockets.size() == count)
    return sockets;
  const std::string why = WIFEXITED(status) ? std::strerror(WEXITSTATUS(status)) : "the helper process died";
  switch (step) {
  case 'u':
    throw RuntimeError("cannot enter the user namespace of lab '" + lab + "': " + why);
  case 'n':
    throw RuntimeError("cannot enter the network namespace of lab '" + lab + "': " + why);
  case 's':
    throw RuntimeError("cannot make a socket in the network namespace of lab '" + lab + "': " + why);
  default:
    throw RuntimeError("cannot make sockets in the network namespace of lab '" + lab + "': " + why);
  }
}

UniqueFd LabClient::mcastListener(const std::string& lab, const std::string& group, uint16_t port) const {
  // Made inside the lab's network namespace, where the group's route stays on lo. It only
  // listens: nothing is sent.
  in_addr groupAddr{};
  if (::inet_pton(AF_INET, group.c_str(), &groupAddr) != 1)
    throw RuntimeError("segment group '" + group + "' is not an IPv4 address");
  UniqueFd sock = std::move(socketsInLab(lab, AF_INET, SOCK_DGRAM, 1).front());
  const int one = 1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr = groupAddr;
  if (::setsockopt(sock.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      ::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw RuntimeError("cannot listen on " + group + ":" + std::to_string(port) + ": " + std::strerror(errno));
  ip_mreq mreq{};
  mreq.imr_multiaddr = groupAddr;
  mreq.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
  if (::setsockopt(sock.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0)
    throw RuntimeError("cannot join " + group + " on lo in lab '" + lab + "': " + std::strerror(errno));
  return sock;
}

long long LabClient::capture(const std::string& lab, const std::string& segment, int outFd, std::chrono::milliseconds duration,
                             std::chrono::milliseconds last, const std::function<bool()>& keepGoing) const {
  if (auto mcast = mcastGroup(lab, segment)) {
    // No switch: a member of the group hears what the guests send, one frame per datagram.
    if (last.count() > 0)
      throw RuntimeError("segment " + segment + " is an mcast segment: it has no switch, so no ring of past frames; "
                         "--last works on switch and hub segments");
    UniqueFd sock = mcastListener(lab, mcast->first, mcast->second);
    transports::PcapWriter pcap = transports::PcapWriter::toFd(outFd, "the capture of " + segment);
    long long frames = 0;
    const auto end = SteadyClock::now() + duration;
    std::vector<uint8_t> buf(65536);
    try {
      while (keepGoing() && (duration.count() == 0 || SteadyClock::now() < end)) {
        pollfd p{sock.get(), POLLIN, 0};
        if (::poll(&p, 1, 100) != 1) {
          pcap.flush();
          continue;
        }
        const ssize_t n = ::recv(sock.get(), buf.data(), buf.size(), MSG_DONTWAIT);
        if (n <= 0)
          continue;
        pcap.write(std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()),
                   std::span<const uint8_t>(buf.data(), size_t(n)));
        ++frames;
      }
      pcap.close();
    } catch (const std::system_error& e) {
      throw RuntimeError(std::string("cannot write the capture: ") + e.what());
    }
    return frames;
  }
  const std::string admin = switchAdminPath(lab, segment);
  const LabSide side(supervisorPid(lab));
  const std::string file = captureDir(lab, side) + "/" + segment + "." + uniqueSuffix() + ".pcap";
  struct Remove {
    const LabSide& side;
    std::string path;
    ~Remove() {
      side.run([this] { return ::unlink(path.c_str()) == 0 ? 0 : -errno; });
    }
  } remove{side, file};
  if (last.count() > 0) {
    const std::string seconds = std::to_string(std::max<long long>(1, last.count() / 1000)) + "s";
    const AdminReply r = askSwitch(side, admin, "capture dump " + file + " " + seconds);
    if (!r.ok)
      throw RuntimeError("segment " + segment + ": " + r.text);
    UniqueFd in = openLabFile(side, file);
    off_t offset = 0;
    if (!in || !copyNew(in.get(), offset, outFd))
      throw RuntimeError(std::string("cannot copy the capture: ") + std::strerror(errno));
    return std::atoll(r.text.c_str() + std::string("dumped ").size());
  }
  const AdminReply start = askSwitch(side, admin, "capture start " + file);
  if (!start.ok)
    throw RuntimeError("segment " + segment + ": " + start.text);
  UniqueFd in;
  off_t offset = 0;
  bool isOutputOk = true;
  const auto end = SteadyClock::now() + duration;
  while (keepGoing() && isOutputOk && (duration.count() == 0 || SteadyClock::now() < end)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!in)
      in = openLabFile(side, file);
    if (in)
      isOutputOk = copyNew(in.get(), offset, outFd);
  }
  const AdminReply stop = askSwitch(side, admin, "capture stop");
  if (!in)
    in = openLabFile(side, file);
  if (in && isOutputOk)
    isOutputOk = copyNew(in.get(), offset, outFd);
  if (!stop.ok)
    throw RuntimeError("segment " + segment + ": " + stop.text);
  if (!isOutputOk)
    throw RuntimeError(std::string("cannot write the capture: ") + std::strerror(errno));
  return std::atoll(stop.text.c_str() + std::string("captured ").size());
}

pid_t LabClient::supervisorPid(const std::string& lab) const {
  LabState state(stateRoot_, lab);
  const std::optional<ProcessEntry> sup = state.liveSupervisor();
  if (!sup)
    throw RuntimeError(state.exists() ? "lab '" + lab + "' is not running: its supervisor is gone; 'umlab clean " + lab +
                                            "' removes what it left"
                                      : "no lab named '" + lab + "' is running; 'umlab ps' lists the running labs");
  return sup->id.pid;
}

void LabClient::enterNetwork(const std::string& lab) const { joinLabNamespaces(supervisorPid(lab), lab); }

} // namespace umlab::lab::runtime
