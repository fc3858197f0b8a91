#include "umlab/lab/runtime/cluster_lab.hpp"

#include "umlab/base/json_value.hpp"
#include "umlab/base/json_writer.hpp"
#include "umlab/base/file_io.hpp"
#include "umlab/base/process.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/compile/shard_plan.hpp"
#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"
#include "umlab/lab/runtime/slurm_engine.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <poll.h>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace umlab::lab::runtime {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

void writeRecord(const std::string& path, const ClusterRecord& r) {
  JsonWriter w;
  w.beginObject().field("lab", r.lab).field("engine", r.engine).field("allocation", r.allocation);
  w.field("shardProgram", r.shardProgram);
  w.key("hosts").beginArray();
  for (const ClusterHost& h : r.hosts)
    w.beginObject().field("name", h.name).field("address", h.address).field("stateRoot", h.stateRoot)
        .field("servePid", int64_t(h.serve.pid)).field("serveStartTime", uint64_t(h.serve.startTime)).endObject();
  w.endArray().endObject();
  writeFileAtomically(path, w.str() + "\n");
}

UniqueFd openOrThrow(const std::string& path, int flags) {
  UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
  if (!fd)
    throw RuntimeError("open " + path + ": " + std::strerror(errno));
  return fd;
}

/// Starts `argv` in a session of its own (it outlives the command that started it), stdin from
/// `inputPath`, stdout and stderr appended to `logPath`.
ProcessId startDetached(const std::vector<std::string>& argv, const std::string& inputPath, const std::string& logPath) {
  const UniqueFd in = openOrThrow(inputPath, O_RDONLY);
  const UniqueFd log = openOrThrow(logPath, O_WRONLY | O_CREAT | O_APPEND);
  ProcessSpec spec;
  spec.argv = argv;
  spec.name = "shard";
  spec.fds = {{0, in.get()}, {1, log.get()}, {2, log.get()}};
  spec.newSession = true;
  return spawnProcess(spec);
}

/// The process `p` still runs (not exited, not replaced by another with its pid).
bool isRunning(const ProcessId& p) { return p.isValid() && processStartTime(p.pid) == p.startTime; }

/// Stops a serve step's process group (started by this or an earlier `umlab`) with the one policy.
void stopServe(const ProcessId& p) {
  if (isRunning(p))
    stopForeignProcessGroups(std::span<const ProcessId>(&p, 1));
}

/// A command on several hosts at once, each with its own stdout file; what each printed.
struct HostRun {
  std::string host;
  pid_t pid = -1;
  std::string outPath;
  int exitCode = -1;
};

/// Runs each of `commands` (argv) as a child with stdout to its file under `dir` and stderr
/// to the same file's ".err"; waits for all. (Children of this process: reaped here.)
std::vector<HostRun> runOnHosts(const std::vector<std::pair<std::string, std::vector<std::string>>>& commands,
                                const std::string& dir, const std::string& tag) {
  std::vector<HostRun> runs;
  for (const auto& [host, argv] : commands) {
    HostRun r;
    r.host = host;
    r.outPath = dir + "/" + host + "." + tag;
    const UniqueFd in = openOrThrow("/dev/null", O_RDONLY);
    const UniqueFd out = openOrThrow(r.outPath, O_WRONLY | O_CREAT | O_TRUNC);
    const UniqueFd err = openOrThrow(r.outPath + ".err", O_WRONLY | O_CREAT | O_TRUNC);
    ProcessSpec spec;
    spec.argv = argv;
    spec.name = host + " " + tag;
    spec.fds = {{0, in.get()}, {1, out.get()}, {2, err.get()}};
    const pid_t pid = spawnProcess(spec).pid;
    r.pid = pid;
    runs.push_back(std::move(r));
  }
  for (HostRun& r : runs) {
    int status = 0;
    while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
    }
    const ExitStatus st = ExitStatus::fromWaitStatus(status);
    r.exitCode = st.signal ? 128 + st.signal : st.code;
  }
  return runs;
}

std::string lastLine(const std::string& text) {
  std::vector<std::string> lines = linesOf(text);
  while (!lines.empty() && lines.back().empty())
    lines.pop_back();
  return lines.empty() ? std::string() : lines.back();
}

