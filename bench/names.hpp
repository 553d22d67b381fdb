#pragma once
/// How the load generator and the bulk loader name triplets.
///
/// A (tag, kind, index) always gives the same client, sender and recipient, so a database
/// filled by grayling-bulk-load holds exactly the keys grayling-bench sends for that tag.
/// Names use letters only: grayling (like postgrey) rewrites digit runs in senders to '#',
/// which would make distinct indexes collide.

#include <cstdint>
#include <string>
#include <string_view>

namespace bench {

/// What a request is meant to exercise.
enum class Kind : std::uint8_t {
  fresh,        // a triplet never seen before (the "new" workload)
  known,        // one of the pre-populated triplets that already passed
  whitelisted,  // a client whose name is under kWhitelistDomain
};

/// Client names under this domain are whitelisted: the daemon must be started with a
/// client whitelist containing this line (grayling-bench --print-whitelist prints it).
inline constexpr std::string_view kWhitelistDomain = "wl.grayling-bench.example";

/// The attributes of one triplet, as the request carries them.
struct Triplet {
  std::string client_address;  // 10.x.y.z: spread over the 65536 /24s of 10/8
  std::string client_name;
  std::string sender;
  std::string recipient;
};

/// Fills `out` (reusing its capacity) with the triplet number `index` of `kind`.
void make_triplet(Triplet& out, std::string_view tag, Kind kind, std::uint64_t index);

/// Appends `value` in bijective base 26 ("a".."z", "aa", ...): a digit-free name part.
void append_letters(std::string& out, std::uint64_t value);

/// SplitMix64: the one mixing function used for spreading and random choices.
inline std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace bench
