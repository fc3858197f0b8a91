// LabRunner, the canvas's way to run and watch a lab through the runtime library, in two parts.
//
// Without root: a fake lab whose supervisor is this test process (a thread answering the lab's
// control socket, as lab_state.hpp describes the protocol) shows that the status is read once,
// then follows the events (counters, links, nodes, the lab going down), that the subscription
// ends cleanly when the runner goes, and that nothing is started: no child process, no `umlab`.
//
// With root, linux.uml and the base image (CTest's umlab_image fixture; RESOURCE_LOCK uml with
// the other runtime tests): two UML guests booted in-process from a lab drawn through the
// editor, their state and the switch's counters reaching the scene as they come, a link
// condition set live, a capture and a replay, and the lab taken down. The lab lives under the
// state root CTest passes in UMLAB_STATE_DIR and is always taken down.
#include "umlab/gui/lab_runner.hpp"

#include "fake_lab.hpp"
#include "test_support.hpp"
#include "umlab/base/process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/element_menu.hpp"
#include "umlab/gui/items.hpp"
#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/main_window.hpp"
#include "umlab/gui/node_inspector.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/lab/runtime/lab_state.hpp"

#include <catch2/catch.hpp>

#include <QAction>
#include <QElapsedTimer>
#include <QLabel>
#include <QStatusBar>
#include <QMenu>
#include <QRegularExpression>
#include <QTreeWidget>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <mutex>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace umlab;
using namespace umlab::gui;
using test::FakeLab;
using test::fakeStatus;
using test::waitFor;

namespace {

/// The commands (comm) of this process's children, from every thread's children list.
std::vector<std::string> childCommands() {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream children(task.path() / "children");
    for (pid_t pid; children >> pid;) {
      std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      std::getline(comm, name);
      out.push_back(name);
    }
  }
  return out;
}

/// Watches this process's children while it lives (the event loop must run): any named umlab
/// is recorded.
class ChildWatch {
public:
  ChildWatch() {
    timer_.setInterval(20);
    QObject::connect(&timer_, &QTimer::timeout, [this] {
      for (const std::string& c : childCommands())
        if (c == "umlab")
          umlabSeen_ = true;
    });
    timer_.start();
  }
  bool sawUmlab() const { return umlabSeen_; }

private:
  QTimer timer_;
  bool umlabSeen_ = false;
};

std::string counters(double time, uint64_t frames) {
  const std::string f = std::to_string(frames), b = std::to_string(frames * 100);
  return R"({"type": "counters", "time": )" + std::to_string(time) +
         R"(, "segment": "sw", "answering": true, "ageSeconds": 0.0, "ports": [)"
         R"({"port": "pc1:eth0", "kind": "daemon", "framesIn": )" + f + R"(, "bytesIn": )" + b +
         R"(, "framesOut": 0, "bytesOut": 0, "drops": 0}, )"
         R"({"port": "pc2:eth0", "kind": "daemon", "framesIn": 0, "bytesIn": 0, "framesOut": )" + f +
         R"(, "bytesOut": )" + b + R"(, "drops": 1}]})";
}

std::string binDir() { return UMLAB_BINARY_DIR "/bin"; }

/// Why guests cannot run here, or empty when they can.
std::string missingCapability() {
  // Root, or any user where unprivileged user namespaces are allowed (a rootless lab).
  if (::geteuid() != 0) {
    std::ifstream clone("/proc/sys/kernel/unprivileged_userns_clone");
    int allowed = 1;
    if (clone >> allowed; allowed == 0)
      return "not root, and unprivileged user namespaces are off (kernel.unprivileged_userns_clone=0)";
  }
  if (::access("/usr/bin/linux.uml", X_OK) != 0)
    return "linux.uml is not installed (apt-get install user-mode-linux)";
  if (::access((binDir() + "/umlab-switchd").c_str(), X_OK) != 0)
    return "umlab-switchd is not built";
  const char* state = std::getenv("UMLAB_STATE_DIR");
  if (!state || !*state)
    return "UMLAB_STATE_DIR is not set (run through CTest: ctest -R gui.runtime)";
  return "";
}

/// Takes the lab down whatever happens in the test.
struct LabGuard {
  std::string stateRoot, lab;
  ~LabGuard() {
    try {
      runtime::LabClient(stateRoot).down(lab);
    } catch (const std::exception&) {
    }
  }
};

} // namespace

TEST_CASE("a lab that does not run shows no status and is not watched", "[gui][runner]") {
  TempDir root("umlab-gui-runner");
  LabRunner runner;
  runner.setStateRoot(QString::fromStdString(root.path().string()));
  runner.setLab("nolab", "");
  int changes = 0;
  QObject::connect(&runner, &LabRunner::statusChanged, [&] { ++changes; });
  runner.watch();
  CHECK(runner.isWatching());
  CHECK(waitFor([&] { return changes > 0 && !runner.isWatching(); }, 5));
  CHECK_FALSE(runner.status());
  CHECK(runner.state() == LabRunner::State::Stopped);
}

