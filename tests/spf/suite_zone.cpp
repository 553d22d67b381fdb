#include "suite_zone.hpp"

#include "grayling/spf/domain_name.hpp"

namespace grayling::spf::test {
namespace {

// CNAME chains longer than this are a failure, as a loop is.
constexpr int kMaxCnameChain = 10;

std::string canonical(const std::string& name) { return to_lower(without_trailing_dot(name)); }

// A TXT or SPF record: one string, or a list of strings joined without separator.
std::string text_of(const YAML::Node& value) {
  if (!value.IsSequence()) return value.as<std::string>();
  std::string text;
  for (const auto& piece : value) text += piece.as<std::string>();
  return text;
}

}  // namespace

SuiteZone::SuiteZone(const YAML::Node& zonedata) {
  for (const auto& name : zonedata) {
    std::vector<Entry> entries;
    bool own_txt = false;
    for (const auto& record : name.second) {
      if (record.IsScalar()) {  // TIMEOUT
        entries.push_back({"", record.as<std::string>()});
        continue;
      }
      for (const auto& field : record) {
        const auto type = field.first.as<std::string>();
        const YAML::Node& value = field.second;
        if (type == "TXT") own_txt = true;
        if (value.IsScalar() && value.as<std::string>() == "NONE") continue;
        if (type == "MX") {
          const auto host = value[1].as<std::string>();
          entries.push_back({type, value[0].as<std::string>() + " " + (host.empty() ? "." : host)});
        } else if (type == "TXT" || type == "SPF") {
          entries.push_back({type, text_of(value)});
        } else {
          entries.push_back({type, value.as<std::string>()});
        }
      }
    }
    for (Entry& entry : entries) {
      if (entry.type == "SPF") entry.type = own_txt ? "SPF99" : "TXT";  // type 99 is never asked for
    }
    auto& list = names_[canonical(name.first.as<std::string>())];
    list.insert(list.end(), entries.begin(), entries.end());
  }
}

DnsAnswer SuiteZone::lookup(const DnsQuery& query) const {
  return lookup(canonical(query.name), std::string(to_string(query.type)), 0);
}

DnsAnswer SuiteZone::lookup(const std::string& name, const std::string& type, int depth) const {
  if (depth > kMaxCnameChain || !is_valid_dns_name(name)) return DnsAnswer::of(DnsAnswer::Status::error);
  const auto found = names_.find(name);
  if (found == names_.end()) return DnsAnswer::of(DnsAnswer::Status::nxdomain);
  std::vector<std::string> records;
  std::string cname;
  for (const Entry& entry : found->second) {
    if (entry.type.empty()) {  // TIMEOUT
      if (records.empty()) return DnsAnswer::of(DnsAnswer::Status::timeout);
      break;
    }
    if (entry.type == type) records.push_back(entry.value);
    if (entry.type == "CNAME") cname = canonical(entry.value);
  }
  if (!records.empty()) return DnsAnswer::with(std::move(records));
  if (!cname.empty()) return lookup(cname, type, depth + 1);
  return DnsAnswer::of(DnsAnswer::Status::no_data);
}

}  // namespace grayling::spf::test
