#include "grayling/policy_request.hpp"

namespace grayling {

void PolicyRequest::set(std::string_view name, std::string_view value) {
  for (auto& attribute : attributes_) {
    if (attribute.name == name) {
      attribute.value.assign(value);
      return;
    }
  }
  attributes_.push_back({std::string(name), std::string(value)});
}

std::optional<std::string_view> PolicyRequest::get(std::string_view name) const {
  for (const auto& attribute : attributes_) {
    if (attribute.name == name) return std::string_view(attribute.value);
  }
  return std::nullopt;
}

std::string_view PolicyRequest::value(std::string_view name) const {
  return get(name).value_or(std::string_view{});
}

}  // namespace grayling
