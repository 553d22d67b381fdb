#pragma once
/// One policy request as Postfix sent it: an ordered set of name=value attributes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grayling {

/// A request's attributes. A repeated name keeps the last value, as postgrey does.
/// All text lives in one buffer: a request costs two allocations, not two per attribute.
class PolicyRequest {
 public:
  /// Sets an attribute, replacing an earlier value of the same name.
  void set(std::string_view name, std::string_view value);

  /// The value of an attribute, or nullopt when Postfix did not send it.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const;

  /// The value of an attribute, empty when absent (Postfix sends "name=" for unknown values).
  [[nodiscard]] std::string_view value(std::string_view name) const;

  [[nodiscard]] bool has(std::string_view name) const { return get(name).has_value(); }
  [[nodiscard]] std::size_t size() const { return attributes_.size(); }
  [[nodiscard]] bool empty() const { return attributes_.empty(); }

 private:
  struct Attribute {
    std::uint32_t name_at, name_size, value_at, value_size;
  };
  [[nodiscard]] std::string_view name_of(const Attribute& a) const { return {text_.data() + a.name_at, a.name_size}; }
  [[nodiscard]] std::string_view value_of(const Attribute& a) const {
    return {text_.data() + a.value_at, a.value_size};
  }

  std::string text_;
  // A flat vector beats a map here: Postfix sends ~40 attributes and the count is capped.
  std::vector<Attribute> attributes_;
};

}  // namespace grayling
