#pragma once
/// postgrey 1.37's sender normalisation, copied here because the engine's normalize_sender
/// now always replaces hex ids and UUIDs: configurations "without hex normalisation" key
/// senders by this instead. grayling before issue 11 also unwrapped SRS senders; the trace
/// has none, so on it this is grayling's old normalisation too.

#include <string>
#include <string_view>

namespace delivery {

/// BATV prvs= tag removed, +extension stripped, word-bounded digit runs replaced by '#';
/// only in the local part, and only when there is an '@'.
[[nodiscard]] std::string postgrey_normalize_sender(std::string_view sender);

}  // namespace delivery
