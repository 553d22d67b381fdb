#include "postgrey_sender.hpp"

namespace delivery {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

// postgrey's tag test: ten characters from [0-9a-z] at the start.
bool looks_like_tag(std::string_view part) {
  if (part.size() < 10) return false;
  for (const char c : part.substr(0, 10)) {
    if (!is_digit(c) && !(c >= 'a' && c <= 'z')) return false;
  }
  return true;
}

// prvs=TAG=user or prvs=user=TAG: keep the part that is not the tag (the third when unsure).
std::string_view strip_batv(std::string_view local) {
  if (!local.starts_with("prvs=")) return local;
  const std::string_view rest = local.substr(5);
  const std::size_t equals = rest.find('=');
  if (equals == std::string_view::npos || rest.find('=', equals + 1) != std::string_view::npos) return local;
  const std::string_view second = rest.substr(0, equals);
  const std::string_view third = rest.substr(equals + 1);
  return looks_like_tag(third) && !looks_like_tag(second) ? second : third;
}

}  // namespace

std::string postgrey_normalize_sender(std::string_view sender) {
  const std::size_t at = sender.find('@');
  if (at == std::string_view::npos) return std::string(sender);
  std::string_view local = strip_batv(sender.substr(0, at));
  if (const std::size_t plus = local.find('+'); plus != std::string_view::npos) local = local.substr(0, plus);
  std::string out;
  for (std::size_t i = 0; i < local.size();) {
    if (!is_digit(local[i])) {
      out.push_back(local[i++]);
      continue;
    }
    std::size_t end = i;
    while (end < local.size() && is_digit(local[end])) ++end;
    const bool bounded = (i == 0 || !is_word(local[i - 1])) && (end == local.size() || !is_word(local[end]));
    if (bounded) {
      out.push_back('#');
    } else {
      out.append(local.substr(i, end - i));
    }
    i = end;
  }
  out.append(sender.substr(at));
  return out;
}

}  // namespace delivery
