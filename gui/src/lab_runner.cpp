#include "umlab/gui/lab_runner.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>

namespace umlab::gui {

namespace {
constexpr int kPollMs = 1000;
} // namespace

LabRunner::LabRunner(QObject* parent) : QObject(parent) {
  umlab_ = QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("umlab"));
  pollTimer_.setInterval(kPollMs);
  connect(&pollTimer_, &QTimer::timeout, this, &LabRunner::poll);
}

LabRunner::~LabRunner() {
  // An `up` or `down` in flight finishes on its own: the lab belongs to its supervisor, not to
  // this window, and `umlab down` from a shell stops it later. Only the status poll is ended.
  if (lifecycle_) {
    lifecycle_->disconnect(this);
    lifecycle_->setParent(nullptr);
    connect(lifecycle_, &QProcess::finished, lifecycle_, &QObject::deleteLater);
  }
  if (ps_) {
    ps_->disconnect(this);
    ps_->kill();
    ps_->waitForFinished(1000);
  }
}

void LabRunner::setLab(const QString& name, const QString& file) {
  if (name != lab_) {
    status_.reset();
    emit statusChanged(status_);
    if (state_ != State::Stopped && !lifecycle_)
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

QString LabRunner::terminal() { return QStandardPaths::findExecutable(QStringLiteral("x-terminal-emulator")); }
QString LabRunner::wireshark() { return QStandardPaths::findExecutable(QStringLiteral("wireshark")); }

QProcess* LabRunner::startUmlab(const QStringList& args, const QString& what) {
  auto* p = new QProcess(this);
  p->setProcessChannelMode(QProcess::MergedChannels);
  connect(p, &QProcess::readyReadStandardOutput, this, [this, p] {
    while (p->canReadLine())
      emit output(QString::fromUtf8(p->readLine()).trimmed());
  });
  connect(p, &QProcess::errorOccurred, this, [this, p, what](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart)
      return;
    // No `finished` follows a process that never started: end its story here.
    emit failed(QStringLiteral("cannot run '%1': %2").arg(umlab_, p->errorString()));
    if (p == lifecycle_) {
      lifecycle_ = nullptr;
      setState(State::Stopped);
    }
    emit commandFinished(what, -1);
    p->deleteLater();
  });
  emit output(QStringLiteral("$ umlab %1").arg(args.join(' ')));
  p->start(umlab_, args);
  return p;
}

void LabRunner::start() {
  if (lifecycle_ || state_ == State::Running || file_.isEmpty())
    return;
  setState(State::Starting);
  lifecycle_ = startUmlab({QStringLiteral("up"), file_}, QStringLiteral("up"));
  connect(lifecycle_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus how) {
    const QString rest = QString::fromUtf8(lifecycle_->readAll()).trimmed();
    if (!rest.isEmpty())
      emit output(rest);
    lifecycle_->deleteLater();
    lifecycle_ = nullptr;
    const int exitCode = how == QProcess::NormalExit ? code : -1;
    setState(exitCode == 0 ? State::Running : State::Stopped);
    if (exitCode != 0)
      emit failed(QStringLiteral("'umlab up' failed (exit status %1); see the log").arg(exitCode));
    emit commandFinished(QStringLiteral("up"), exitCode);
    poll();
  });
  startPolling();
}

void LabRunner::stop() {
  if (lifecycle_ || lab_.isEmpty())
    return;
  setState(State::Stopping);
  lifecycle_ = startUmlab({QStringLiteral("down"), lab_}, QStringLiteral("down"));
  connect(lifecycle_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus how) {
    const QString rest = QString::fromUtf8(lifecycle_->readAll()).trimmed();
    if (!rest.isEmpty())
      emit output(rest);
    lifecycle_->deleteLater();
    lifecycle_ = nullptr;
    const int exitCode = how == QProcess::NormalExit ? code : -1;
    setState(State::Stopped);
    if (exitCode != 0)
      emit failed(QStringLiteral("'umlab down' failed (exit status %1); see the log").arg(exitCode));
    emit commandFinished(QStringLiteral("down"), exitCode);
    stopPolling();
    status_.reset();
    emit statusChanged(status_);
  });
}

void LabRunner::startPolling() {
  if (!pollTimer_.isActive())
    pollTimer_.start();
  poll();
}

