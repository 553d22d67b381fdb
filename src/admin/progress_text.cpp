#include "grayling/admin/progress_text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace grayling {

std::string grouped(std::size_t number) {
  std::string digits = std::to_string(number);
  for (std::ptrdiff_t at = static_cast<std::ptrdiff_t>(digits.size()) - 3; at > 0; at -= 3) digits.insert(at, 1, ',');
  return digits;
}

namespace {

std::string eta_text(double seconds) {
  const auto whole = static_cast<long long>(std::ceil(seconds));
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole / 60 % 60);
}

}  // namespace

std::string progress_line(std::string_view what, std::size_t done, std::size_t total, double elapsed_seconds,
                          std::size_t width) {
  done = std::min(done, total);
  const double fraction = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const double rate = elapsed_seconds > 0 ? static_cast<double>(done) / elapsed_seconds : 0.0;
  std::string figures = fmt::format(" {:3.0f}%  {}/{} rows", fraction * 100, grouped(done), grouped(total));
  if (rate > 0) {
    figures += fmt::format("  {} rows/s", grouped(static_cast<std::size_t>(rate)));
    if (done < total) figures += "  ETA " + eta_text(static_cast<double>(total - done) / rate);
  }
  const std::size_t fixed = what.size() + 3 + figures.size();  // "what [" + "]" + figures
  const std::size_t bar = width > fixed + 10 ? std::min<std::size_t>(width - fixed, 40) : 10;
  const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(bar));
  return fmt::format("{} [{}{}]{}", what, std::string(filled, '#'), std::string(bar - filled, '.'), figures);
}

}  // namespace grayling
