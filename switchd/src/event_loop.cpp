#include "event_loop.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace umlab::switchd {

EventLoop::EventLoop() {
  epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_)
    throwErrno("epoll_create1");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr; // the signalfd: the only fd without a handler
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, signals_.fd(), &ev) != 0)
    throwErrno("epoll_ctl");
}

void EventLoop::add(int fd, uint32_t events, FdHandler& handler) {
  if (!tryAdd(fd, events, handler))
    throwErrno("epoll_ctl");
}

bool EventLoop::tryAdd(int fd, uint32_t events, FdHandler& handler) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &handler;
  return ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) == 0;
}

void EventLoop::modify(int fd, uint32_t events, FdHandler& handler) noexcept {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = &handler;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
}

void EventLoop::remove(int fd, FdHandler& handler) noexcept {
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  if (isDispatching_)
    removed_.push_back(&handler);
}

bool EventLoop::isStopSignalRead() {
  bool isStop = false;
  while (std::optional<int> sig = signals_.next())
    isStop = isStop || *sig == SIGTERM || *sig == SIGINT;
  return isStop;
}

void EventLoop::run(const std::function<Duration()>& waitTime, const std::function<void()>& afterEvents) {
  std::array<epoll_event, 64> events;
  for (bool isRunning = true; isRunning;) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(waitTime()).count();
    const timespec wait{time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
    const int n = ::epoll_pwait2(epoll_.get(), events.data(), int(events.size()), &wait, nullptr);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throwErrno("epoll_pwait2");
    }
    isDispatching_ = true;
    removed_.clear();
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<FdHandler*>(events[size_t(i)].data.ptr);
      if (!handler) {
        if (isStopSignalRead())
          isRunning = false;
      } else if (std::find(removed_.begin(), removed_.end(), handler) == removed_.end()) {
        handler->onReady(events[size_t(i)].events);
      }
    }
    isDispatching_ = false;
    afterEvents();
  }
}

} // namespace umlab::switchd