/// What a serve log says of its shard: "ready", "failed: ...", "ended: ...", or "" (starting).
std::string serveState(const std::string& log) {
  std::string state;
  for (const std::string& line : linesOf(log)) {
    if (line.rfind("ready ", 0) == 0)
      state = "ready";
    else if (line.rfind("failed ", 0) == 0)
      state = "failed: " + line.substr(7);
    else if (line.rfind("ended ", 0) == 0)
      state = "ended: " + line.substr(6);
  }
  return state;
}

} // namespace

bool isClusterLab(const std::string& stateRoot, const std::string& lab) {
  struct stat st {};
  return !lab.empty() && ::stat((stateRoot + "/" + lab + "/cluster.json").c_str(), &st) == 0;
}

ClusterRecord readClusterRecord(const std::string& stateRoot, const std::string& lab) {
  const std::string path = stateRoot + "/" + lab + "/cluster.json";
  JsonError error;
  const std::optional<JsonValue> json = parseJson(readFileOrEmpty(path), error);
  if (!json || !json->asObject())
    throw RuntimeError(path + ": not a cluster record");
  auto str = [&](const JsonValue& v, const char* key) {
    const JsonValue* f = v.find(key);
    if (!f || !f->asString())
      throw RuntimeError(path + ": '" + key + "' missing");
    return std::string(*f->asString());
  };
  ClusterRecord r;
  r.lab = str(*json, "lab");
  r.engine = str(*json, "engine");
  r.allocation = str(*json, "allocation");
  r.shardProgram = str(*json, "shardProgram");
  const JsonValue* hosts = json->find("hosts");
  if (!hosts || !hosts->asArray())
    throw RuntimeError(path + ": 'hosts' missing");
  for (const JsonValue& h : *hosts->asArray()) {
    ClusterHost host{str(h, "name"), str(h, "address"), str(h, "stateRoot"), {}};
    if (const JsonValue* pid = h.find("servePid"); pid && pid->asInt())
      host.serve.pid = pid_t(*pid->asInt());
    if (const JsonValue* start = h.find("serveStartTime"); start && start->asUint())
      host.serve.startTime = *start->asUint();
    r.hosts.push_back(std::move(host));
  }
  return r;
}

std::unique_ptr<Engine> engineFor(const std::string& name, CommandRunner& runner) {
  if (name == "slurm")
    return std::make_unique<SlurmEngine>(runner);
  throw RuntimeError("engine '" + name + "' is not one this umlab has (it has: slurm)");
}

