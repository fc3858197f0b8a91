#pragma once
/// Running the open lab in this process, through the runtime library: `lab::compileFile` and
/// `lab::plan` make the plan, `runtime::Launcher` starts it, and `runtime::LabClient` does
/// everything else (status, events, down, link conditions, capture, replay). No `umlab`
/// process is started (issue 13): the canvas and the CLI share the library, so they never
/// disagree, and a lab started on the canvas can be stopped from a shell and the other way round.
///
/// Threads. Each library call blocks (a launch for as long as the guests boot), so each runs on
/// a worker thread of its own (std::thread). A worker touches nothing of the runner's: it holds
/// copies of what it needs and a shared mailbox, through which it posts its results to the
/// runner's thread (queued calls); the runner alone emits signals and changes its state. When
/// the runner is destroyed, the mailbox drops whatever still arrives, the workers that end on
/// cancel (the event subscription, captures) are told to stop and joined, and the others are
/// detached: a lab that is starting keeps starting, since its supervisor owns it, and `umlab
/// down` stops it later. The destructor waits at most a few seconds; a worker still blocked
/// then (on a supervisor that does not answer) is detached too.
///
/// Watching. Once a lab runs (or, while it starts, as soon as its supervisor answers), the
/// runner reads its status once, then follows its events (LabClient::events, with an eventfd
/// of its own to end the subscription) and applies them to the status (lab_status.hpp).
/// Events that change more than they say make it read the status again.

#include "umlab/gui/lab_data.hpp"
#include "umlab/gui/lab_status.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/node_inspection.hpp"

#include <QObject>
#include <QString>
#include <QTimer>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace umlab::gui {

/// The words that set `c` on a switch port, as `LabClient::linkConditions` passes them on
/// (`set port PORT both WORDS`, docs/switchd.md): "clear delay 20ms loss 1%". Empty values are
/// left out; empty when there is nothing to set.
std::string linkConditionWords(const LinkConditions& c, bool clearFirst);

class LabRunner : public QObject {
  Q_OBJECT
public:
  enum class State { Stopped, Starting, Running, Stopping };

  explicit LabRunner(QObject* parent = nullptr);
  /// Ends the event subscription and any capture, and joins their threads; detaches the
  /// threads of a start or stop in progress (see the header's note).
  ~LabRunner() override;

  /// The program whose directory holds umlab-switchd, umlab-init and umlab-agent (as
  /// `lab::hostLayoutFromEnvironment` and `runtime::guestBinDir` find them); by default this
  /// program, which is installed beside them.
  void setProgramPath(const QString& path);
  const QString& programPath() const { return programPath_; }
  /// Where labs keep their state: by default as `lab::hostLayoutFromEnvironment` says
  /// ($UMLAB_STATE_DIR, else $XDG_RUNTIME_DIR/umlab, ...); set after the program path.
  void setStateRoot(const QString& dir) { stateRoot_ = dir; }
  const QString& stateRoot() const { return stateRoot_; }
  /// The lab to run and watch: its name and its file. Another name ends the watch of the last.
  void setLab(const QString& name, const QString& file);
  const QString& lab() const { return lab_; }
  State state() const { return state_; }
  const std::optional<LabStatus>& status() const { return status_; }
  /// Whether the runner follows the lab (a status read or the event subscription in progress).
  bool isWatching() const { return watch_.has_value(); }

