#include "grayling/spf/check.hpp"

#include <cmath>
#include <utility>

#include "answer_book.hpp"
#include "grayling/spf/address_names.hpp"
#include "grayling/spf/domain_name.hpp"
#include "mechanism_lookups.hpp"

namespace grayling::spf {
namespace {

using detail::Outcome;

// The network "all" vouches for: the whole of the client's family.
IpNetwork everything(const IpAddress& client) {
  IpNetwork network;
  network.address.family = client.family;
  return network;
}

// How many addresses of the client's family the "+" ip4 and ip6 of `record` name.
double addresses_vouched(const Record& record, const IpAddress& client) {
  const int bits = client.family == IpAddress::Family::v4 ? 32 : 128;
  double sum = 0;
  for (const Directive& directive : record.directives) {
    const bool network = directive.kind == MechanismKind::ip4 || directive.kind == MechanismKind::ip6;
    if (network && directive.qualifier == Qualifier::pass && directive.network.address.family == client.family) {
      sum += std::ldexp(1.0, bits - directive.network.prefix);
    }
  }
  return sum;
}

}  // namespace

Check::Check(const IpAddress& client, std::string_view sender, std::string_view helo, Options options)
    : client_(client.unmapped()), options_(std::move(options)), book_(std::make_unique<detail::AnswerBook>()) {
  // RFC 7208 4.3: a missing local part is "postmaster"; with MAIL FROM <> the HELO
  // identity is checked as postmaster@HELO.
  std::string_view local = "postmaster";
  std::string_view domain = helo;
  if (!sender.empty()) {
    const std::size_t at = sender.rfind('@');
    domain = at == std::string_view::npos ? sender : sender.substr(at + 1);
    if (at != std::string_view::npos && at > 0) local = sender.substr(0, at);
  }
  const bool checkable = is_checkable_domain(domain);
  checked_domain_ = std::string(without_trailing_dot(domain));

  values_.sender = std::string(local) + "@" + checked_domain_;
  values_.local_part = std::string(local);
  values_.sender_domain = checked_domain_;
  values_.ip = dotted_address(client_);
  values_.ip_version = std::string(reverse_zone_label(client_));
  values_.helo = std::string(helo);
  values_.client = client_.to_string();
  values_.receiver = options_.receiver;
  values_.timestamp = std::to_string(options_.timestamp);

  if (!checkable) {
    // RFC 7208 4.3: a malformed or single-label domain gives "none" without a lookup.
    conclude({Code::none, std::nullopt, "\"" + checked_domain_ + "\" is not a domain SPF can check", {}, {}});
    return;
  }
  frames_.push_back(Frame{checked_domain_, {}, false, std::nullopt, 0, false});
}

Check::~Check() = default;
Check::Check(Check&&) noexcept = default;
Check& Check::operator=(Check&&) noexcept = default;

Check::Step Check::step() {
  while (!result_) {
    if (!advance()) {
      std::vector<DnsQuery> missing = book_->take_missing();
      if (!missing.empty()) return missing;
      // Unreachable unless a lookup helper is wrong; never leave the caller waiting.
      conclude({Code::temperror, std::nullopt, "SPF evaluation stalled", {}, {}});
    }
    book_->take_missing();  // what a finished unit noted but did not need
  }
  return *result_;
}

void Check::answer(const DnsQuery& query, DnsAnswer answer) { book_->add(query, std::move(answer)); }

// Does one unit of work (fetch a record, evaluate a term, follow a redirect, fetch the
// explanation). Returns false, changing nothing, when answers are missing for it: the
// unit is then redone from its start once they are there.
bool Check::advance() {
  if (explaining_) return explain();
  const Frame& frame = frames_.back();
  if (!frame.record) return fetch_record();
  if (frame.term < frame.record->directives.size()) return evaluate_term();
  return follow_redirect();
}

bool Check::fetch_record() {
  Frame& frame = frames_.back();
  const auto name = query_name(frame.domain);
  if (!name) {
    finish_frame({Code::none, std::nullopt, "\"" + frame.domain + "\" is not a valid domain name", {}, {}});
    return true;
  }
  const DnsAnswer* answer = book_->find({*name, DnsType::txt});
  if (!answer) return false;
  if (answer->failed()) {
    finish_frame({Code::temperror, std::nullopt, "TXT lookup of " + *name + " failed", {}, {}});
    return true;
  }
  std::vector<std::string_view> records;
  for (const std::string& txt : answer->data()) {
    if (is_spf_record(txt)) records.push_back(txt);
  }
  if (records.size() != 1) {
    // RFC 7208 4.5: none is "none", more than one is a permerror.
    const bool none = records.empty();
    finish_frame({none ? Code::none : Code::permerror, std::nullopt,
                  (none ? "no SPF record at " : "more than one SPF record at ") + *name, {}, {}});
    return true;
  }
  std::string error;
  frame.record = parse_record(records.front(), error);
  if (!frame.record) {
    finish_frame({Code::permerror, std::nullopt, "SPF record of " + *name + ": " + error, {}, {}});
    return true;
  }
  frame.vouched += addresses_vouched(*frame.record, client_);
  return true;
}

// Counts the current term against the limit of DNS lookups, once however often the term
// is redone. Returns false, after finishing with a permerror, past the limit.
bool Check::count_dns_mechanism() {
  Frame& frame = frames_.back();
  if (frame.counted) return true;
  frame.counted = true;
  if (++dns_mechanisms_ <= options_.max_dns_mechanisms) return true;
  finish_frame({Code::permerror, std::nullopt,
                "more than " + std::to_string(options_.max_dns_mechanisms) + " DNS lookups", {}, {}});
  return false;
}

bool Check::evaluate_term() {
  const Frame& frame = frames_.back();
  const Directive& directive = frame.record->directives[frame.term];
  if (directive.needs_dns() && !count_dns_mechanism()) return true;

  std::string target = frame.domain;
  if (directive.target) {
    std::string expanded;
    if (!expand(*directive.target, frame.domain, expanded)) return false;
    target = fit_name(expanded);
  }

  if (directive.kind == MechanismKind::include) {
    // The included record is evaluated as a check_host() of its own; finish_frame() hands
    // its verdict back to this term.
    frames_.push_back(Frame{target, target, false, std::nullopt, 0, false});
    return true;
  }

  Outcome outcome;
  const auto name = query_name(target);
  const int prefix = client_.family == IpAddress::Family::v4 ? directive.cidr4 : directive.cidr6;
  switch (directive.kind) {
    case MechanismKind::all: outcome = {Outcome::Kind::match, everything(client_), false, {}}; break;
    case MechanismKind::ip4:
    case MechanismKind::ip6:
      if (directive.network.contains(client_)) outcome = {Outcome::Kind::match, directive.network, false, {}};
      break;
    case MechanismKind::a:
      // A target that cannot be a DNS name does not exist (RFC 7208 4.3 by analogy).
      if (name) outcome = detail::match_a(*book_, client_, *name, prefix);
      break;
    case MechanismKind::mx:
      if (name) outcome = detail::match_mx(*book_, client_, *name, prefix);
      break;
    case MechanismKind::exists:
      if (name) outcome = detail::match_exists(*book_, *name);
      break;
    case MechanismKind::ptr: outcome = detail::match_ptr(*book_, client_, target); break;
    case MechanismKind::include: break;
  }

  if (outcome.kind == Outcome::Kind::blocked) return false;
  if (directive.qualifier == Qualifier::pass) frames_.back().vouched += outcome.addresses;
  if (outcome.void_lookup && ++void_lookups_ > options_.max_void_lookups) {
    finish_frame({Code::permerror, std::nullopt,
                  "more than " + std::to_string(options_.max_void_lookups) + " void lookups", {}, {}});
    return true;
  }
  switch (outcome.kind) {
    case Outcome::Kind::match:
      finish_frame({code_of(directive.qualifier),
                    Matched{directive.kind, outcome.network, directive.text, frame.domain, {}, vouched_on_the_way()},
                    {},
                    frame.record->explanation,
                    frame.domain});
      break;
    case Outcome::Kind::temperror:
    case Outcome::Kind::permerror:
      finish_frame({outcome.kind == Outcome::Kind::temperror ? Code::temperror : Code::permerror, std::nullopt,
                    std::move(outcome.problem), {}, {}});
      break;
    default: next_term();
  }
  return true;
}

void Check::next_term() {
  Frame& frame = frames_.back();
  ++frame.term;
  frame.counted = false;
}

// After the last directive without a match: redirect= if there is one, else "neutral"
// (RFC 7208 4.7).
bool Check::follow_redirect() {
  const Frame& frame = frames_.back();
  if (!frame.record->redirect) {
    finish_frame({Code::neutral, std::nullopt, {}, {}, {}});
    return true;
  }
  if (!count_dns_mechanism()) return true;
  std::string expanded;
  if (!expand(*frame.record->redirect, frame.domain, expanded)) return false;
  const std::string target(fit_name(expanded));
  // The target's record takes this one's place: its result is this check_host()'s result,
  // and this record's exp= no longer applies (RFC 7208 6.1, 6.2).
  // Its networks still count towards the breadth of what the domain vouches for.
  frames_.back() = Frame{target, frame.included_as, true, std::nullopt, 0, false, frame.vouched};
  return true;
}

double Check::vouched_on_the_way() const {
  double sum = 0;
  for (const Frame& frame : frames_) sum += frame.vouched;
  return sum;
}

// Ends the innermost check_host() with `verdict`, and hands it to the include: term that
// started it, which may end its own check_host() in turn (RFC 7208 5.2).
void Check::finish_frame(Verdict verdict) {
  while (true) {
    Frame done = std::move(frames_.back());
    frames_.pop_back();
    if (done.via_redirect && verdict.code == Code::none) {
      verdict = {Code::permerror, std::nullopt, "redirect to " + done.domain + ", which has no SPF record", {}, {}};
    }
    if (frames_.empty()) {
      conclude(std::move(verdict));
      return;
    }
    const Frame& parent = frames_.back();
    const Directive& include = parent.record->directives[parent.term];
    switch (verdict.code) {
      case Code::pass:
        if (verdict.matched) verdict.matched->includes.insert(verdict.matched->includes.begin(), done.included_as);
        verdict = {code_of(include.qualifier), std::move(verdict.matched), {}, parent.record->explanation,
                   parent.domain};
        break;
      case Code::fail:
      case Code::softfail:
      case Code::neutral: next_term(); return;
      case Code::none:
        verdict = {Code::permerror, std::nullopt, "include:" + done.included_as + " has no SPF record", {}, {}};
        break;
      case Code::temperror:
      case Code::permerror: break;
    }
  }
}

void Check::conclude(Verdict verdict) {
  if (verdict.code == Code::fail && verdict.explanation && options_.explain) {
    explaining_ = std::move(verdict);
    return;
  }
  result_ = Result{verdict.code, checked_domain_, {}, std::move(verdict.matched), std::move(verdict.problem),
                   dns_mechanisms_, void_lookups_};
}

// RFC 7208 6.2: the explanation of a "fail". Anything wrong with it (a bad name, a failed
// lookup, other than one TXT record, a syntax error, non-ASCII text) only means there is
// none; its lookup counts against no limit.
bool Check::explain() {
  const Verdict& verdict = *explaining_;
  std::string target;
  if (!expand(*verdict.explanation, verdict.explanation_domain, target)) return false;
  std::string explanation;
  if (const auto name = query_name(target)) {
    const DnsAnswer* answer = book_->find({*name, DnsType::txt});
    if (!answer) return false;
    std::string error;
    const auto text = answer->data().size() == 1
                          ? parse_macro_string(answer->data().front(), MacroContext::explanation, error)
                          : std::nullopt;
    if (text && !expand(*text, verdict.explanation_domain, explanation)) return false;
  }
  Verdict done = std::move(*explaining_);
  explaining_.reset();
  result_ = Result{done.code, checked_domain_, std::move(explanation), std::move(done.matched), {},
                   dns_mechanisms_, void_lookups_};
  return true;
}

// Expands `macros` with <domain> = `domain`, resolving %{p} first if it is used. Returns
// false while the lookups %{p} needs are unanswered.
bool Check::expand(const MacroString& macros, const std::string& domain, std::string& out) {
  MacroValues values = values_;
  values.domain = domain;
  if (macros.uses('p')) {
    auto name = detail::validated_name(*book_, client_, domain);
    if (!name) return false;
    values.validated_name = std::move(*name);
  }
  out = spf::expand(macros, values);
  return true;
}

}  // namespace grayling::spf
