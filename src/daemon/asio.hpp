#pragma once
// The one way into Asio. Boost 1.74's coroutine support needs <utility> first with GCC 12,
// and keeping Asio to the few files that include this keeps builds fast.
#include <utility>

#include <boost/asio.hpp>

namespace grayling {
namespace asio = boost::asio;
using error_code = boost::system::error_code;
}  // namespace grayling
