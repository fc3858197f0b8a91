// umlab-gui: the canvas. Argument parsing and wiring only; MainWindow does the rest.
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/help.hpp"
#include "umlab/gui/main_window.hpp"
#include "umlab/gui/node_inspector.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/topology_view.hpp"

#include <QApplication>
#include <QEventLoop>
#include <QSettings>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: umlab-gui [options] [FILE]\n"
    "\n"
    "Draw, edit, run and watch a umlab lab: the canvas for topology files (docs/gui.md).\n"
    "\n"
    "options:\n"
    "  --screenshot OUT   draw FILE into OUT and exit, without a display: a PNG, or an SVG\n"
    "                     when OUT ends in .svg\n"
    "  --window           with --screenshot: the whole window (panels, problems), not just\n"
    "                     the canvas\n"
    "  --select NAME      select the node or segment NAME first (its properties show in the\n"
    "                     window)\n"
    "  --live             with --screenshot: show the running lab's state first: nodes'\n"
    "                     states, each link's traffic both ways, conditions, drops\n"
    "  --scale X          with --screenshot: pixels per canvas unit of a PNG (default 1)\n"
    "  -h, --help         show this help\n"
    "\n"
    "exit status: 0 done, 1 FILE could not be read as a topology, 2 usage error\n"
    "example: umlab-gui topologies/dmz.yaml --screenshot dmz.png\n";

struct Options {
  std::string file;
  std::string screenshot;
  std::string select;
  bool window = false;
  bool live = false;
  double scale = 1;
};

int usageError(const std::string& message) {
  std::fprintf(stderr, "umlab-gui: error: %s; run 'umlab-gui --help' for the options\n", message.c_str());
  return 2;
}

/// Waits for the runner's first look at the lab (at most 15 s), then, when the lab runs, for
/// its traffic: rates need two counters events of a switch, a second apart (at most 4 s more).
void waitForStatus(umlab::gui::LabRunner& runner) {
  {
    QEventLoop loop;
    QObject::connect(&runner, &umlab::gui::LabRunner::statusChanged, &loop, &QEventLoop::quit);
    QTimer::singleShot(15000, &loop, &QEventLoop::quit);
    runner.watch();
    loop.exec();
  }
  auto hasRates = [&] {
    const auto& s = runner.status();
    return !s || s->switches.empty() ||
           std::any_of(s->ports.begin(), s->ports.end(), [](const auto& sw) {
             return std::any_of(sw.second.begin(), sw.second.end(), [](const auto& p) { return p.second.rate.has_value(); });
           });
  };
  QEventLoop loop;
  QObject::connect(&runner, &umlab::gui::LabRunner::statusChanged, &loop, [&] {
    if (hasRates())
      loop.quit();
  });
  QTimer::singleShot(4000, &loop, &QEventLoop::quit);
  if (!hasRates())
    loop.exec();
}

} // namespace

int main(int argc, char** argv) {
  Options o;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size())
        return std::nullopt;
      return args[++i];
    };
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--screenshot") {
      auto v = value();
      if (!v)
        return usageError("--screenshot needs a file name, as in '--screenshot lab.png'");
      o.screenshot = *v;
    } else if (a == "--select") {
      auto v = value();
      if (!v)
        return usageError("--select needs a node or segment name");
      o.select = *v;
    } else if (a == "--scale") {
      auto v = value();
      char* end = nullptr;
      o.scale = v ? std::strtod(v->c_str(), &end) : 0;
      if (!v || *end || o.scale <= 0 || o.scale > 8)
        return usageError("--scale needs a number above 0, at most 8");
    } else if (a == "--window") {
      o.window = true;
    } else if (a == "--live") {
      o.live = true;
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      return usageError("unknown option '" + a + "'");
    } else if (o.file.empty()) {
      o.file = a;
    } else {
      return usageError("umlab-gui opens one file");
    }
  }
  const bool shot = !o.screenshot.empty();
  if (shot && o.file.empty())
    return usageError("--screenshot needs a topology file to draw");
  if (shot && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen"); // no display needed
  QApplication app(argc, argv);
  QApplication::setApplicationName(QStringLiteral("umlab-gui"));
  QApplication::setOrganizationName(QStringLiteral("umlab"));
  QApplication::setApplicationVersion(umlab::gui::umlabVersion());

  umlab::gui::MainWindow window;
  // The user's layout, recent files and grid (~/.config/umlab/umlab-gui.conf); a screenshot
  // draws the defaults, whatever was left there.
  if (!shot)
    window.useSettings(std::make_unique<QSettings>());
  if (!o.file.empty() && !window.openFile(QString::fromStdString(o.file))) {
    std::fputs(window.editor().openFailure().text().c_str(), stderr);
    if (shot)
      return 1;
  }
  if (!o.select.empty()) {
    const auto& lab = window.editor().document().data();
    const auto* n = lab.findNodeByName(o.select);
    const auto* s = lab.findSegmentByName(o.select);
    window.scene()->selectOnly(n ? n->id : s ? s->id : umlab::gui::kNoElement);
  }
  if (!shot) {
    window.show();
    return app.exec();
  }

  window.setConfirmClose(false);
  if (!window.editor().report().ok())
    std::fputs(window.editor().report().text().c_str(), stderr);
  if (o.live) {
    waitForStatus(window.runner());
    // A selected node of the running lab: its live panel's first reading too (at most 10 s).
    if (auto* inspector = window.inspector(); inspector && !inspector->node().isEmpty() && window.runner().status()) {
      QEventLoop loop;
      QObject::connect(inspector, &umlab::gui::NodeInspector::updated, &loop, &QEventLoop::quit);
      QTimer::singleShot(10000, &loop, &QEventLoop::quit);
      inspector->refresh();
      if (!inspector->inspection())
        loop.exec();
    }
  }
  const QString out = QString::fromStdString(o.screenshot);
  QString error;
  bool ok = true;
  if (o.window) {
    window.resize(1400, 1000);
    window.show();
    QApplication::processEvents();
    window.view()->fitAll();
    QApplication::processEvents();
    ok = window.grab().save(out);
    if (!ok)
      error = QStringLiteral("cannot write '%1'").arg(out);
  } else if (out.endsWith(QStringLiteral(".svg"), Qt::CaseInsensitive)) {
    ok = umlab::gui::exportSvg(*window.scene(), out, &error);
  } else {
    ok = umlab::gui::exportPng(*window.scene(), out, &error, o.scale);
  }
  if (!ok) {
    std::fprintf(stderr, "umlab-gui: error: %s\n", error.toStdString().c_str());
    return 1;
  }
  return 0;
}
