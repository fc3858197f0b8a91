#include "umlab/gui/lab_runner.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/topology_images.hpp"
#include "umlab/lab/runtime/config_disk.hpp"
#include "umlab/lab/runtime/launcher.hpp"
#include "umlab/lab/runtime/plan_file.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <poll.h>
#include <csignal>
#include <pthread.h>
#include <sys/stat.h>
#include <mutex>
#include <set>
#include <sstream>
#include <sys/eventfd.h>
#include <unistd.h>

namespace umlab::gui {

namespace {

constexpr int kNotifyMs = 50;       ///< events of one moment become one statusChanged
constexpr int kRewatchMs = 1000;    ///< after a subscription broke without the lab's "down"
constexpr auto kJoinDeadline = std::chrono::seconds(3);

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string str(const QString& s) { return s.toStdString(); }

/// Compiles and plans `file` (runtime/plan_file.hpp); what the compiler says goes to the log.
template <class Mailbox>
std::optional<lab::LaunchPlan> planFor(const std::shared_ptr<Mailbox>& mailbox, const std::string& file,
                                       const std::string& self, const std::string& root) {
  runtime::PlannedFile planned = runtime::planTopologyFile(self, file, root);
  std::string text = planned.diagnostics;
  if (!planned.imageWarning.empty())
    text = "warning: cannot find the builds of the topology's images: " + planned.imageWarning + "\n" + text;
  if (!text.empty())
    mailbox->post([t = QString::fromStdString(text).trimmed()](LabRunner& r) {
      for (const QString& line : t.split('\n'))
        emit r.output(line);
    });
  return std::move(planned.plan);
}

double unixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

} // namespace

std::string linkConditionWords(const LinkConditions& c, bool clearFirst) {
  std::string words = clearFirst ? "clear" : "";
  auto add = [&](const char* word, const std::string& v) {
    if (!v.empty())
      words += (words.empty() ? "" : " ") + std::string(word) + " " + v;
  };
  add("delay", c.delay);
  add("jitter", c.jitter);
  add("loss", c.loss);
  add("rate", c.rate);
  add("duplicate", c.duplicate);
  add("corrupt", c.corrupt);
  return words;
}

/// Where the workers leave their results for the runner's thread. The runner and its workers
/// share it, so it outlives the runner: after `close` (in the runner's destructor) results are
/// dropped. It also records which workers are done, for the destructor to join them.
class LabRunner::Mailbox {
public:
  explicit Mailbox(LabRunner* owner) : owner_(owner) {}

  /// Calls `f` with the runner on the runner's thread, unless the runner is gone by then (a
  /// queued call to a destroyed QObject is dropped; `close` keeps it from being posted late).
  void post(std::function<void(LabRunner&)> f) {
    std::lock_guard lock(mutex_);
    if (!owner_)
      return;
    LabRunner* runner = owner_;
    QMetaObject::invokeMethod(runner, [runner, f = std::move(f)] { f(*runner); }, Qt::QueuedConnection);
  }
  void close() {
    std::lock_guard lock(mutex_);
    owner_ = nullptr;
  }

