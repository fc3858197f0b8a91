#include "umlab/lab/compile/plan.hpp"

#include "umlab/base/hash.hpp"
#include "umlab/lab/compile/plan_render.hpp"
#include "umlab/kernel/kernel_recipe.hpp"
#include "umlab/kernel/kernel_store.hpp"
#include "umlab/kernel/system_images.hpp"
#include "umlab/kernel/uml_command_line.hpp"
#include "umlab/lab/runtime/state_roots.hpp"
#include "umlab/transports/transport_spec.hpp"

#include <cstdlib>
#include <set>
#include <algorithm>
#include <filesystem>
#include <unistd.h>

namespace umlab::lab {

namespace tp = umlab::transports;

HostLayout hostLayoutFromEnvironment(const std::string& selfPath) {
  auto env = [](const char* name) -> std::string {
    const char* v = std::getenv(name);
    return v && *v ? v : "";
  };
  HostLayout h;
  h.stateRoot = runtime::callerStateRoots().front(); // new labs start in the first (state_roots.hpp)
  h.kernel = env("UMLAB_KERNEL").empty() ? "/usr/bin/linux.uml" : env("UMLAB_KERNEL");
  std::string cache = env("UMLAB_CACHE_DIR");
  if (cache.empty())
    cache = !env("XDG_CACHE_HOME").empty() ? env("XDG_CACHE_HOME") + "/umlab"
                                           : (env("HOME").empty() ? std::string("/tmp") : env("HOME")) + "/.cache/umlab";
  h.imageDir = cache + "/images";
  h.systemImageDir = env("UMLAB_SYSTEM_IMAGES").empty() ? kernel::kSystemImagesDir : env("UMLAB_SYSTEM_IMAGES");
  h.umlabKernel = kernel::cachedKernelPath(kernelCacheDir(h), kernel::kUmlabKernelName);
  std::error_code kec;
  if (std::filesystem::path real = std::filesystem::canonical(h.umlabKernel, kec); !kec)
    h.umlabKernel = real.string();
  std::error_code ec;
  std::filesystem::path self = std::filesystem::canonical(selfPath, ec);
  h.switchd = ec ? std::string("umlab-switchd") : (self.parent_path() / "umlab-switchd").string();
  return h;
}

std::string kernelCacheDir(const HostLayout& host) {
  return (std::filesystem::path(host.imageDir).parent_path() / "kernels").string();
}

namespace {

class Planner {
public:
  Planner(const Topology& t, const HostLayout& h, Diagnostics& diags) : t_(t), h_(h), diags_(diags) {}

  std::optional<LaunchPlan> run() {
    const size_t before = diags_.errorCount();
    p_.lab = t_.name;
    p_.sourcePath = t_.sourcePath;
    p_.stateDir = h_.stateRoot + "/" + t_.name;
    // The namespace has no name (it ends with the lab's last process, so a crash cannot leak
    // it); `umlab host LAB -- CMD` enters it.
    p_.netns = "own, unnamed: 'umlab host " + t_.name + " -- CMD' runs in it";
    checkValue(p_.stateDir, "the state directory", "set UMLAB_STATE_DIR to a directory without them");
    checkValue(h_.kernel, "the kernel path", "set UMLAB_KERNEL to a path without them");
    checkValue(h_.imageDir, "the image directory", "set UMLAB_CACHE_DIR to a directory without them");

    switchIndex_.assign(t_.segments.size(), SIZE_MAX);
    mcastIndex_.assign(t_.segments.size(), SIZE_MAX);
    for (SegmentIndex s = 0; s < t_.segments.size(); ++s)
      planSegment(s);
    for (const Trunk& tr : t_.trunks)
      planTrunk(tr);
    for (size_t i = 0; i < t_.taps.size(); ++i)
      p_.taps.push_back(TapPlan{tapDevice(i), t_.interfaceName(Member{t_.taps[i].node, t_.taps[i].interface})});
    for (NodeIndex n = 0; n < t_.nodes.size(); ++n)
      planGuest(n);
    for (SwitchPlan& sw : p_.switches)
      sw.argv = switchArgv(sw);
    for (const Replay& r : t_.replays) {
      const SwitchPlan& sw = p_.switches[switchIndex_[r.segment]];
      ReplayPlan rp{t_.segments[r.segment].name, r.pcapPath, sw.adminPath, r.speed, r.loop, r.rewriteMac, {}};
      if (r.rewriteMac) {
        const std::vector<Member>& members = t_.segments[r.segment].members;
        for (const Member& m : members)
          if (t_.nodes[m.node].forwarding && rp.rewriteTo.empty())
            rp.rewriteTo = t_.nodes[m.node].findInterface(m.interface)->mac.str();
        if (rp.rewriteTo.empty() && !members.empty())
          rp.rewriteTo = t_.nodes[members.front().node].findInterface(members.front().interface)->mac.str();
      }
      p_.replays.push_back(std::move(rp));
    }
    planTimeline();
    for (const SwitchPlan& sw : p_.switches)
      p_.startOrder.push_back("switch " + sw.segment);
    for (const TapPlan& tap : p_.taps)
      p_.startOrder.push_back("tap " + tap.device);
    for (const GuestPlan& g : guestsInStartOrder(p_.guests))
      p_.startOrder.push_back("guest " + g.name);
    for (const ReplayPlan& r : p_.replays)
      p_.startOrder.push_back("replay " + r.segment);
    if (diags_.errorCount() != before)
      return std::nullopt;
    return std::move(p_);
  }

private:
  static std::string tapDevice(size_t i) { return "umt" + std::to_string(i); }

