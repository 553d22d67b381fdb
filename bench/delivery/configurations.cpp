#include "configurations.hpp"

namespace delivery {

namespace {

// postgrey is emulated by the engine with postgrey's sender rules (postgrey_sender.hpp):
// the same timing algorithm, per-address auto-whitelist, /24 and /64 networks and
// whitelist grammar as postgrey 1.37.
constexpr std::array<Configuration, kConfigCount> kConfigurations{{
    {ConfigId::postgrey,
     "postgrey+WL",
     "postgrey-like: shipped whitelist, no SPF, postgrey's sender rules",
     true,
     {false, false, false}},
    {ConfigId::grayling_shipped,
     "grayling+WL",
     "grayling as shipped: whitelist, SPF equivalence, hex/UUID senders",
     true,
     {true, true, false}},
    {ConfigId::bare, "no WL", "grayling: no whitelist, no new features", false, {false, false, false}},
    {ConfigId::spf_only, "+SPF", "no whitelist, SPF-authorised equivalence only", false, {true, false, false}},
    {ConfigId::hex_only, "+hex", "no whitelist, hex/UUID sender normalisation only", false, {false, true, false}},
    {ConfigId::name_only,
     "+name",
     "no whitelist, verified-name equivalence only (simulated)",
     false,
     {false, false, true}},
    // What grayling ships, without the whitelist. Verified-name equivalence is measured
    // (+name) but not shipped: with SPF equivalence on, it adds nothing in this trace.
    {ConfigId::all_new, "+SPF+hex", "no whitelist, what grayling ships: SPF equivalence and hex/UUID senders", false,
     {true, true, false}},
}};

}  // namespace

const std::array<Configuration, kConfigCount>& configurations() { return kConfigurations; }

const Configuration& configuration(ConfigId id) { return kConfigurations[static_cast<std::size_t>(id)]; }

}  // namespace delivery
