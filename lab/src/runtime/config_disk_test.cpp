#include "umlab/lab/runtime/config_disk.hpp"

#include "umlab/kernel/node_config.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace umlab::lab;

namespace {

/// A file of an ext4 image, read with debugfs (e2fsprogs, which writeConfigDisk needs anyway).
std::string imageFile(const fs::path& image, const std::string& path) {
  const std::string command = "debugfs -R 'cat " + path + "' '" + image.string() + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  std::string text;
  std::array<char, 4096> buffer;
  size_t n;
  while (pipe && (n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0)
    text.append(buffer.data(), n);
  return text;
}

bool hasProgram(const char* name) {
  return std::system((std::string("command -v ") + name + " >/dev/null 2>&1").c_str()) == 0;
}

} // namespace

TEST_CASE("the config disk carries sysctl and mount lines and the shutdown commands", "[lab][runtime][config-disk]") {
  if (!hasProgram("mkfs.ext4") || !hasProgram("debugfs")) {
    WARN("SKIPPED: mkfs.ext4 or debugfs is missing (e2fsprogs)");
    return;
  }
  char pattern[] = "/tmp/umlab-config-disk-test-XXXXXX";
  REQUIRE(::mkdtemp(pattern));
  const fs::path dir = pattern;
  fs::create_directories(dir / "bin");
  for (const char* program : {"umlab-init", "umlab-agent"})
    std::ofstream(dir / "bin" / program) << "#!/bin/sh\n";

  GuestPlan g;
  g.name = "r1";
  g.configDisk = (dir / "config.img").string();
  g.forwarding = true;
  g.sysctls = {{"net.ipv4.conf.all.rp_filter", "0"}, {"net.ipv4.ping_group_range", "0 2147483647"}};
  g.mountPoint = "/shared";
  g.mountHostDir = "/srv/lab/shared";
  g.startup = {"echo up"};
  g.shutdown = {"echo going down", "sleep 1"};
  runtime::writeConfigDisk(g, (dir / "bin").string());

  const std::string conf = imageFile(dir / "config.img", "/node.conf");
  auto parsed = umlab::kernel::parseNodeConfig(conf);
  REQUIRE(parsed);
  CHECK(parsed->sysctls == g.sysctls);
  CHECK(parsed->mountPoint == "/shared");
  CHECK(conf.find("/srv/lab/shared") == std::string::npos); // the host dir is the kernel's hostfs= argument
  CHECK(imageFile(dir / "config.img", "/shutdown.sh") ==
        "#!/bin/sh\n# shutdown commands of node 'r1', from the topology\necho going down\nsleep 1\n");

  // No shutdown commands, no shutdown.sh; no host directory, no mount line.
  g.shutdown.clear();
  g.mountHostDir.clear();
  runtime::writeConfigDisk(g, (dir / "bin").string());
  CHECK(imageFile(dir / "config.img", "/shutdown.sh").empty());
  CHECK(umlab::kernel::parseNodeConfig(imageFile(dir / "config.img", "/node.conf"))->mountPoint.empty());
  fs::remove_all(dir);
}
