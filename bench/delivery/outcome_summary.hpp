#pragma once
/// Per-class figures of one configuration's replay: messages, delivered, added delay.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "configurations.hpp"
#include "sender_class.hpp"
#include "simulation.hpp"
#include "trace.hpp"

namespace delivery {

/// One sender class under one configuration.
struct ClassSummary {
  std::size_t messages = 0;
  std::size_t delivered = 0;
  std::optional<Seconds> median_delay;  // over delivered messages; nullopt when none was
  std::optional<Seconds> p95_delay;
  double attempts = 0;  // mean attempts per message
  [[nodiscard]] std::size_t undelivered() const { return messages - delivered; }
  /// The share never delivered (for spam: blocked).
  [[nodiscard]] double undelivered_share() const {
    return messages == 0 ? 0 : static_cast<double>(undelivered()) / static_cast<double>(messages);
  }
};

/// One configuration's results.
struct ConfigurationResult {
  const Configuration* configuration = nullptr;
  std::array<ClassSummary, kClassCount> classes{};
  std::size_t requests = 0;
  std::size_t whitelisted = 0;
  std::size_t auto_whitelisted = 0;
  double wall_seconds = 0;
  [[nodiscard]] const ClassSummary& of(ClassId id) const { return classes[index_of(id)]; }
};

[[nodiscard]] ConfigurationResult summarise(const Configuration& configuration, const Trace& trace,
                                            const Replay& replay);

/// The nearest-rank percentile `p` (0–1) of `values`, sorted in place; nullopt when empty.
[[nodiscard]] std::optional<Seconds> percentile(std::vector<Seconds>& values, double p);

/// A delay as it reads in a table: "0 s", "4.9 min", "2.3 h", "1.5 d".
[[nodiscard]] std::string duration_text(Seconds seconds);

}  // namespace delivery