void LabRunner::stopPolling() { pollTimer_.stop(); }

void LabRunner::poll() {
  if (ps_ || lab_.isEmpty())
    return;
  ps_ = new QProcess(this);
  ps_->setProcessChannelMode(QProcess::SeparateChannels);
  connect(ps_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus how) {
    psFinished(how == QProcess::NormalExit ? code : -1);
  });
  connect(ps_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e != QProcess::FailedToStart)
      return;
    emit failed(QStringLiteral("cannot run '%1': %2").arg(umlab_, ps_->errorString()));
    ps_->deleteLater();
    ps_ = nullptr;
    stopPolling();
  });
  ps_->start(umlab_, {QStringLiteral("ps"), QStringLiteral("--format"), QStringLiteral("json"), lab_});
}

void LabRunner::psFinished(int exitCode) {
  const QByteArray json = ps_->readAllStandardOutput();
  ps_->deleteLater();
  ps_ = nullptr;
  std::optional<LabStatus> next;
  if (exitCode == 0)
    next = parsePsJson(json, lab_.toStdString());
  if (next && status_ && sampleClock_.isValid())
    computeRates(*next, *status_, sampleClock_.elapsed() / 1000.0);
  sampleClock_.start();
  status_ = std::move(next);
  // A lab started or stopped elsewhere (a shell) shows here too.
  if (!lifecycle_) {
    if (status_ && status_->state != "crashed")
      setState(State::Running);
    else if (!status_)
      setState(State::Stopped);
  }
  if (!status_ && !lifecycle_)
    stopPolling();
  else if (status_ && !pollTimer_.isActive())
    pollTimer_.start();
  emit statusChanged(status_);
}

void LabRunner::run(const QStringList& args, const QString& what) {
  QProcess* p = startUmlab(args, what);
  connect(p, &QProcess::finished, this, [this, p, what](int code, QProcess::ExitStatus how) {
    const QString rest = QString::fromUtf8(p->readAll()).trimmed();
    if (!rest.isEmpty())
      emit output(rest);
    p->deleteLater();
    const int exitCode = how == QProcess::NormalExit ? code : -1;
    if (exitCode != 0)
      emit failed(QStringLiteral("'umlab %1' failed (exit status %2); see the log").arg(what).arg(exitCode));
    emit commandFinished(what, exitCode);
    poll();
  });
}

bool LabRunner::openConsole(const QString& node, QString* error) {
  const QString term = terminal();
  if (term.isEmpty()) {
    if (error)
      *error = QStringLiteral("no terminal emulator (x-terminal-emulator) is installed; run 'umlab console %1 %2' in a "
                              "terminal")
                   .arg(lab_, node);
    return false;
  }
  emit output(QStringLiteral("$ %1 -e umlab console %2 %3").arg(term, lab_, node));
  if (!QProcess::startDetached(term, {QStringLiteral("-e"), umlab_, QStringLiteral("console"), lab_, node})) {
    if (error)
      *error = QStringLiteral("cannot start '%1'").arg(term);
    return false;
  }
  return true;
}

void LabRunner::capture(const QString& segment, const QString& file, int seconds) {
  const QString what = QStringLiteral("capture");
  QProcess* p = startUmlab({QStringLiteral("capture"), lab_, segment, QStringLiteral("-w"), file,
                            QStringLiteral("--duration"), QStringLiteral("%1s").arg(seconds)},
                           what);
  connect(p, &QProcess::finished, this, [this, p, file, what](int code, QProcess::ExitStatus how) {
    const QString rest = QString::fromUtf8(p->readAll()).trimmed();
    if (!rest.isEmpty())
      emit output(rest);
    p->deleteLater();
    const int exitCode = how == QProcess::NormalExit ? code : -1;
    if (exitCode != 0) {
      emit failed(QStringLiteral("'umlab capture' failed (exit status %1); see the log").arg(exitCode));
    } else if (const QString ws = wireshark(); !ws.isEmpty()) {
      emit output(QStringLiteral("$ wireshark %1").arg(file));
      QProcess::startDetached(ws, {file});
    } else {
      emit output(QStringLiteral("capture saved to %1 (install wireshark to open it from here)").arg(file));
    }
    emit commandFinished(what, exitCode);
  });
}

} // namespace umlab::gui
