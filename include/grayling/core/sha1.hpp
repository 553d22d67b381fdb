#pragma once
/// SHA-1 (FIPS 180-4), for postgrey-compatible --privacy keys and for compact store keys.
/// Not used for anything that needs collision resistance against a chosen-prefix attacker.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace grayling {

using Sha1Digest = std::array<std::uint8_t, 20>;

/// The SHA-1 digest of `data`.
[[nodiscard]] Sha1Digest sha1(std::string_view data);

/// Lower-case hex of the SHA-1 digest, as Perl's Digest::SHA::sha1_hex.
[[nodiscard]] std::string sha1_hex(std::string_view data);

}  // namespace grayling
