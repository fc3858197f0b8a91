// The canvas watching a real lab: two UML guests booted with `umlab up` from a lab drawn
// through the editor, their state and the switch's counters reaching the scene, a link
// condition set live, and `umlab down`. Needs root, linux.uml and the base image (CTest's
// umlab_image fixture), and runs with the other runtime tests (RESOURCE_LOCK uml). The lab lives
// under the state root CTest passes in UMLAB_STATE_DIR and is always taken down.
#include "umlab/gui/lab_runner.hpp"

#include "test_support.hpp"
#include "umlab/base/child_process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/element_menu.hpp"
#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <catch2/catch.hpp>

#include <QElapsedTimer>
#include <QTest>

#include <cstdlib>
#include <unistd.h>

using namespace umlab;
using namespace umlab::gui;

namespace {

std::string binDir() { return UMLAB_BINARY_DIR "/bin"; }

/// Why guests cannot run here, or empty when they can.
std::string missingCapability() {
  if (::geteuid() != 0)
    return "not root: a lab's network namespace needs root";
  if (::access("/usr/bin/linux.uml", X_OK) != 0)
    return "linux.uml is not installed (apt-get install user-mode-linux)";
  if (::access((binDir() + "/umlab-switchd").c_str(), X_OK) != 0)
    return "umlab-switchd is not built";
  const char* state = std::getenv("UMLAB_STATE_DIR");
  if (!state || !*state)
    return "UMLAB_STATE_DIR is not set (run through CTest: ctest -R gui.runtime)";
  return "";
}

/// Runs the event loop until `done` or `seconds` pass; returns `done()`.
template <typename F>
bool waitFor(F done, int seconds) {
  QElapsedTimer t;
  t.start();
  while (!done() && t.elapsed() < seconds * 1000)
    QTest::qWait(100);
  return done();
}

/// Takes the lab down whatever happens in the test.
struct LabGuard {
  std::string lab;
  ~LabGuard() {
    Command c;
    c.argv = {binDir() + "/umlab", "down", lab};
    try {
      runCommand(c);
    } catch (...) {
    }
  }
};

} // namespace

TEST_CASE("a running lab's status reaches the canvas", "[.runtime][gui]") {
  const std::string why = missingCapability();
  if (!why.empty()) {
    WARN("skipped: " << why);
    return;
  }
  TempDir dir("umlab-gui-runtime");
  const std::string lab = "guistat" + std::to_string(::getpid() % 100000);
  LabGuard guard{lab};

  // Drawn through the editor, as the canvas would: two hosts on a switch.
  LabEditor editor;
  editor.newLab();
  LabProperties props = editor.document().properties();
  props.name = lab;
  editor.updateProperties(props);
  const ElementId a = editor.addNode("host", QPointF(0, 0));
  const ElementId b = editor.addNode("host", QPointF(300, 0));
  const ElementId sw = editor.addSegment("switch", QPointF(150, 200));
  const ElementId la = editor.addLink(a, sw);
  LinkData l = *editor.document().link(la);
  l.ip = "10.9.0.1/24";
  editor.updateLink(l);
  const ElementId lb = editor.addLink(b, sw);
  l = *editor.document().link(lb);
  CHECK(l.ip == "10.9.0.2/24"); // the next address of the segment's subnet
  const std::string path = dir.file(lab + ".yaml");
  REQUIRE(editor.save(QString::fromStdString(path)));
  REQUIRE(editor.report().ok());

  TopologyScene scene(editor);
  LabRunner runner;
  runner.setUmlab(QString::fromStdString(binDir() + "/umlab"));
  runner.setLab(QString::fromStdString(lab), QString::fromStdString(path));
  QObject::connect(&runner, &LabRunner::statusChanged, &scene, &TopologyScene::setStatus);
  QStringList log;
  QObject::connect(&runner, &LabRunner::output, [&](const QString& line) { log << line; });
  int upExit = -99;
  QObject::connect(&runner, &LabRunner::commandFinished, [&](const QString& what, int code) {
    if (what == "up")
      upExit = code;
  });
  bool sawBooting = false;
  QObject::connect(&runner, &LabRunner::statusChanged, [&](const std::optional<LabStatus>& s) {
    if (s)
      for (const NodeStatus& n : s->nodes)
        sawBooting = sawBooting || n.state == "booting";
  });

  runner.start();
  CHECK(runner.state() == LabRunner::State::Starting);
  const bool ready = waitFor([&] { return scene.status() && scene.status()->isReady() && upExit != -99; }, 400);
  INFO("log:\n" << log.join('\n').toStdString());
  REQUIRE(upExit == 0);
  REQUIRE(ready);
  CHECK(runner.state() == LabRunner::State::Running);
  const std::string pc1 = editor.document().node(a)->name;
  const std::string sw1 = editor.document().segment(sw)->name;
  CHECK(scene.status()->node(pc1)->state == "ready");
  REQUIRE(scene.status()->switchOf(sw1));
  CHECK(scene.status()->switchOf(sw1)->hasCounters);
  if (!sawBooting)
    WARN("the guests were ready before the first poll saw them booting");

  // Traffic shows in the switch's counters on the canvas.
  const uint64_t before = scene.status()->switchOf(sw1)->framesIn;
  Command ping;
  ping.argv = {binDir() + "/umlab", "exec", lab, pc1, "--", "ping", "-c", "3", "-i", "0.2", "10.9.0.2"};
  CHECK(runCommand(ping).status.code == 0);
  CHECK(waitFor([&] { return scene.status() && scene.status()->switchOf(sw1)->framesIn >= before + 6; }, 10));
  CHECK(waitFor([&] { return scene.status() && scene.status()->switchOf(sw1)->framesPerSecond >= 0; }, 5));

  // A condition set live from the link's menu action reaches the switch and the canvas.
  int linkExit = -99;
  QObject::connect(&runner, &LabRunner::commandFinished, [&](const QString& what, int code) {
    if (what == "link")
      linkExit = code;
  });
  LinkConditions c;
  c.delay = "20ms";
  runner.run(linkConditionArgs(QString::fromStdString(lab), linkPortOf(editor.document().data(), *editor.document().link(la)), c, true),
             "link");
  REQUIRE(waitFor([&] { return linkExit != -99; }, 20));
  CHECK(linkExit == 0);
  CHECK(waitFor(
      [&] {
        const SwitchStatus* s = scene.status() ? scene.status()->switchOf(sw1) : nullptr;
        return s && s->conditions.count(pc1 + ":eth0") && s->conditions.at(pc1 + ":eth0").find("20ms") != std::string::npos;
      },
      10));
  exportPng(scene, QString::fromStdString(std::string(UMLAB_BINARY_DIR) + "/gui-runtime-status.png"));

  runner.stop();
  CHECK(waitFor([&] { return runner.state() == LabRunner::State::Stopped && !scene.status(); }, 180));
  const test::CommandOutput ps = test::runUmlab({"ps", lab});
  CHECK(ps.exitCode != 0); // no such lab any more
}
