#pragma once
/// grayling-admin list and show: which rows an administrator asked for, and how they read.

#include <optional>
#include <string>
#include <string_view>

#include "grayling/core/policy_engine.hpp"
#include "grayling/store/store.hpp"

namespace grayling {

/// The parts of a triplet key "client/sender/recipient". The client part of a key built
/// with --lookup-by-host ends in "/32" or "/128"; a sender or recipient may itself hold a
/// '/', so the recipient is taken after the last one.
struct TripletKeyParts {
  std::string client;
  std::string sender;
  std::string recipient;
};
/// The parts, or nullopt for a key that is not one (a --privacy digest, or no key).
[[nodiscard]] std::optional<TripletKeyParts> split_triplet_key(std::string_view key);

/// Which triplets `list` shows. The client, sender and recipient are compared with the
/// key's parts as the engine builds them, so "--sender Alice+news@Example.org" finds
/// "alice@example.org"; a value "@domain" matches every address of that domain.
struct RowFilter {
  std::optional<std::string> client;     // a key's client part (from an address: its network)
  std::optional<std::string> sender;     // normalised as keys are, or "@domain"
  std::optional<std::string> recipient;  // lower-cased, or "@domain"
  std::optional<bool> passed;
  std::optional<EpochSeconds> first_seen_before;  // --older-than

  /// Builds the filter from what the administrator typed. An address as client becomes
  /// the key's client part under `engine`'s --lookup-by-* rules. Throws
  /// std::invalid_argument for a client that is neither an address nor a key part.
  static RowFilter from_options(const PolicyEngine& engine, std::optional<std::string> client,
                                std::optional<std::string> sender, std::optional<std::string> recipient);

  /// Whether the filter looks into keys (and so cannot work on --privacy digests).
  [[nodiscard]] bool reads_keys() const { return client || sender || recipient; }
  [[nodiscard]] bool matches(const TripletRow& row) const;
};

/// The header of `list`'s text table, and one row of it.
[[nodiscard]] std::string triplet_table_header();
[[nodiscard]] std::string triplet_table_line(const TripletRow& row);
[[nodiscard]] std::string client_table_header();
[[nodiscard]] std::string client_table_line(const ClientRow& row, std::int64_t awl_threshold);

/// One row as a JSON object on one line (`list --json`: JSON lines).
[[nodiscard]] std::string triplet_json(const TripletRow& row);
[[nodiscard]] std::string client_json(const ClientRow& row, std::int64_t awl_threshold);

/// `show`: one row in full, with what it means under `engine`'s settings at `now`.
[[nodiscard]] std::string triplet_details(const TripletRow& row, const EngineSettings& settings, EpochSeconds now);
[[nodiscard]] std::string client_details(const ClientRow& row, const EngineSettings& settings, EpochSeconds now);

/// How a row without its key reads.
inline constexpr std::string_view kUnknownKey = "(key unknown: written before grayling kept keys)";

}  // namespace grayling
