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

}  // namespace grayling
