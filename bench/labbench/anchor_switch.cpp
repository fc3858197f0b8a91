// The anchor switches and their hot-plugged NICs: see anchor_switch.hpp.
#include "anchor_switch.hpp"

#include "umlab/kernel/mconsole.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <vector>
#include <sys/stat.h>
#include <unistd.h>

namespace umlab::bench {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

void makeAnchorDir(const LabContext& context, const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return;
  if (::mkdir(path.c_str(), 0700) != 0 || ::chown(path.c_str(), context.uid, context.gid) != 0)
    throw std::runtime_error("prepare " + path + ": " + std::strerror(errno));
}

AnchorSwitch::AnchorSwitch(const std::string& kind, const std::string& program, const std::string& nsenter,
                           const LabContext& context, const std::string& dir)
    : kind_(kind) {
  Command c;
  c.argv = {nsenter, "--net=" + context.netnsPath(), "--setuid", std::to_string(context.uid), "--setgid",
            std::to_string(context.gid), program};
  if (kind == "uml_switch") {
    ctl_ = dir + "/uml.ctl";
    c.argv.insert(c.argv.end(), {"-unix", ctl_});
  } else {
    // vde_switch runs its management console on stdin when not daemonised and exits on EOF:
    // keep a pipe open (nothing is written to it).
    ctl_ = dir + "/vde/ctl";
    c.argv.insert(c.argv.end(), {"-s", dir + "/vde"});
    c.input = "\n";
  }
  if (ctl_.size() >= 108)
    throw std::runtime_error(kind + ": control path longer than 107 bytes: " + ctl_);
  child_.emplace(ChildProcess::start(c));
  UniqueFd out(::fcntl(child_->outputFd().get(), F_DUPFD_CLOEXEC, 0));
  if (!out)
    throw std::runtime_error("dup output pipe: " + std::string(std::strerror(errno)));
  drainer_ = std::jthread([this, fd = std::move(out)] {
    char buf[4096];
    std::string partial;
    for (;;) {
      const ssize_t n = ::read(fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      std::lock_guard lock(mutex_);
      partial.append(buf, size_t(n));
      for (size_t nl; (nl = partial.find('\n')) != std::string::npos; partial.erase(0, nl + 1)) {
        const std::string line = partial.substr(0, nl);
        if (line.find("Resource temporarily unavailable") != std::string::npos)
          ++sendFailures_;
        tail_ += line + "\n";
      }
      if (tail_.size() > 4096)
        tail_.erase(0, tail_.size() - 2048);
    }
  });
  child_->outputFd().reset();
  const auto deadline = SteadyClock::now() + 10s;
  std::error_code ec;
  while (!fs::is_socket(ctl_, ec)) {
    if (auto status = child_->tryWait()) {
      pause(100ms);
      throw std::runtime_error(kind + " " + status->describe() + ": " + outputTail());
    }
    if (SteadyClock::now() > deadline)
      throw std::runtime_error(kind + " did not create " + ctl_ + " within 10 s");
    pause(10ms);
  }
}

AnchorSwitch::~AnchorSwitch() {
  if (child_)
    child_->terminate(); // kStopGrace, then SIGKILL
}

std::string AnchorSwitch::outputTail() {
  std::lock_guard lock(mutex_);
  return tail_;
}

uint64_t AnchorSwitch::sendFailures() {
  std::lock_guard lock(mutex_);
  return sendFailures_;
}

namespace {

/// The last lines of a guest's log (its kernel's messages name why a transport failed).
std::string logTail(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty())
      lines.push_back(line);
  std::string tail;
  for (size_t i = lines.size() > 4 ? lines.size() - 4 : 0; i < lines.size(); ++i)
    tail += (tail.empty() ? "" : " | ") + lines[i];
  return tail.empty() ? "nothing" : tail;
}

} // namespace

HotPlugNic::HotPlugNic(const BenchLab& lab, std::string node, std::string iface, const std::string& mac,
                       const std::string& ctl, const std::string& cidr)
    : lab_(lab), node_(std::move(node)), iface_(std::move(iface)) {
  const std::string spec = iface_ + "=daemon," + mac + ",unix," + ctl;
  const kernel::MconsoleReply r =
      kernel::mconsoleCommand(lab.mconsolePath(node_), "config " + spec, lab.mconsoleReplyDir());
  if (!r.ok)
    throw std::runtime_error(node_ + ": mconsole 'config " + spec + "': " + r.text);
  isPlugged_ = true;
  // mconsole answers OK even when the transport's init failed: the device must exist.
  const Output o = lab.exec(node_, {"ip", "link", "show", iface_});
  if (!o.isSuccess())
    throw std::runtime_error(node_ + ": no " + iface_ + " after 'config " + spec +
                             "' (the transport's init failed; the guest's log, removed with the lab, ends: " +
                             logTail(lab.stateDir() + "/log/" + node_ + ".log") + ")");
  lab.execChecked(node_, {"ip", "addr", "add", cidr, "dev", iface_});
  lab.execChecked(node_, {"ip", "link", "set", iface_, "up"});
}

HotPlugNic::~HotPlugNic() {
  if (!isPlugged_)
    return;
  try {
    // UML refuses to remove an open device (-EBUSY): down first.
    lab_.exec(node_, {"ip", "link", "set", iface_, "down"}, 10, false);
    kernel::MconsoleReply r;
    for (int attempt = 0; attempt < 5; ++attempt) {
      r = kernel::mconsoleCommand(lab_.mconsolePath(node_), "remove " + iface_, lab_.mconsoleReplyDir());
      if (r.ok)
        return;
      std::this_thread::sleep_for(200ms);
    }
    std::fprintf(stderr, "%s: mconsole 'remove %s': %s (error %d)\n", node_.c_str(), iface_.c_str(), r.text.c_str(),
                 int(r.error));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: removing %s: %s\n", node_.c_str(), iface_.c_str(), e.what());
  }
}

} // namespace umlab::bench