  /// The timeline's entries as single steps: ramps stepped, repeats unrolled, sorted by time
  /// (stable: entries in file order at equal times).
  void planTimeline() {
    for (const TimelineEvent& e : t_.timeline) {
      TimelineStepPlan base;
      base.entry = e.number;
      switch (e.action) {
      case TimelineEvent::Action::LinkDown:
      case TimelineEvent::Action::LinkUp:
      case TimelineEvent::Action::LinkConditions:
      case TimelineEvent::Action::LinkRamp: {
        base.action = "link";
        base.target = t_.interfaceName(Member{e.node, e.interface});
        base.port = base.target;
        const Interface* i = t_.nodes[e.node].findInterface(e.interface);
        base.adminPath = p_.switches[switchIndex_[i->attachment.segment]].adminPath;
        break;
      }
      case TimelineEvent::Action::Run:
        base.action = "run";
        base.target = t_.nodes[e.node].name;
        base.words = e.command;
        base.what = base.target + ": " + e.command;
        break;
      case TimelineEvent::Action::Replay:
        base.action = "replay";
        base.target = t_.segments[e.segment].name;
        base.adminPath = p_.switches[switchIndex_[e.segment]].adminPath;
        base.pcapPath = e.pcapPath;
        base.pcapCopy = p_.stateDir + "/captures/timeline." + std::to_string(e.number) + ".pcap";
        base.speed = e.speed;
        base.loop = e.loop;
        base.what = "replay " + std::filesystem::path(e.pcapPath).filename().string() + " into " + base.target;
        break;
      default:
        base.action = "node";
        base.target = t_.nodes[e.node].name;
        base.words = timelineActionName(e.action);
        base.what = base.target + " " + base.words;
        break;
      }
      if (e.action == TimelineEvent::Action::LinkRamp) {
        const int64_t from = e.at.count(), to = e.to.count(), step = e.step.count();
        const int64_t count = (to - from + step - 1) / step + 1; // from, from+step, ..., to
        for (int64_t k = 0; k < count; ++k) {
          TimelineStepPlan s = base;
          s.atMs = std::min(from + k * step, to);
          const LinkConditions c = interpolateConditions(e.conditions, e.rampTo, double(s.atMs - from) / double(to - from));
          s.words = describeConditions(c);
          s.what = base.target + " " + s.words + " (ramp step " + std::to_string(k + 1) + " of " + std::to_string(count) + ")";
          p_.timeline.push_back(std::move(s));
        }
        continue;
      }
      if (base.action == "link") {
        base.words = e.action == TimelineEvent::Action::LinkDown ? "down"
                     : e.action == TimelineEvent::Action::LinkUp ? "up"
                                                                 : (e.clear ? std::string("clear") : std::string()) +
                                                                       (e.clear && !e.conditions.empty() ? " " : "") +
                                                                       describeConditions(e.conditions);
        base.what = base.target + " " + base.words;
      }
      for (uint32_t k = 0; k < e.times; ++k) {
        TimelineStepPlan s = base;
        s.atMs = e.at.count() + int64_t(k) * e.every.count();
        if (e.times > 1)
          s.what += " (" + std::to_string(k + 1) + " of " + std::to_string(e.times) + ")";
        p_.timeline.push_back(std::move(s));
      }
    }
    std::stable_sort(p_.timeline.begin(), p_.timeline.end(),
                     [](const TimelineStepPlan& a, const TimelineStepPlan& b) { return a.atMs < b.atMs; });
  }

