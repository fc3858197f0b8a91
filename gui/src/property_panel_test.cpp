// The property panel's editors, driven as a user drives them: typing into fields and pressing
// Return, choosing from lists, filling table cells, the "+", "−" and "Browse…" buttons. Each
// edit is checked in the document, in the YAML written, against `umlab validate` and through
// undo and redo.

#include "umlab/gui/property_panel.hpp"

#include "test_support.hpp"
#include "umlab/base/mac_address.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/text_table.hpp"
#include "umlab/gui/value_combo.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <catch2/catch.hpp>

#include <QComboBox>
#include <QCheckBox>
#include <QLabel>
#include <QAbstractItemView>
#include <QLineEdit>
#include <QTableWidget>
#include <QTest>
#include <QToolButton>

#include <filesystem>
#include <fstream>

using namespace umlab;
using namespace umlab::gui;
namespace fs = std::filesystem;

namespace {

const char* const kLab = "name: t\n"
                         "defaults: {memory: 96M}\n"
                         "kinds:\n"
                         "  router: {memory: 128M, startup: [echo router]}\n"
                         "nodes:\n"
                         "  r1: {kind: router}\n"
                         "  pc1: {}\n"
                         "  pc2: {}\n"
                         "  ids: {kernel: umlab}\n"
                         "segments:\n"
                         "  lan: switch\n"
                         "links:\n"
                         "  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24}\n"
                         "  - {endpoints: [pc1:eth0, lan], ip: 10.0.0.2/24, gateway: 10.0.0.1}\n"
                         "  - {endpoints: [pc2:eth0, lan], ip: 10.0.0.3/24}\n"
                         "  - endpoints:\n"
                         "      - {node: r1, iface: eth1, ip: 10.0.9.1/30}\n"
                         "      - {node: pc1, iface: eth1, ip: 10.0.9.2/30}\n";

/// A lab file in a scratch directory, open in an editor, with the panel shown beside it.
struct PanelFixture {
  TempDir dir{"umlab-gui-test"};
  LabEditor editor;
  PropertyPanel panel{editor};
  std::string path;
  QString chosen; ///< what the path chooser answers

  explicit PanelFixture(const std::string& yaml = kLab) {
    fs::create_directories(dir.path() / "shared");
    std::ofstream(dir.file("motd")) << "hello\n";
    fs::copy_file(std::string(UMLAB_SOURCE_DIR) + "/captures/ping.pcap", dir.file("ping.pcap"));
    path = dir.file("lab.yaml");
    std::ofstream(path) << yaml;
    REQUIRE(editor.open(QString::fromStdString(path)));
    panel.setPathChooser([this](const QString&, bool) { return chosen; });
    panel.resize(420, 1600);
    panel.show();
    REQUIRE(QTest::qWaitForWindowExposed(&panel));
  }

  const LabData& lab() const { return editor.document().data(); }
  const NodeData& node(const char* name) const { return *lab().findNodeByName(name); }
  std::string yaml() const { return writeLabYaml(lab()).text; }
  int undoSteps() { return editor.undoStack().index(); }

  void show(ElementId id) {
    panel.showElement(id);
    QApplication::processEvents();
  }

  /// The visible widget called `name` (pages and editors that are not shown have the same names).
  template <typename T>
  T* find(const QString& name) {
    for (T* w : panel.findChildren<T*>(name))
      if (w->isVisible())
        return w;
    FAIL("no visible " << name.toStdString());
    return nullptr;
  }

  void expand(const QString& section) {
    for (QWidget* w : panel.findChildren<QWidget*>(section))
      if (w->isVisible() && w->inherits("umlab::gui::CollapsibleSection"))
        QMetaObject::invokeMethod(w, "setExpanded", Q_ARG(bool, true));
    QApplication::processEvents();
  }

  /// Types into a line edit as a user would: select all, type, Return.
  void type(QLineEdit* edit, const QString& text) {
    QTest::mouseClick(edit, Qt::LeftButton);
    QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
    if (text.isEmpty())
      QTest::keyClick(edit, Qt::Key_Delete);
    else
      QTest::keyClicks(edit, text);
    QTest::keyClick(edit, Qt::Key_Return);
  }
  void type(const QString& name, const QString& text) { type(find<QLineEdit>(name), text); }

  /// Chooses the entry of a value list that writes `value`, as a click in its drop-down does.
  void choose(const QString& name, const QString& value) {
    auto* c = find<QComboBox>(name);
    const int i = c->findData(value);
    REQUIRE(i >= 0);
    c->setCurrentIndex(i);
    emit c->activated(i);
  }

