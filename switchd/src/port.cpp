#include "port.hpp"

#include "frame_path.hpp"

namespace umlab::switchd {

void Port::attach(FramePath& path, PortId id, size_t queueFrames) {
  path_ = &path;
  id_ = id;
  queue_ = EgressQueue(queueFrames);
}

void Port::onReady(uint32_t events) { path_->onPortReady(*this, events); }

} // namespace umlab::switchd
