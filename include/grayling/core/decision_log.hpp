#pragma once
/// The one log line per decision, in postgrey's shape, so existing log parsers keep working.

#include <string>

#include "grayling/core/decision.hpp"
#include "grayling/core/policy_request.hpp"

namespace grayling {

/// "[QUEUEID: ]action=greylist, reason=new, client_name=..., client_address=.../32,
/// sender=..., recipient=..." — empty fields are left out, as postgrey does. Only for
/// greylist and pass outcomes.
[[nodiscard]] std::string format_decision_line(const PolicyRequest& request, const Decision& decision);

/// The same fields as JSON members, without the braces (--log-format=json adds the time
/// and the level around them): "queue_id":"...","action":"greylist","reason":"new",
/// "delay":301,"client_name":"...","client_address":"192.0.2.7/32","sender":"...",
/// "recipient":"...". Empty fields are left out, as in the line.
[[nodiscard]] std::string format_decision_json(const PolicyRequest& request, const Decision& decision);

/// client_address as the log shows it: an IPv4-mapped address (::ffff:192.0.2.7) as the
/// IPv4 address it stands for, as its key has it; anything else as Postfix sent it.
[[nodiscard]] std::string logged_client_address(std::string_view address);

/// `text` as the contents of a JSON string: quotes, backslashes and control characters
/// escaped (other bytes as they are).
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace grayling