  /// Replaces a command field's text and leaves it.
  void typeCommands(const QString& name, const QString& text) {
    auto* e = find<CommittingTextEdit>(name);
    e->setPlainText(text);
    emit e->editingFinished();
  }

  /// Fills one cell of a table, as its editor does when Return is pressed.
  /// Opens the shown node's Routes, adds a row and fills it: two edits, one per cell.
  void addRoute(const QString& to, const QString& via) {
    expand("nodeRoutesSection");
    click("nodeRoutes", "addRow");
    setCell("nodeRoutes", 0, 0, to);
    setCell("nodeRoutes", 0, 1, via);
  }
  void setCell(const QString& table, int row, int column, const QString& text) {
    QTableWidget* t = find<TextTable>(table)->table();
    REQUIRE(row < t->rowCount());
    t->item(row, column)->setText(text);
  }
  void click(const QString& parent, const QString& button) {
    QToolButton* b = find<QWidget>(parent)->findChild<QToolButton*>(button);
    REQUIRE(b);
    QTest::mouseClick(b, Qt::LeftButton);
  }
  void click(const QString& button) { QTest::mouseClick(find<QToolButton>(button), Qt::LeftButton); }

  /// Saves the lab beside the original and checks that `umlab validate` accepts the file and
  /// prints exactly what the Problems list shows.
  std::string saveAndValidate() {
    const std::string saved = dir.file("saved.yaml");
    REQUIRE(editor.save(QString::fromStdString(saved)));
    const test::CommandOutput cli = test::runUmlab({"validate", saved});
    INFO(cli.output);
    CHECK(cli.exitCode == 0);
    CHECK(editor.report().text() == cli.output);
    return saved;
  }

  void undoAll() {
    while (editor.undoStack().canUndo())
      editor.undoStack().undo();
  }
  void redoAll() {
    while (editor.undoStack().canRedo())
      editor.undoStack().redo();
  }
};

} // namespace

TEST_CASE("a node's empty settings show what it inherits and from where", "[gui][panel]") {
  PanelFixture f;
  f.show(f.node("r1").id);
  CHECK(f.find<QLineEdit>("nodeMemory")->placeholderText() == "128M (from kind 'router')");
  CHECK(f.find<QLineEdit>("nodeMemory")->toolTip() == "Empty: inherits 128M (from kind 'router')");
  CHECK(f.find<QComboBox>("nodeImage")->lineEdit()->placeholderText() == "debian (built-in)");
  CHECK(f.find<QComboBox>("nodeKernel")->itemText(0) == "debian (built-in)");
  // An inherited entry looks like the empty fields' hints, not like a value of the node's own.
  auto* kernel = f.find<ValueCombo>("nodeKernel");
  CHECK(kernel->isUnset());
  CHECK(kernel->palette().color(QPalette::ButtonText) == kernel->palette().color(QPalette::PlaceholderText));
  CHECK(f.find<QComboBox>("nodeForwarding")->itemText(0) == "on (built-in kind 'router')");
  f.expand("nodeStartupSection");
  CHECK(f.find<QPlainTextEdit>("nodeStartup")->placeholderText() == "inherited from kind 'router':\necho router");
  f.show(f.node("pc1").id);
  CHECK(f.find<QLineEdit>("nodeMemory")->placeholderText() == "96M (from defaults)");
  CHECK(f.find<QComboBox>("nodeKind")->lineEdit()->placeholderText() == "host (built-in)");
  CHECK(f.find<QComboBox>("nodeForwarding")->itemText(0) == "off (built-in kind 'host')");
  f.show(f.node("ids").id); // its own kernel: drawn as a value
  CHECK_FALSE(f.find<ValueCombo>("nodeKernel")->isUnset());
  CHECK(f.find<ValueCombo>("nodeKernel")->palette().color(QPalette::ButtonText) !=
        f.find<ValueCombo>("nodeKernel")->palette().color(QPalette::PlaceholderText));
  f.show(kNoElement);
  CHECK(f.find<QLineEdit>("labMemory")->placeholderText() == "96M (built-in)");
  CHECK(f.find<QComboBox>("labForwarding")->itemText(0) == "from each node's kind");
  CHECK(f.find<QComboBox>("labKind")->lineEdit()->placeholderText() == "host (built-in)");
  CHECK(f.undoSteps() == 0);

  // A value of the element's own says so, and what it overrides.
  f.show(f.node("pc2").id);
  f.type("nodeMemory", "112M");
  CHECK(f.find<QLineEdit>("nodeMemory")->toolTip() == "Set on this node; without it: 96M (from defaults)");
  f.show(kNoElement);
  CHECK(f.find<QLineEdit>("labMemory")->toolTip() == "Set in the defaults; without it: 96M (built-in)");
}

