#include "umlab/lab/runtime/process_info.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <linux/kcmp.h>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>

namespace umlab::lab::runtime {

namespace {
/// The children of every thread of `pid`, appended to `out`.
void appendChildren(pid_t pid, std::vector<pid_t>& out) {
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = ::opendir(tasks.c_str());
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    std::ifstream in(tasks + "/" + e->d_name + "/children");
    for (pid_t child = 0; in >> child;)
      out.push_back(child);
  }
  if (d)
    ::closedir(d);
}
} // namespace

std::vector<pid_t> processTreeOf(pid_t root) {
  std::vector<pid_t> pids;
  if (root <= 0 || (::kill(root, 0) != 0 && errno == ESRCH))
    return pids;
  pids.push_back(root);
  for (size_t next = 0; next < pids.size(); ++next)
    appendChildren(pids[next], pids);
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

double cpuSeconds(const std::vector<pid_t>& pids, Reaped reaped) {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double total = 0;
  for (pid_t pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command (which may hold spaces and parentheses): state is field 3,
    // utime and stime are fields 14 and 15, cutime and cstime (reaped children) 16 and 17.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos)
      continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    const int last = reaped == Reaped::Included ? 17 : 15;
    unsigned long long used = 0;
    for (int i = 3; i <= last && fields >> field; ++i)
      if (i >= 14)
        used += std::strtoull(field.c_str(), nullptr, 10);
    total += static_cast<double>(used) / ticks;
  }
  return total;
}

} // namespace umlab::lab::runtime