TEST_CASE("a lab file with errors is not started, and the compiler's messages go to the log", "[gui][runner]") {
  TempDir root("umlab-gui-runner");
  const std::string file = root.file("broken.yaml");
  std::ofstream(file) << "name: broken\nnodes:\n  pc1: {}\nlinks:\n  - endpoints: [\"pc9:eth0\", \"pc1:eth0\"]\n";
  LabRunner runner;
  runner.setStateRoot(QString::fromStdString(root.file("state")));
  runner.setLab("broken", QString::fromStdString(file));
  QStringList log;
  QObject::connect(&runner, &LabRunner::output, [&](const QString& line) { log << line; });
  std::optional<bool> upOk;
  QString failure;
  QObject::connect(&runner, &LabRunner::actionFinished, [&](const QString& what, bool ok) {
    if (what == "up")
      upOk = ok;
  });
  QObject::connect(&runner, &LabRunner::failed, [&](const QString& m) { failure = m; });
  runner.start();
  CHECK(runner.state() == LabRunner::State::Starting);
  REQUIRE(waitFor([&] { return upOk.has_value(); }, 20));
  INFO("log:\n" << log.join('\n').toStdString());
  CHECK_FALSE(*upOk);
  CHECK(runner.state() == LabRunner::State::Stopped);
  CHECK(log.join('\n').contains("broken.yaml:5:"));
  CHECK(log.join('\n').contains("error: "));
  CHECK(failure.contains("nothing was started"));
  CHECK_FALSE(std::filesystem::exists(root.file("state") + "/broken"));
}

/// A runner set to the fake lab "fk" (booting), not watching yet, and the states it goes through.
struct WatchedLab {
  TempDir root{"umlab-gui-runner"};
  FakeLab fake{root.path().string(), "fk", fakeStatus("fk", "booting")};
  LabRunner runner;
  std::vector<LabRunner::State> states;
  WatchedLab() {
    runner.setStateRoot(QString::fromStdString(root.path().string()));
    runner.setLab("fk", "");
    QObject::connect(&runner, &LabRunner::stateChanged, [this](LabRunner::State s) { states.push_back(s); });
  }
};

TEST_CASE("a status read that crosses the lab's stopping event does not make it running again", "[gui][runner]") {
  WatchedLab w;
  FakeLab& fake = w.fake;
  LabRunner& runner = w.runner;
  runner.watch();
  REQUIRE(waitFor([&] { return runner.status() && fake.subscriberCount() == 1; }, 5));

  // A node's event asks for the status again; the read is held while the lab starts stopping.
  fake.holdStatusReads();
  fake.send(R"({"type": "node", "time": 1004, "node": "pc1", "state": "ready", "pid": 101})");
  REQUIRE(waitFor([&] { return fake.statusReads() == 2; }, 5));
  fake.send(R"({"type": "lab", "time": 1005, "lab": "fk", "state": "stopping"})");
  REQUIRE(waitFor([&] { return runner.state() == LabRunner::State::Stopping; }, 5));
  // The read answers now, with the status from before: the lab stays stopping. The event that
  // came meanwhile makes the runner ask again; that read (held too) says "running" as well.
  fake.setStatus(fakeStatus("fk", "ready"));
  fake.releaseStatusReads(true);
  REQUIRE(waitFor([&] { return fake.statusReads() == 3; }, 5)); // the first read was taken in
  CHECK(runner.state() == LabRunner::State::Stopping);
  runtime::LabStatus later = fakeStatus("fk", "ready");
  later.nodes[1].state = "ready";
  fake.setStatus(later);
  fake.releaseStatusReads();
  REQUIRE(waitFor([&] { return runner.status()->node("pc2")->state == "ready"; }, 5));
  CHECK(runner.state() == LabRunner::State::Stopping);
  fake.send(R"({"type": "lab", "time": 1006, "lab": "fk", "state": "down"})");
  CHECK(waitFor([&] { return runner.state() == LabRunner::State::Stopped; }, 5));
  CHECK(w.states == std::vector<LabRunner::State>{LabRunner::State::Running, LabRunner::State::Stopping,
                                                LabRunner::State::Stopped});
}