  void markDone(uint64_t job) {
    {
      std::lock_guard lock(mutex_);
      done_.insert(job);
    }
    doneChanged_.notify_all();
  }
  bool isDone(uint64_t job) {
    std::lock_guard lock(mutex_);
    return done_.count(job) != 0;
  }
  void forget(uint64_t job) {
    std::lock_guard lock(mutex_);
    done_.erase(job);
  }
  /// Waits until each of `jobs` is done, or until `deadline`.
  void waitDone(const std::vector<uint64_t>& jobs, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    doneChanged_.wait_until(lock, deadline, [&] {
      return std::all_of(jobs.begin(), jobs.end(), [&](uint64_t j) { return done_.count(j) != 0; });
    });
  }

private:
  std::mutex mutex_;
  std::condition_variable doneChanged_;
  LabRunner* owner_;
  std::set<uint64_t> done_;
};

/// A stop request that a blocked worker can wait on: a flag, and an eventfd that becomes
/// readable (for `LabClient::events`). Signalled by writing, never by closing: the lab's
/// supervisor is forked from this process and holds a copy of every descriptor open then.
class LabRunner::Cancel {
public:
  Cancel() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  void cancel() {
    isCancelled_.store(true);
    const uint64_t one = 1;
    if (fd_ && ::write(fd_.get(), &one, sizeof one) < 0) {
      // The counter is full, so it is readable already.
    }
  }
  bool isCancelled() const { return isCancelled_.load(); }
  /// -1 when no eventfd could be made: the worker then ends at its next event.
  int fd() const { return fd_.get(); }

private:
  UniqueFd fd_;
  std::atomic<bool> isCancelled_{false};
};

/// The launcher's progress, posted to the runner as log lines.
class LabRunner::PostingProgress final : public runtime::LaunchProgress {
public:
  explicit PostingProgress(std::shared_ptr<Mailbox> mailbox) : mailbox_(std::move(mailbox)) {}
  void step(const std::string& line) override {
    mailbox_->post([line = q(line)](LabRunner& r) { r.launchStep(line); });
  }
  void warning(const std::string& line) override {
    mailbox_->post([line = q(line)](LabRunner& r) { emit r.output(QStringLiteral("warning: ") + line); });
  }

private:
  std::shared_ptr<Mailbox> mailbox_;
};

LabRunner::LabRunner(QObject* parent)
    : QObject(parent), mailbox_(std::make_shared<Mailbox>(this)), cancel_(std::make_shared<Cancel>()) {
  setProgramPath(QCoreApplication::applicationFilePath());
  notifyTimer_.setSingleShot(true);
  notifyTimer_.setInterval(kNotifyMs);
  connect(&notifyTimer_, &QTimer::timeout, this, [this] { emit statusChanged(status_); });
}

LabRunner::~LabRunner() {
  mailbox_->close(); // nothing reaches this object any more
  cancel_->cancel();
  if (watch_)
    watch_->cancel->cancel();
  std::vector<uint64_t> cancelled;
  for (const Job& j : jobs_)
    if (j.endsOnCancel)
      cancelled.push_back(j.id);
  mailbox_->waitDone(cancelled, std::chrono::steady_clock::now() + kJoinDeadline);
  for (Job& j : jobs_) {
    if (mailbox_->isDone(j.id))
      j.thread.join();
    else
      j.thread.detach(); // a launch or down: it holds only copies and the mailbox
  }
}

void LabRunner::setProgramPath(const QString& path) {
  programPath_ = path;
  stateRoot_ = q(lab::hostLayoutFromEnvironment(str(path)).stateRoot);
}

void LabRunner::setLab(const QString& name, const QString& file) {
  if (name != lab_) {
    stopWatching();
    clearStatus();
    if (state_ != State::Stopped && !isLifecycleBusy_)
      setState(State::Stopped);
  }
  lab_ = name;
  file_ = file;
}

void LabRunner::setState(State s) {
  if (s == state_)
    return;
  state_ = s;
  emit stateChanged(s);
}

void LabRunner::clearStatus() {
  notifyTimer_.stop();
  status_.reset();
  emit statusChanged(status_);
}

QString LabRunner::terminal() { return QStandardPaths::findExecutable(QStringLiteral("x-terminal-emulator")); }
QString LabRunner::wireshark() { return QStandardPaths::findExecutable(QStringLiteral("wireshark")); }

// ---- workers ------------------------------------------------------------------------------------

void LabRunner::spawn(bool endsOnCancel, std::function<void()> work) {
  const uint64_t id = ++nextJob_;
  std::shared_ptr<Mailbox> mailbox = mailbox_;
  Job job;
  job.id = id;
  job.endsOnCancel = endsOnCancel;
  job.thread = std::thread([mailbox, id, work = std::move(work)] {
    work();
    mailbox->markDone(id);
    mailbox->post([id](LabRunner& r) { r.reap(id); });
  });
  jobs_.push_back(std::move(job));
}

void LabRunner::reap(uint64_t id) {
  auto it = std::find_if(jobs_.begin(), jobs_.end(), [&](const Job& j) { return j.id == id; });
  if (it == jobs_.end())
    return;
  it->thread.join(); // it has posted its last word: it is ending
  jobs_.erase(it);
  mailbox_->forget(id);
}

void LabRunner::runAction(const QString& what, std::function<std::string(const runtime::LabClient&)> call) {
  if (lab_.isEmpty())
    return;
  spawn(false, [mailbox = mailbox_, root = str(stateRoot_), what, call = std::move(call)] {
    QString done, error;
    try {
      done = q(call(runtime::LabClient(root)));
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([what, done, error](LabRunner& r) {
      if (!done.isEmpty())
        for (const QString& line : done.split('\n'))
          emit r.output(line);
      if (!error.isEmpty())
        emit r.failed(error);
      emit r.actionFinished(what, error.isEmpty());
    });
  });
}

// ---- start and stop -----------------------------------------------------------------------------

void LabRunner::start() {
  if (isLifecycleBusy_ || state_ == State::Running || file_.isEmpty())
    return;
  isLifecycleBusy_ = true;
  setState(State::Starting);
  emit output(tr("lab '%1': starting %2").arg(lab_, file_));
  spawn(false, [mailbox = mailbox_, file = str(file_), self = str(programPath_), root = str(stateRoot_)] {
    QString lab, error;
    try {
      // As `umlab up` does it (lab/cli/runtime_commands.cpp, bootLab): compile, plan, launch,
      // then the plan's replays.
      std::optional<lab::LaunchPlan> plan = planFor(mailbox, file, self, root);
      if (!plan)
        throw runtime::RuntimeError(file + " has errors (see the log); nothing was started");
      lab = q(plan->lab);
      PostingProgress progress(mailbox);
      runtime::LaunchOptions options;
      options.stateRoot = root;
      options.guestBinDir = runtime::guestBinDir(self);
      runtime::Launcher(progress).launch(*plan, options);
      try {
        runtime::LabClient(root).startPlannedReplays(*plan);
      } catch (const std::exception& e) {
        progress.warning(std::string(e.what()) + "; the lab is up without it");
      }
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([lab, error](LabRunner& r) { r.launchFinished(lab, error); });
  });
}

void LabRunner::launchStep(const QString& line) {
  emit output(QStringLiteral("  ") + line);
  // The supervisor answers once it has started its processes; until then a watch finds none
  // and the next line tries again.
  if (state_ == State::Starting && !watch_)
    watch();
}

void LabRunner::launchFinished(const QString& lab, const QString& error) {
  isLifecycleBusy_ = false;
  if (!error.isEmpty()) {
    // Nothing of this start is left (the launcher's promise), but the lab may run all the same
    // (started from a shell meanwhile): look again.
    stopWatching();
    clearStatus();
    setState(State::Stopped);
    emit failed(error);
    emit actionFinished(QStringLiteral("up"), false);
    watch();
    return;
  }
  emit output(tr("lab '%1' is up").arg(lab));
  if (lab != lab_) { // another lab was opened meanwhile
    setState(State::Stopped);
    emit actionFinished(QStringLiteral("up"), true);
    return;
  }
  setState(State::Running);
  emit actionFinished(QStringLiteral("up"), true);
  if (watch_)
    refreshStatus();
  else
    watch();
}

void LabRunner::stop() {
  if (isLifecycleBusy_ || lab_.isEmpty())
    return;
  isLifecycleBusy_ = true;
  setState(State::Stopping);
  emit output(tr("lab '%1': stopping").arg(lab_));
  spawn(false, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_)] {
    QString message, error;
    try {
      const runtime::DownResult d = runtime::LabClient(root).down(lab);
      if (!d.wasRunning)
        message = q("lab '" + lab + "' was not running; removed what it left (" + std::to_string(d.strayGroups) +
                    " process group" + (d.strayGroups == 1 ? "" : "s") + " stopped)");
      else
        message = q("lab '" + lab + "' is down" +
                    (d.strayGroups ? " (" + std::to_string(d.strayGroups) + " stray process groups stopped)" : ""));
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([message, error](LabRunner& r) { r.downFinished(message, error); });
  });
}

void LabRunner::downFinished(const QString& message, const QString& error) {
  isLifecycleBusy_ = false;
  stopWatching();
  clearStatus();
  setState(State::Stopped);
  if (!message.isEmpty())
    emit output(message);
  if (!error.isEmpty())
    emit failed(error);
  emit actionFinished(QStringLiteral("down"), error.isEmpty());
}

// ---- watching -----------------------------------------------------------------------------------

void LabRunner::watch() {
  if (lab_.isEmpty() || watch_)
    return;
  auto cancel = std::make_shared<Cancel>();
  const uint64_t generation = ++generation_;
  watch_ = Watch{generation, cancel};
  isRefreshing_ = false;
  isRefreshWanted_ = false;
  spawn(true, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_), generation, cancel] {
    const runtime::LabClient client(root);
    bool isRunning = false;
    try {
      runtime::LabStatus s = client.status(lab);
      isRunning = s.state != "crashed";
      mailbox->post([generation, s = std::move(s), t = unixNow()](LabRunner& r) { r.statusRead(generation, s, t, false); });
    } catch (const std::exception& e) {
      mailbox->post([generation, error = q(e.what())](LabRunner& r) { r.statusFailed(generation, error, false); });
    }
    if (isRunning && !cancel->isCancelled()) {
      try {
        client.events(
            lab,
            [&](const LabEvent& e) {
              mailbox->post([generation, e](LabRunner& r) { r.eventArrived(generation, e); });
              return !cancel->isCancelled();
            },
            cancel->fd());
      } catch (const std::exception&) {
        // The subscription was refused or broke; watchEnded reads the status again.
      }
    }
    mailbox->post([generation, isRunning](LabRunner& r) { r.watchEnded(generation, isRunning); });
  });
}

