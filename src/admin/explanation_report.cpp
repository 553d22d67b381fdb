#include "grayling/admin/explanation_report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "grayling/admin/row_dump.hpp"
#include "grayling/admin/time_text.hpp"
#include "grayling/store/row_ids.hpp"

namespace grayling {

namespace {

using nlohmann::ordered_json;

std::string triplet_text(const TripletRecord& record) {
  return fmt::format("first seen {}, last seen {}, {}", utc_text(record.first_seen), utc_text(record.last_seen),
                     record.passed ? "passed" : "pending");
}

ordered_json triplet_object(const std::optional<TripletRecord>& record) {
  if (!record) return nullptr;
  return {{"first_seen", record->first_seen}, {"last_seen", record->last_seen}, {"passed", record->passed}};
}

ordered_json client_object(const std::optional<ClientRecord>& record) {
  if (!record) return nullptr;
  return {{"count", record->count}, {"last_seen", record->last_seen}};
}

std::string sender_text(std::string_view sender) { return sender.empty() ? "<> (null sender)" : std::string(sender); }

}  // namespace

std::string explanation_text(const Explanation& explanation, const PolicyRequest& request,
                             const EngineSettings& settings) {
  const Decision& decision = explanation.decision;
  std::string text = fmt::format("request      client {} ({}), sender {}, recipient {}\n", request.value("client_address"),
                                 request.value("client_name"), sender_text(request.value("sender")),
                                 request.value("recipient"));
  text += fmt::format("at           {}\n", utc_text(explanation.at));
  if (explanation.whitelist) {
    text += fmt::format("whitelist    {} matched {}\n", decision.reason, explanation.whitelist->describe());
  } else {
    text += "whitelist    no entry matches\n";
  }
  if (const auto& lookup = explanation.lookup) {
    if (lookup->client_key.empty()) {
      text += "auto-whitelist  off\n";
    } else if (explanation.client) {
      const bool trusted = explanation.client->count >= settings.auto_whitelist_clients;
      text += fmt::format("auto-whitelist  {}: {} of {} passes, last seen {}{}\n", lookup->client_key,
                          explanation.client->count, settings.auto_whitelist_clients,
                          utc_text(explanation.client->last_seen), trusted ? " (whitelisted)" : "");
    } else {
      text += fmt::format("auto-whitelist  {}: no passes counted yet (whitelisted after {})\n", lookup->client_key,
                          settings.auto_whitelist_clients);
    }
    if (explanation.spf_domain) {
      text += fmt::format("spf          {} authorises the client: keyed by the domain, not the network\n",
                          *explanation.spf_domain);
    }
    text += fmt::format("triplet key  {} (id {})\n", lookup->key, row_id_hex(store_key_digest(lookup->key)));
    text += fmt::format("stored       {}\n",
                        explanation.triplet ? triplet_text(*explanation.triplet) : std::string("nothing (a new triplet)"));
    if (explanation.seconds_left) {
      text += fmt::format("seconds left {}{}\n", *explanation.seconds_left,
                          *explanation.seconds_left > 0
                              ? fmt::format(" (a retry passes from {})", utc_text(explanation.at + *explanation.seconds_left))
                              : std::string());
    }
  }
  text += fmt::format("outcome      {}{}\n", explanation.outcome, decision.reason.empty() ? "" : " (" + decision.reason + ")");
  text += fmt::format("reply        action={}\n", decision.action);
  if (explanation.triplet_after || explanation.client_after) {
    text += "would write  ";
    if (explanation.triplet_after) text += "triplet: " + triplet_text(*explanation.triplet_after);
    if (explanation.triplet_after && explanation.client_after) text += "; ";
    if (explanation.client_after) {
      text += fmt::format("auto-whitelist: count {}", explanation.client_after->count);
    }
    text += " (explain writes nothing)\n";
  }
  return text;
}

std::string explanation_json(const Explanation& explanation, const PolicyRequest& request,
                             const EngineSettings& settings) {
  const Decision& decision = explanation.decision;
  ordered_json object{{"at", explanation.at},
                      {"client_address", request.value("client_address")},
                      {"client_name", request.value("client_name")},
                      {"sender", request.value("sender")},
                      {"recipient", request.value("recipient")},
                      {"outcome", explanation.outcome},
                      {"reason", decision.reason},
                      {"reply", "action=" + decision.action},
                      {"whitelist", nullptr},
                      {"triplet_key", nullptr},
                      {"triplet_id", nullptr},
                      {"triplet", triplet_object(explanation.triplet)},
                      {"seconds_left", nullptr},
                      {"awl_key", nullptr},
                      {"awl", client_object(explanation.client)},
                      {"awl_threshold", settings.auto_whitelist_clients},
                      {"spf_domain", explanation.spf_domain ? ordered_json(*explanation.spf_domain) : ordered_json(nullptr)},
                      {"writes", {{"triplet", triplet_object(explanation.triplet_after)},
                                  {"client", client_object(explanation.client_after)}}}};
  if (const auto& source = explanation.whitelist) {
    object["whitelist"] = {{"list", decision.reason}, {"file", source->file}, {"line", source->line},
                           {"entry", source->entry}};
  }
  if (const auto& lookup = explanation.lookup) {
    object["triplet_key"] = lookup->key;
    object["triplet_id"] = row_id_hex(store_key_digest(lookup->key));
    if (!lookup->client_key.empty()) object["awl_key"] = lookup->client_key;
  }
  if (explanation.seconds_left) object["seconds_left"] = *explanation.seconds_left;
  return object.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace grayling
