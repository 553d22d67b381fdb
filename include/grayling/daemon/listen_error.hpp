#pragma once
/// The one error every listener problem becomes: the daemon logs it and does not start.

#include <stdexcept>

namespace grayling {

/// A listener could not be set up; the message names the address and the reason.
class ListenError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace grayling
