#pragma once
/// Running the open lab through the `umlab` command line (the one beside umlab-gui): `umlab up
/// FILE` to start, `umlab down LAB` to stop, and `umlab ps --format json LAB` once a second to
/// watch. The GUI never starts a guest itself; whatever the CLI can do to a running lab (link
/// conditions, captures, replays, consoles) the canvas does by running the same verb, so the
/// two never disagree and a lab started from a shell shows up on the canvas too.
///
/// Every process runs asynchronously (QProcess); output lines go to `output`, for the log.

#include "umlab/gui/lab_status.hpp"

#include <QElapsedTimer>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTimer>

#include <optional>

namespace umlab::gui {

class LabRunner : public QObject {
  Q_OBJECT
public:
  enum class State { Stopped, Starting, Running, Stopping };

  explicit LabRunner(QObject* parent = nullptr);
  ~LabRunner() override;

  /// The umlab executable; by default the one beside this program.
  void setUmlab(const QString& path) { umlab_ = path; }
  const QString& umlab() const { return umlab_; }
  /// The lab to run and watch: its name and its file.
  void setLab(const QString& name, const QString& file);
  const QString& lab() const { return lab_; }
  State state() const { return state_; }
  const std::optional<LabStatus>& status() const { return status_; }
  void setPollInterval(int ms) { pollTimer_.setInterval(ms); }
  bool isPolling() const { return pollTimer_.isActive(); }

  /// The terminal that consoles open in (x-terminal-emulator), or empty when there is none.
  static QString terminal();
  /// Wireshark, or empty.
  static QString wireshark();

public slots:
  /// `umlab up FILE`; watches the lab while it boots.
  void start();
  /// `umlab down LAB`.
  void stop();
  void startPolling();
  void stopPolling();
  /// One `umlab ps --format json LAB`, unless one is still running.
  void poll();
  /// Runs `umlab ARGS...`; output goes to `output`, and `commandFinished` says how it ended.
  void run(const QStringList& args, const QString& what);
  /// `umlab console LAB NODE` in a terminal window.
  bool openConsole(const QString& node, QString* error = nullptr);
  /// `umlab capture LAB SEGMENT -w FILE --duration Ns`, then the file in Wireshark when it is
  /// installed.
  void capture(const QString& segment, const QString& file, int seconds);

signals:
  void stateChanged(umlab::gui::LabRunner::State state);
  void statusChanged(const std::optional<umlab::gui::LabStatus>& status);
  void output(const QString& line);
  void commandFinished(const QString& what, int exitCode);
  void failed(const QString& message);

private:
  void setState(State s);
  QProcess* startUmlab(const QStringList& args, const QString& what);
  void psFinished(int exitCode);

  QString umlab_;
  QString lab_;
  QString file_;
  State state_ = State::Stopped;
  QTimer pollTimer_;
  QProcess* ps_ = nullptr;
  QProcess* lifecycle_ = nullptr; ///< the running `up` or `down`
  std::optional<LabStatus> status_;
  QElapsedTimer sampleClock_;
};

} // namespace umlab::gui
