#pragma once
/// The configurations one run compares, each replaying the same trace.

#include <array>
#include <cstdint>
#include <string_view>

#include "lookup_builder.hpp"

namespace delivery {

enum class ConfigId : std::uint8_t { postgrey, grayling_shipped, bare, spf_only, hex_only, name_only, all_new };
inline constexpr std::size_t kConfigCount = 7;

/// One way of running the greylister.
struct Configuration {
  ConfigId id;
  std::string_view name;  // a table's column header
  std::string_view description;
  bool shipped_whitelist;  // etc/whitelist_clients and whitelist_recipients
  Features features;
};

[[nodiscard]] const std::array<Configuration, kConfigCount>& configurations();
[[nodiscard]] const Configuration& configuration(ConfigId id);

}  // namespace delivery
