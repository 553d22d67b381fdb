#pragma once
/// grayling-admin explain asks SPF as the daemon would (--spf-equivalence, --dns-server,
/// --dns-timeout), so that it explains the key the daemon builds.

#include <optional>
#include <string>
#include <string_view>

#include "grayling/config/config.hpp"
#include "grayling/core/ip_address.hpp"

namespace grayling {

/// The domain whose SPF record authorises `client` for this sender (narrowly enough to
/// count), as the daemon's check would find it now; nullopt when SPF equivalence is off,
/// when it does not, or when DNS does not answer within the daemon's --dns-timeout.
[[nodiscard]] std::optional<std::string> spf_authorised_domain(const SpfSettings& settings, const IpAddress& client,
                                                               std::string_view sender, std::string_view helo);

}  // namespace grayling
