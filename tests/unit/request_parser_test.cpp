#include <gtest/gtest.h>
#include "grayling/request_parser.hpp"
TEST(RequestParser, Placeholder) {}
