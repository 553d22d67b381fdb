#pragma once
/// SHA-1 (FIPS 180-4), for postgrey-compatible --privacy keys and for compact store keys.
/// Not used for anything that needs collision resistance against a chosen-prefix attacker.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of every includer

namespace grayling {

using Sha1Digest = std::array<std::uint8_t, 20>;

/// The SHA-1 digest of `data`.
[[nodiscard]] Sha1Digest sha1(std::string_view data);

/// SHA-1 for a caller that hashes a lot on one thread: keeps its OpenSSL context between
/// calls instead of allocating one per digest (a fifth less time per 60-byte key).
class Sha1Hasher {
 public:
  Sha1Hasher();
  ~Sha1Hasher();
  Sha1Hasher(const Sha1Hasher&) = delete;
  Sha1Hasher& operator=(const Sha1Hasher&) = delete;

  [[nodiscard]] Sha1Digest digest(std::string_view data);

 private:
  evp_md_ctx_st* context_;
};

/// Lower-case hex of the SHA-1 digest, as Perl's Digest::SHA::sha1_hex.
[[nodiscard]] std::string sha1_hex(std::string_view data);

}  // namespace grayling
