#include "umlab/lab/runtime/config_disk.hpp"

#include "umlab/kernel/node_config.hpp"
#include "umlab/base/child_process.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace umlab::lab::runtime {

namespace fs = std::filesystem;

namespace {

void writeText(const fs::path& p, const std::string& text, fs::perms perms) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out)
    throw std::system_error(errno, std::generic_category(), "write " + p.string());
  fs::permissions(p, perms);
}

uint64_t treeSize(const fs::path& p) {
  uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(p))
    if (e.is_regular_file())
      total += e.file_size();
  return total;
}

} // namespace

std::string guestBinDir(const std::string& selfPath) {
  if (const char* d = std::getenv("UMLAB_GUEST_BIN_DIR"); d && *d)
    return d;
  std::error_code ec;
  fs::path self = fs::canonical(selfPath, ec);
  return ec ? std::string("/usr/lib/umlab") : self.parent_path().string();
}

void writeConfigDisk(const GuestPlan& g, const std::string& binDir) {
  const fs::path image(g.configDisk);
  const fs::path tree = image.string() + ".d";
  std::error_code ec;
  fs::remove_all(tree, ec);
  fs::create_directories(tree / "bin");
  fs::create_directories(tree / "files");

  kernel::NodeConfig c;
  c.hostname = g.name;
  c.forwarding = g.forwarding;
  for (const InterfacePlan& i : g.interfaces) {
    c.ifaces.push_back({i.name, i.device, i.mac, i.ip});
    if (isMonitorInterface(i))
      c.listenOnly.push_back(i.name);
  }
  for (const RoutePlan& r : g.routes)
    c.routes.push_back({r.to, r.via});
  c.sysctls = g.sysctls;
  c.mountPoint = g.mountHostDir.empty() ? std::string() : g.mountPoint; // the host dir rides on `hostfs=` in argv
  writeText(tree / "node.conf", kernel::renderNodeConfig(c), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);

  std::string script = "#!/bin/sh\n# startup commands of node '" + g.name + "', from the topology\n";
  for (const std::string& s : g.startup)
    script += s + (s.empty() || s.back() != '\n' ? "\n" : "");
  writeText(tree / "startup.sh", script, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                            fs::perms::others_read | fs::perms::others_exec);
  if (!g.shutdown.empty()) {
    std::string down = "#!/bin/sh\n# shutdown commands of node '" + g.name + "', from the topology\n";
    for (const std::string& s : g.shutdown)
      down += s + (s.empty() || s.back() != '\n' ? "\n" : "");
    writeText(tree / "shutdown.sh", down, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                              fs::perms::others_read | fs::perms::others_exec);
  }

  for (const GuestFile& f : g.files) {
    fs::path target = tree / "files" / fs::path(f.guestPath).relative_path();
    fs::create_directories(target.parent_path());
    fs::copy(f.hostPath, target, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    if (ec)
      throw std::system_error(ec, "copy '" + f.hostPath + "' for " + f.guestPath + " of node '" + g.name + "'");
  }
  for (const char* prog : {"umlab-init", "umlab-agent"}) {
    fs::path src = fs::path(binDir) / prog;
    fs::copy_file(src, tree / "bin" / prog, fs::copy_options::overwrite_existing, ec);
    if (ec)
      throw std::system_error(ec, "copy guest program '" + src.string() + "' (is the build complete? set UMLAB_GUEST_BIN_DIR)");
  }

  // ext4 needs room for metadata beyond the files; 8 MiB covers the programs and small files.
  const uint64_t size = std::max<uint64_t>(8u << 20, treeSize(tree) * 3 / 2 + (4u << 20));
  fs::remove(image, ec);
  const CommandResult r = runCommand(Command{{"mkfs.ext4", "-q", "-F", "-L", "umlab-config", "-d", tree.string(),
                                              image.string(), std::to_string(size / 1024) + "k"}});
  fs::remove_all(tree, ec);
  if (!r.isSuccess()) {
    std::string tail;
    for (const std::string& l : r.lastLines)
      tail += "\n    " + l;
    throw std::system_error(EIO, std::generic_category(), "mkfs.ext4 for the config disk of node '" + g.name + "' failed" + tail);
  }
}

} // namespace umlab::lab::runtime
