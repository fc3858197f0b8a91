#include "umlab/lab/runtime/switch_admin.hpp"

#include "umlab/base/unique_fd.hpp"
#include "umlab/base/unix_socket.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace umlab::lab::runtime {

AdminReply switchAdmin(const std::string& adminPath, const std::string& command, std::chrono::milliseconds timeout) {
  // Never wait to connect: a stopped switch whose backlog is full would hold the caller (the
  // supervisor's loop) until it runs again.
  return switchAdmin(tryConnectUnixStream(adminPath, ConnectMode::Now), adminPath, command, timeout);
}

AdminReply switchAdmin(UniqueFd fd, const std::string& adminPath, const std::string& command,
                       std::chrono::milliseconds timeout) {
  AdminReply r;
  if (!fd) {
    r.text = "cannot reach the switch at " + adminPath + ": " + std::strerror(errno);
    return r;
  }
  const std::string line = command + "\n";
  if (::send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != ssize_t(line.size())) {
    r.text = "cannot send to the switch at " + adminPath + ": " + std::strerror(errno);
    return r;
  }
  std::string reply;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (reply.find("\n\n") == std::string::npos && reply != "\n") {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) != 1) {
      r.text = "the switch at " + adminPath + " did not answer '" + command + "' in time";
      return r;
    }
    char buf[8192];
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0) {
      r.text = "the switch at " + adminPath + " closed the connection";
      return r;
    }
    reply.append(buf, size_t(n));
  }
  reply.resize(reply == "\n" ? 0 : reply.find("\n\n"));
  r.reached = true;
  r.ok = reply.rfind("error: ", 0) != 0;
  r.text = r.ok ? reply : reply.substr(7);
  return r;
}

long long adminValue(const std::string& reply, const std::string& marker, const std::string& key) {
  size_t line = 0;
  if (!marker.empty()) {
    line = reply.find(marker);
    if (line == std::string::npos)
      return -1;
    line = reply.rfind('\n', line);
    line = line == std::string::npos ? 0 : line + 1;
  }
  const size_t end = std::min(reply.find('\n', line), reply.size());
  const std::string l = " " + reply.substr(line, end - line);
  const size_t k = l.find(" " + key + "=");
  if (k == std::string::npos)
    return -1;
  return std::strtoll(l.c_str() + k + key.size() + 2, nullptr, 10);
}

} // namespace umlab::lab::runtime