void LabRunner::stopWatching() {
  if (watch_) {
    watch_->cancel->cancel();
    watch_.reset();
  }
  ++generation_; // what the last watch still posts is dropped
  isRefreshing_ = false;
  isRefreshWanted_ = false;
  notifyTimer_.stop();
}

void LabRunner::refreshStatus() {
  if (lab_.isEmpty())
    return;
  if (isRefreshing_) {
    isRefreshWanted_ = true;
    return;
  }
  isRefreshing_ = true;
  isRefreshWanted_ = false;
  serialAtRefresh_ = eventSerial_;
  spawn(false, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_), generation = generation_] {
    try {
      runtime::LabStatus s = runtime::LabClient(root).status(lab);
      mailbox->post([generation, s = std::move(s), t = unixNow()](LabRunner& r) { r.statusRead(generation, s, t, true); });
    } catch (const std::exception& e) {
      mailbox->post([generation, error = q(e.what())](LabRunner& r) { r.statusFailed(generation, error, true); });
    }
  });
}

void LabRunner::statusRead(uint64_t generation, const runtime::LabStatus& s, double readTime, bool isRefresh) {
  if (generation != generation_)
    return;
  if (isRefresh)
    isRefreshing_ = false;
  if (s.state == "crashed" && state_ == State::Starting)
    return; // the launcher has made the state directory, but the supervisor is not there yet
  if (status_)
    status_->update(s, readTime);
  else
    status_.emplace(s, readTime);
  // A lab stopping (its "stopping" event came) is left only by its end ("down", or a status read
  // that fails): a status read says "running" until then, and one asked before the event even
  // says less than the event (events and reads race on a busy host).
  if (!isLifecycleBusy_ && state_ != State::Stopping)
    setState(s.state == "crashed" ? State::Stopped : State::Running);
  notifyTimer_.stop();
  emit statusChanged(status_);
  // Events that came while the status was read may be newer than it: read it again.
  if (isRefresh && (isRefreshWanted_ || eventSerial_ != serialAtRefresh_))
    refreshStatus();
}