LaunchResult launchOnCluster(const Topology& topology, const HostLayout& layout, Engine& engine,
                             const ClusterLaunchOptions& options, LaunchProgress& progress) {
  const auto started = Clock::now();
  const std::string lab = topology.name;
  const std::string dir = options.stateRoot + "/" + lab;
  if (std::string why = checkLabName(lab); !why.empty())
    throw RuntimeError(why);
  // Plan and check before asking the engine for anything.
  Diagnostics diags;
  std::optional<LaunchPlan> whole = plan(topology, layout, diags);
  std::string why;
  if (!whole)
    throw RuntimeError("lab '" + lab + "' cannot be planned on this host's layout");
  if (!placeGuests(topology, options.hosts, options.capacity, *whole, why))
    throw RuntimeError(why);
  if (why = checkShardable(*whole); !why.empty())
    throw RuntimeError(why);
  fs::create_directories(options.stateRoot);
  if (::mkdir(dir.c_str(), 0700) != 0)
    throw RuntimeError(errno == EEXIST ? "lab '" + lab + "' is already up (or left over): 'umlab down " + lab + "' first"
                                       : "mkdir " + dir + ": " + std::strerror(errno));
  fs::create_directories(dir + "/shards");

  ClusterRecord record{lab, engine.name(), "", options.shardProgram, {}};
  Allocation allocation;
  auto cleanUp = [&] {
    for (const ClusterHost& h : record.hosts)
      stopServe(h.serve);
    if (!allocation.id.empty()) {
      // The shards' state on their hosts: the serve steps remove it when stopped; a step that
      // did not start leaves nothing. `scancel` ends whatever still runs.
      std::vector<std::pair<std::string, std::vector<std::string>>> downs;
      for (const ClusterHost& h : record.hosts)
        downs.push_back({h.name, engine.commandOn(allocation, h.name, {options.shardProgram, "down", h.stateRoot, lab})});
      runOnHosts(downs, dir + "/shards", "down");
      std::string ignored;
      engine.release(allocation, ignored);
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
  };
  try {
    progress.step("asking " + engine.name() + " for " + std::to_string(options.hosts) + " hosts");
    AllocationRequest request{options.hosts, options.partition, "umlab-" + lab};
    allocation = engine.allocate(request, [&](std::string_view line) { progress.step(engine.name() + ": " + std::string(line)); });
    record.allocation = allocation.id;
    std::vector<ShardHost> shardHosts;
    std::string hostList;
    for (const EngineHost& h : allocation.hosts) {
      shardHosts.push_back({h.name, h.address});
      record.hosts.push_back({h.name, h.address, options.shardRootBase + "/umlab-" + allocation.id + "-" + h.name, {}});
      hostList += (hostList.empty() ? "" : ", ") + h.name + " " + h.address;
    }
    progress.step("job " + allocation.id + ": " + hostList);
    savePlanJson(*whole, dir + "/plan.json");
    writeRecord(dir + "/cluster.json", record);
    std::vector<size_t> guestsOn(shardHosts.size(), 0);
    for (const GuestPlan& g : whole->guests)
      ++guestsOn[*g.host];
    std::string spread;
    for (size_t k = 0; k < shardHosts.size(); ++k)
      spread += (k ? ", " : "") + shardHosts[k].name + " " + std::to_string(guestsOn[k]);
    progress.step("placed " + std::to_string(whole->guests.size()) + " guests: " + spread + "; " +
                  std::to_string(whole->placement->tunnels) + " VXLAN tunnels");
    // Each host's plan, made with its own state root (the paths in it are that host's).
    for (uint32_t k = 0; k < shardHosts.size(); ++k) {
      HostLayout hostLayout = layout;
      hostLayout.stateRoot = record.hosts[k].stateRoot;
      std::optional<LaunchPlan> p = plan(topology, hostLayout, diags);
      if (!p)
        throw RuntimeError("lab '" + lab + "' cannot be planned for host " + shardHosts[k].name +
                           " (a socket path too long under " + hostLayout.stateRoot + "?)");
      p->placement = whole->placement;
      for (size_t i = 0; i < p->guests.size(); ++i)
        p->guests[i].host = whole->guests[i].host;
      std::optional<LaunchPlan> shard = shardPlan(*p, shardHosts, k, ShardOptions{options.vxlanPort}, why);
      if (!shard)
        throw RuntimeError(why);
      savePlanJson(*shard, dir + "/shards/" + shardHosts[k].name + ".plan.json");
    }
    for (ClusterHost& h : record.hosts) {
      const std::vector<std::string> argv =
          engine.commandOn(allocation, h.name, {options.shardProgram, "serve", h.stateRoot});
      h.serve = startDetached(argv, dir + "/shards/" + h.name + ".plan.json", dir + "/shards/" + h.name + ".log");
      writeRecord(dir + "/cluster.json", record);
    }
    // Every host's progress, until each is ready (or one fails).
    // Each log is read from where the last look stopped (a big lab's logs are long), whole lines only.
    std::vector<std::streamoff> offset(record.hosts.size(), 0);
    std::vector<std::string> partial(record.hosts.size());
    std::vector<std::string> lastSeen(record.hosts.size());
    std::vector<bool> ready(record.hosts.size(), false);
    const auto deadline = Clock::now() + options.bootTimeout;
    for (;;) {
      bool all = true;
      for (size_t k = 0; k < record.hosts.size(); ++k) {
        const ClusterHost& h = record.hosts[k];
        const bool alive = isRunning(h.serve); // before reading: its last lines are then in
        std::ifstream in(dir + "/shards/" + h.name + ".log", std::ios::binary);
        in.seekg(offset[k]);
        std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        offset[k] += std::streamoff(chunk.size());
        partial[k] += chunk;
        for (size_t end; (end = partial[k].find('\n')) != std::string::npos;) {
          const std::string line = partial[k].substr(0, end);
          partial[k].erase(0, end + 1);
          if (!line.empty())
            lastSeen[k] = line;
          if (line.rfind("step ", 0) == 0)
            progress.step(h.name + ": " + line.substr(5));
          else if (line.rfind("warning ", 0) == 0)
            progress.warning(h.name + ": " + line.substr(8));
          else if (line.rfind("ready ", 0) == 0) {
            ready[k] = true;
            progress.step(h.name + ": every guest ready (" + line.substr(6) + " s)");
          } else if (line.rfind("failed ", 0) == 0)
            throw RuntimeError("host " + h.name + ": " + line.substr(7));
          else if (!line.empty())
            progress.step(h.name + ": " + line);
        }
        if (!ready[k] && !alive)
          throw RuntimeError("host " + h.name + ": its shard ended before it was ready: " + lastSeen[k] + " (" +
                             dir + "/shards/" + h.name + ".log)");
        all = all && ready[k];
      }
      if (all)
        break;
      if (Clock::now() > deadline)
        throw RuntimeError("the lab was not ready on every host within " + std::to_string(options.bootTimeout.count()) + " s");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  } catch (...) {
    progress.step("stopping what started, releasing the allocation");
    cleanUp();
    throw;
  }
  LaunchResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

ClusterLab::ClusterLab(std::string stateRoot, std::string lab, CommandRunner& runner)
    : stateRoot_(std::move(stateRoot)), lab_(std::move(lab)) {
  record_ = readClusterRecord(stateRoot_, lab_);
  engine_ = engineFor(record_.engine, runner);
  std::string error;
  std::optional<LaunchPlan> p = loadPlanJson(dir() + "/plan.json", error);
  if (!p)
    throw RuntimeError(error);
  plan_ = std::move(*p);
}

Allocation ClusterLab::allocation() const {
  Allocation a;
  a.id = record_.allocation;
  for (const ClusterHost& h : record_.hosts)
    a.hosts.push_back({h.name, h.address});
  return a;
}

const ClusterHost& ClusterLab::hostOf(const std::string& node) const {
  std::string names;
  for (const GuestPlan& g : plan_.guests) {
    if (g.name == node && g.host && *g.host < record_.hosts.size())
      return record_.hosts[*g.host];
    names += (names.empty() ? "" : ", ") + g.name;
  }
  throw RuntimeError("lab '" + lab_ + "' has no node '" + node + "' (its nodes: " + names + ")");
}

LabStatus ClusterLab::status() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> commands;
  for (const ClusterHost& h : record_.hosts)
    commands.push_back({h.name, engine_->commandOn(allocation(), h.name, {record_.shardProgram, "status", h.stateRoot, lab_})});
  const std::vector<HostRun> runs = runOnHosts(commands, dir() + "/shards", "status");
  LabStatus merged;
  merged.lab = lab_;
  merged.stateDir = dir();
  merged.state = "running";
  for (size_t k = 0; k < runs.size(); ++k) {
    const ClusterHost& h = record_.hosts[k];
    HostStatus hs{h.name, h.address, "running"};
    const std::string out = readFileOrEmpty(runs[k].outPath);
    const std::string err = readFileOrEmpty(runs[k].outPath + ".err");
    std::optional<LabStatus> shard;
    if (runs[k].exitCode == 0) {
      JsonError jerror;
      std::string error;
      if (std::optional<JsonValue> json = parseJson(lastLine(out), jerror))
        shard = readLabStatus(*json, error);
    }
    const std::string served = serveState(readFileOrEmpty(dir() + "/shards/" + h.name + ".log"));
    if (served.rfind("ended: ", 0) == 0)
      hs.state = "crashed: " + served.substr(7);
    else if (!shard)
      hs.state = "not answering: " + (lastLine(err).empty() ? lastLine(out) : lastLine(err));
    else if (shard->state != "running")
      hs.state = served.empty() || served == "ready"
                     ? "crashed: its shard (umlab-shard serve) was killed, and the engine stopped its supervisor; "
                       "'umlab down " + lab_ + "' stops what it left"
                     : "crashed: its supervisor is gone";
    else if (!isRunning(h.serve))
      hs.state = "running, but its engine step ended (umlab-shard serve was killed): the engine no longer "
                 "holds it; 'umlab down " + lab_ + "' stops it";
    if (shard && shard->state == "running") {
      if (merged.supervisorPid == 0)
        merged.supervisorPid = shard->supervisorPid;
      for (NodeStatus n : shard->nodes) {
        n.host = h.name;
        merged.nodes.push_back(std::move(n));
      }
      for (SwitchStatus s : shard->switches) {
        s.host = h.name;
        merged.switches.push_back(std::move(s));
      }
      if (merged.owner.empty())
        merged.owner = shard->owner;
    }
    if (hs.state != "running")
      merged.state = "degraded";
    merged.hosts.push_back(std::move(hs));
  }
  // Nodes of hosts that did not answer are listed, so that nothing silently disappears.
  for (const GuestPlan& g : plan_.guests)
    if (std::none_of(merged.nodes.begin(), merged.nodes.end(), [&](const NodeStatus& n) { return n.name == g.name; })) {
      NodeStatus n;
      n.name = g.name;
      n.state = "gone (shard ended)";
      n.host = g.host ? record_.hosts[*g.host].name : "";
      merged.nodes.push_back(std::move(n));
    }
  std::sort(merged.nodes.begin(), merged.nodes.end(), [](const NodeStatus& a, const NodeStatus& b) { return a.name < b.name; });
  return merged;
}

std::vector<std::string> ClusterLab::commandOnNodeHost(const std::string& node, const std::vector<std::string>& verbArgs) const {
  const ClusterHost& h = hostOf(node);
  std::vector<std::string> argv{record_.shardProgram};
  argv.push_back(verbArgs.front());
  argv.push_back(h.stateRoot);
  argv.push_back(lab_);
  argv.insert(argv.end(), verbArgs.begin() + 1, verbArgs.end());
  return engine_->commandOn(allocation(), h.name, argv);
}

ExecResult ClusterLab::exec(const std::string& node, const std::vector<std::string>& argv) const {
  std::vector<std::string> verb{"exec", node, "--"};
  verb.insert(verb.end(), argv.begin(), argv.end());
  Command c{commandOnNodeHost(node, verb), {}, {}, {}};
  ExecResult r;
  const CommandResult done = runCommand(c, {[&](std::string_view line) { r.out += std::string(line) + "\n"; }, {}, -1});
  r.exitCode = done.status.code;
  if (r.exitCode < 0)
    r.error = "the command on " + hostOf(node).name + " ended: " + done.status.describe();
  return r;
}

long long ClusterLab::capture(const std::string& segment, int outFd, std::chrono::milliseconds duration) const {
  std::set<std::string> hosts;
  for (const GuestPlan& g : plan_.guests)
    for (const InterfacePlan& i : g.interfaces)
      if (segmentOfInterface(i) == segment && g.host)
        hosts.insert(record_.hosts[*g.host].name);
  if (hosts.empty())
    throw RuntimeError("lab '" + lab_ + "' has no switch segment '" + segment + "' with members");
  const std::string seconds = std::to_string(std::max<long long>(1, (duration.count() + 999) / 1000));
  std::vector<std::pair<std::string, std::vector<std::string>>> commands;
  for (const ClusterHost& h : record_.hosts)
    if (hosts.count(h.name))
      commands.push_back({h.name, engine_->commandOn(allocation(), h.name,
                                                    {record_.shardProgram, "capture", h.stateRoot, lab_, segment, seconds})});
  const std::vector<HostRun> runs = runOnHosts(commands, dir() + "/shards", "pcap");
  struct Frame {
    transports::PcapFrame frame;
    size_t host;
  };
  std::vector<Frame> frames;
  for (size_t k = 0; k < runs.size(); ++k) {
    if (runs[k].exitCode != 0)
      throw RuntimeError("capture on " + runs[k].host + " failed: " + lastLine(readFileOrEmpty(runs[k].outPath + ".err")));
    Diagnostics diags;
    std::optional<std::vector<transports::PcapFrame>> got = transports::readPcapFile(runs[k].outPath, diags);
    if (!got)
      throw RuntimeError("capture on " + runs[k].host + " gave no capture");
    for (transports::PcapFrame& f : *got)
      frames.push_back({std::move(f), k});
  }
  for (const HostRun& r : runs) {
    std::error_code ec;
    fs::remove(r.outPath, ec);
    fs::remove(r.outPath + ".err", ec);
  }
  std::stable_sort(frames.begin(), frames.end(), [](const Frame& a, const Frame& b) { return a.frame.timestamp < b.frame.timestamp; });
  // A frame that crossed a tunnel is in the captures of both hosts, the later copy within a
  // second of the first: keep the first.
  std::vector<bool> drop(frames.size(), false);
  for (size_t i = 0; i < frames.size(); ++i) {
    if (drop[i])
      continue;
    for (size_t j = i + 1; j < frames.size() && frames[j].frame.timestamp - frames[i].frame.timestamp < std::chrono::seconds(1); ++j)
      if (!drop[j] && frames[j].host != frames[i].host && frames[j].frame.data == frames[i].frame.data) {
        drop[j] = true;
        break;
      }
  }
  transports::PcapWriter writer = transports::PcapWriter::toFd(outFd, "<output>");
  long long count = 0;
  for (size_t i = 0; i < frames.size(); ++i)
    if (!drop[i]) {
      writer.write(frames[i].frame.timestamp, frames[i].frame.data);
      ++count;
    }
  writer.close();
  return count;
}

void ClusterLab::events(const std::function<bool(const LabEvent&)>& onEvent, int cancelFd) const {
  std::vector<ChildProcess> feeds;
  std::vector<std::string> pending;
  for (const ClusterHost& h : record_.hosts) {
    Command c{engine_->commandOn(allocation(), h.name, {record_.shardProgram, "events", h.stateRoot, lab_}), {}, {}, {}};
    feeds.push_back(ChildProcess::start(c));
    pending.emplace_back();
  }
  std::vector<bool> open(feeds.size(), true);
  char buffer[65536];
  for (;;) {
    std::vector<pollfd> fds;
    std::vector<size_t> which;
    for (size_t k = 0; k < feeds.size(); ++k)
      if (open[k]) {
        fds.push_back({feeds[k].outputFd().get(), POLLIN, 0});
        which.push_back(k);
      }
    if (fds.empty())
      return;
    if (cancelFd >= 0)
      fds.push_back({cancelFd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR)
        continue;
      return;
    }
    if (cancelFd >= 0 && fds.back().revents)
      return; // the feeds' process groups are stopped by ~ChildProcess
    for (size_t i = 0; i < which.size(); ++i) {
      if (!fds[i].revents)
        continue;
      const size_t k = which[i];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n <= 0) {
        open[k] = false;
        continue;
      }
      pending[k].append(buffer, size_t(n));
      for (size_t end; (end = pending[k].find('\n')) != std::string::npos;) {
        const std::string line = pending[k].substr(0, end);
        pending[k].erase(0, end + 1);
        JsonError error;
        std::optional<JsonValue> json = parseJson(line, error);
        if (!json)
          continue; // the engine's own messages
        std::optional<LabEvent> e = readLabEvent(*json);
        if (!e)
          continue;
        e->host = record_.hosts[k].name;
        if (!onEvent(*e))
          return;
      }
    }
  }
}

void ClusterLab::down(const std::function<void(const std::string&)>& say) const {
  std::vector<std::pair<std::string, std::vector<std::string>>> commands;
  for (const ClusterHost& h : record_.hosts)
    commands.push_back({h.name, engine_->commandOn(allocation(), h.name, {record_.shardProgram, "down", h.stateRoot, lab_})});
  say("stopping the lab on " + std::to_string(record_.hosts.size()) + " hosts");
  const std::vector<HostRun> runs = runOnHosts(commands, dir() + "/shards", "down");
  for (const HostRun& r : runs) {
    std::string said = lastLine(readFileOrEmpty(r.outPath));
    if (r.exitCode != 0)
      said = "failed (" + std::to_string(r.exitCode) + "): " + lastLine(readFileOrEmpty(r.outPath + ".err"));
    say(r.host + ": " + (said.empty() ? "stopped" : said));
  }
  for (const ClusterHost& h : record_.hosts) {
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    while (isRunning(h.serve) && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stopServe(h.serve);
  }
  std::string why;
  if (engine_->release(allocation(), why))
    say(engine_->name() + ": job " + record_.allocation + " ended");
  else
    say("warning: " + why);
  std::error_code ec;
  fs::remove_all(dir(), ec);
}

} // namespace umlab::lab::runtime
