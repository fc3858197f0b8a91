#include "admin_server.hpp"

#include <array>
#include <cerrno>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace umlab::switchd {
namespace {

constexpr size_t kMaxAdminLine = 4096;
constexpr size_t kMaxAdminOutput = 4 << 20;

} // namespace

struct AdminServer::Connection final : FdHandler {
  Connection(AdminServer& owner, uint32_t id, UniqueFd fd) : owner(owner), id(id), fd(std::move(fd)) {}
  void onReady(uint32_t events) override { owner.onConnectionReady(*this, events); }

  AdminServer& owner;
  uint32_t id;
  UniqueFd fd;
  std::string in;
  std::string out;
  bool isClosing = false;
  bool isWatchingOutput = false;
};

AdminServer::AdminServer(EventLoop& loop, const std::string& path, Execute execute)
    : loop_(loop), execute_(std::move(execute)), listener_(loop, path, SOCK_STREAM, [this] { accept(); }) {}

AdminServer::~AdminServer() = default;

void AdminServer::accept() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      return;
    }
    const uint32_t id = nextId_++;
    auto c = std::make_unique<Connection>(*this, id, std::move(fd));
    if (!loop_.tryAdd(c->fd.get(), EPOLLIN, *c))
      continue;
    connections_.emplace(id, std::move(c));
  }
}

void AdminServer::close(Connection& c) {
  loop_.remove(c.fd.get(), c);
  connections_.erase(c.id);
}

void AdminServer::onConnectionReady(Connection& c, uint32_t events) {
  if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && !c.isClosing) {
    std::array<char, 1024> chunk;
    ssize_t n = ::recv(c.fd.get(), chunk.data(), chunk.size(), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
      return close(c);
    if (n > 0)
      c.in.append(chunk.data(), size_t(n));
    size_t start = 0;
    for (size_t nl; (nl = c.in.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(c.in.data() + start, nl - start);
      if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
      if (line.find_first_not_of(" \t") == std::string_view::npos)
        continue;
      std::string reply = execute_(line);
      c.out += reply;
      if (!reply.empty() && reply.back() != '\n')
        c.out += '\n';
      c.out += '\n';
    }
    c.in.erase(0, start);
    if (c.in.size() > kMaxAdminLine) {
      c.out += "error: line longer than " + std::to_string(kMaxAdminLine) + " bytes\n\n";
      c.in.clear();
      c.isClosing = true;
    }
  }
  flush(c);
}

void AdminServer::flush(Connection& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        return close(c);
      break;
    }
    c.out.erase(0, size_t(n));
  }
  if (c.out.size() > kMaxAdminOutput || (c.out.empty() && c.isClosing))
    return close(c);
  const bool wantOutput = !c.out.empty();
  if (wantOutput != c.isWatchingOutput) {
    loop_.modify(c.fd.get(), EPOLLIN | (wantOutput ? uint32_t(EPOLLOUT) : 0u), c);
    c.isWatchingOutput = wantOutput;
  }
}

} // namespace umlab::switchd
