#pragma once
/// Parsers for the quantities a topology file writes as text. Each returns nullopt for text that
/// is not of its form; the caller words the error, since only it knows which key was wrong.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace umlab {

/// "96M", "1G", "512K", "65536", "128MiB": binary units, as UML's `mem=` reads them.
std::optional<uint64_t> parseByteSize(std::string_view text);
/// "96M" when a whole number of MiB, else "…K" or bytes: the form UML's `mem=` takes.
std::string formatByteSize(uint64_t bytes);

/// "5ms", "0.5s", "250us", "100ns", "2m", "1h". A unit is required.
std::optional<std::chrono::nanoseconds> parseDuration(std::string_view text);
std::string formatDuration(std::chrono::nanoseconds d);

/// "0.1%", "5%": the percentage as a number (5 for "5%"). The '%' is required.
std::optional<double> parsePercent(std::string_view text);
std::string formatPercent(double percent);

/// "10mbit", "1gbit", "512kbit", "9600bit": bits per second (decimal units, as tc reads them).
std::optional<uint64_t> parseBitRate(std::string_view text);
std::string formatBitRate(uint64_t bitsPerSecond);

/// A non-negative decimal number with no sign, exponent or spaces ("1", "0.25", "2.").
std::optional<double> parseDecimal(std::string_view text);
/// A non-negative integer within `max`.
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max = UINT64_MAX);

} // namespace umlab
