#include "grayling/dns/dns_health.hpp"

namespace grayling::dns {

bool DnsHealth::may_ask(Clock::time_point now) {
  if (!paused_) return true;
  if (now < resume_at_ || probing_) return false;
  probing_ = true;  // this request is the probe
  ++probe_;
  return true;
}

void DnsHealth::end_probe(std::uint64_t probe) {
  // Still paused, and resume_at_ is past: the next request that may ask is the probe.
  if (probing_ && probe == probe_) probing_ = false;
}

void DnsHealth::record(bool timely, Clock::time_point now) {
  if (paused_) {
    if (!probing_) return;  // a straggler from before the pause
    probing_ = false;
    if (timely) {
      paused_ = false;  // back: judge afresh
      recent_.clear();
      late_ = 0;
    } else {
      resume_at_ = now + settings_.pause;
    }
    return;
  }
  recent_.push_back(!timely);
  late_ += !timely;
  if (recent_.size() > settings_.window) {
    late_ -= recent_.front();
    recent_.pop_front();
  }
  if (late_ > settings_.most_late) {
    paused_ = true;
    resume_at_ = now + settings_.pause;
  }
}

}  // namespace grayling::dns
