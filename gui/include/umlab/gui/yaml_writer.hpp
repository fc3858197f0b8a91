#pragma once
/// Writes a `LabData` as topology YAML that `umlab validate` reads back as the same lab.
///
/// The output is in the style of the example labs: short elements on one line in flow style
/// (`pc1: {kind: router, layout: {x: 120, y: 80}}`), longer ones in block style, multi-line
/// startup commands as literal blocks. Every node and segment gets its `layout:`, so the picture
/// is the same the next time the file is opened. Comments kept from the original file are
/// written above the element they belonged to; the file's opening comment stays at the top.
///
/// A scalar is written plain when the loader reads the plain form back as the same string, and
/// double-quoted otherwise (the writer never relies on YAML's type guessing: every value of a
/// topology is text to the loader).

#include "umlab/gui/lab_data.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace umlab::gui {

/// The lines an element occupies in the written text, 1-based and inclusive.
struct ElementSpan {
  ElementId id = kNoElement;
  uint32_t firstLine = 0;
  uint32_t lastLine = 0;
};

struct WrittenLab {
  std::string text;
  std::vector<ElementSpan> spans; ///< in line order
};

struct WriteOptions {
  /// Every node's and segment's `layout:`. Validation leaves them out: they are the canvas's,
  /// always valid, and quoting them would show text the user never wrote.
  bool positions = true;
};

WrittenLab writeLabYaml(const LabData& lab, const WriteOptions& options = {});

/// One scalar as YAML text: plain when safe in the context (inside a flow collection, or not),
/// else double-quoted with escapes. Multi-line text is always quoted here; the writer uses
/// literal blocks for it where it can.
std::string yamlScalar(std::string_view text, bool inFlow);

/// A coordinate: an integer when it is one, else the shortest decimal that reads back exactly.
std::string formatCoordinate(double v);

} // namespace umlab::gui
