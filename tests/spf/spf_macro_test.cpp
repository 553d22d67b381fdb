// Macro-strings at the edges: RFC 7208 7.4's examples, transformers, URL escaping, and the
// syntax rules of each place a macro-string can be written.
#include <gtest/gtest.h>

#include "grayling/spf/address_names.hpp"
#include "grayling/spf/domain_name.hpp"
#include "grayling/spf/macro_string.hpp"

namespace grayling::spf {
namespace {

// RFC 7208 7.4's sender and client.
MacroValues rfc_values(const char* client = "192.0.2.3") {
  const IpAddress address = *IpAddress::parse(client);
  MacroValues values;
  values.sender = "strong-bad@email.example.com";
  values.local_part = "strong-bad";
  values.sender_domain = "email.example.com";
  values.domain = "email.example.com";
  values.ip = dotted_address(address);
  values.ip_version = std::string(reverse_zone_label(address));
  values.client = address.to_string();
  values.validated_name = "mx.example.org";
  values.helo = "mx.example.org";
  values.receiver = "mx.example.com";
  values.timestamp = "1700000000";
  return values;
}

std::string expanded(const std::string& text, const MacroValues& values = rfc_values(),
                     MacroContext context = MacroContext::domain_spec) {
  std::string error;
  const auto macros = parse_macro_string(text, context, error);
  if (!macros) return "error: " + error;
  return expand(*macros, values);
}

bool parses(const std::string& text, MacroContext context) {
  std::string error;
  return parse_macro_string(text, context, error).has_value();
}

TEST(SpfMacro, Rfc7208Examples) {
  const std::pair<const char*, const char*> examples[] = {
      {"%{s}", "strong-bad@email.example.com"},
      {"%{o}", "email.example.com"},
      {"%{d}", "email.example.com"},
      {"%{d4}", "email.example.com"},
      {"%{d3}", "email.example.com"},
      {"%{d2}", "example.com"},
      {"%{d1}", "com"},
      {"%{dr}", "com.example.email"},
      {"%{d2r}", "example.email"},
      {"%{l}", "strong-bad"},
      {"%{l-}", "strong.bad"},
      {"%{lr}", "strong-bad"},
      {"%{lr-}", "bad.strong"},
      {"%{l1r-}", "strong"},
      {"%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
      {"%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
      {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
      {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"},
      {"%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
  };
  for (const auto& [text, result] : examples) EXPECT_EQ(expanded(text), result) << text;
}

TEST(SpfMacro, Rfc7208Ipv6Example) {
  // The RFC prints the nibbles in lower case; they are upper case here, as the conformance
  // suite's explanations expect. DNS names are case-insensitive.
  const std::string name = expanded("%{ir}.%{v}._spf.%{d2}", rfc_values("2001:db8::cb01"));
  EXPECT_TRUE(equal_ignoring_case(
      name, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"))
      << name;
  EXPECT_EQ(expanded("%{c}", rfc_values("2001:db8::cb01"), MacroContext::explanation), "2001:db8::cb01");
}

TEST(SpfMacro, EscapesAndUpperCaseLetters) {
  EXPECT_EQ(expanded("a%%b%_c%-d.example.com"), "a%b c%20d.example.com");
  MacroValues values = rfc_values();
  values.local_part = "~jack&jill=up-a_b3.c";
  EXPECT_EQ(expanded("%{L}.example.com", values), "~jack%26jill%3Dup-a_b3.c.example.com");
  EXPECT_EQ(expanded("%{l}.example.com", values), "~jack&jill=up-a_b3.c.example.com");
  values.local_part = "a b/\xC3\xA9";
  EXPECT_EQ(expanded("%{L}.example.com", values), "a%20b%2F%C3%A9.example.com");
  EXPECT_EQ(expanded("%{D2R}"), "example.email");  // the R transformer in upper case too
}

TEST(SpfMacro, Transformers) {
  MacroValues values = rfc_values();
  values.local_part = "foo-bar+zip+quux";
  EXPECT_EQ(expanded("%{l2r+-}.example.com", values), "bar.foo.example.com");
  EXPECT_EQ(expanded("%{l+-}.example.com", values), "foo.bar.zip.quux.example.com");
  EXPECT_EQ(expanded("%{l99}.example.com", values), "foo-bar+zip+quux.example.com");  // more than there are
  EXPECT_EQ(expanded("%{l123456789012}.example.com", values), "foo-bar+zip+quux.example.com");
  values.local_part = "a..b";  // empty parts are kept
  EXPECT_EQ(expanded("%{lr}.example.com", values), "b..a.example.com");
  EXPECT_EQ(expanded("%{l1}.example.com", values), "b.example.com");
  values.local_part = "x,y/z_w=v";
  EXPECT_EQ(expanded("%{lr,/_=}.example.com", values), "v.w.z.y.x.example.com");
}

TEST(SpfMacro, ExplanationOnlyLetters) {
  for (const char* text : {"%{c}.example.com", "%{r}.example.com", "%{t}.example.com"}) {
    EXPECT_FALSE(parses(text, MacroContext::domain_spec)) << text;
    EXPECT_TRUE(parses(text, MacroContext::modifier)) << text;
    EXPECT_TRUE(parses(text, MacroContext::explanation)) << text;
  }
  EXPECT_EQ(expanded("%{c} via %{r} at %{t}", rfc_values(), MacroContext::explanation),
            "192.0.2.3 via mx.example.com at 1700000000");
}

TEST(SpfMacro, SyntaxErrors) {
  for (const char* text : {"%", "%a", "%(d)", "foo%.example.com", "%{d", "%{}", "%{x}.example.com", "%{d0}.example.com",
                           "%{dq}.example.com", "%{d2rr}.example.com", "%{d r}.example.com", "a b.example.com",
                           "a\tb.example.com", "a\x7f.example.com", "caf\xC3\xA9.example.com", "x.example.com\r"}) {
    EXPECT_FALSE(parses(text, MacroContext::domain_spec)) << text;
  }
  EXPECT_TRUE(parses("spaces are fine here, %{l}.", MacroContext::explanation));
  EXPECT_FALSE(parses("but not non-ASCII \xEF\xBB\xBF", MacroContext::explanation));
  EXPECT_FALSE(parses("%{x}", MacroContext::explanation));
  EXPECT_FALSE(parses("nor %z", MacroContext::explanation));
}

TEST(SpfMacro, DomainSpecEnd) {
  for (const char* good : {"example.com", "example.com.", "%{d}", "foo.%{d}", "x.xn--zckzah", "a.b-2",
                           "foo:bar/baz.example.com", ".com", "x.y%%", "mail.example...com"}) {
    EXPECT_TRUE(parses(good, MacroContext::domain_spec)) << good;
  }
  for (const char* bad : {"", "museum", "museum.", "example.com:8080", "example.-com", "example.com-", "abc.123",
                          "1.2.3.4", "%{d}com", "example.com/24", "example..", "foo-bar",
                          "%{d}."}) {  // a "." after the last macro must start a toplabel
    EXPECT_FALSE(parses(bad, MacroContext::domain_spec)) << bad;
  }
}

TEST(SpfMacro, UsesNamesTheLettersPresent) {
  std::string error;
  const auto macros = parse_macro_string("%{p}.%{ir}.example.com", MacroContext::domain_spec, error);
  ASSERT_TRUE(macros);
  EXPECT_TRUE(macros->uses('p'));
  EXPECT_TRUE(macros->uses('i'));
  EXPECT_FALSE(macros->uses('d'));
}

TEST(SpfDomainName, QueryNamesAreTruncatedFromTheLeftAndChecked) {
  std::string long_name;
  for (int i = 0; i < 30; ++i) long_name += "label" + std::to_string(i) + ".";
  long_name += "example.com.";
  const auto name = query_name(long_name);
  ASSERT_TRUE(name);
  EXPECT_LE(name->size(), 253u);
  EXPECT_TRUE(long_name.find(*name) != std::string::npos);
  EXPECT_EQ(name->substr(0, 5), "label");  // whole labels removed
  EXPECT_EQ(query_name("Mail.Example.COM."), "mail.example.com");
  EXPECT_FALSE(query_name("a..b"));
  EXPECT_FALSE(query_name(std::string(64, 'a') + ".com"));
  EXPECT_FALSE(query_name(std::string(300, 'a')));  // no label to remove
  EXPECT_FALSE(query_name("."));
  EXPECT_TRUE(is_within("Host.Example.org.", "example.ORG"));
  EXPECT_FALSE(is_within("badexample.org", "example.org"));
}

TEST(SpfAddressNames, ReverseLookupNames) {
  EXPECT_EQ(reverse_lookup_name(*IpAddress::parse("192.0.2.1")), "1.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverse_lookup_name(*IpAddress::parse("2001:db8::1")),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}

}  // namespace
}  // namespace grayling::spf
