#include "grayling/core/policy_request.hpp"

namespace grayling {

void PolicyRequest::set(std::string_view name, std::string_view value) {
  if (text_.empty()) {
    text_.reserve(1024);
    attributes_.reserve(32);
  }
  const auto value_at = static_cast<std::uint32_t>(text_.size());
  for (auto& attribute : attributes_) {
    if (name_of(attribute) == name) {
      // Repeats are rare and bounded by the request size cap: append, never shuffle.
      text_.append(value);
      attribute.value_at = value_at;
      attribute.value_size = static_cast<std::uint32_t>(value.size());
      return;
    }
  }
  text_.append(name);
  text_.append(value);
  attributes_.push_back({value_at, static_cast<std::uint32_t>(name.size()),
                         value_at + static_cast<std::uint32_t>(name.size()),
                         static_cast<std::uint32_t>(value.size())});
}

std::optional<std::string_view> PolicyRequest::get(std::string_view name) const {
  for (const auto& attribute : attributes_) {
    if (name_of(attribute) == name) return value_of(attribute);
  }
  return std::nullopt;
}

std::string_view PolicyRequest::value(std::string_view name) const {
  return get(name).value_or(std::string_view{});
}

}  // namespace grayling