  /// The terminal that consoles open in (x-terminal-emulator), or empty when there is none.
  static QString terminal();
  /// Wireshark, or empty.
  static QString wireshark();

public slots:
  /// Compiles and plans the lab's file, launches it and starts its replays; watches it as it
  /// boots. `actionFinished("up", ok)` says how it ended.
  void start();
  /// Takes the lab down; `actionFinished("down", ok)`.
  void stop();
  /// Reads the lab's status; while it runs, follows its events until it stops. A lab started
  /// elsewhere (a shell) shows up too. Does nothing while watching already.
  void watch();
  void stopWatching();
  /// Sets a link's conditions live on its switch port (both directions), after removing the
  /// others when `clearFirst`; `actionFinished("link", ok)`.
  void setLinkConditions(const QString& port, const LinkConditions& conditions, bool clearFirst);
  /// Takes a link down (it drops everything) or brings it back; `actionFinished("link", ok)`.
  void setLinkUp(const QString& port, bool isUp);
  /// Captures SEGMENT to FILE (pcap) for `seconds`, then opens it in Wireshark when that is
  /// installed; `actionFinished("capture", ok)`.
  void capture(const QString& segment, const QString& file, int seconds);
  /// Captures SEGMENT to FILE until `stopCapture(segment)` (or the runner goes); the capture is
  /// listed in `captures()` while it runs. `actionFinished("capture", ok)` when it ends.
  void startCapture(const QString& segment, const QString& file);
  /// Captures SEGMENT straight into Wireshark, live (`wireshark -k -i -` reading a pipe), until
  /// Wireshark is closed or `stopCapture(segment)`. False (with `error`) without Wireshark.
  bool captureToWireshark(const QString& segment, QString* error = nullptr);
  void stopCapture(const QString& segment);
  /// The segments being captured now, each with where it goes (a file, or "wireshark").
  const std::map<QString, QString>& captures() const { return captureTargets_; }
  /// Runs COMMAND (`sh -c`) in NODE; `commandFinished(node, command, exit code, output)`.
  void runCommand(const QString& node, const QString& command);
  /// Stops, starts, restarts or crashes NODE (`umlab node LAB NODE ACTION`);
  /// `actionFinished("node", ok)`.
  void nodeAction(const QString& node, runtime::NodeAction action);
  /// Reads NODE's live state through its agent (`umlab inspect`); `inspected(node, ...)`.
  void inspect(const QString& node);
  /// Compiles and plans the lab's file (saved) and asks the running lab what `apply` would
  /// change; `applyPreviewed(lines, ok, restartChanged)`, where `ok` is false when a change is
  /// refused (the lines then say why) or the file has errors. With `restartChanged`, nodes whose
  /// settings changed are rebooted from the base (`umlab apply --restart-changed`) instead of
  /// refused.
  void previewApply(bool restartChanged = false);
  /// Applies the lab's file to the running lab (`umlab apply FILE [--restart-changed]`);
  /// `actionFinished("apply", ok)`.
  void applyFile(bool restartChanged = false);
  /// Starts playing the capture FILE into SEGMENT, once, at its own pace; `actionFinished("replay", ok)`.
  void replay(const QString& segment, const QString& file);
  /// `umlab console LAB NODE` in a terminal window.
  bool openConsole(const QString& node, QString* error = nullptr);

signals:
  void stateChanged(umlab::gui::LabRunner::State state);
  void statusChanged(const std::optional<umlab::gui::LabStatus>& status);
  /// A line for the log: progress, what an action did.
  void output(const QString& line);
  /// An action ended: "up", "down", "link", "capture", "replay", "apply", "command" or "node".
  void actionFinished(const QString& what, bool ok);
  void capturesChanged();
  void commandFinished(const QString& node, const QString& command, int exitCode, const QString& output);
  void applyPreviewed(const QStringList& changes, bool ok, bool restartChanged);
  /// The inspection of NODE, or nullopt and why not.
  void inspected(const QString& node, const std::optional<umlab::lab::runtime::NodeInspection>& inspection,
                 const QString& error);
  void failed(const QString& message);

private:
  class Mailbox;
  class Cancel;
  class PostingProgress;
  struct Job {
    uint64_t id = 0;
    std::thread thread;
    bool endsOnCancel = false; ///< joined at destruction; the others are detached
  };
  struct Watch {
    uint64_t generation = 0;
    std::shared_ptr<Cancel> cancel;
  };

  /// Runs `work` on a thread of its own; it must catch what it throws.
  void spawn(bool endsOnCancel, std::function<void()> work);
  void reap(uint64_t job);
  /// Runs one LabClient call on a worker: the line it returns goes to `output`, what it throws
  /// to `failed`, and `actionFinished(what, ...)` either way.
  void runAction(const QString& what, std::function<std::string(const runtime::LabClient&)> call);
  void setState(State s);
  void clearStatus();
  /// Reads the status again (one read at a time; one more when asked meanwhile).
  void refreshStatus();

  // What the workers post back.
  void launchStep(const QString& line);
  void launchFinished(const QString& lab, const QString& error);
  void downFinished(const QString& message, const QString& error);
  void statusRead(uint64_t generation, const runtime::LabStatus& s, double readTime, bool isRefresh);
  void statusFailed(uint64_t generation, const QString& error, bool isRefresh);
  void eventArrived(uint64_t generation, const LabEvent& e);
  void watchEnded(uint64_t generation, bool wasSubscribed);
  /// Starts a capture of SEGMENT on a worker, into the descriptor `open(keepGoing)` returns (or
  /// throws for); `target` names it for people.
  void spawnCapture(const QString& segment, const QString& target,
                    std::function<UniqueFd(const std::function<bool()>&)> open);
  void captureEnded(const QString& segment, const QString& done, const QString& error);

  QString programPath_;
  QString stateRoot_;
  QString lab_;
  QString file_;
  State state_ = State::Stopped;
  bool isLifecycleBusy_ = false; ///< a start or stop runs
  std::optional<LabStatus> status_;

  std::shared_ptr<Mailbox> mailbox_;
  std::shared_ptr<Cancel> cancel_; ///< the runner's end: stops captures
  std::vector<Job> jobs_;
  uint64_t nextJob_ = 0;
  std::optional<Watch> watch_;
  uint64_t generation_ = 0; ///< of the current watch; results of older ones are dropped
  bool isRefreshing_ = false;
  bool isRefreshWanted_ = false;
  uint64_t eventSerial_ = 0;      ///< events applied that were not counters
  uint64_t serialAtRefresh_ = 0;  ///< eventSerial_ when the running status read was asked
  std::map<QString, std::shared_ptr<Cancel>> captureCancels_; ///< per segment being captured
  std::map<QString, QString> captureTargets_;
  QTimer notifyTimer_;            ///< gathers the events of a moment into one statusChanged
};

} // namespace umlab::gui
