// bench_gui: how long umlab-gui takes with large labs (issue 7: "stays responsive with 500
// nodes"). For each size it generates a campus lab (bench/genlab), writes it to a temporary
// file, and times on the wall clock, several times, with the medians reported:
//
//   open      LabEditor::open: load, resolve, analyze, positions, comments (what File > Open does)
//             of the generated file, which has no `layout:`, so the automatic layout runs
//   reopen    the same for the file as umlab-gui saves it, with every position in `layout:`
//   scene     building the canvas's items (TopologyScene on the opened document)
//   fit+paint a 1280x800 view fitted to the whole lab and painted once (the first picture)
//   zoom      the same view at 100 % around the first segment (a LAN and its hosts), painted
//             with labels
//   render    the whole lab into a PNG-sized image at 100 % (--screenshot, Export PNG)
//   drag      every node moved by one undoable command and its links following (a big drag)
//   check     one edit's revalidation: write YAML, load, resolve, analyze (after each edit)
//   save      writing the YAML text
//   first     what a user waits for when opening the generated file (no `layout:`): open, build
//             the canvas, fit a 1280x800 view and paint it once
//   event     one second of a running lab at fit zoom: a counters event from every switch
//             (the supervisor sends one per switch per second, every port's frames moving),
//             applied to the status, handed to the canvas, and the view painted again
//   event100  the same at 100 % zoom, where rate labels are drawn
//
// Runs on the offscreen platform unless QT_QPA_PLATFORM says otherwise. Asserts nothing: read
// the numbers, on a Release build, on an idle machine.

#include "genlab/genlab.hpp"

#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/lab_status.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/topology_view.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <QApplication>
#include <QElapsedTimer>
#include <QPixmap>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr const char* kUsage =
    "usage: bench_gui [options]\n"
    "\n"
    "Time umlab-gui's open, draw, drag, check and save on generated campus labs and print medians.\n"
    "\n"
    "options:\n"
    "  --sizes N,N,...   node counts (default 100,500,1000)\n"
    "  --runs N          timed runs per step (default 5)\n"
    "  -h, --help        show this help\n";

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// Milliseconds `f` takes, median of `runs`; `setup` runs untimed before each.
double timeMs(int runs, const std::function<void()>& f, const std::function<void()>& setup = {}) {
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    if (setup)
      setup();
    QElapsedTimer t;
    t.start();
    f();
    ms.push_back(t.nsecsElapsed() / 1e6);
  }
  return median(ms);
}

std::vector<size_t> parseSizes(const char* text) {
  std::vector<size_t> out;
  for (const char* p = text; *p;) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(p, &end, 10);
    if (end == p || v < 2 || v > 100000)
      return {};
    out.push_back(v);
    p = *end == ',' ? end + 1 : end;
    if (*end && *end != ',')
      return {};
  }
  return out;
}

/// A running lab's status as the supervisor would report it for `lab`: every node ready, a
/// switch per segment and per point-to-point link, a port per interface (and per trunk end).
umlab::gui::LabStatus fakeStatus(const umlab::gui::TopologyScene& scene) {
  using namespace umlab::gui;
  const LabData& lab = scene.document().data();
  runtime::LabStatus s;
  s.lab = lab.name;
  std::map<std::string, SwitchStatus> switches;
  for (const NodeData& n : lab.nodes)
    s.nodes.push_back(NodeStatus{n.name, "ready", 1000, 60, 30000, {}});
  for (const SegmentData& seg : lab.segments)
    switches[seg.name] = SwitchStatus{seg.name, "up", 1, true, 0.1, {}};
  auto port = [](const std::string& name) {
    PortStatus p;
    p.name = name;
    p.kind = "daemon";
    p.conditionsIn = p.conditionsOut = "none";
    return p;
  };
  for (const LinkData& l : lab.links) {
    switch (linkShape(l)) {
    case LinkShape::ToSegment: {
      const int ni = interfaceEnd(l);
      switches[endpointName(lab, l.ends[1 - ni])].ports.push_back(port(endpointText(lab, l.ends[ni])));
      break;
    }
    case LinkShape::PointToPoint: {
      const std::string name = scene.switchNameOf(l.id);
      SwitchStatus& sw = switches[name];
      sw = SwitchStatus{name, "up", 1, true, 0.1, {port(endpointText(lab, l.ends[0])), port(endpointText(lab, l.ends[1]))}};
      break;
    }
    case LinkShape::Trunk:
      switches[endpointName(lab, l.ends[0])].ports.push_back(port("trunk:" + endpointName(lab, l.ends[1])));
      switches[endpointName(lab, l.ends[1])].ports.push_back(port("trunk:" + endpointName(lab, l.ends[0])));
      break;
    default: break;
    }
  }
  for (auto& [name, sw] : switches)
    s.switches.push_back(std::move(sw));
  return LabStatus(std::move(s), 1e9);
}