  /// The guests in file order, except that each comes after the guests it depends on (resolve
  /// has refused cycles).
  static std::vector<GuestPlan> guestsInStartOrder(const std::vector<GuestPlan>& guests) {
    std::vector<GuestPlan> order;
    std::vector<bool> placed(guests.size(), false);
    while (order.size() < guests.size()) {
      const size_t before = order.size();
      for (size_t i = 0; i < guests.size(); ++i) {
        if (placed[i])
          continue;
        const bool ready = std::all_of(guests[i].dependsOn.begin(), guests[i].dependsOn.end(), [&](const std::string& d) {
          return std::any_of(order.begin(), order.end(), [&](const GuestPlan& o) { return o.name == d; });
        });
        if (ready) {
          placed[i] = true;
          order.push_back(guests[i]);
        }
      }
      if (order.size() == before) // a cycle after all: keep file order for the rest
        for (size_t i = 0; i < guests.size(); ++i)
          if (!placed[i]) {
            placed[i] = true;
            order.push_back(guests[i]);
          }
    }
    return order;
  }

  void checkValue(const std::string& v, const std::string& what, const std::string& fix) {
    if (!tp::isSafeUmlValue(v) && reported_.insert(what).second)
      diags_.error({}, what + " '" + v + "' holds a character that UML's command line splits on (',', '=' or white space); " + fix);
  }

  void checkSocket(const std::string& path, const SourceLoc& loc) {
    if (path.size() > kMaxUnixPathLength && reported_.insert("socket").second)
      diags_.error(loc, "socket path '" + path + "' is " + std::to_string(path.size()) + " bytes; unix sockets allow " +
                            std::to_string(kMaxUnixPathLength) + ", so set UMLAB_STATE_DIR to a shorter directory or use shorter names");
  }

  void planSegment(SegmentIndex s) {
    const Segment& seg = t_.segments[s];
    if (seg.type == SegmentType::Mcast) {
      const size_t k = p_.mcast.size() + 1;
      McastPlan m;
      m.segment = seg.name;
      m.group = "239.192." + std::to_string(k / 256) + "." + std::to_string(k % 256);
      m.port = static_cast<uint16_t>(1102 + k - 1);
      for (const Member& mem : seg.members)
        m.members.push_back(t_.interfaceName(mem));
      mcastIndex_[s] = p_.mcast.size();
      p_.mcast.push_back(std::move(m));
      return;
    }
    SwitchPlan sw;
    sw.segment = seg.name;
    sw.implicit = seg.type == SegmentType::PointToPoint;
    sw.mode = seg.type == SegmentType::Switch ? "switch" : "hub";
    sw.transport = seg.transport == SwitchTransport::Bess ? "bess" : "daemon";
    const std::string base = p_.stateDir + "/sw/" + seg.name;
    sw.ctlPath = base + ".ctl";
    sw.adminPath = base + ".admin";
    if (seg.transport == SwitchTransport::Bess)
      sw.bessPath = base + ".bess";
    for (const Member& m : seg.monitors) {
      if (t_.nodes[m.node].findInterface(m.interface)->pcapFilter)
        sw.mirrorTap = "umm" + std::to_string(s);
      else
        sw.monitorPath = base + ".mon";
    }
    for (const std::string* path : {&sw.ctlPath, &sw.adminPath, &sw.bessPath, &sw.monitorPath})
      checkSocket(*path, seg.loc);
    for (const Member& m : seg.members) {
      const Interface* i = t_.nodes[m.node].findInterface(m.interface);
      // A port's conditions apply to frames in both directions through it, so a point-to-point
      // link carries them on its first end only (else each frame would meet them twice).
      const bool carries = !sw.implicit || sw.ports.empty();
      sw.ports.push_back(PortPlan{t_.interfaceName(m), i->mac.str(), carries ? i->conditions : LinkConditions{}});
    }
    for (const Member& m : seg.monitors) {
      const Interface* i = t_.nodes[m.node].findInterface(m.interface);
      if (!i->pcapFilter) // a pcap monitor is no port of the switch: it listens on the mirror tap
        sw.ports.push_back(PortPlan{t_.interfaceName(m) + " (monitor)", i->mac.str(), {}});
    }
    switchIndex_[s] = p_.switches.size();
    p_.switches.push_back(std::move(sw));
  }

