#include "fake_lab.hpp"

#include "umlab/base/process.hpp"
#include "umlab/base/unix_socket.hpp"

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <filesystem>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace umlab::gui::test {

FakeLab::FakeLab(const std::string& root, const std::string& lab, lab::runtime::LabStatus status)
    : state_(root, lab), status_(std::move(status)) {
  std::filesystem::create_directories(state_.dir());
  state_.appendProcess({"supervisor", lab, ProcessId{::getpid(), processStartTime(::getpid())}});
  listener_ = listenUnixStream(state_.controlSocket());
  int p[2];
  REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
  stopRead_.reset(p[0]);
  stopWrite_.reset(p[1]);
  thread_ = std::thread([this] { serve(); });
}

FakeLab::~FakeLab() {
  const char one = 1;
  CHECK(::write(stopWrite_.get(), &one, 1) == 1);
  thread_.join();
}

void FakeLab::setStatus(lab::runtime::LabStatus s) {
  std::lock_guard lock(mutex_);
  status_ = std::move(s);
}

void FakeLab::send(const std::string& json) {
  std::lock_guard lock(mutex_);
  for (const UniqueFd& fd : subscribers_)
    writeAll(fd.get(), json + "\n");
}

size_t FakeLab::subscriberCount() {
  std::lock_guard lock(mutex_);
  return subscribers_.size();
}

size_t FakeLab::hungUpCount() {
  std::lock_guard lock(mutex_);
  size_t n = 0;
  for (const UniqueFd& fd : subscribers_) {
    pollfd p{fd.get(), POLLRDHUP, 0};
    n += ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP)) ? 1 : 0;
  }
  return n;
}

void FakeLab::holdStatusReads() {
  std::lock_guard lock(mutex_);
  isHolding_ = true;
}

void FakeLab::releaseStatusReads(bool keepHolding) {
  std::lock_guard lock(mutex_);
  isHolding_ = keepHolding;
  for (const UniqueFd& c : held_)
    answerStatus(c.get());
  held_.clear();
}

void FakeLab::answerStatus(int fd) {
  std::string json = lab::runtime::labStatusJson(status_);
  if (json.empty() || json.back() != '\n')
    json += '\n';
  writeAll(fd, json);
}

void FakeLab::serve() {
  for (;;) {
    pollfd p[2] = {{listener_.get(), POLLIN, 0}, {stopRead_.get(), POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 || p[1].revents)
      return;
    UniqueFd c(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (!c)
      continue;
    const std::string request = readLine(c.get(), std::chrono::seconds(2)).value_or("");
    std::lock_guard lock(mutex_);
    if (request.find("\"ps\"") != std::string::npos) {
      ++statusReads_;
      if (isHolding_)
        held_.push_back(std::move(c));
      else
        answerStatus(c.get());
    } else if (request.find("\"events\"") != std::string::npos) {
      writeAll(c.get(), "{\"ok\": true}\n");
      subscribers_.push_back(std::move(c));
    } else {
      writeAll(c.get(), "{\"ok\": false, \"error\": \"not faked\"}\n");
    }
  }
}

lab::runtime::LabStatus fakeStatus(const std::string& lab, const std::string& pc1State) {
  lab::runtime::LabStatus s;
  s.lab = lab;
  s.supervisorPid = ::getpid();
  s.nodes = {{"pc1", pc1State, 101, 3, 0, {}}, {"pc2", "booting", 102, 3, 0, {}}};
  s.switches = {{"sw", "up", 103, false, 0, {}}};
  return s;
}

} // namespace umlab::gui::test
