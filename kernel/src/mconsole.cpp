#include "umlab/kernel/mconsole.hpp"

#include "umlab/base/unix_socket.hpp"

#include "umlab/base/unique_fd.hpp"

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace umlab::kernel {

MconsoleReply mconsoleCommand(const std::string& socketPath, const std::string& command, const std::string& replyDir,
                              std::chrono::milliseconds timeout) {
  MconsoleReply r;
  if (command.empty() || command.size() > kMconsoleMaxCommand) {
    r.text = "an mconsole command has 1 to 511 bytes";
    return r;
  }
  UnixAddress to;
  try {
    to = UnixAddress::path(socketPath);
  } catch (const std::system_error&) {
    r.text = "mconsole socket path too long: " + socketPath;
    return r;
  }
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) {
    r.text = std::string("socket: ") + std::strerror(errno);
    return r;
  }
  // Our own address, for the reply: unique per process and call.
  static std::atomic<unsigned> counter{0};
  const std::string name = "umlab-mconsole." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
  UnixAddress self;
  std::string boundPath;
  try {
    if (replyDir.empty()) {
      self = UnixAddress::abstract(name);
    } else {
      boundPath = replyDir + "/" + name;
      self = UnixAddress::path(boundPath);
      ::unlink(boundPath.c_str());
    }
  } catch (const std::system_error&) {
    r.text = "reply socket path too long: " + boundPath;
    return r;
  }
  if (::bind(fd.get(), self.get(), self.length) != 0) {
    r.text = "bind " + (boundPath.empty() ? name : boundPath) + ": " + std::strerror(errno);
    return r;
  }
  struct Unlink {
    std::string path;
    ~Unlink() {
      if (!path.empty())
        ::unlink(path.c_str());
    }
  } unlinkLater{boundPath};
  if (!boundPath.empty())
    ::chmod(boundPath.c_str(), 0666); // the guest runs as the lab's own user
  std::string request(12 + command.size(), '\0');
  const uint32_t header[3] = {kMconsoleMagic, kMconsoleVersion, uint32_t(command.size())};
  std::memcpy(request.data(), header, sizeof header);
  std::memcpy(request.data() + 12, command.data(), command.size());
  if (::sendto(fd.get(), request.data(), request.size(), MSG_DONTWAIT, to.get(), to.length) !=
      ssize_t(request.size())) {
    r.text = "cannot reach the guest's mconsole at " + socketPath + ": " + std::strerror(errno);
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (bool isFirst = true;; isFirst = false) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{fd.get(), POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, int(left.count())) != 1) {
      r.reached = !isFirst;
      r.ok = false;
      r.text = (isFirst ? "no answer from the guest's mconsole at " : "the rest of the answer was lost from ") + socketPath;
      return r;
    }
    std::array<char, 12 + 4096> buf{};
    const ssize_t got = ::recv(fd.get(), buf.data(), buf.size(), 0);
    if (got < 12)
      continue; // not a reply datagram
    uint32_t fields[3];
    std::memcpy(fields, buf.data(), sizeof fields);
    if (isFirst)
      r.error = int32_t(fields[0]);
    const size_t length = std::min<size_t>(fields[2], size_t(got) - 12);
    std::string chunk(buf.data() + 12, length);
    while (!chunk.empty() && chunk.back() == '\0')
      chunk.pop_back();
    r.text += chunk;
    if (fields[1] == 0)
      break;
  }
  r.reached = true;
  r.ok = r.error == 0;
  return r;
}

} // namespace umlab::kernel