TEST_CASE("the kind list's current entry is the node's effective kind, not the first one", "[gui][panel]") {
  PanelFixture f(std::string(kLab) + "  - {endpoints: [ids:eth0, lan]}\n");
  auto highlighted = [&](const char* name) {
    auto* kind = f.find<QComboBox>(name);
    kind->showPopup();
    const QString row = kind->itemText(kind->view()->currentIndex().row());
    kind->hidePopup();
    CHECK(kind->currentIndex() == kind->view()->currentIndex().row());
    return row;
  };
  f.show(f.node("r1").id);
  CHECK(f.find<QComboBox>("nodeKind")->currentText() == "router");
  CHECK(highlighted("nodeKind") == "router");
  f.show(f.node("pc1").id);
  CHECK(f.find<QComboBox>("nodeKind")->currentText().isEmpty()); // inherited: only the placeholder says it
  CHECK(highlighted("nodeKind") == "host");

  // Inherited from the defaults: the list shows it, the field stays empty.
  NodeData pc1 = f.node("pc1");
  LabProperties p = f.editor.document().properties();
  p.defaults->kind = "router";
  f.editor.updateProperties(p);
  f.show(pc1.id);
  CHECK(f.find<QComboBox>("nodeKind")->lineEdit()->placeholderText() == "router (from defaults)");
  CHECK(f.find<QComboBox>("nodeKind")->currentText().isEmpty());
  CHECK(highlighted("nodeKind") == "router");
  f.show(kNoElement);
  CHECK(highlighted("labKind") == "router");
  CHECK(f.undoSteps() == 1); // showing changed nothing
}

TEST_CASE("an empty address, gateway or MAC says what empty means, with a suggestion only when the lab gives one",
          "[gui][panel]") {
  PanelFixture f("name: t\n"
                 "nodes:\n"
                 "  r1: {kind: router}\n"
                 "  pc1: {}\n"
                 "  pc3: {}\n"
                 "  pc4: {}\n"
                 "segments:\n"
                 "  lan: switch\n"
                 "  dark: {}\n"
                 "links:\n"
                 "  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24}\n"
                 "  - {endpoints: [pc1:eth0, lan], ip: 10.0.0.2/24, gateway: 10.0.0.1}\n"
                 "  - {endpoints: [pc3:eth0, lan]}\n"
                 "  - endpoints:\n"
                 "      - {node: r1, iface: eth1, ip: 10.0.9.1/30}\n"
                 "      - {node: pc4, iface: eth0}\n"
                 "  - {endpoints: [pc1:eth1, dark]}\n");
  const auto& links = f.lab().links;
  auto placeholder = [&](const char* name) { return f.find<QLineEdit>(name)->placeholderText(); };

  f.show(links[2].id); // pc3 on lan: the next free address, and the router's address on lan
  CHECK(f.find<QLineEdit>("linkIp0")->text().isEmpty());
  CHECK(placeholder("linkIp0") == "none (next free: 10.0.0.3/24)");
  CHECK(placeholder("linkGateway0") == "none (r1 forwards: 10.0.0.1)");
  CHECK(placeholder("linkMac0").toStdString() == MacAddress::derive("t/pc3/eth0").str() + " (derived)");

  f.show(links[3].id); // point to point: the other address of r1's /30
  CHECK(placeholder("linkIp1") == "none (next free: 10.0.9.2/30)");
  CHECK(placeholder("linkGateway1") == "none (no default route through it)");

  f.show(links[4].id); // nothing addressed on dark: no suggestion, an example that says it is one
  CHECK(placeholder("linkIp0") == "none (e.g. 10.0.0.1/24)");
  CHECK(placeholder("linkGateway0") == "none (no default route through it)");

  f.show(links[0].id); // a router needs no gateway
  CHECK(placeholder("linkGateway0") == "none (no default route through it)");
  CHECK(placeholder("linkDelay") == "none (e.g. 5ms)");

  // A placeholder is never applied: leaving the empty fields changes nothing.
  f.show(links[2].id);
  for (const char* name : {"linkIp0", "linkGateway0", "linkMac0"})
    emit f.find<QLineEdit>(name)->editingFinished();
  CHECK(f.undoSteps() == 0);

  // A segment without a type says it is a switch by default, not by its own setting.
  f.show(f.lab().findSegmentByName("dark")->id);
  CHECK(f.find<QComboBox>("segmentType")->currentText() == "switch (built-in)");
  CHECK(f.find<QComboBox>("segmentTransport")->currentText() == "daemon (built-in)");
  f.show(f.lab().findSegmentByName("lan")->id);
  CHECK(f.find<QComboBox>("segmentType")->currentText() == "switch");
  f.choose("segmentType", "hub");
  CHECK(f.lab().findSegmentByName("lan")->type == "hub");
  f.choose("segmentType", "");
  CHECK(f.lab().findSegmentByName("lan")->type.empty());
}

