#pragma once
/// A progress bar's line for a long grayling-admin job (import-postgrey): how far, how
/// fast, how long yet. Pure: the caller measures the time and draws the line.

#include <cstddef>
#include <string>
#include <string_view>

namespace grayling {

/// "what [#########.........]  45%  12,345/27,000 rows  8,210 rows/s  ETA 2s", fitted to
/// `width` columns by shortening the bar. `elapsed_seconds` since the job started.
[[nodiscard]] std::string progress_line(std::string_view what, std::size_t done, std::size_t total,
                                        double elapsed_seconds, std::size_t width = 80);

/// 27000 -> "27,000".
[[nodiscard]] std::string grouped(std::size_t number);

}  // namespace grayling