  /// "trunk:<segment>" for the control path of that segment's switch.
  std::string uplinkName(const std::string& ctlPath) const {
    for (const SwitchPlan& other : p_.switches)
      if (other.ctlPath == ctlPath)
        return "trunk:" + other.segment;
    return "trunk";
  }

  void planTrunk(const Trunk& tr) {
    // The later switch joins the earlier one, which the start order brings up first.
    SwitchPlan& earlier = p_.switches[switchIndex_[std::min(tr.a, tr.b)]];
    SwitchPlan& later = p_.switches[switchIndex_[std::max(tr.a, tr.b)]];
    later.uplinks.push_back(earlier.ctlPath);
    later.ports.push_back(PortPlan{"trunk:" + earlier.segment, "", tr.conditions});
    earlier.ports.push_back(PortPlan{"trunk:" + later.segment, "", {}});
  }

  std::vector<std::string> switchArgv(const SwitchPlan& sw) const {
    std::vector<std::string> a{h_.switchd, "--ctl", sw.ctlPath};
    if (sw.mode == "hub")
      a.push_back("--hub");
    if (!sw.bessPath.empty()) {
      a.push_back("--bess");
      a.push_back(sw.bessPath);
    }
    if (!sw.monitorPath.empty()) {
      a.push_back("--monitor");
      a.push_back(sw.monitorPath);
    }
    if (!sw.mirrorTap.empty()) {
      a.push_back("--mirror-tap"); // the supervisor attaches it and passes the descriptor
      a.push_back(sw.mirrorTap + ":" + std::to_string(kMirrorTapFd));
    }
    // Uplink ports are named after the segment they join ("trunk:<segment>"), as in `ports`.
    for (const std::string& u : sw.uplinks) {
      a.push_back("--uplink");
      a.push_back(uplinkName(u) + "=" + u);
    }
    a.push_back("--admin");
    a.push_back(sw.adminPath);
    // Ports get their names from the MAC their guest sends from, and their conditions by name.
    for (const PortPlan& port : sw.ports) {
      const bool isMonitor = port.name.ends_with(" (monitor)");
      if (!port.mac.empty() && !isMonitor) {
        a.push_back("--port");
        a.push_back(port.name + "=" + port.mac);
      }
      if (!port.conditions.empty()) {
        a.push_back("--set");
        a.push_back("port " + port.name + " both " + describeConditions(port.conditions));
      }
    }
    // Random choices (loss, jitter, ...) are reproducible: the seed follows from the names.
    a.push_back("--seed");
    a.push_back(std::to_string(fnv1a64(t_.name + "/" + sw.segment) & 0xffffffffu));
    return a;
  }

  std::string umlabKernel() const {
    if (!h_.umlabKernel.empty())
      return h_.umlabKernel;
    return kernel::cachedKernelPath(kernelCacheDir(h_), kernel::kUmlabKernelName);
  }