TEST_CASE("Ctrl+Z in a field undoes the document, and leaving the field then applies nothing", "[gui][panel]") {
  PanelFixture f;
  f.show(f.node("pc2").id);
  QLineEdit* memory = f.find<QLineEdit>("nodeMemory");
  f.type(memory, "112M");
  REQUIRE(f.node("pc2").settings.memory == "112M");
  REQUIRE(f.undoSteps() == 1);

  QTest::keyClick(memory, Qt::Key_Z, Qt::ControlModifier);
  CHECK(f.node("pc2").settings.memory.empty()); // the document is undone
  CHECK(memory->text().isEmpty());              // and the field shows the value undone
  CHECK(f.undoSteps() == 0);
  QTest::keyClick(memory, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
  CHECK(f.node("pc2").settings.memory == "112M");
  CHECK(memory->text() == "112M");
  QTest::keyClick(memory, Qt::Key_Z, Qt::ControlModifier);
  emit memory->editingFinished(); // as leaving the field does
  CHECK(f.node("pc2").settings.memory.empty());
  CHECK(f.undoSteps() == 0);
  CHECK(f.editor.undoStack().canRedo()); // no new edit took the redo away

  // Typing not applied yet is taken back first; the next Ctrl+Z undoes the document.
  f.type(memory, "112M");
  QTest::keyClicks(memory, "0");
  QTest::keyClick(memory, Qt::Key_Z, Qt::ControlModifier);
  CHECK(memory->text() == "112M");
  CHECK(f.undoSteps() == 1);
  QTest::keyClick(memory, Qt::Key_Z, Qt::ControlModifier);
  CHECK(memory->text().isEmpty());
  CHECK(f.undoSteps() == 0);

  // The same in the text of an editable list.
  QComboBox* image = f.find<QComboBox>("nodeImage");
  f.type(image->lineEdit(), "kathara-base");
  REQUIRE(f.node("pc2").settings.image == "kathara-base");
  QTest::keyClick(image->lineEdit(), Qt::Key_Z, Qt::ControlModifier);
  CHECK(f.node("pc2").settings.image.empty());
  CHECK(image->currentText().isEmpty());
}

TEST_CASE("Ctrl+Z in a table cell takes back its typing, then undoes the document", "[gui][panel]") {
  PanelFixture f;
  f.show(f.node("pc2").id);
  f.addRoute("10.0.9.0/24", "10.0.0.1");
  REQUIRE(f.undoSteps() == 2);

  QTableWidget* t = f.find<TextTable>("nodeRoutes")->table();
  t->setFocus();
  t->setCurrentCell(0, 1);
  t->editItem(t->item(0, 1));
  QApplication::processEvents();
  auto* cell = qobject_cast<QLineEdit*>(QApplication::focusWidget());
  REQUIRE(cell);
  REQUIRE(cell->text() == "10.0.0.1");
  QTest::keyClicks(cell, "99");
  QTest::keyClick(cell, Qt::Key_Z, Qt::ControlModifier);
  CHECK(cell->text() == "10.0.0.1"); // the typing is taken back, the document untouched
  CHECK(f.undoSteps() == 2);
  QTest::keyClick(cell, Qt::Key_Z, Qt::ControlModifier);
  CHECK(f.undoSteps() == 1); // then the document: the gateway's edit is undone
  CHECK(f.node("pc2").routes == std::vector<RouteData>{{"10.0.9.0/24", ""}});
  QApplication::processEvents();
  CHECK(f.undoSteps() == 1); // and closing the editor applies nothing new
  CHECK(t->item(0, 1)->text().isEmpty());
}

TEST_CASE("a node's routes, files, sysctls, mount, kernel, shutdown and depends-on are edited in the panel",
          "[gui][panel]") {
  PanelFixture f;
  const LabData original = f.lab();
  const ElementId pc2 = f.node("pc2").id;
  f.show(pc2);

  // Routes: "+" opens an empty row; each cell is one edit.
  f.expand("nodeRoutesSection");
  f.click("nodeRoutes", "addRow");
  CHECK(f.undoSteps() == 0); // an empty row is not data
  f.setCell("nodeRoutes", 0, 0, "10.0.9.0/24");
  f.setCell("nodeRoutes", 0, 1, "10.0.0.1");
  CHECK(f.node("pc2").routes == std::vector<RouteData>{{"10.0.9.0/24", "10.0.0.1"}});
  CHECK(f.undoSteps() == 2);
  CHECK(f.yaml().find("  pc2: {routes: [{to: 10.0.9.0/24, via: 10.0.0.1}], layout: {") != std::string::npos);

  // Files: "Browse…" fills the host path of a new row, relative to the lab's file.
  f.expand("nodeFilesSection");
  f.chosen = QString::fromStdString(f.dir.file("motd"));
  f.click("nodeFiles", "browse");
  f.setCell("nodeFiles", 0, 0, "/etc/motd");
  CHECK(f.node("pc2").settings.files == KeyValueList{{"/etc/motd", "motd"}});

  f.expand("nodeSysctlsSection");
  f.click("nodeSysctls", "addRow");
  f.setCell("nodeSysctls", 0, 0, "net.ipv4.ip_default_ttl");
  f.setCell("nodeSysctls", 0, 1, "100");
  CHECK(f.node("pc2").settings.sysctls == KeyValueList{{"net.ipv4.ip_default_ttl", "100"}});

  f.expand("nodeMountsSection");
  f.chosen = QString::fromStdString((f.dir.path() / "shared").string());
  f.click("nodeMounts", "browse");
  f.setCell("nodeMounts", 0, 0, "/shared");
  CHECK(f.node("pc2").settings.mounts == KeyValueList{{"/shared", "shared"}});

  f.choose("nodeKernel", "umlab");
  CHECK(f.node("pc2").settings.kernel == "umlab");
  f.expand("nodeShutdownSection");
  f.typeCommands("nodeShutdown", "sync\necho bye");
  CHECK(f.node("pc2").settings.shutdown == std::vector<std::string>{"sync", "echo bye"});
  f.type("nodeDependsOn", "r1, pc1");
  CHECK(f.node("pc2").dependsOn == std::vector<NodeRef>{{f.node("r1").id, ""}, {f.node("pc1").id, ""}});
  f.type("nodeMemory", "112M");
  CHECK(f.node("pc2").settings.memory == "112M");
  const int steps = f.undoSteps();
  CHECK(steps == 12);

  const std::string text = f.yaml();
  CHECK(text.find("  pc2:\n"
                  "    memory: 112M\n"
                  "    kernel: umlab\n"
                  "    shutdown:\n"
                  "      - sync\n"
                  "      - echo bye\n"
                  "    files:\n"
                  "      /etc/motd: motd\n"
                  "    sysctls: {net.ipv4.ip_default_ttl: 100}\n"
                  "    mounts: {/shared: shared}\n"
                  "    depends-on: [r1, pc1]\n"
                  "    routes:\n"
                  "      - {to: 10.0.9.0/24, via: 10.0.0.1}\n") != std::string::npos);
  const std::string saved = f.saveAndValidate();
  const std::string described = test::describeTopology(saved);
  CHECK(described.find("node pc2 kind=host desc= mem=117440512 image=debian kernel=umlab") != std::string::npos);
  CHECK(described.find("  depends-on pc1\n") != std::string::npos);
  CHECK(described.find("  mount /shared <- ") != std::string::npos);

  // A renamed node is renamed where others depend on it.
  f.show(f.node("r1").id);
  f.type("nodeName", "gw");
  CHECK(f.yaml().find("depends-on: [gw, pc1]") != std::string::npos);

  f.undoAll();
  CHECK(f.lab() == original);
  f.redoAll();
  CHECK(f.undoSteps() == steps + 1);
  CHECK(f.lab().findNodeByName("pc2")->settings.mounts == KeyValueList{{"/shared", "shared"}});
}

TEST_CASE("the lab's defaults take every setting, and kinds are added, renamed, edited and removed",
          "[gui][panel]") {
  PanelFixture f;
  f.show(kNoElement);
  f.choose("labKernel", "debian");
  f.expand("labSysctlsSection");
  f.click("labSysctls", "addRow");
  f.setCell("labSysctls", 0, 0, "net.ipv4.conf.all.rp_filter");
  f.setCell("labSysctls", 0, 1, "0");
  f.expand("labStartupSection");
  f.typeCommands("labStartup", "ip -br addr");
  const SettingsData& defaults = *f.lab().defaults;
  CHECK(defaults.memory == "96M");
  CHECK(defaults.kernel == "debian");
  CHECK(defaults.sysctls == KeyValueList{{"net.ipv4.conf.all.rp_filter", "0"}});
  CHECK(defaults.startup == std::vector<std::string>{"ip -br addr"});
  CHECK(f.yaml().find("defaults:\n  memory: 96M\n  kernel: debian\n  startup:\n    - ip -br addr\n"
                      "  sysctls: {net.ipv4.conf.all.rp_filter: 0}\n") != std::string::npos);

  // Kinds: the section is open because the lab has one; "+" defines the kind the nodes use but
  // no entry defines yet.
  CHECK(f.find<QComboBox>("kindPicker")->currentText() == "router");
  CHECK(f.find<QLineEdit>("kindMemory")->text() == "128M");
  const int before = f.undoSteps();
  f.click("kindAdd");
  REQUIRE(f.lab().kinds.size() == 2);
  CHECK(f.lab().kinds[1].name == "host");
  CHECK(f.undoSteps() == before + 1);
  f.type("kindMemory", "112M");
  CHECK(f.lab().kinds[1].settings.memory == "112M");
  f.choose("kindForwarding", "true");
  CHECK(f.lab().kinds[1].settings.forwarding == "true");
  f.show(f.node("pc1").id);
  CHECK(f.find<QLineEdit>("nodeMemory")->placeholderText() == "112M (from kind 'host')");
  CHECK(f.find<QComboBox>("nodeForwarding")->itemText(0) == "on (from kind 'host')");

  // Renaming a kind renames it in the nodes that name it, in one undo step.
  f.show(kNoElement);
  auto* picker = f.find<QComboBox>("kindPicker");
  picker->setCurrentIndex(0);
  emit picker->activated(0);
  CHECK(f.find<QLineEdit>("kindName")->text() == "router");
  const int beforeRename = f.undoSteps();
  f.type("kindName", "core");
  CHECK(f.lab().kinds[0].name == "core");
  CHECK(f.node("r1").settings.kind == "core");
  CHECK(f.undoSteps() == beforeRename + 1);
  CHECK(f.editor.undoStack().text(beforeRename) == "Rename kind router to core");
  CHECK(f.find<QComboBox>("kindPicker")->currentText() == "core");
  f.saveAndValidate();
  f.editor.undoStack().undo();
  CHECK(f.lab().kinds[0].name == "router");
  CHECK(f.node("r1").settings.kind == "router");
  f.editor.undoStack().redo();
  CHECK(f.node("r1").settings.kind == "core");

  // "−" removes the kind shown; its nodes keep their kind's name.
  f.click("kindRemove");
  REQUIRE(f.lab().kinds.size() == 1);
  CHECK(f.lab().kinds[0].name == "host");
  CHECK(f.node("r1").settings.kind == "core");
  f.saveAndValidate();
  f.undoAll();
  CHECK(f.lab().kinds.size() == 1);
  CHECK(!f.lab().defaults->startup);
}

TEST_CASE("image recipes are added, edited and renamed with the nodes that boot them", "[gui][panel]") {
  PanelFixture f;
  f.show(kNoElement);
  f.expand("imagesSection");
  f.click("imageAdd");
  REQUIRE(f.lab().images.size() == 1);
  CHECK(f.lab().images[0].name == "image1");
  CHECK(f.lab().images[0].from == "debian");
  CHECK(f.find<QLineEdit>("imageSize")->placeholderText() == "1G (image 'debian')");
  f.type("imagePackages", "curl  tcpdump");
  CHECK(f.lab().images[0].packages == std::vector<std::string>{"curl", "tcpdump"});
  f.typeCommands("imageRun", "echo built > /etc/built");
  f.chosen = QString::fromStdString(f.dir.file("motd"));
  f.click("imageFiles", "browse");
  f.setCell("imageFiles", 0, 0, "/etc/motd");
  f.type("imageSize", "2G");
  f.type(f.find<QComboBox>("imageFrom")->lineEdit(), "kathara-base");
  const ImageData& img = f.lab().images[0];
  CHECK(img.files == KeyValueList{{"/etc/motd", "motd"}});
  CHECK(img.run == std::vector<std::string>{"echo built > /etc/built"});
  CHECK(img.size == "2G");
  CHECK(img.from == "kathara-base");

  f.show(f.node("pc1").id);
  CHECK(f.find<QComboBox>("nodeImage")->findText("image1") >= 0);
  f.type(f.find<QComboBox>("nodeImage")->lineEdit(), "image1");
  CHECK(f.node("pc1").settings.image == "image1");

  f.show(kNoElement);
  f.type("imageName", "web");
  CHECK(f.lab().images[0].name == "web");
  CHECK(f.node("pc1").settings.image == "web");
  CHECK(f.yaml().find("images:\n  web: {from: kathara-base, packages: [curl, tcpdump], files: {/etc/motd: motd}, run: "
                      "[echo built > /etc/built], size: 2G}\n") == std::string::npos); // too long for one line
  CHECK(f.yaml().find("images:\n  web:\n    from: kathara-base\n    packages: [curl, tcpdump]\n"
                      "    files: {/etc/motd: motd}\n    run:\n      - echo built > /etc/built\n    size: 2G\n") !=
        std::string::npos);
  CHECK(f.yaml().find("  pc1: {image: web, layout:") != std::string::npos);
  f.saveAndValidate();
  f.editor.undoStack().undo();
  CHECK(f.node("pc1").settings.image == "image1");
  CHECK(f.lab().images[0].name == "image1");
  f.undoAll();
  CHECK(f.lab().images.empty());
}

TEST_CASE("a segment's monitors and replays are added, edited and removed in its panel", "[gui][panel]") {
  PanelFixture f;
  const ElementId lan = f.lab().findSegmentByName("lan")->id;
  f.show(lan);
  f.expand("segmentMonitorsSection");
  f.click("monitorAdd");
  REQUIRE(f.lab().monitors.size() == 1);
  const MonitorData& m = f.lab().monitors[0];
  CHECK(m.node == f.node("ids").id); // the first node with no link to the segment
  CHECK(m.iface == "eth0");
  CHECK(m.mirror == lan);
  CHECK(f.undoSteps() == 1);
  CHECK(f.find<QLabel>("monitorHint")->text() == "ids runs kernel umlab (its own setting).");

  auto* pcap = f.find<QCheckBox>("monitorPcap");
  QTest::mouseClick(pcap, Qt::LeftButton);
  CHECK(f.lab().monitors[0].filter == "");
  CHECK(f.yaml().find("  - {node: ids, iface: eth0, mirror: lan, filter: \"\"}\n") != std::string::npos);
  f.type("monitorFilter", "tcp port 80");
  f.type("monitorMac", "02:00:00:00:00:42");
  CHECK(f.lab().monitors[0].filter == "tcp port 80");
  CHECK(f.find<QComboBox>("monitorPicker")->currentText() == "ids:eth0 (filter tcp port 80)");

  f.expand("segmentReplaysSection");
  f.chosen = QString::fromStdString(f.dir.file("ping.pcap"));
  f.click("replayAdd");
  REQUIRE(f.lab().replays.size() == 1);
  CHECK(f.lab().replays[0].pcap == "ping.pcap");
  f.type("replaySpeed", "2");
  f.type("replayLoop", "3");
  f.choose("replayRewriteMac", "true");
  CHECK(f.lab().replays[0].rewriteMac == "true");
  CHECK(f.yaml().find("replays:\n  - {segment: lan, pcap: ping.pcap, speed: 2, loop: 3, rewrite-mac: true}\n") !=
        std::string::npos);
  const std::string saved = f.saveAndValidate();
  CHECK(test::describeTopology(saved).find("  iface eth0 mac=02:00:00:00:00:42 derived=0 ip=- gw=- monitor=1 "
                                           "filter='tcp port 80'") != std::string::npos);

  // The monitor's node can be typed; a name that names nothing is kept for validation to report.
  f.type(f.find<QComboBox>("monitorNode")->lineEdit(), "pc9");
  CHECK(f.lab().monitors[0].node == kNoElement);
  CHECK(f.lab().monitors[0].nodeName == "pc9");
  f.editor.validateNow();
  CHECK(f.editor.report().text().find("names unknown node 'pc9'") != std::string::npos);
  f.editor.undoStack().undo();
  CHECK(f.lab().monitors[0].node == f.node("ids").id);

  const int steps = f.undoSteps();
  f.click("monitorRemove");
  f.click("replayRemove");
  CHECK(f.lab().monitors.empty());
  CHECK(f.lab().replays.empty());
  CHECK(f.undoSteps() == steps + 2);
  f.editor.undoStack().undo();
  f.editor.undoStack().undo();
  CHECK(f.lab().monitors.size() == 1);
  CHECK(f.lab().replays[0].speed == "2");
  f.undoAll();
  CHECK(f.lab().monitors.empty());
}

TEST_CASE("a monitor selected on the canvas is edited in its own page", "[gui][panel]") {
  PanelFixture f(std::string(kLab) + "monitors:\n  - {node: ids, iface: eth0, mirror: lan}\n");
  f.show(f.lab().monitors[0].id);
  CHECK(f.find<QLineEdit>("monitorIface")->text() == "eth0");
  CHECK(f.find<QLineEdit>("monitorMac")->placeholderText().toStdString() ==
        MacAddress::derive("t/ids/eth0").str() + " (derived)");
  f.type("monitorIface", "eth3");
  CHECK(f.lab().monitors[0].iface == "eth3");
  CHECK(f.editor.undoStack().text(0) == "Edit monitor");
  f.saveAndValidate();
}

TEST_CASE("a link end's MAC goes where the file format wants it", "[gui][panel]") {
  PanelFixture f;
  f.show(f.lab().links[3].id); // point to point: on each end's mapping
  f.type("linkMac1", "02:00:00:00:00:02");
  CHECK(f.lab().links[3].ends[1].mac == "02:00:00:00:00:02");
  f.show(f.lab().links[2].id); // to a segment: on the link
  f.type("linkMac0", "02:00:00:00:00:03");
  CHECK(f.lab().links[2].mac == "02:00:00:00:00:03");
  CHECK(f.yaml().find("  - {endpoints: [pc2:eth0, lan], ip: 10.0.0.3/24, mac: 02:00:00:00:00:03}\n") != std::string::npos);
  f.saveAndValidate();
  f.type("linkMac0", "");
  CHECK(f.lab().links[2].mac.empty());
}

TEST_CASE("what the panel types is judged by validation, with the CLI's text", "[gui][panel]") {
  PanelFixture f;
  f.show(f.node("pc1").id);
  f.addRoute("10.0.5.1/24", "10.0.0.1");
  f.editor.validateNow();
  CHECK(f.editor.report().errorCount == 1);
  const std::string saved = f.dir.file("bad.yaml");
  REQUIRE(f.editor.save(QString::fromStdString(saved)));
  const test::CommandOutput cli = test::runUmlab({"validate", saved});
  CHECK(cli.exitCode == 1);
  CHECK(f.editor.report().text() == cli.output);
  CHECK(cli.output.find("10.0.5.1/24") != std::string::npos);
}

TEST_CASE("showing every element of every example and leaving every field changes nothing", "[gui][panel]") {
  for (const std::string& path : test::exampleTopologies()) {
    INFO(path);
    LabEditor editor;
    REQUIRE(editor.open(QString::fromStdString(path)));
    PropertyPanel panel(editor);
    panel.resize(420, 1600);
    panel.show();
    REQUIRE(QTest::qWaitForWindowExposed(&panel));
    const LabData before = editor.document().data();
    std::vector<ElementId> ids{kNoElement};
    for (const auto& n : before.nodes) ids.push_back(n.id);
    for (const auto& s : before.segments) ids.push_back(s.id);
    for (const auto& l : before.links) ids.push_back(l.id);
    for (const auto& m : before.monitors) ids.push_back(m.id);
    for (const auto& r : before.replays) ids.push_back(r.id);
    for (ElementId id : ids) {
      panel.showElement(id);
      // Every field says its editing finished, as leaving it does.
      for (QLineEdit* e : panel.findChildren<QLineEdit*>())
        if (e->isVisible())
          emit e->editingFinished();
      for (QComboBox* c : panel.findChildren<QComboBox*>())
        if (c->isVisible() && c->currentIndex() >= 0)
          emit c->activated(c->currentIndex());
      for (CommittingTextEdit* e : panel.findChildren<CommittingTextEdit*>())
        if (e->isVisible())
          emit e->editingFinished();
      for (TextTable* t : panel.findChildren<TextTable*>())
        if (t->isVisible())
          emit t->edited();
    }
    CHECK(editor.undoStack().count() == 0);
    CHECK(editor.document().data() == before);
  }
}
