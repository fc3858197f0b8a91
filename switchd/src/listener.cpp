#include "listener.hpp"

#include <sys/epoll.h>

namespace umlab::switchd {

Listener::Listener(EventLoop& loop, const std::string& path, int type, std::function<void()> onAcceptable)
    : loop_(loop), onAcceptable_(std::move(onAcceptable)) {
  fd_ = listenAt(path, type, path_);
  resume();
}

Listener::~Listener() { pause(); }

void Listener::pause() {
  if (!isWatched_)
    return;
  loop_.remove(fd_.get(), *this);
  isWatched_ = false;
}

void Listener::resume() {
  if (isWatched_)
    return;
  loop_.add(fd_.get(), EPOLLIN, *this);
  isWatched_ = true;
}

void Listener::onReady(uint32_t) { onAcceptable_(); }

} // namespace umlab::switchd