void LabRunner::statusFailed(uint64_t generation, const QString&, bool isRefresh) {
  if (generation != generation_)
    return;
  if (isRefresh)
    isRefreshing_ = false;
  if (state_ == State::Starting)
    return; // not there yet
  // No such lab (any more): nothing to show. Not an error for the user, who may just have
  // opened a lab that is not running.
  clearStatus();
  if (!isLifecycleBusy_)
    setState(State::Stopped);
}

void LabRunner::eventArrived(uint64_t generation, const LabEvent& e) {
  if (generation != generation_ || !status_)
    return;
  if (e.type != LabEvent::Type::Counters)
    ++eventSerial_;
  // The timeline's steps go to the Log as they end, as `umlab events` shows them.
  if (e.type == LabEvent::Type::Timeline && e.state != "started")
    emit output(QString::fromStdString(lab::runtime::describeLabEvent(e)));
  switch (applyLabEvent(*status_, e)) {
  case EventEffect::Applied: break;
  case EventEffect::NeedsStatus: refreshStatus(); break;
  case EventEffect::LabStopping:
    if (!isLifecycleBusy_)
      setState(State::Stopping); // taken down elsewhere (a shell)
    break;
  case EventEffect::LabDown:
    clearStatus();
    if (!isLifecycleBusy_)
      setState(State::Stopped);
    return;
  }
  if (!notifyTimer_.isActive())
    notifyTimer_.start();
}

