#pragma once
/// The launch plan as typed state on disk. `umlab up` stores the plan it runs as
/// <stateDir>/plan.json (`renderPlanJson`); every later verb reads it back through
/// `readPlanJson`, the one reader, and nothing parses the text form.
///
/// The JSON mirrors `LaunchPlan` field by field: every field of every struct is written, even
/// when empty, so the reader can be strict. A missing field, an unknown field or a value of the
/// wrong type or range is an error naming its JSON path ("guests[2].interfaces[0].mac: missing").
/// Link conditions write only the members that are set, with their unit in the key:
///
///   "conditions": {"delayNs": 5000000, "lossPercent": 0.1, "rateBitsPerSecond": 10000000}
///
/// `readPlanJson(renderPlanJson(p)) == p` for every plan `plan()` makes. Numbers that are not
/// integers (percentages, replay speed) keep JsonWriter's 10 significant digits, more than a
/// topology file can meaningfully give; durations, rates, sizes and counts are exact integers.
/// The document names the lab, then its "version": a reader refuses any other version than its own
/// rather than guess at fields it does not know.

#include "umlab/base/json_value.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace umlab::lab {

/// The "version" that `renderPlanJson` writes and `readPlanJson` accepts. Bump it whenever a field
/// changes meaning or is added or removed.
inline constexpr uint64_t kPlanJsonVersion = 1;

/// The plan in `text` (as `renderPlanJson` writes it). On bad input returns nullopt and sets
/// `error` to the first problem: "line:col: message" for text that is not JSON, "path: message"
/// for JSON that is not a plan.
std::optional<LaunchPlan> readPlanJson(std::string_view text, std::string& error);
/// The same, of a document already parsed (a plan inside a request).
std::optional<LaunchPlan> readPlanDocument(const JsonValue& document, std::string& error);

/// Writes `renderPlanJson(plan)` to `path` atomically: a temporary file beside it (mode 0600),
/// synced, then renamed over `path`, so a reader sees the old plan or the new one, never part of
/// one. Throws std::system_error naming the failed call and path; leaves no temporary behind.
void savePlanJson(const LaunchPlan& plan, const std::string& path);

/// Reads and checks the plan stored at `path`. A file that cannot be read throws
/// std::system_error ("open <path>: No such file or directory"); a file that is not a valid plan
/// returns nullopt with `error` prefixed by the path, "<path>:3:14: …" or "<path>: lab: missing".
std::optional<LaunchPlan> loadPlanJson(const std::string& path, std::string& error);

} // namespace umlab::lab
