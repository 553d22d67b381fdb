/// grayling-delivery: delivery outcomes of a synthetic day of mail under postgrey-like and
/// grayling configurations (bench/delivery/README.md). Wiring only.

#include <cstdio>
#include <exception>

#include "delivery_driver.hpp"
#include "delivery_options.hpp"

int main(int argc, char** argv) {
  int exit_code = 0;
  const auto options = delivery::parse_delivery_options(argc, argv, exit_code);
  if (!options) return exit_code;
  try {
    return delivery::run_delivery_benchmark(*options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "grayling-delivery: %s\n", e.what());
    return 1;
  }
}
