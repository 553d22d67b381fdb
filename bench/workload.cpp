/// Request text and the per-workload choice of triplets (workload.hpp).

#include "workload.hpp"

#include <charconv>

namespace bench {

namespace {

void append_hex(std::string& out, std::uint64_t value) {
  char text[20];
  const auto result = std::to_chars(text, text + sizeof text, value, 16);
  out.append(text, result.ptr);
}

// Postfix's instance attribute is "pid.sec.usec.count"; ours: thread and sequence number.
std::uint64_t first_instance(unsigned thread_index) { return static_cast<std::uint64_t>(thread_index + 1) << 40; }

}  // namespace

void append_request(std::string& out, const Triplet& triplet, std::uint64_t instance) {
  out.append("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\nclient_address=");
  out.append(triplet.client_address);
  out.append("\nclient_name=").append(triplet.client_name);
  out.append("\nreverse_client_name=").append(triplet.client_name);
  out.append("\nclient_port=41234\nhelo_name=").append(triplet.client_name);
  out.append("\nsender=").append(triplet.sender);
  out.append("\nrecipient=").append(triplet.recipient);
  out.append("\nrecipient_count=0\nqueue_id=\ninstance=");
  append_hex(out, instance >> 40);
  out.push_back('.');
  append_hex(out, instance & ((1ULL << 40) - 1));
  out.append(".0\nsize=0\netrn_domain=\nsasl_method=\nencryption_protocol=TLSv1.3\n"
             "encryption_cipher=TLS_AES_256_GCM_SHA384\nserver_port=25\n\n");
}

SetupSource::SetupSource(const Options& options, std::atomic<std::uint64_t>& cursor, unsigned thread_index,
                         unsigned round)
    : options_(options), cursor_(cursor), instance_(first_instance(thread_index) + (std::uint64_t{round} << 32)) {}

bool SetupSource::next(std::string& out) {
  const std::uint64_t index = cursor_.fetch_add(1, std::memory_order_relaxed);
  if (index >= options_.known) return false;
  make_triplet(triplet_, options_.tag, Kind::known, index);
  out.clear();
  append_request(out, triplet_, ++instance_);
  return true;
}

WorkloadSource::WorkloadSource(const Options& options, unsigned thread_index, unsigned thread_count)
    : options_(options),
      rng_(mix64(thread_index + 1) ^ static_cast<std::uint64_t>(options.tag.size())),
      fresh_next_(thread_index),
      whitelist_next_(thread_index),
      stride_(thread_count),
      instance_(first_instance(thread_index) + (1ULL << 39)) {}  // apart from the setup's

bool WorkloadSource::next(std::string& out) {
  rng_ = mix64(rng_);
  Kind kind = Kind::fresh;
  switch (options_.workload) {
    case Workload::fresh: kind = Kind::fresh; break;
    case Workload::known: kind = Kind::known; break;
    case Workload::whitelisted: kind = Kind::whitelisted; break;
    case Workload::mix: {
      const std::uint64_t percent = rng_ % 100;
      kind = percent < 30 ? Kind::fresh : percent < 90 ? Kind::known : Kind::whitelisted;
      break;
    }
  }
  std::uint64_t index = 0;
  if (kind == Kind::fresh) {
    index = fresh_next_;
    fresh_next_ += stride_;
  } else if (kind == Kind::whitelisted) {
    index = whitelist_next_;
    whitelist_next_ += stride_;
  } else {
    index = (rng_ >> 8) % options_.known;
  }
  make_triplet(triplet_, options_.tag, kind, index);
  out.clear();
  append_request(out, triplet_, ++instance_);
  return true;
}

}  // namespace bench