void LabRunner::watchEnded(uint64_t generation, bool wasSubscribed) {
  if (!watch_ || watch_->generation != generation)
    return;
  watch_.reset();
  // The stream ended without the lab's "down" (the connection broke, the supervisor died):
  // look again in a moment; the status then says "crashed", or the lab is gone.
  if (wasSubscribed && status_ && !isLifecycleBusy_)
    QTimer::singleShot(kRewatchMs, this, [this] {
      if (!watch_ && status_)
        watch();
    });
}

// ---- actions on the running lab -----------------------------------------------------------------

void LabRunner::setLinkConditions(const QString& port, const LinkConditions& conditions, bool clearFirst) {
  const std::string words = linkConditionWords(conditions, clearFirst);
  if (words.empty())
    return;
  emit output(tr("lab '%1': %2: %3").arg(lab_, port, q(words)));
  runAction(QStringLiteral("link"), [lab = str(lab_), port = str(port), words](const runtime::LabClient& client) {
    const auto [segment, reply] = client.linkConditions(lab, port, "both", " " + words, std::nullopt);
    return "switch " + segment + ": " + reply;
  });
}

void LabRunner::setLinkUp(const QString& port, bool isUp) {
  const std::string word = isUp ? "up" : "down";
  emit output(tr("lab '%1': %2: %3").arg(lab_, port, q(word)));
  runAction(QStringLiteral("link"), [lab = str(lab_), port = str(port), word](const runtime::LabClient& client) {
    const auto [segment, reply] = client.linkConditions(lab, port, "both", " " + word, std::nullopt);
    return "switch " + segment + ": " + reply;
  });
}

void LabRunner::replay(const QString& segment, const QString& file) {
  emit output(tr("lab '%1': replaying %2 into segment %3").arg(lab_, file, segment));
  runAction(QStringLiteral("replay"),
            [lab = str(lab_), segment = str(segment), file = str(file)](const runtime::LabClient& client) {
              client.startReplay(lab, segment, file, runtime::ReplayOptions{});
              return "replay of " + file + " into segment " + segment + " started";
            });
}

void LabRunner::capture(const QString& segment, const QString& file, int seconds) {
  if (lab_.isEmpty())
    return;
  emit output(tr("lab '%1': capturing segment %2 to %3 for %4 s").arg(lab_, segment, file).arg(seconds));
  spawn(true, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_), segment = str(segment), path = str(file),
               seconds, cancel = cancel_] {
    QString done, error;
    try {
      const runtime::LabClient client(root);
      client.switchAdminPath(lab, segment); // a clear error before the file is made
      UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      if (!out)
        throw runtime::RuntimeError("cannot write " + path + ": " + std::strerror(errno));
      const long long frames = client.capture(lab, segment, out.get(), std::chrono::seconds(seconds),
                                              std::chrono::milliseconds(0), [&] { return !cancel->isCancelled(); });
      done = q("segment " + segment + ": " + std::to_string(frames) + " frames captured to " + path);
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([done, error, file = q(path)](LabRunner& r) {
      if (!error.isEmpty()) {
        emit r.failed(error);
      } else {
        emit r.output(done);
        if (const QString ws = wireshark(); !ws.isEmpty()) {
          emit r.output(QStringLiteral("$ wireshark %1").arg(file));
          QProcess::startDetached(ws, {file});
        } else {
          emit r.output(tr("install wireshark to open captures from here"));
        }
      }
      emit r.actionFinished(QStringLiteral("capture"), error.isEmpty());
    });
  });
}

// ---- captures that run until stopped --------------------------------------------------------------

