// umlab-shard: one host's part of a lab on several hosts (cluster_lab.hpp), started there by the
// engine (srun). Argument parsing and printing only; the work is the runtime library's
// (Launcher, LabClient), as for the CLI.

#include "umlab/base/signal_fd.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/lab_status.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <algorithm>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <optional>
#include <poll.h>
#include <string>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::runtime;

namespace {

constexpr const char* kUsage =
    "usage: umlab-shard serve STATE_ROOT            (the shard's plan as JSON on stdin)\n"
    "       umlab-shard status STATE_ROOT LAB\n"
    "       umlab-shard exec STATE_ROOT LAB NODE -- COMMAND [ARG...]\n"
    "       umlab-shard console STATE_ROOT LAB NODE\n"
    "       umlab-shard capture STATE_ROOT LAB SEGMENT SECONDS   (pcap on stdout)\n"
    "       umlab-shard events STATE_ROOT LAB                    (JSON lines)\n"
    "       umlab-shard link STATE_ROOT LAB NODE:IFACE in|out|both [WORDS...]\n"
    "       umlab-shard down STATE_ROOT LAB\n"
    "\n"
    "One host's part of a lab that runs on several hosts. `umlab up --engine slurm` starts\n"
    "`serve` on each host of the lab's allocation with srun, and every other verb of umlab\n"
    "runs the others there the same way (docs/multihost.md). Not meant to be run by hand.\n"
    "\n"
    "serve starts the lab of the plan under STATE_ROOT, prints 'step TEXT' lines, then\n"
    "'ready SECONDS' (or 'failed TEXT'), and stays until the lab's supervisor ends ('ended\n"
    "TEXT'; a supervisor that was killed has its guests stopped) or a stop signal (the lab\n"
    "is taken down). STATE_ROOT is removed when it ends.\n";

int usage(const std::string& why) {
  std::fprintf(stderr, "umlab-shard: error: %s\n%s", why.c_str(), kUsage);
  return 2;
}

void line(const std::string& text) {
  std::cout << text << "\n" << std::flush;
}

class LineProgress final : public LaunchProgress {
public:
  void step(const std::string& text) override { line("step " + text); }
  void warning(const std::string& text) override { line("warning " + text); }
};

/// STATE_ROOT's lab directories and then STATE_ROOT itself, when it holds nothing else.
void removeRoot(const std::string& root, const std::string& lab) {
  std::error_code ec;
  if (!lab.empty())
    fs::remove_all(fs::path(root) / lab, ec);
  fs::remove(root, ec); // only when empty
}

std::string selfPath() {
  std::error_code ec;
  return fs::read_symlink("/proc/self/exe", ec).string();
}

int serve(const std::string& root) {
  const std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::string error;
  std::optional<LaunchPlan> plan = readPlanJson(text, error);
  if (!plan) {
    line("failed the shard's plan: " + error);
    return 1;
  }
  // The supervisor detaches from the launcher; as the subreaper this process stays its parent
  // (and its orphans'), so the engine sees the lab's processes as this step's.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  SignalFd signals({SIGTERM, SIGINT, SIGHUP, SIGCHLD});
  ::mkdir(root.c_str(), 0700);
  LineProgress progress;
  LaunchOptions options;
  options.stateRoot = root;
  options.bootTimeout = std::chrono::seconds(600);
  options.guestBinDir = guestBinDir(selfPath());
  const auto started = std::chrono::steady_clock::now();
  try {
    Launcher(progress).launch(*plan, options);
  } catch (const std::exception& e) {
    std::string why = e.what();
    for (char& c : why)
      if (c == '\n')
        c = ' ';
    line("failed " + why);
    removeRoot(root, plan->lab);
    return 1;
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  line(std::string("ready ") + seconds);
  const LabClient client(root);
  pid_t supervisor = -1;
  try {
    supervisor = client.supervisorPid(plan->lab);
  } catch (const std::exception&) {
  }
  for (;;) {
    // Woken by signals only: the supervisor is this subreaper's child, so its end is a SIGCHLD.
    pollfd p{signals.fd(), POLLIN, 0};
    ::poll(&p, 1, -1);
    std::optional<int> signal;
    while (std::optional<int> s = signals.next())
      if (*s != SIGCHLD)
        signal = s;
    if (signal) {
      try {
        client.down(plan->lab);
      } catch (const std::exception& e) {
        line(std::string("warning down: ") + e.what());
      }
      line("ended stopped by signal " + std::to_string(*signal));
      removeRoot(root, plan->lab);
      return 0;
    }
    int status = 0;
    for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
      if (pid != supervisor)
        continue;
      if (WIFSIGNALED(status)) {
        size_t groups = 0;
        try {
          groups = client.cleanCrashed(plan->lab).value_or(0);
        } catch (const std::exception&) {
        }
        line("ended supervisor killed by signal " + std::to_string(WTERMSIG(status)) + "; its guests stopped (" +
             std::to_string(groups) + " process groups)");
      } else {
        line("ended supervisor exited (status " + std::to_string(WEXITSTATUS(status)) + ")");
      }
      removeRoot(root, plan->lab);
      return 0;
    }
    if (supervisor <= 0 || (::kill(supervisor, 0) != 0 && errno == ESRCH)) {
      line("ended supervisor gone");
      removeRoot(root, plan->lab);
      return 0;
    }
  }
}

int status(const std::string& root, const std::string& lab) {
  const LabStatus s = LabClient(root).status(lab);
  line(labStatusJson(s));
  return 0;
}

int exec(const std::string& root, const std::string& lab, const std::string& node, const std::vector<std::string>& argv) {
  ExecOptions o;
  o.stdinFd = isatty(0) ? -1 : 0;
  o.onStdout = [](const std::string& s) { std::fwrite(s.data(), 1, s.size(), stdout), std::fflush(stdout); };
  o.onStderr = [](const std::string& s) { std::fwrite(s.data(), 1, s.size(), stderr), std::fflush(stderr); };
  const ExecResult r = LabClient(root).exec(lab, node, argv, o);
  if (!r.error.empty())
    std::fprintf(stderr, "umlab-shard: %s\n", r.error.c_str());
  return r.exitCode < 0 ? 255 : r.exitCode;
}

int console(const std::string& root, const std::string& lab, const std::string& node) {
  UniqueFd c = LabClient(root).console(lab, node);
  char buffer[4096];
  pollfd p[2] = {{0, POLLIN, 0}, {c.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(p, 2, -1) < 0 && errno != EINTR)
      return 1;
    if (p[0].revents) {
      const ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n <= 0)
        return 0;
      if (::write(c.get(), buffer, size_t(n)) != n)
        return 1;
    }
    if (p[1].revents) {
      const ssize_t n = ::read(c.get(), buffer, sizeof buffer);
      if (n <= 0)
        return 0;
      if (::write(1, buffer, size_t(n)) != n)
        return 1;
    }
  }
}

