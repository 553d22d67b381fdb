#pragma once
/// Record data as DNS sends it (RFC 1035 wire format) turned into the text SPF works
/// with. Pure; the resolver hands it the rdata of each answer record.

#include <optional>
#include <string>
#include <string_view>

#include "grayling/dns/resolver.hpp"

namespace grayling::dns {

/// One record's rdata as text (see Answer::records), or nullopt when it is malformed
/// (a truncated length, a compression pointer in rdata, a name that runs out).
[[nodiscard]] std::optional<std::string> rdata_text(RecordType type, std::string_view rdata);

}  // namespace grayling::dns