void LabRunner::startCapture(const QString& segment, const QString& file) {
  const std::string path = str(file);
  spawnCapture(segment, file, [path](const std::function<bool()>&) {
    UniqueFd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!out)
      throw runtime::RuntimeError("cannot write " + path + ": " + std::strerror(errno));
    return out;
  });
}

bool LabRunner::captureToWireshark(const QString& segment, QString* error) {
  const QString ws = wireshark();
  if (ws.isEmpty()) {
    if (error)
      *error = tr("Wireshark is not installed ('apt-get install wireshark'); capture to a file instead, or run "
                  "'umlab capture %1 %2 -w - | wireshark -k -i -'").arg(lab_, segment);
    return false;
  }
  if (lab_.isEmpty() || captureCancels_.count(segment)) {
    if (error)
      *error = tr("segment %1 is being captured already").arg(segment);
    return false;
  }
  // Wireshark reads the capture from its standard input, a pipe (a FIFO in a private directory,
  // so that Wireshark can be started detached, as a window of the user's own). The capture's
  // worker opens the FIFO's other end and writes pcap into it until Wireshark goes.
  auto dir = std::make_shared<QTemporaryDir>(QDir::temp().filePath(QStringLiteral("umlab-wireshark-XXXXXX")));
  const QString fifo = dir->isValid() ? dir->filePath(QStringLiteral("capture.pcap")) : QString();
  if (fifo.isEmpty() || ::mkfifo(fifo.toLocal8Bit().constData(), 0600) != 0) {
    if (error)
      *error = tr("cannot make a pipe for Wireshark in %1: %2").arg(QDir::tempPath(), q(std::strerror(errno)));
    return false;
  }
  emit output(QStringLiteral("$ umlab capture %1 %2 -w - | %3 -k -i -").arg(lab_, segment, ws));
  // The two ends of a FIFO meet when both are opened: Wireshark's (its standard input, opened
  // before it runs) blocks until a writer comes, and the worker's, opened without blocking, is
  // refused until a reader is there. So the worker tries every 50 ms for up to 30 s; once both
  // are open the name goes, and Wireshark's exit shows as EPIPE on the next write.
  const std::string path = str(fifo);
  spawnCapture(segment, QStringLiteral("wireshark"), [path, dir](const std::function<bool()>& keepGoing) {
    for (int i = 0; i < 600 && keepGoing(); ++i) {
      UniqueFd out(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK));
      if (out) {
        ::fcntl(out.get(), F_SETFL, ::fcntl(out.get(), F_GETFL) & ~O_NONBLOCK);
        std::error_code ec;
        std::filesystem::remove(path, ec);
        return out;
      }
      if (errno != ENXIO)
        throw runtime::RuntimeError("cannot open the pipe to Wireshark: " + std::string(std::strerror(errno)));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw runtime::RuntimeError("Wireshark did not open its capture pipe within 30 s");
  });
  QProcess wiresharkProcess;
  wiresharkProcess.setProgram(ws);
  wiresharkProcess.setArguments({QStringLiteral("-k"), QStringLiteral("-i"), QStringLiteral("-")});
  wiresharkProcess.setStandardInputFile(fifo);
  if (!wiresharkProcess.startDetached()) {
    if (error)
      *error = tr("cannot start '%1'").arg(ws);
    stopCapture(segment);
    return false;
  }
  return true;
}

void LabRunner::stopCapture(const QString& segment) {
  if (auto it = captureCancels_.find(segment); it != captureCancels_.end())
    it->second->cancel();
}

