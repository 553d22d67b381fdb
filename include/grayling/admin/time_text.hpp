#pragma once
/// Times as grayling-admin shows and reads them: UTC text out; epoch seconds, dates or
/// offsets from now in.

#include <optional>
#include <string>
#include <string_view>

#include "grayling/core/records.hpp"

namespace grayling {

/// "2026-12-02 10:00:00 UTC".
[[nodiscard]] std::string utc_text(EpochSeconds when);

/// A moment as an administrator writes it, relative to `now`: epoch seconds ("1796198980"
/// or "@1796198980"), a UTC date and time ("2026-12-02 10:00", "2026-12-02T10:00:00Z",
/// seconds optional), or an offset from now ("+10m", "-2h": units of parse_duration).
[[nodiscard]] std::optional<EpochSeconds> parse_when(std::string_view text, EpochSeconds now);

}  // namespace grayling
