#pragma once
// A running lab, faked, for the gui tests (not part of the library): this test process stands in
// for the lab's supervisor (alive, with a start time, as the lab's processes file says), and a
// thread answers the lab's control socket (lab_state.hpp): `ps` with the status set here,
// `events` with "ok" and then every line `send` is given, anything else with an error. No
// guest, switch or process is started; a `LabRunner` set to the lab watches it as a real one.

#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/runtime/lab_state.hpp"
#include "umlab/lab/runtime/lab_status.hpp"

#include <QElapsedTimer>
#include <QTest>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace umlab::gui::test {

/// Runs the event loop until `done` or `seconds` pass; returns `done()`.
template <typename F>
bool waitFor(F done, double seconds) {
  QElapsedTimer t;
  t.start();
  while (!done() && t.elapsed() < seconds * 1000)
    QTest::qWait(20);
  return done();
}

class FakeLab {
public:
  /// The lab `lab` under the state root `root`, running with `status`.
  FakeLab(const std::string& root, const std::string& lab, lab::runtime::LabStatus status);
  ~FakeLab();

  void setStatus(lab::runtime::LabStatus s);
  /// One event line (JSON, no newline) to every subscriber.
  void send(const std::string& json);
  size_t subscriberCount();
  /// Subscribers that have closed their end.
  size_t hungUpCount();
  int statusReads() const { return statusReads_.load(); }
  /// Status reads wait, unanswered, until `releaseStatusReads`.
  void holdStatusReads();
  /// Answers the held status reads with the status set now; with `keepHolding`, the next ones
  /// wait too.
  void releaseStatusReads(bool keepHolding = false);

private:
  void answerStatus(int fd);
  void serve();

  lab::runtime::LabState state_;
  std::mutex mutex_;
  lab::runtime::LabStatus status_;
  std::vector<UniqueFd> subscribers_;
  std::vector<UniqueFd> held_; ///< status reads not answered yet
  bool isHolding_ = false;
  std::atomic<int> statusReads_{0};
  UniqueFd listener_, stopRead_, stopWrite_;
  std::thread thread_;
};

/// Lab `lab`: pc1 in `pc1State`, pc2 booting, switch "sw" up without counters.
lab::runtime::LabStatus fakeStatus(const std::string& lab, const std::string& pc1State);

} // namespace umlab::gui::test