TEST_CASE("the window's run state reads running, then stopping with its ellipsis as written, then stopped",
          "[gui][runner][window]") {
  TempDir root("umlab-gui-runner");
  FakeLab fake{root.path().string(), "fk", fakeStatus("fk", "booting")};
  MainWindow w;
  w.setConfirmClose(false);
  QLabel* state = nullptr; // the status bar's "lab ..." label
  for (QLabel* l : w.statusBar()->findChildren<QLabel*>())
    if (l->text().startsWith("lab "))
      state = l;
  REQUIRE(state);
  CHECK(state->text() == "lab stopped");
  w.runner().setStateRoot(QString::fromStdString(root.path().string()));
  w.runner().setLab("fk", "");
  w.runner().watch();
  REQUIRE(waitFor([&] { return w.runner().status() && fake.subscriberCount() == 1; }, 5));
  CHECK(state->text() == "lab running");
  fake.send(R"({"type": "lab", "time": 1005, "lab": "fk", "state": "stopping"})");
  REQUIRE(waitFor([&] { return w.runner().state() == LabRunner::State::Stopping; }, 5));
  CHECK(state->text() == QString::fromUtf8("lab stopping\u2026"));
  CHECK(state->text().toUtf8() == QByteArray("lab stopping\xE2\x80\xA6"));
  fake.send(R"({"type": "lab", "time": 1006, "lab": "fk", "state": "down"})");
  CHECK(waitFor([&] { return w.runner().state() == LabRunner::State::Stopped && !w.runner().isWatching(); }, 5));
  CHECK(state->text() == "lab stopped");
}

TEST_CASE("the status is read once, then follows the lab's events", "[gui][runner]") {
  ChildWatch children;
  WatchedLab w;
  FakeLab& fake = w.fake;
  LabRunner& runner = w.runner;
  std::vector<LabRunner::State>& states = w.states;
  runner.watch();
  REQUIRE(waitFor([&] { return runner.status() && fake.subscriberCount() == 1; }, 5));
  CHECK(runner.state() == LabRunner::State::Running);
  CHECK(runner.status()->node("pc1")->state == "booting");
  CHECK_FALSE(runner.status()->switchOf("sw")->hasCounters);
  CHECK(fake.statusReads() == 1);

  // Counters arrive by events alone (no status read): totals, then a rate from two of them.
  fake.send(counters(1000, 10));
  REQUIRE(waitFor([&] { return runner.status()->switchOf("sw")->hasCounters; }, 5));
  CHECK(totalsOf(*runner.status()->switchOf("sw")).framesIn == 10);
  CHECK(totalsOf(*runner.status()->switchOf("sw")).drops == 1);
  CHECK_FALSE(runner.status()->rateOf("sw"));
  fake.send(counters(1002, 50));
  REQUIRE(waitFor([&] { return runner.status()->rateOf("sw").has_value(); }, 5));
  CHECK(runner.status()->rateOf("sw")->framesPerSecond == Approx(20));
  CHECK(runner.status()->rateOf("sw")->bytesPerSecond == Approx(2000));

  // A link's conditions, and a switch that stops answering.
  fake.send(R"({"type": "link", "time": 1003, "segment": "sw", "port": "pc1:eth0", "in": "delay:20ms", "out": "down"})");
  fake.send(R"({"type": "switch", "time": 1003, "segment": "sw", "state": "not answering"})");
  REQUIRE(waitFor([&] { return runner.status()->switchOf("sw")->state == "not answering"; }, 5));
  const PortStatus* port = portOf(*runner.status()->switchOf("sw"), "pc1:eth0");
  REQUIRE(port);
  CHECK(port->conditionsIn == "delay:20ms");
  CHECK(isPortDown(*port));
  CHECK(fake.statusReads() == 1);

  // A node that became ready: the event sets its state, and the status is read again.
  fake.setStatus(fakeStatus("fk", "ready"));
  fake.send(R"({"type": "node", "time": 1004, "node": "pc1", "state": "ready", "pid": 101})");
  CHECK(waitFor([&] { return runner.status()->node("pc1")->state == "ready" && fake.statusReads() >= 2; }, 5));
  // The read status keeps the rates the events measured.
  CHECK(waitFor([&] { return runner.status()->rateOf("sw").has_value(); }, 1));

  // Taken down elsewhere: stopping, then gone; the subscription ends with the lab.
  fake.send(R"({"type": "lab", "time": 1005, "lab": "fk", "state": "stopping"})");
  CHECK(waitFor([&] { return runner.state() == LabRunner::State::Stopping; }, 5));
  fake.send(R"({"type": "lab", "time": 1006, "lab": "fk", "state": "down"})");
  CHECK(waitFor([&] { return runner.state() == LabRunner::State::Stopped && !runner.isWatching(); }, 5));
  CHECK_FALSE(runner.status());
  CHECK(states == std::vector<LabRunner::State>{LabRunner::State::Running, LabRunner::State::Stopping,
                                                LabRunner::State::Stopped});
  CHECK(childCommands().empty()); // nothing was started
  CHECK_FALSE(children.sawUmlab());
}

TEST_CASE("a runner that goes while watching ends its subscription at once", "[gui][runner]") {
  TempDir root("umlab-gui-runner");
  FakeLab fake(root.path().string(), "fk", fakeStatus("fk", "ready"));
  auto runner = std::make_unique<LabRunner>();
  runner->setStateRoot(QString::fromStdString(root.path().string()));
  runner->setLab("fk", "");
  runner->watch();
  REQUIRE(waitFor([&] { return fake.subscriberCount() == 1; }, 5));
  fake.send(counters(1000, 10)); // posted to a runner that is about to go: dropped
  QElapsedTimer t;
  t.start();
  runner.reset();
  CHECK(t.elapsed() < 2000);
  CHECK(waitFor([&] { return fake.hungUpCount() == 1; }, 5));
  QTest::qWait(50); // whatever was still queued for it must not run
}

