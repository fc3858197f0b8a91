#include "umlab/lab/runtime/process_info.hpp"

#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <linux/kcmp.h>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {
std::string pidNamespace(pid_t pid) {
  char buf[64];
  std::string link = "/proc/" + std::to_string(pid) + "/ns/pid";
  ssize_t n = ::readlink(link.c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}
} // namespace

std::vector<pid_t> processesInPidNamespaceOf(pid_t init) {
  std::vector<pid_t> pids;
  const std::string ns = pidNamespace(init);
  if (ns.empty())
    return pids;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
    if (pidNamespace(pid) == ns)
      pids.push_back(pid);
  }
  if (d)
    ::closedir(d);
  return pids;
}

uint64_t proportionalSetSizeKiB(const std::vector<pid_t>& pids) {
  uint64_t total = 0;
  std::vector<pid_t> counted;
  for (pid_t pid : pids) {
    bool sameMm = false;
    for (pid_t other : counted)
      sameMm = sameMm || ::syscall(SYS_kcmp, pid, other, KCMP_VM, 0, 0) == 0;
    if (sameMm)
      continue;
    counted.push_back(pid);
    std::ifstream in("/proc/" + std::to_string(pid) + "/smaps_rollup");
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("Pss:", 0) == 0)
        total += std::strtoull(line.c_str() + 4, nullptr, 10);
  }
  return total;
}

} // namespace umlab::lab::runtime
