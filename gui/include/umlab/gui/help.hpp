#pragma once
/// The Help menu's content: the version this build was made from, what the About box says, and
/// where the user guide (docs/gui.md) is. There is no install step yet, so the guide is looked
/// for where a package would put it beside the program (<prefix>/share/doc/umlab/gui.md, with
/// umlab-gui in <prefix>/bin), then in the source tree the program was built from.

#include <QString>

namespace umlab::gui {

/// The project's version, from the build (CMake's project version), as "0.1.0".
QString umlabVersion();

/// The user guide's absolute path, or empty when it is in none of the places above.
QString userGuidePath();

/// The About box's text (rich text): name and version, what umlab-gui is, the Qt it runs on,
/// and a link to the user guide (or where it would be).
QString aboutText();

} // namespace umlab::gui