void LabRunner::spawnCapture(const QString& segment, const QString& target,
                             std::function<UniqueFd(const std::function<bool()>&)> open) {
  if (lab_.isEmpty() || captureCancels_.count(segment))
    return;
  auto cancel = std::make_shared<Cancel>();
  captureCancels_[segment] = cancel;
  captureTargets_[segment] = target;
  emit capturesChanged();
  emit output(tr("lab '%1': capturing segment %2 to %3 until stopped").arg(lab_, segment, target));
  spawn(true, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_), segment, target, open = std::move(open),
               cancel, all = cancel_] {
    // A reader that went (Wireshark closed) makes a write fail with EPIPE; SIGPIPE, which it
    // also raises, is held back in this thread instead of ending the program.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    QString done, error;
    try {
      const runtime::LabClient client(root);
      client.switchAdminPath(lab, str(segment)); // a clear error before anything is made
      const std::function<bool()> keepGoing = [&] { return !cancel->isCancelled() && !all->isCancelled(); };
      UniqueFd out = open(keepGoing);
      const long long frames = client.capture(lab, str(segment), out.get(), std::chrono::milliseconds(0),
                                              std::chrono::milliseconds(0), keepGoing);
      done = q("segment " + str(segment) + ": " + std::to_string(frames) + " frames captured to " + str(target));
    } catch (const std::exception& e) {
      // Wireshark closed: the capture ends there, which is no failure.
      const bool readerWent = target == QStringLiteral("wireshark") && std::strstr(e.what(), "cannot write the capture");
      (readerWent ? done : error) = readerWent ? QStringLiteral("segment %1: Wireshark was closed; capture ended").arg(segment)
                                               : q(e.what());
    }
    mailbox->post([segment, done, error](LabRunner& r) { r.captureEnded(segment, done, error); });
  });
}

void LabRunner::captureEnded(const QString& segment, const QString& done, const QString& error) {
  captureCancels_.erase(segment);
  captureTargets_.erase(segment);
  emit capturesChanged();
  if (!done.isEmpty())
    emit output(done);
  if (!error.isEmpty())
    emit failed(error);
  emit actionFinished(QStringLiteral("capture"), error.isEmpty());
}

// ---- commands and apply -----------------------------------------------------------------------------

void LabRunner::runCommand(const QString& node, const QString& command) {
  if (lab_.isEmpty() || command.trimmed().isEmpty())
    return;
  emit output(QStringLiteral("$ umlab exec %1 %2 -- sh -c '%3'").arg(lab_, node, command));
  spawn(false, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_), node, command] {
    runtime::ExecResult r;
    QString error;
    try {
      runtime::ExecOptions o;
      o.timeout = std::chrono::seconds(60);
      r = runtime::LabClient(root).exec(lab, str(node), {"sh", "-c", str(command)}, o);
      if (r.exitCode < 0 || r.isRefused)
        error = q(r.error.empty() ? "the command could not run" : r.error);
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([node, command, r, error](LabRunner& runner) {
      const QString text = q(r.out + r.err);
      for (const QString& line : text.split('\n', Qt::SkipEmptyParts))
        emit runner.output(QStringLiteral("  ") + line);
      if (!error.isEmpty())
        emit runner.failed(QStringLiteral("%1: %2").arg(node, error));
      else
        emit runner.output(QStringLiteral("%1: exit %2").arg(node).arg(r.exitCode));
      emit runner.commandFinished(node, command, error.isEmpty() ? r.exitCode : -1, error.isEmpty() ? text : error);
      emit runner.actionFinished(QStringLiteral("command"), error.isEmpty() && r.exitCode == 0);
    });
  });
}

void LabRunner::nodeAction(const QString& node, runtime::NodeAction action) {
  const QString word = QString::fromLatin1(runtime::nodeActionName(action));
  emit output(QStringLiteral("$ umlab node %1 %2 %3").arg(lab_, node, word));
  runAction(QStringLiteral("node"), [lab = str(lab_), node = str(node), action](const runtime::LabClient& client) {
    client.nodeAction(lab, node, action);
    return "node " + node + ": " + runtime::nodeActionName(action) + " done";
  });
}

