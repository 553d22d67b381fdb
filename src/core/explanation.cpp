#include "grayling/core/explanation.hpp"

namespace grayling {

namespace {

/// The whitelist entry behind a "client whitelist" or "recipient whitelist" pass.
std::optional<WhitelistSource> matched_entry(const PolicyEngine& engine, const PolicyRequest& request,
                                             const Decision& decision) {
  const WhitelistSource* source = nullptr;
  if (decision.reason == "client whitelist") {
    source = engine.whitelists().clients.match(request.value("client_name"),
                                               IpAddress::parse(request.value("client_address")));
  } else if (decision.reason == "recipient whitelist") {
    source = engine.whitelists().recipients.match(request.value("recipient"));
  }
  return source ? std::optional(*source) : std::nullopt;
}

std::string outcome_name(const Decision& decision) {
  switch (decision.outcome) {
    case Decision::Outcome::pass:
      return "pass";
    case Decision::Outcome::greylist:
      return decision.reason == "new" ? "greylist" : "early retry";
    case Decision::Outcome::skip:
      break;
  }
  return "skip";
}

}  // namespace

Explanation explain(const PolicyEngine& engine, const PolicyRequest& request, const RecordLoader& load,
                    std::optional<EpochSeconds> at, EpochSeconds system_now, bool training_mode,
                    const std::optional<std::string>& spf_domain) {
  Explanation explanation;
  auto screened = engine.screen(request);
  explanation.at = at.value_or(system_now);
  if (auto* decision = std::get_if<Decision>(&screened)) {
    explanation.whitelist = matched_entry(engine, request, *decision);
    explanation.decision = std::move(*decision);
  } else {
    TripletLookup& lookup = explanation.lookup.emplace(std::get<TripletLookup>(std::move(screened)));
    if (spf_domain) {  // as the daemon's session re-keys it
      const bool etrn = lookup.has_etrn_domain;
      lookup = engine.lookup_authorised(*IpAddress::parse(request.value("client_address")), *spf_domain,
                                        request.value("sender"), request.value("recipient"));
      lookup.has_etrn_domain = etrn;
      explanation.spf_domain = spf_domain;
    }
    RecordKeys keys;
    PolicyEngine::add_keys(lookup, keys);
    const Records records = load(keys);
    if (!at && records.now) explanation.at = *records.now;
    const EpochSeconds now = explanation.at;
    if (const auto* row = records.triplet(lookup.key)) explanation.triplet = *row;
    if (!lookup.client_key.empty()) {
      if (const auto* row = records.client(lookup.client_key)) explanation.client = *row;
    }
    Transition transition = engine.decide(lookup, records, now);
    explanation.triplet_after = transition.triplet;
    explanation.client_after = transition.client;
    explanation.decision = std::move(transition.decision);
    if (explanation.decision.reason != "client AWL") {
      // The row the decision left: written now, or as stored when nothing changed.
      const TripletRecord left = transition.triplet.value_or(explanation.triplet.value_or(TripletRecord{now, now}));
      const bool passed = explanation.decision.outcome == Decision::Outcome::pass;
      explanation.seconds_left = passed ? 0 : engine.settings().delay - (now - left.first_seen);
    }
    if (explanation.decision.delay) {
      explanation.decision.action = engine.first_pass_action(*explanation.decision.delay, now);
    }
  }
  if (training_mode && explanation.decision.outcome == Decision::Outcome::greylist) {
    explanation.decision.action = "DUNNO";
  }
  explanation.outcome = outcome_name(explanation.decision);
  return explanation;
}

}  // namespace grayling
