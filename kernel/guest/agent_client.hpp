#pragma once
/// The host end of an agent channel for tests: blocking calls with deadlines, frames of other
/// requests kept aside for their own wait(). The lab's supervisor has its own, non-blocking one.

#include "umlab/base/unique_fd.hpp"
#include "umlab/kernel/agent_protocol.hpp"

#include <catch2/catch.hpp>

#include <cerrno>
#include <chrono>
#include <map>
#include <optional>
#include <poll.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace umlab::test {

namespace agent = umlab::kernel::agent;
constexpr auto kCommandTimeout = std::chrono::seconds(60);

struct ExecResult {
  std::string out, err;
  std::optional<agent::ExitStatus> status; ///< nullopt: no EXIT before the timeout
};

/// The host end of the agent channel, blocking with deadlines: enough for a test.
class AgentClient {
public:
  explicit AgentClient(umlab::UniqueFd fd) : fd_(std::move(fd)) {}

  void send(agent::FrameType type, uint32_t id, const std::string& payload) {
    std::string bytes;
    agent::encodeFrame({type, id, payload}, bytes);
    std::string_view rest = bytes;
    while (!rest.empty()) {
      const ssize_t n = ::write(fd_.get(), rest.data(), rest.size());
      if (n < 0 && errno == EINTR)
        continue;
      REQUIRE(n > 0);
      rest.remove_prefix(static_cast<size_t>(n));
    }
  }

  /// The next frame, or nullopt at the deadline or when the guest closed the line.
  std::optional<agent::Frame> receive(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      if (auto frame = decoder_.next())
        return frame;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0)
        return std::nullopt;
      pollfd pfd{fd_.get(), POLLIN, 0};
      if (::poll(&pfd, 1, static_cast<int>(left)) <= 0)
        continue;
      const ssize_t n = ::read(fd_.get(), buffer_, sizeof buffer_);
      if (n > 0)
        decoder_.feed(std::span<const char>(buffer_, static_cast<size_t>(n)));
      else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        return std::nullopt; // closed (a pty master reads EIO once the slave is gone)
    }
  }

  uint32_t startExec(const std::vector<std::string>& argv, const std::vector<std::string>& env = {},
                     bool hasStdin = false) {
    agent::ExecRequest request{argv, env, hasStdin};
    const uint32_t id = nextId_++;
    send(agent::FrameType::Exec, id, agent::encodeExecRequest(request));
    return id;
  }

  /// Collects the output of request `id` until its EXIT; frames of other requests are kept
  /// for their own wait.
  ExecResult wait(uint32_t id, std::chrono::seconds timeout = kCommandTimeout) {
    ExecResult result = std::move(pending_[id]);
    pending_.erase(id);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (auto frame = receive(deadline)) {
      ExecResult& target = frame->id == id ? result : pending_[frame->id];
      if (frame->type == agent::FrameType::Stdout)
        target.out += frame->payload;
      else if (frame->type == agent::FrameType::Stderr)
        target.err += frame->payload;
      else if (frame->type == agent::FrameType::Exit) {
        target.status = agent::decodeExitStatus(frame->payload);
        if (frame->id == id)
          return result;
      }
    }
    return result;
  }

  ExecResult exec(const std::vector<std::string>& argv, const std::vector<std::string>& env = {}) {
    return wait(startExec(argv, env));
  }

  uint64_t skippedBytes() const { return decoder_.skippedBytes(); }
  int fd() const { return fd_.get(); }

private:
  umlab::UniqueFd fd_;
  agent::FrameDecoder decoder_;
  char buffer_[65536];
  uint32_t nextId_ = 1;
  std::map<uint32_t, ExecResult> pending_;
};

} // namespace umlab::test
