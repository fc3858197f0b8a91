#pragma once
/// "Did you mean" suggestions (after Ninja's SpellcheckString): the closest candidate by edit
/// distance, when it is close enough to be a likely typo.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace umlab {

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
size_t editDistance(std::string_view a, std::string_view b);

/// The candidate closest to `word`, if its distance is at most max(1, word.size() / 3).
/// Ties go to the earliest candidate, so results are deterministic.
std::optional<std::string> suggest(std::string_view word, const std::vector<std::string>& candidates);

/// "; did you mean 'x'?" or an empty string.
std::string didYouMean(std::string_view word, const std::vector<std::string>& candidates);

} // namespace umlab
