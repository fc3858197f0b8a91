#include "umlab/lab/runtime/slurm_engine.hpp"

#include "umlab/lab/runtime/runtime_error.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

namespace umlab::lab::runtime {

namespace {

/// `name` as a dotted IPv4 address: itself when it is one, else resolved.
std::string ipv4Of(const std::string& name) {
  in_addr a{};
  if (::inet_pton(AF_INET, name.c_str(), &a) == 1)
    return name;
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || !found)
    throw RuntimeError("slurm: the node address '" + name + "' does not resolve to an IPv4 address");
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr, text, sizeof text);
  ::freeaddrinfo(found);
  return text;
}

} // namespace

std::string parseGrantedJob(std::string_view line) {
  constexpr std::string_view kGranted = "Granted job allocation ";
  const size_t at = line.find(kGranted);
  if (at == std::string_view::npos)
    return {};
  std::string id;
  for (char c : line.substr(at + kGranted.size()))
    if (c >= '0' && c <= '9')
      id += c;
    else
      break;
  return id;
}

std::string parseNodeAddress(const std::vector<std::string>& lines) {
  for (const std::string& line : lines)
    for (size_t at = line.find("NodeAddr="); at != std::string::npos; at = line.find("NodeAddr=", at + 1))
      if (at == 0 || line[at - 1] == ' ') {
        const size_t begin = at + 9;
        return line.substr(begin, line.find(' ', begin) - begin);
      }
  return {};
}

std::vector<std::string> SlurmEngine::run(const std::vector<std::string>& argv,
                                          const std::function<void(std::string_view)>& onLine) {
  if (!runner_.hasProgram(argv.front()))
    throw RuntimeError("slurm: '" + argv.front() +
                       "' is not installed here: the Slurm engine needs Slurm's client commands (Debian: apt-get "
                       "install slurm-client, with this cluster's slurm.conf and munge key; docs/multihost.md)");
  std::vector<std::string> lines;
  Command c{argv, {}, {}, {}};
  const CommandResult r = runner_.run(
      c,
      [&](std::string_view line) {
        lines.emplace_back(line);
        if (onLine)
          onLine(line);
      },
      {});
  if (!r.isSuccess()) {
    std::string tail;
    for (const std::string& l : r.lastLines)
      tail += "\n  " + l;
    throw RuntimeError("slurm: '" + c.display() + "' failed (" + r.status.describe() + ")" + tail);
  }
  return lines;
}

Allocation SlurmEngine::allocate(const AllocationRequest& request, const std::function<void(std::string_view)>& onLine) {
  std::vector<std::string> argv{"salloc", "--no-shell", "-N", std::to_string(request.hosts), "-J", request.jobName};
  if (!request.partition.empty())
    argv.insert(argv.end(), {"-p", request.partition});
  Allocation a;
  for (const std::string& line : run(argv, onLine))
    if (std::string id = parseGrantedJob(line); !id.empty())
      a.id = id;
  if (a.id.empty())
    throw RuntimeError("slurm: salloc gave no job allocation");
  try {
    std::vector<std::string> list = run({"squeue", "-h", "-j", a.id, "-o", "%N"});
    if (list.empty() || list.front().empty())
      throw RuntimeError("slurm: job " + a.id + " has no nodes");
    for (const std::string& name : run({"scontrol", "show", "hostnames", list.front()})) {
      if (name.empty())
        continue;
      std::string address = parseNodeAddress(run({"scontrol", "show", "node", name}));
      a.hosts.push_back({name, ipv4Of(address.empty() ? name : address)});
    }
    if (a.hosts.size() != request.hosts)
      throw RuntimeError("slurm: job " + a.id + " has " + std::to_string(a.hosts.size()) + " nodes, not " +
                         std::to_string(request.hosts));
  } catch (...) {
    std::string ignored;
    release(a, ignored);
    throw;
  }
  return a;
}

std::vector<std::string> SlurmEngine::commandOn(const Allocation& allocation, const std::string& host,
                                                const std::vector<std::string>& argv) const {
  std::vector<std::string> out{"srun", "--jobid=" + allocation.id, "--overlap", "-N1", "-n1", "-w", host, "--quiet"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

bool SlurmEngine::release(const Allocation& allocation, std::string& why) {
  if (allocation.id.empty())
    return true;
  try {
    run({"scancel", allocation.id});
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

} // namespace umlab::lab::runtime
