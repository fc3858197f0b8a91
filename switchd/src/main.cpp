// umlab-switchd: argument parsing and wiring only (as ovs-vswitchd.c); the switch is in
// switch_daemon.cpp.

#include "umlab/switchd/switch_daemon.hpp"

#include <charconv>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <system_error>

namespace {

constexpr const char* kUsage =
    "usage: umlab-switchd --ctl PATH [--hub] [--admin PATH] [--fdb-size N] [--aging SECONDS]\n"
    "\n"
    "A switch (or hub) segment for User-Mode Linux guests. Guests join it with the daemon\n"
    "transport, ethN=daemon,<mac>,unix,PATH (the uml_switch v3 protocol). Runs in the\n"
    "foreground; SIGTERM or SIGINT stops it and removes its sockets.\n"
    "\n"
    "  --ctl PATH       control socket guests connect to (required)\n"
    "  --hub            flood every frame to every other port (no learning)\n"
    "  --admin PATH     text admin socket: one command per line, 'help' lists them\n"
    "                   (show ports, show fdb, show stats)\n"
    "  --fdb-size N     at most N learnt (MAC, VLAN) entries, least recently seen evicted\n"
    "                   (default 8192)\n"
    "  --aging SECONDS  forget an address not seen for this long (default 300)\n"
    "  --help           this text\n"
    "\n"
    "Not implemented yet (refused with exit status 2): --bess, --monitor, --uplink, --capture.\n"
    "\n"
    "Exit status: 0 after a stop signal, 1 when a socket cannot be set up, 2 for a usage error.\n";

int usageError(const std::string& message) {
  std::fprintf(stderr, "umlab-switchd: error: %s\n%s", message.c_str(),
               "run 'umlab-switchd --help' for usage\n");
  return 2;
}

bool parseCount(std::string_view text, size_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

} // namespace

int main(int argc, char** argv) {
  using namespace umlab::switchd;
  SwitchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--hub") {
      options.mode = ForwardingMode::Hub;
    } else if (arg == "--ctl") {
      if (!value(options.ctlPath))
        return usageError("--ctl needs a path");
    } else if (arg == "--admin") {
      if (!value(options.adminPath))
        return usageError("--admin needs a path");
    } else if (arg == "--fdb-size") {
      if (!value(text) || !parseCount(text, options.fdbMaxEntries))
        return usageError("--fdb-size needs a positive number");
    } else if (arg == "--aging") {
      size_t seconds = 0;
      if (!value(text) || !parseCount(text, seconds))
        return usageError("--aging needs a positive number of seconds");
      options.agingTime = std::chrono::seconds(seconds);
    } else if (arg == "--bess" || arg == "--monitor" || arg == "--uplink" || arg == "--capture") {
      std::fprintf(stderr, "umlab-switchd: error: '%s' is not implemented yet\n", argv[i]);
      return 2;
    } else {
      return usageError("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (options.ctlPath.empty())
    return usageError("--ctl PATH is required");

  // Each client holds two descriptors (control connection, sending socket): use all we may.
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }

  try {
    SteadyClock clock;
    SwitchDaemon daemon(options, clock);
    std::fprintf(stderr, "umlab-switchd: %s on %s\n",
                 options.mode == ForwardingMode::Hub ? "hub" : "switch", options.ctlPath.c_str());
    daemon.run();
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "umlab-switchd: error: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "umlab-switchd: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