/// The counters events of second `tick`: every port of every switch moved on by a few frames.
void applyCountersSecond(umlab::gui::LabStatus& status, int tick) {
  using namespace umlab::gui;
  const std::vector<SwitchStatus> switches = status.switches;
  for (const SwitchStatus& sw : switches) {
    LabEvent e;
    e.type = LabEvent::Type::Counters;
    e.time = 1e9 + tick;
    e.segment = sw.segment;
    e.ageSeconds = 0.1;
    for (PortStatus p : sw.ports) {
      p.rxFrames += 10 + tick % 7;
      p.rxBytes += 1000 * (10 + tick % 7);
      p.txFrames += 20;
      p.txBytes += 20 * 1500;
      e.ports.push_back(std::move(p));
    }
    applyLabEvent(status, e);
  }
}

} // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes{100, 500, 1000};
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "-h") || !std::strcmp(argv[i], "--help")) {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (!std::strcmp(argv[i], "--sizes") && i + 1 < argc) {
      sizes = parseSizes(argv[++i]);
      if (sizes.empty()) {
        std::fprintf(stderr, "bench_gui: error: --sizes needs node counts from 2 to 100000, as in '--sizes 100,500'\n");
        return 2;
      }
    } else if (!std::strcmp(argv[i], "--runs") && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
      if (runs < 1 || runs > 100) {
        std::fprintf(stderr, "bench_gui: error: --runs needs a number from 1 to 100\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "bench_gui: error: unknown argument '%s'\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
    qputenv("QT_QPA_PLATFORM", "offscreen");
  QApplication app(argc, argv);
  using namespace umlab::gui;

  std::printf("%6s %6s %8s %8s %8s %10s %8s %8s %8s %8s %8s %8s %8s %8s   (ms, median of %d)\n", "nodes", "items",
              "open", "reopen", "scene", "fit+paint", "zoom", "render", "drag", "check", "save", "first", "event",
              "event100", runs);
  umlab::TempDir dir("bench-gui");
  for (size_t n : sizes) {
    umlab::bench::GenOptions o;
    o.nodeCount = n;
    const std::string path = dir.file("campus-" + std::to_string(n) + ".yaml");
    std::ofstream(path) << umlab::bench::generateLab(o);

    LabEditor editor;
    const double openMs = timeMs(runs, [&] { editor.open(QString::fromStdString(path)); });
    if (!editor.report().ok()) {
      std::fprintf(stderr, "bench_gui: error: the generated lab does not validate:\n%s", editor.report().text().c_str());
      return 1;
    }
    const std::string saved = dir.file("campus-" + std::to_string(n) + "-saved.yaml");
    if (!editor.save(QString::fromStdString(saved))) {
      std::fprintf(stderr, "bench_gui: error: cannot write %s\n", saved.c_str());
      return 1;
    }
    const double reopenMs = timeMs(runs, [&] { editor.open(QString::fromStdString(saved)); });
    std::unique_ptr<TopologyScene> scene;
    const double sceneMs = timeMs(runs, [&] { scene = std::make_unique<TopologyScene>(editor); }, [&] { scene.reset(); });

    TopologyView view(scene.get());
    view.resize(1280, 800);
    view.show();
    QApplication::processEvents();
    QPixmap target(view.viewport()->size());
    const double fitMs = timeMs(runs, [&] {
      view.fitAll();
      view.viewport()->render(&target);
    });
    const LabData& opened = editor.document().data();
    const QPointF busy = opened.segments.empty()
                             ? scene->contentRect().center()
                             : QPointF(opened.segments.front().position.x, opened.segments.front().position.y);
    const double zoomMs = timeMs(runs, [&] {
      view.resetZoom();
      view.centerOn(busy);
      view.viewport()->render(&target);
    });
    const double renderMs = timeMs(runs, [&] { (void)renderImage(*scene, 1.0); });

    const LabData& lab = editor.document().data();
    std::vector<Move> moves;
    for (const NodeData& node : lab.nodes)
      moves.push_back(Move{node.id, node.position, Position{node.position.x + 10, node.position.y + 10}});
    const double dragMs = timeMs(runs, [&] { editor.move(moves); }, [&] {
      while (editor.undoStack().canUndo())
        editor.undoStack().undo();
    });
    const double checkMs = timeMs(runs, [&] { editor.validateNow(); });
    const double saveMs = timeMs(runs, [&] { (void)writeLabYaml(lab); });

    // The first frame of the unpositioned file, as a user opening it waits for it.
    const double firstMs = timeMs(runs, [&] {
      LabEditor first;
      first.open(QString::fromStdString(path));
      TopologyScene firstScene(first);
      TopologyView firstView(&firstScene);
      firstView.resize(1280, 800);
      firstView.show();
      firstView.fitAll();
      QPixmap pixels(firstView.viewport()->size());
      firstView.viewport()->render(&pixels);
    });

    // A running lab: one second of counters events, then a repaint.
    LabStatus status = fakeStatus(*scene);
    scene->setStatus(status);
    int tick = 0;
    auto second = [&] {
      applyCountersSecond(status, ++tick);
      scene->setStatus(status);
      view.viewport()->render(&target);
    };
    second();
    view.fitAll();
    const double eventMs = timeMs(runs, second);
    view.resetZoom();
    view.centerOn(scene->contentRect().center());
    const double event100Ms = timeMs(runs, second);
    scene->setStatus(std::nullopt);
    std::printf("%6zu %6lld %8.1f %8.1f %8.1f %10.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f %8.1f\n", n,
                static_cast<long long>(scene->items().size()), openMs, reopenMs, sceneMs, fitMs, zoomMs, renderMs, dragMs,
                checkMs, saveMs, firstMs, eventMs, event100Ms);
    std::fflush(stdout);
  }
  return 0;
}