  void planGuest(NodeIndex n) {
    const Node& node = t_.nodes[n];
    GuestPlan g;
    g.name = node.name;
    g.kind = node.kind;
    g.umid = t_.name + "." + node.name;
    g.memoryBytes = node.memoryBytes;
    g.image = node.image;
    g.kernel = node.kernel;
    g.cowPath = p_.stateDir + "/cow/" + node.name + ".cow";
    const auto built = h_.imageDirs.find(node.image);
    const auto root = h_.imageRoots.find(node.image);
    if (root != h_.imageRoots.end() && root->second != h_.imageDir)
      checkValue(root->second, "the system image directory", "set UMLAB_SYSTEM_IMAGES to a directory without them");
    g.basePath = (root == h_.imageRoots.end() ? h_.imageDir : root->second) + "/" +
                 (built == h_.imageDirs.end() ? node.image : built->second) + "/rootfs.img";
    g.configDisk = p_.stateDir + "/nodes/" + node.name + "/config.img";
    g.logPath = p_.stateDir + "/log/" + node.name + ".log";
    g.forwarding = node.forwarding;
    g.startup = node.startup;
    g.files = node.files;
    g.shutdown = node.shutdown;
    for (const Sysctl& s : node.sysctls)
      g.sysctls.emplace_back(s.name, s.value);
    if (node.mount) {
      g.mountPoint = node.mount->guestPath;
      g.mountHostDir = node.mount->hostPath;
    }
    g.dependsOn = node.dependsOn;
    kernel::GuestSpec spec;
    spec.kernel = node.kernel == kernel::kUmlabKernelName ? umlabKernel() : h_.kernel;
    spec.umid = g.umid;
    spec.umlDir = p_.stateDir + "/uml";
    spec.memoryBytes = node.memoryBytes;
    spec.cowPath = g.cowPath;
    spec.basePath = g.basePath;
    spec.configDisk = g.configDisk;
    size_t tapsOfGuest = 0;
    for (const Interface& i : node.interfaces) {
      InterfacePlan ip;
      ip.name = i.name;
      ip.mac = i.mac.str();
      ip.ip = i.ip ? i.ip->str() : "";
      ip.gateway = i.gateway ? i.gateway->str() : "";
      ip.conditions = i.conditions;
      tp::TransportSpec spec2 = transportFor(i, ip.attachedTo, tapsOfGuest);
      if (const auto* tap = std::get_if<tp::TapSpec>(&spec2)) {
        ip.tapDevice = tap->device;
        ip.tapFd = tap->fd;
      }
      ip.transport = tp::transportName(spec2);
      ip.device = tp::guestDeviceName(spec2, i.index);
      ip.umlArg = tp::renderUmlDeviceArg(spec2, i.index, i.mac);
      spec.netArgs.push_back(ip.umlArg);
      g.interfaces.push_back(std::move(ip));
    }
    for (const Interface& i : node.interfaces)
      if (i.gateway)
        g.routes.push_back(RoutePlan{"default", i.gateway->str()});
    for (const Route& r : node.routes)
      g.routes.push_back(RoutePlan{r.to ? r.to->str() : "default", r.via.str()});
    if (node.kernel == kernel::kUmlabKernelName)
      for (const char* arg : kernel::kUmlabKernelArgs)
        spec.extraArgs.push_back(arg);
    if (!g.mountHostDir.empty()) // hostfs mounts are confined to this directory
      spec.extraArgs.push_back("hostfs=" + g.mountHostDir);
    g.argv = kernel::umlCommandLine(spec);
    p_.guests.push_back(std::move(g));
  }

  tp::TransportSpec transportFor(const Interface& i, std::string& attachedTo, size_t& tapsOfGuest) const {
    if (i.attachment.kind == Attachment::Kind::Tap) {
      attachedTo = "tap " + tapDevice(i.attachment.tap);
      return tp::TapSpec{tapDevice(i.attachment.tap), kFirstTapFd + int(tapsOfGuest++)};
    }
    const SegmentIndex s = i.attachment.segment;
    const Segment& seg = t_.segments[s];
    if (seg.type == SegmentType::Mcast) {
      const McastPlan& m = p_.mcast[mcastIndex_[s]];
      attachedTo = "mcast " + seg.name;
      return tp::McastSpec{*IpAddress::parse(m.group), m.port, m.ttl};
    }
    const SwitchPlan& sw = p_.switches[switchIndex_[s]];
    if (i.pcapFilter) {
      attachedTo = "pcap monitor " + seg.name + (i.pcapFilter->empty() ? "" : " (" + *i.pcapFilter + ")");
      return tp::PcapSpec{sw.mirrorTap, *i.pcapFilter};
    }
    if (i.isMonitor) {
      attachedTo = "monitor " + seg.name;
      return tp::DaemonSpec{sw.monitorPath};
    }
    attachedTo = (seg.type == SegmentType::PointToPoint ? std::string("link ") : sw.mode + " ") + seg.name;
    if (!sw.bessPath.empty())
      return tp::BessSpec{sw.bessPath};
    return tp::DaemonSpec{sw.ctlPath};
  }

  const Topology& t_;
  const HostLayout& h_;
  Diagnostics& diags_;
  LaunchPlan p_;
  std::vector<size_t> switchIndex_;
  std::vector<size_t> mcastIndex_;
  std::set<std::string> reported_;
};

} // namespace

std::optional<LaunchPlan> plan(const Topology& topology, const HostLayout& host, Diagnostics& diags) {
  return Planner(topology, host, diags).run();
}

} // namespace umlab::lab
