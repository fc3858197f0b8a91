#pragma once
/// The anchors of the guest benches: a classic switch (uml_switch of uml-utilities, or
/// vde_switch of vde2) started beside a running lab, and daemon-transport NICs hot-plugged into
/// the lab's guests towards it.
///
/// Design notes
/// ------------
/// Where the switch runs. The guests' daemon data sockets are abstract unix names, which exist
/// per network namespace, so the switch runs inside the lab's (nsenter --net=/proc/<supervisor>/
/// ns/net; nsenter execs the switch, so the pid is the switch's own), and as the lab's
/// unprivileged uid (the owner of the lab's subdirectories, the uid its guests run as), with its
/// control socket under BenchLab::anchorDir(), <state>/<lab>/sw/anchor (the lab's switch
/// directory, bind-mounted into every guest's jail at the same path). uml_switch listens on `-unix CTL`; vde_switch on `-s DIR`, which answers the
/// uml_switch v3 request on DIR/ctl.
///
/// The NIC. `config ethN=daemon,MAC,unix,CTL` through the guest's mconsole (kernel/mconsole.hpp;
/// the reply comes to the lab's uml directory, which the guest sees), then a check that the guest
/// really has the device (mconsole answers OK even when the transport's init failed), then
/// `ip addr add` / `ip link set up`. On destruction the NIC is taken down in the guest and removed
/// (`remove ethN`; UML refuses while it is up). A switch outlives its NICs: destroy them first.
///
/// uml_switch prints a line for every frame it fails to send ("... Resource temporarily
/// unavailable": the receiving guest's queue was full, the frame is dropped); its output is
/// drained all the time (a full pipe would stall it) and those lines are counted.
#include "umlab/base/child_process.hpp"
#include "lab_bench.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace umlab::bench {

/// Makes `path` (one level) owned by the lab's uid, for an anchor switch's sockets.
void makeAnchorDir(const LabContext& context, const std::string& path);

/// uml_switch or vde_switch (`kind`), started in the lab's namespace as the lab's uid with its
/// sockets in `dir`; terminated and reaped on destruction (only its own process group).
class AnchorSwitch {
public:
  AnchorSwitch(const std::string& kind, const std::string& program, const std::string& nsenter,
               const LabContext& context, const std::string& dir);
  ~AnchorSwitch();
  AnchorSwitch(const AnchorSwitch&) = delete;
  AnchorSwitch& operator=(const AnchorSwitch&) = delete;

  const std::string& kind() const { return kind_; }
  const std::string& ctl() const { return ctl_; }
  pid_t pid() const { return child_ ? child_->pid() : -1; }
  bool isAlive() { return child_ && !child_->tryWait(); }
  /// The last few KiB of its output.
  std::string outputTail();
  /// Frames it dropped because the receiving guest's socket queue was full (uml_switch's lines).
  uint64_t sendFailures();

private:
  std::string kind_;
  std::string ctl_;
  std::mutex mutex_;
  std::string tail_;
  uint64_t sendFailures_ = 0;
  // Declared before child_, so destroyed after it: the child is reaped first, which closes the
  // pipe and ends the drainer.
  std::jthread drainer_;
  std::optional<ChildProcess> child_;
};

/// A daemon-transport NIC hot-plugged into a guest towards `ctl`, with address `cidr`; taken down
/// and removed on destruction.
class HotPlugNic {
public:
  HotPlugNic(const BenchLab& lab, std::string node, std::string iface, const std::string& mac, const std::string& ctl,
             const std::string& cidr);
  ~HotPlugNic();
  HotPlugNic(const HotPlugNic&) = delete;
  HotPlugNic& operator=(const HotPlugNic&) = delete;

  const std::string& node() const { return node_; }
  const std::string& iface() const { return iface_; }

private:
  const BenchLab& lab_;
  std::string node_;
  std::string iface_;
  bool isPlugged_ = false;
};

} // namespace umlab::bench