void LabRunner::inspect(const QString& node) {
  if (lab_.isEmpty())
    return;
  spawn(false, [mailbox = mailbox_, root = str(stateRoot_), lab = str(lab_), node] {
    std::optional<runtime::NodeInspection> inspection;
    QString error;
    try {
      inspection = runtime::inspectNode(runtime::LabClient(root), lab, str(node), std::chrono::seconds(10));
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([node, inspection, error](LabRunner& r) { emit r.inspected(node, inspection, error); });
  });
}

namespace {

/// The nodes `apply` may reboot: every node of the plan with --restart-changed (as the CLI
/// names them), else none.
std::vector<std::string> restartList(const lab::LaunchPlan& plan, bool restartChanged) {
  std::vector<std::string> names;
  if (restartChanged)
    for (const lab::GuestPlan& g : plan.guests)
      names.push_back(g.name);
  return names;
}

} // namespace

void LabRunner::previewApply(bool restartChanged) {
  if (lab_.isEmpty() || file_.isEmpty())
    return;
  spawn(false, [mailbox = mailbox_, file = str(file_), self = str(programPath_), root = str(stateRoot_), restartChanged] {
    QStringList lines;
    bool ok = false;
    try {
      std::optional<lab::LaunchPlan> plan = planFor(mailbox, file, self, root);
      if (!plan)
        throw runtime::RuntimeError(file + " has errors (see the problems list); nothing can be applied");
      const runtime::LabClient client(root);
      if (!client.isRunning(plan->lab))
        throw runtime::RuntimeError("lab '" + plan->lab + "' is not running");
      const runtime::PlanChanges changes = client.planChanges(plan->lab, *plan, restartList(*plan, restartChanged));
      for (const std::string& l : runtime::describeChanges(changes))
        lines << q(l);
      ok = changes.refused.empty();
    } catch (const std::exception& e) {
      lines = QStringList{q(e.what())};
    }
    mailbox->post([lines, ok, restartChanged](LabRunner& r) { emit r.applyPreviewed(lines, ok, restartChanged); });
  });
}

void LabRunner::applyFile(bool restartChanged) {
  if (lab_.isEmpty() || file_.isEmpty())
    return;
  emit output(tr("lab '%1': applying %2%3").arg(lab_, file_, restartChanged ? tr(", restarting changed nodes") : QString()));
  spawn(false, [mailbox = mailbox_, file = str(file_), self = str(programPath_), root = str(stateRoot_), restartChanged] {
    QString done, error;
    try {
      // As `umlab apply FILE` does it (lab/cli/runtime_commands.cpp, cmdApply).
      std::optional<lab::LaunchPlan> plan = planFor(mailbox, file, self, root);
      if (!plan)
        throw runtime::RuntimeError(file + " has errors (see the problems list); nothing was applied");
      const runtime::LabClient client(root);
      const std::vector<std::string> restart = restartList(*plan, restartChanged);
      const runtime::PlanChanges changes = client.planChanges(plan->lab, *plan, restart);
      if (changes.empty()) {
        done = q("lab '" + plan->lab + "' already matches " + file);
      } else {
        if (!changes.refused.empty())
          throw runtime::RuntimeError("nothing was changed: " + changes.refused.front());
        const auto started = std::chrono::steady_clock::now();
        for (const std::string& l : client.apply(plan->lab, *plan, changes, restart, runtime::guestBinDir(self)))
          done += q("  " + l + "\n");
        done += QStringLiteral("lab '%1' matches %2 (%3 s)")
                    .arg(q(plan->lab), q(file))
                    .arg(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 0, 'f', 1);
      }
    } catch (const std::exception& e) {
      error = q(e.what());
    }
    mailbox->post([done, error](LabRunner& r) {
      for (const QString& line : done.split('\n', Qt::SkipEmptyParts))
        emit r.output(line);
      if (!error.isEmpty())
        emit r.failed(error);
      emit r.actionFinished(QStringLiteral("apply"), error.isEmpty());
    });
  });
}

bool LabRunner::openConsole(const QString& node, QString* error) {
  // The one program the runner starts: a terminal emulator running `umlab console` (not the
  // runtime: a terminal of its own for the console; issue 17 embeds the terminal instead).
  const QString umlab = QFileInfo(programPath_).absoluteDir().filePath(QStringLiteral("umlab"));
  const QString term = terminal();
  if (term.isEmpty()) {
    if (error)
      *error = tr("no terminal emulator (x-terminal-emulator) is installed; run 'umlab console %1 %2' in a terminal")
                   .arg(lab_, node);
    return false;
  }
  const QStringList args{QStringLiteral("-e"), umlab, QStringLiteral("console"), QStringLiteral("--state-dir"),
                         stateRoot_, lab_, node};
  emit output(QStringLiteral("$ %1 %2").arg(term, args.join(' ')));
  if (!QProcess::startDetached(term, args)) {
    if (error)
      *error = tr("cannot start '%1'").arg(term);
    return false;
  }
  return true;
}

} // namespace umlab::gui
