#pragma once
/// grayling-admin explain: an Explanation (core/explanation.hpp) as text for a person or
/// as one JSON object for a script.

#include <string>

#include "grayling/core/explanation.hpp"
#include "grayling/core/policy_request.hpp"

namespace grayling {

[[nodiscard]] std::string explanation_text(const Explanation& explanation, const PolicyRequest& request,
                                           const EngineSettings& settings);
/// Fields: at, client_address, client_name, sender, recipient, outcome, reason, reply
/// (the line sent to Postfix: "action=..."), whitelist {file, line, entry} or null,
/// triplet_key, triplet_id, triplet (the stored row) or null, seconds_left, awl_key,
/// awl (the stored row) or null, awl_threshold, writes {triplet, client} (what the
/// daemon would write) — absent parts are null.
[[nodiscard]] std::string explanation_json(const Explanation& explanation, const PolicyRequest& request,
                                           const EngineSettings& settings);

}  // namespace grayling