namespace {

/// Two hosts on a switch, drawn through the editor as the canvas would: pc1 (10.9.0.1/24) and
/// pc2 (the next address of the subnet, 10.9.0.2/24), in a new lab named `lab`.
struct TwoHosts {
  ElementId a = kNoElement, b = kNoElement, sw = kNoElement, la = kNoElement, lb = kNoElement;
};

TwoHosts drawTwoHosts(LabEditor& editor, const std::string& lab) {
  editor.newLab();
  LabProperties props = editor.document().properties();
  props.name = lab;
  editor.updateProperties(props);
  TwoHosts t;
  t.a = editor.addNode("host", QPointF(0, 0));
  t.b = editor.addNode("host", QPointF(300, 0));
  t.sw = editor.addSegment("switch", QPointF(150, 200));
  t.la = editor.addLink(t.a, t.sw);
  LinkData l = *editor.document().link(t.la);
  l.ip = "10.9.0.1/24";
  editor.updateLink(l);
  t.lb = editor.addLink(t.b, t.sw);
  return t;
}

} // namespace

TEST_CASE("a running lab's status reaches the canvas", "[.runtime][gui]") {
  const std::string why = missingCapability();
  if (!why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  TempDir dir("umlab-gui-runtime");
  const std::string lab = "guistat" + std::to_string(::getpid() % 100000);

  // Drawn through the editor, as the canvas would: two hosts on a switch.
  LabEditor editor;
  const auto [a, b, sw, la, lb] = drawTwoHosts(editor, lab);
  LinkData l = *editor.document().link(lb);
  CHECK(l.ip == "10.9.0.2/24"); // the next address of the segment's subnet
  const std::string path = dir.file(lab + ".yaml");
  REQUIRE(editor.save(QString::fromStdString(path)));
  REQUIRE(editor.report().ok());

  ChildWatch children;
  TopologyScene scene(editor);
  LabRunner runner; // umlab-switchd, umlab-init and umlab-agent are beside gui_tests in bin/
  CHECK(runner.stateRoot().toStdString() == std::getenv("UMLAB_STATE_DIR"));
  LabGuard guard{runner.stateRoot().toStdString(), lab};
  const runtime::LabClient client(runner.stateRoot().toStdString());
  runner.setLab(QString::fromStdString(lab), QString::fromStdString(path));
  QObject::connect(&runner, &LabRunner::statusChanged, &scene, &TopologyScene::setStatus);
  QStringList log;
  QObject::connect(&runner, &LabRunner::output, [&](const QString& line) { log << line; });
  QObject::connect(&runner, &LabRunner::failed, [&](const QString& line) { log << "failed: " + line; });
  std::map<QString, bool> finished;
  QObject::connect(&runner, &LabRunner::actionFinished, [&](const QString& what, bool ok) { finished[what] = ok; });
  bool sawBooting = false;
  QObject::connect(&runner, &LabRunner::statusChanged, [&](const std::optional<LabStatus>& s) {
    if (s)
      for (const NodeStatus& n : s->nodes)
        sawBooting = sawBooting || n.state == "booting";
  });

  runner.start();
  CHECK(runner.state() == LabRunner::State::Starting);
  // "up" finishes either way, so a failed start ends the wait at once (not after 400 s).
  REQUIRE(waitFor([&] { return finished.count("up") != 0; }, 400));
  INFO("log:\n" << log.join('\n').toStdString());
  REQUIRE(finished["up"]);
  REQUIRE(waitFor([&] { return scene.status() && scene.status()->isReady(); }, 30));
  CHECK(runner.state() == LabRunner::State::Running);
  CHECK(sawBooting); // watched while it booted
  const std::string pc1 = editor.document().node(a)->name;
  const std::string sw1 = editor.document().segment(sw)->name;
  CHECK(scene.status()->node(pc1)->state == "ready");
  REQUIRE(scene.status()->switchOf(sw1));
  CHECK(waitFor([&] { return scene.status()->switchOf(sw1)->hasCounters; }, 5));

  // Traffic shows in the switch's counters on the canvas, and a rate from the events.
  const uint64_t before = totalsOf(*scene.status()->switchOf(sw1)).framesIn;
  const QString capture = QString::fromStdString(dir.file("sw.pcap"));
  runner.capture(QString::fromStdString(sw1), capture, 3);
  runtime::ExecOptions quiet;
  quiet.timeout = std::chrono::seconds(30);
  const runtime::ExecResult ping = client.exec(lab, pc1, {"ping", "-c", "3", "-i", "0.2", "10.9.0.2"}, quiet);
  CHECK(ping.exitCode == 0);
  CHECK(waitFor([&] { return scene.status() && totalsOf(*scene.status()->switchOf(sw1)).framesIn >= before + 6; }, 10));
  CHECK(waitFor([&] { return scene.status() && scene.status()->rateOf(sw1).has_value(); }, 5));

  // The capture ran on a worker meanwhile; the file has the pings.
  REQUIRE(waitFor([&] { return finished.count("capture") != 0; }, 20));
  CHECK(finished["capture"]);
  CHECK(std::filesystem::file_size(capture.toStdString()) > 24 + 6 * 16);

  // A condition set live from the link's menu action reaches the switch and the canvas.
  LinkConditions c;
  c.delay = "20ms";
  runner.setLinkConditions(linkPortOf(editor.document().data(), *editor.document().link(la)), c, true);
  REQUIRE(waitFor([&] { return finished.count("link") != 0; }, 20));
  CHECK(finished["link"]);
  CHECK(waitFor(
      [&] {
        const SwitchStatus* s = scene.status() ? scene.status()->switchOf(sw1) : nullptr;
        const PortStatus* p = s ? portOf(*s, pc1 + ":eth0") : nullptr;
        return p && p->conditionsIn.find("20ms") != std::string::npos;
      },
      10));
  exportPng(scene, QString::fromStdString(std::string(UMLAB_BINARY_DIR) + "/gui-runtime-status.png"));

  // The capture played back into the segment.
  runner.replay(QString::fromStdString(sw1), capture);
  REQUIRE(waitFor([&] { return finished.count("replay") != 0; }, 20));
  CHECK(finished["replay"]);

  runner.stop();
  CHECK(waitFor([&] { return runner.state() == LabRunner::State::Stopped && !scene.status(); }, 180));
  CHECK(finished["down"]);
  CHECK_THROWS(client.status(lab)); // no such lab any more
  CHECK_FALSE(children.sawUmlab());
}

TEST_CASE("a lab keeps starting when its runner goes, and the runner does not wait for it", "[.runtime][gui]") {
  const std::string why = missingCapability();
  if (!why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  TempDir dir("umlab-gui-runtime");
  const std::string lab = "guigone" + std::to_string(::getpid() % 100000);
  const std::string path = dir.file(lab + ".yaml");
  std::ofstream(path) << "name: " << lab << "\nnodes:\n  pc1: {}\n";
  auto runner = std::make_unique<LabRunner>();
  const std::string root = runner->stateRoot().toStdString();
  LabGuard guard{root, lab};
  runner->setLab(QString::fromStdString(lab), QString::fromStdString(path));
  int lines = 0;
  QObject::connect(runner.get(), &LabRunner::output, [&] { ++lines; });
  runner->start();
  REQUIRE(waitFor([&] { return lines >= 2; }, 60)); // "starting", then the launcher's first step
  QElapsedTimer t;
  t.start();
  runner.reset();
  CHECK(t.elapsed() < 2000);
  QTest::qWait(50); // the launch's progress, posted to a runner that is gone, is dropped

  const runtime::LabClient client(root);
  auto isReady = [&] {
    try {
      const runtime::LabStatus s = client.status(lab);
      return s.nodes.size() == 1 && s.nodes[0].state == "ready";
    } catch (const std::exception&) {
      return false;
    }
  };
  CHECK(waitFor(isReady, 180));
  CHECK(client.down(lab).wasRunning);
}

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

/// The output of a shell command on the host (for tcpdump reading a capture).
std::string hostOutput(const std::string& command) {
  std::string out;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
      out.append(buf, n);
    ::pclose(p);
  }
  return out;
}

/// Triggers the context-menu action `name` of element `id`, as a right-click then a click
/// would; false when the menu has no such enabled action.
bool triggerMenuAction(ElementId id, const char* name, TopologyScene& scene, LabRunner& runner) {
  QMenu menu;
  populateElementMenu(menu, id, scene, runner, nullptr);
  QAction* a = menu.findChild<QAction*>(name);
  if (!a || !a->isEnabled())
    return false;
  a->trigger();
  return true;
}

/// Puts fake `x-terminal-emulator` and `wireshark` programs first on PATH while it lives: the
/// terminal records its arguments; Wireshark records its arguments and copies its standard
/// input (the live capture) to a file.
struct FakeDesktop {
  explicit FakeDesktop(const TempDir& dir) : bin(dir.file("fakebin")), oldPath(qgetenv("PATH")) {
    std::filesystem::create_directories(bin);
    terminalArgs = dir.file("terminal.args");
    wiresharkArgs = dir.file("wireshark.args");
    wiresharkPcap = dir.file("wireshark.pcap");
    write(bin + "/x-terminal-emulator", "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + terminalArgs + "'\n");
    write(bin + "/wireshark",
          "#!/bin/sh\nprintf '%s\\n' \"$@\" > '" + wiresharkArgs + "'\nexec cat > '" + wiresharkPcap + "'\n");
    qputenv("PATH", QByteArray::fromStdString(bin) + ":" + oldPath);
  }
  ~FakeDesktop() { qputenv("PATH", oldPath); }
  static void write(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
  }
  std::string bin, terminalArgs, wiresharkArgs, wiresharkPcap;
  QByteArray oldPath;
};

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

} // namespace

TEST_CASE("the canvas is the lab's control room: traffic, link down, console, captures, commands, apply",
          "[.control][gui]") {
  const std::string why = missingCapability();
  if (!why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  TempDir dir("umlab-gui-control");
  const std::string lab = "guictl" + std::to_string(::getpid() % 100000);
  LabEditor editor;
  const auto [a, b, sw, la, lb] = drawTwoHosts(editor, lab); // pc1 10.9.0.1, pc2 10.9.0.2
  const std::string path = dir.file(lab + ".yaml");
  REQUIRE(editor.save(QString::fromStdString(path)));

  ChildWatch children;
  FakeDesktop desktop(dir);
  TopologyScene scene(editor);
  LabRunner runner;
  LabGuard guard{runner.stateRoot().toStdString(), lab};
  const runtime::LabClient client(runner.stateRoot().toStdString());
  runner.setLab(QString::fromStdString(lab), QString::fromStdString(path));
  QObject::connect(&runner, &LabRunner::statusChanged, &scene, &TopologyScene::setStatus);
  QStringList log;
  QObject::connect(&runner, &LabRunner::output, [&](const QString& line) { log << line; });
  QObject::connect(&runner, &LabRunner::failed, [&](const QString& line) { log << "failed: " + line; });
  std::map<QString, int> finished, succeeded;
  QObject::connect(&runner, &LabRunner::actionFinished, [&](const QString& what, bool ok) {
    ++finished[what];
    succeeded[what] += ok;
  });
  auto waitAction = [&](const char* what, int count, double seconds) {
    return waitFor([&] { return finished[what] >= count; }, seconds) && succeeded[what] == count;
  };
  runner.start();
  REQUIRE(waitFor([&] { return finished.count("up") != 0; }, 400)); // ends at once when up fails
  INFO("log:\n" << log.join('\n').toStdString());
  REQUIRE(succeeded["up"] == 1);
  REQUIRE(waitFor([&] { return scene.status() && scene.status()->isReady(); }, 30));
  const std::string pc1 = editor.document().node(a)->name, pc2 = editor.document().node(b)->name;
  const QString sw1 = QString::fromStdString(editor.document().segment(sw)->name);

  // A ping that runs while the Qt loop turns: the exec blocks a thread of its own.
  auto ping = [&](const std::string& from, const std::string& to, const std::string& count, const std::string& interval) {
    return std::async(std::launch::async, [&client, lab, from, to, count, interval] {
      runtime::ExecOptions o;
      o.timeout = std::chrono::seconds(60);
      return client.exec(lab, from, {"ping", "-c", count, "-i", interval, "-W", "1", to}, o).exitCode;
    });
  };

  { // traffic shows on the link, both ways, in the picture
    INFO("traffic shows on the link, both ways, in the picture");
    auto pinging = ping(pc1, "10.9.0.2", "25", "0.2");
    const LinkItem* item = scene.linkItem(la);
    REQUIRE(item);
    CHECK(waitFor([&] { return item->live().lines.join('\n').contains("f/s"); }, 10));
    const QString lines = item->live().lines.join('\n');
    CHECK(lines.contains(QStringLiteral("→ %1  ").arg(sw1)));             // pc1 sends into the switch
    CHECK(lines.contains(QStringLiteral("→ %1  ").arg(q(pc1)))); // and receives the replies
    CHECK(item->live().load > 0);
    const QString svg = QString::fromStdString(dir.file("traffic.svg"));
    REQUIRE(exportSvg(scene, svg));
    const std::string text = readAll(svg.toStdString());
    CHECK(text.find("f/s · ") != std::string::npos);
    CHECK(text.find("bit/s") != std::string::npos);
    exportPng(scene, QString::fromStdString(std::string(UMLAB_BINARY_DIR) + "/gui-control-traffic.png"));
    CHECK(pinging.get() == 0);
  }

  { // a link taken down from the canvas stops a ping, and brought up again carries it
    INFO("a link taken down from the canvas stops a ping, and brought up again carries it");
    REQUIRE(triggerMenuAction(la, "downAction", scene, runner));
    REQUIRE(waitAction("link", 1, 20));
    CHECK(waitFor([&] { return scene.linkItem(la)->live().isDown; }, 10));
    CHECK_FALSE(triggerMenuAction(la, "downAction", scene, runner)); // down already: only "Bring up"
    CHECK(ping(pc1, "10.9.0.2", "2", "0.3").get() != 0);
    REQUIRE(triggerMenuAction(la, "upAction", scene, runner));
    REQUIRE(waitAction("link", 2, 20));
    CHECK(waitFor([&] { return !scene.linkItem(la)->live().isDown; }, 10));
    CHECK(ping(pc1, "10.9.0.2", "2", "0.3").get() == 0);
  }

  { // a console opens in a terminal, and a double-click does the same
    INFO("a console opens in a terminal, and a double-click does the same");
    REQUIRE(triggerMenuAction(a, "consoleAction", scene, runner));
    REQUIRE(waitFor([&] { return std::filesystem::exists(desktop.terminalArgs); }, 10));
    const std::string args = readAll(desktop.terminalArgs);
    CHECK(args.find("-e\n" + binDir() + "/umlab\nconsole\n--state-dir\n" + runner.stateRoot().toStdString() + "\n" + lab +
                    "\n" + pc1 + "\n") != std::string::npos);
  }

  { // captures started from the canvas: to a file until stopped, and live into Wireshark
    INFO("captures started from the canvas: to a file until stopped, and live into Wireshark");
    const QString file = QString::fromStdString(dir.file("canvas.pcap"));
    runner.startCapture(sw1, file);
    CHECK(runner.captures().count(sw1));
    QTest::qWait(500);
    CHECK(ping(pc1, "10.9.0.2", "3", "0.2").get() == 0);
    QTest::qWait(300);
    REQUIRE(triggerMenuAction(sw, "stopCaptureAction", scene, runner));
    REQUIRE(waitAction("capture", 1, 20));
    CHECK(runner.captures().empty());
    const std::string read = hostOutput("tcpdump -nr '" + file.toStdString() + "' 2>&1");
    CHECK(read.find("ICMP echo request") != std::string::npos);
    CHECK(read.find("ICMP echo reply") != std::string::npos);

    // Live: the fake Wireshark copies what it reads on its standard input.
    REQUIRE(triggerMenuAction(sw, "wiresharkAction", scene, runner));
    REQUIRE(waitFor([&] { return std::filesystem::exists(desktop.wiresharkArgs); }, 10));
    CHECK(readAll(desktop.wiresharkArgs) == "-k\n-i\n-\n");
    QTest::qWait(500);
    CHECK(ping(pc2, "10.9.0.1", "3", "0.2").get() == 0);
    CHECK(waitFor([&] { return std::filesystem::exists(desktop.wiresharkPcap) && std::filesystem::file_size(desktop.wiresharkPcap) > 24 + 6 * 98; }, 10));
    REQUIRE(triggerMenuAction(sw, "stopCaptureAction", scene, runner));
    REQUIRE(waitAction("capture", 2, 20));
    const std::string live = hostOutput("tcpdump -nr '" + desktop.wiresharkPcap + "' 2>&1");
    CHECK(live.find("10.9.0.2 > 10.9.0.1: ICMP echo request") != std::string::npos);
  }

  { // a command runs in a node and its output comes back
    INFO("a command runs in a node and its output comes back");
    QString output;
    int exitCode = -2;
    QObject::connect(&runner, &LabRunner::commandFinished, [&](const QString&, const QString&, int code, const QString& o) {
      exitCode = code;
      output = o;
    });
    runner.runCommand(q(pc1), QStringLiteral("ip -4 -o addr show eth0"));
    REQUIRE(waitFor([&] { return exitCode != -2; }, 30));
    CHECK(exitCode == 0);
    CHECK(output.contains("10.9.0.1/24"));
  }

  { // the live inspector shows a node's addresses, routes and listening sockets
    INFO("the live inspector");
    runtime::ExecOptions o;
    o.timeout = std::chrono::seconds(20);
    REQUIRE(client.exec(lab, pc1, {"sh", "-c", "iptables -A INPUT -p icmp -j ACCEPT && (nc -l -p 7777 >/dev/null 2>&1 </dev/null &)"}, o).exitCode == 0);
    NodeInspector inspector(runner);
    inspector.show(); // it reads by itself only while shown
    int updates = 0;
    QObject::connect(&inspector, &NodeInspector::updated, [&] { ++updates; });
    inspector.setNode(q(pc1));
    REQUIRE(waitFor([&] { return updates >= 1; }, 30));
    REQUIRE(inspector.inspection());
    // Every row of a tab, nested rows too, columns joined by spaces.
    auto treeText = [&](const char* name) {
      QStringList rows;
      std::function<void(const QTreeWidgetItem*)> add = [&](const QTreeWidgetItem* item) {
        QStringList cols;
        for (int c = 0; c < item->columnCount(); ++c)
          cols << item->text(c);
        rows << cols.join(' ');
        for (int i = 0; i < item->childCount(); ++i)
          add(item->child(i));
      };
      const QTreeWidget* t = inspector.findChild<QTreeWidget*>(name);
      for (int i = 0; t && i < t->topLevelItemCount(); ++i)
        add(t->topLevelItem(i));
      return rows.join('\n');
    };
    INFO("interfaces:\n" << treeText("inspectorInterfaces").toStdString());
    CHECK(treeText("inspectorInterfaces").contains("eth0"));
    CHECK(treeText("inspectorInterfaces").contains("10.9.0.1/24"));
    CHECK(treeText("inspectorRoutes").contains("10.9.0.0/24"));
    CHECK(treeText("inspectorSockets").contains("7777"));
    CHECK(treeText("inspectorFirewall").contains("-A INPUT -p icmp -j ACCEPT"));
    // It reads again by itself while shown, and marks the rule a ping just matched.
    CHECK(ping(pc2, "10.9.0.1", "3", "0.2").get() == 0);
    CHECK(waitFor([&] { return treeText("inspectorFirewall").contains(QRegularExpression("-A INPUT -p icmp -j ACCEPT \\d+ pkts / \\d+ B \\+\\d+")); }, 10));
    INFO("firewall:\n" << treeText("inspectorFirewall").toStdString());
    CHECK(updates >= 2);
  }

  { // a node stopped from the canvas goes quiet, and started again comes back with its disk
    INFO("node stop and start");
    runtime::ExecOptions o;
    o.timeout = std::chrono::seconds(20);
    REQUIRE(client.exec(lab, pc2, {"sh", "-c", "echo kept > /root/mark && sync"}, o).exitCode == 0);
    REQUIRE(triggerMenuAction(b, "stopNodeAction", scene, runner));
    REQUIRE(waitAction("node", 1, 60));
    CHECK(waitFor([&] { return scene.status() && scene.status()->node(pc2) && scene.status()->node(pc2)->state == "stopped"; }, 10));
    CHECK_FALSE(triggerMenuAction(b, "stopNodeAction", scene, runner)); // stopped: only Start
    CHECK(ping(pc1, "10.9.0.2", "2", "0.3").get() != 0);
    REQUIRE(triggerMenuAction(b, "startNodeAction", scene, runner));
    REQUIRE(waitAction("node", 2, 120));
    CHECK(waitFor([&] { return scene.status() && scene.status()->node(pc2) && scene.status()->node(pc2)->state == "ready"; }, 10));
    CHECK(client.exec(lab, pc2, {"cat", "/root/mark"}, o).out == "kept\n");
    CHECK(ping(pc1, "10.9.0.2", "2", "0.3").get() == 0);
  }

  { // an edit applied to the running lab adds a node, after showing what changes
    INFO("an edit applied to the running lab adds a node, after showing what changes");
    const ElementId c = editor.addNode("host", QPointF(150, 400));
    const ElementId lc = editor.addLink(c, sw);
    CHECK(editor.document().link(lc)->ip == "10.9.0.3/24");
    const std::string pc3 = editor.document().node(c)->name;
    REQUIRE(editor.save(QString::fromStdString(path)));
    QStringList preview;
    std::optional<bool> previewOk;
    QObject::connect(&runner, &LabRunner::applyPreviewed, [&](const QStringList& lines, bool ok, bool) {
      preview = lines;
      previewOk = ok;
    });
    runner.previewApply();
    REQUIRE(waitFor([&] { return previewOk.has_value(); }, 60));
    CHECK(*previewOk);
    CHECK(preview.contains(QString::fromStdString("+ node " + pc3)));
    CHECK_FALSE(scene.status()->node(pc3)); // nothing changed yet
    runner.applyFile();
    REQUIRE(waitAction("apply", 1, 300));
    CHECK(waitFor([&] { return scene.status() && scene.status()->node(pc3) && scene.status()->node(pc3)->state == "ready"; }, 30));
    CHECK(ping(pc3, "10.9.0.1", "2", "0.3").get() == 0);

    // A change that needs a reboot (pc3's startup) is refused, then made with a restart.
    NodeData n = *editor.document().node(c);
    n.settings.startup = std::vector<std::string>{"echo restarted > /root/why"};
    editor.updateNode(n);
    REQUIRE(editor.save(QString::fromStdString(path)));
    previewOk.reset();
    runner.previewApply();
    REQUIRE(waitFor([&] { return previewOk.has_value(); }, 60));
    CHECK_FALSE(*previewOk);
    CHECK(preview.join('\n').contains("restart"));
    previewOk.reset();
    runner.previewApply(true);
    REQUIRE(waitFor([&] { return previewOk.has_value(); }, 60));
    CHECK(*previewOk);
    CHECK(preview.contains(QString::fromStdString("~ node " + pc3 + " (restarted)")));
    runner.applyFile(true);
    REQUIRE(waitAction("apply", 2, 300));
    CHECK(waitFor([&] { return scene.status() && scene.status()->node(pc3) && scene.status()->node(pc3)->state == "ready"; }, 30));
    runtime::ExecOptions o;
    o.timeout = std::chrono::seconds(20);
    CHECK(client.exec(lab, pc3, {"cat", "/root/why"}, o).out == "restarted\n");
  }

  runner.stop();
  CHECK(waitFor([&] { return runner.state() == LabRunner::State::Stopped && !scene.status(); }, 180));
  CHECK_FALSE(children.sawUmlab());
}
