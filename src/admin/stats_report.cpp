#include "grayling/admin/stats_report.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "grayling/admin/time_text.hpp"

namespace grayling {

namespace {

/// 1536 -> "1.5 KiB": sizes as df -h shows them.
std::string human_bytes(std::uint64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(units)) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} bytes", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace

std::string stats_text(const StoreStats& stats, const std::string& store, EpochSeconds now) {
  std::string text = fmt::format("store           {}\n", store);
  text += fmt::format("triplets        {} ({} passed, {} pending)\n", stats.pending + stats.passed, stats.passed,
                      stats.pending);
  text += fmt::format("auto-whitelist  {} clients\n", stats.clients);
  if (stats.oldest) {
    text += fmt::format("oldest triplet  first seen {} ({} days ago)\n", utc_text(*stats.oldest),
                        (now - *stats.oldest) / 86400);
  }
  text += fmt::format("due for expiry  {} rows\n", stats.due_for_expiry);
  if (stats.bytes) text += fmt::format("size            {}\n", human_bytes(*stats.bytes));
  return text;
}

std::string stats_json(const StoreStats& stats, const std::string& store) {
  nlohmann::ordered_json object{{"store", store},
                                {"triplets", stats.pending + stats.passed},
                                {"passed", stats.passed},
                                {"pending", stats.pending},
                                {"clients", stats.clients},
                                {"oldest_first_seen", nullptr},
                                {"due_for_expiry", stats.due_for_expiry},
                                {"bytes", nullptr}};
  if (stats.oldest) object["oldest_first_seen"] = *stats.oldest;
  if (stats.bytes) object["bytes"] = *stats.bytes;
  return object.dump();
}

}  // namespace grayling
