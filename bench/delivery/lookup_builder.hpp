#pragma once
/// The triplet lookup of a request under a configuration's features (issue 11): which
/// client part the key gets (SPF domain, verified name's registrable domain, or network)
/// and which sender normalisation it uses.

#include <string_view>

#include "client_authority.hpp"
#include "grayling/core/policy_engine.hpp"
#include "grayling/core/policy_request.hpp"

namespace delivery {

/// Which of issue 11's features a configuration has.
struct Features {
  bool spf = false;            // SPF-authorised equivalence: the engine's lookup_authorised
  bool hex_ids = false;        // the engine's normalize_sender; off: postgrey's rules (local copy)
  bool verified_name = false;  // verified-name equivalence, simulated: not in the engine yet
};

/// Turns what PolicyEngine::screen() built into the lookup the configuration would use.
class LookupBuilder {
 public:
  LookupBuilder(const grayling::PolicyEngine& engine, Features features, const ClientAuthority& authority)
      : engine_(engine), features_(features), authority_(authority) {}

  /// The lookup for `request`, given screen()'s (network key, new normalisation). With a
  /// client part other than the network, the network key is kept as the fallback key, as
  /// lookup_authorised() does.
  [[nodiscard]] grayling::TripletLookup build(const grayling::PolicyRequest& request,
                                              grayling::TripletLookup screened) const;

 private:
  const grayling::PolicyEngine& engine_;
  Features features_;
  const ClientAuthority& authority_;
};

}  // namespace delivery