int capture(const std::string& root, const std::string& lab, const std::string& segment, const std::string& seconds) {
  const long s = std::strtol(seconds.c_str(), nullptr, 10);
  if (s <= 0)
    return usage("capture needs a number of seconds, not '" + seconds + "'");
  LabClient(root).capture(lab, segment, 1, std::chrono::seconds(s), std::chrono::milliseconds(0), [] { return true; });
  return 0;
}

int events(const std::string& root, const std::string& lab) {
  LabClient(root).events(lab, [](const LabEvent& e) {
    std::cout << labEventJson(e) << "\n" << std::flush;
    return static_cast<bool>(std::cout);
  });
  return 0;
}

int link(const std::string& root, const std::string& lab, const std::string& port, const std::string& direction,
         const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& w : words)
    text += " " + w;
  const auto [segment, reply] = LabClient(root).linkConditions(lab, port, direction, text, std::nullopt);
  if (text.empty())
    line(port + " on " + segment + ": " + reply);
  else
    line("lab " + lab + ", switch " + segment + ":\n" + reply);
  return 0;
}

int down(const std::string& root, const std::string& lab) {
  const LabClient client(root);
  const std::vector<std::string> labs = client.labs();
  if (std::find(labs.begin(), labs.end(), lab) == labs.end()) {
    removeRoot(root, lab);
    line("nothing was running here");
    return 0;
  }
  const DownResult r = client.down(lab);
  removeRoot(root, lab);
  line(r.wasRunning ? "stopped" : "removed what a crashed shard left (" + std::to_string(r.strayGroups) + " process groups)");
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  if (a.empty())
    return usage("a verb is needed");
  if (a[0] == "--help" || a[0] == "-h") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const std::string& verb = a[0];
    if (verb == "serve" && a.size() == 2)
      return serve(a[1]);
    if (verb == "status" && a.size() == 3)
      return status(a[1], a[2]);
    if (verb == "exec" && a.size() >= 6 && a[4] == "--")
      return exec(a[1], a[2], a[3], std::vector<std::string>(a.begin() + 5, a.end()));
    if (verb == "console" && a.size() == 4)
      return console(a[1], a[2], a[3]);
    if (verb == "capture" && a.size() == 5)
      return capture(a[1], a[2], a[3], a[4]);
    if (verb == "events" && a.size() == 3)
      return events(a[1], a[2]);
    if (verb == "link" && a.size() >= 5)
      return link(a[1], a[2], a[3], a[4], std::vector<std::string>(a.begin() + 5, a.end()));
    if (verb == "down" && a.size() == 3)
      return down(a[1], a[2]);
    return usage("unknown verb or wrong arguments: '" + verb + "'");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "umlab-shard: error: %s\n", e.what());
    return 1;
  }
}
