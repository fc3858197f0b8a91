#include "umlab/gui/inherited_settings.hpp"

#include "umlab/gui/lab_io.hpp"
#include "umlab/gui/text_table.hpp"
#include "umlab/gui/value_combo.hpp"

#include <catch2/catch.hpp>

#include <QTableWidget>

using namespace umlab;
using namespace umlab::gui;

TEST_CASE("inherited settings follow resolve's precedence and say where they come from", "[gui][inherit]") {
  LoadedLab loaded = loadLabText("i.yaml", "name: i\n"
                                           "defaults:\n"
                                           "  kind: router\n"
                                           "  memory: 112M\n"
                                           "  startup: [echo defaults]\n"
                                           "  files: {/etc/a: a, /etc/b: b}\n"
                                           "  sysctls: {x.y: 1}\n"
                                           "  mounts: {/shared: shared}\n"
                                           "kinds:\n"
                                           "  router: {memory: 128M, kernel: umlab, files: {/etc/b: b2}, shutdown: []}\n"
                                           "  ids: {forwarding: true}\n"
                                           "nodes: {r1: {}}\n");
  REQUIRE(loaded.lab);
  const LabData& lab = *loaded.lab;
  CHECK(effectiveKindOf(lab, lab.nodes[0].settings) == "router");

  const InheritedSettings node = inheritedSettings(lab, SettingsScope::Node, "router");
  CHECK(node.kind == InheritedValue{"router", "defaults"});
  CHECK(node.memory == InheritedValue{"128M", "kind 'router'"});
  CHECK(node.image == InheritedValue{"debian", "built-in"});
  CHECK(node.kernel == InheritedValue{"umlab", "kind 'router'"});
  CHECK(node.forwarding == InheritedValue{"true", "built-in kind 'router'"});
  CHECK(node.startup.items == std::vector<std::string>{"echo defaults"});
  CHECK(node.startup.source == "defaults");
  CHECK(node.shutdown.items.empty());
  CHECK(node.shutdown.source == "kind 'router'"); // an empty list that clears the defaults'
  CHECK(node.files.pairs == KeyValueList{{"/etc/a", "a"}, {"/etc/b", "b2"}}); // merged by guest path
  CHECK(node.files.sources == std::vector<std::string>{"defaults", "kind 'router'"});
  CHECK(node.mounts.pairs == KeyValueList{{"/shared", "shared"}});

  const InheritedSettings ids = inheritedSettings(lab, SettingsScope::Node, "ids");
  CHECK(ids.forwarding == InheritedValue{"true", "kind 'ids'"});
  CHECK(ids.memory == InheritedValue{"112M", "defaults"});

  const InheritedSettings kind = inheritedSettings(lab, SettingsScope::Kind, "router");
  CHECK(kind.memory == InheritedValue{"112M", "defaults"}); // a kind inherits only the defaults
  CHECK(kind.kernel == InheritedValue{"debian", "built-in"});

  const InheritedSettings defaults = inheritedSettings(lab, SettingsScope::Defaults, {});
  CHECK(defaults.memory == InheritedValue{"96M", "built-in"});
  CHECK(defaults.forwarding.value.empty()); // it depends on each node's kind
  CHECK(defaults.startup.source.empty());
}

TEST_CASE("a value list keeps a value it does not know, and a text table leaves out empty rows", "[gui][inherit]") {
  ValueCombo c;
  c.setUnsetText("inherited");
  c.addValue("true", "on");
  c.addValue("false", "off");
  c.setValue("yes");
  CHECK(c.value() == "yes");
  CHECK(c.currentText() == "yes (as written)");
  c.setValue("");
  CHECK(c.currentIndex() == 0);
  CHECK(c.count() == 3);
  c.setValue("false");
  CHECK(c.currentText() == "off");

  TextTable t({"to", "via"});
  int edits = 0;
  QObject::connect(&t, &TextTable::edited, [&] { ++edits; });
  t.setRows({{"10.0.2.0/24", "10.0.0.1"}});
  CHECK(edits == 0); // loading is not an edit
  t.addRow();
  CHECK(t.rows() == TextTable::Rows{{"10.0.2.0/24", "10.0.0.1"}});
  t.table()->item(1, 1)->setText(" 10.0.0.2 ");
  CHECK(edits == 1);
  CHECK(t.rows() == TextTable::Rows{{"10.0.2.0/24", "10.0.0.1"}, {"", "10.0.0.2"}});
  t.table()->setCurrentCell(0, 0);
  CHECK(edits == 1);
  t.removeRow();
  CHECK(edits == 2);
  CHECK(pairsFromRows(t.rows()) == KeyValueList{{"", "10.0.0.2"}});
}
