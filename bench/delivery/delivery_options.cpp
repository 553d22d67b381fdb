#include "delivery_options.hpp"

#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string_view>

namespace delivery {

namespace {

constexpr const char* kUsage =
    "usage: grayling-delivery [options]\n"
    "Replays a synthetic day of mail (legitimate senders by class, and spam) through the real\n"
    "greylisting engine under several configurations, with a simulated clock, and prints\n"
    "delivery outcomes per class as Markdown.\n"
    "  --seed=N                     trace seed (1)\n"
    "  --legitimate=N               legitimate messages (1200)\n"
    "  --spam=N                     spam messages (5000)\n"
    "  --days=N                     days simulated (5)\n"
    "  --delay=S                    greylisting delay in seconds (300)\n"
    "  --auto-whitelist-clients=N   passes before a client is auto-whitelisted, 0 off (5)\n"
    "  --whitelist-clients=FILE     the shipped client whitelist (etc/whitelist_clients)\n"
    "  --whitelist-recipients=FILE  the shipped recipient whitelist (etc/whitelist_recipients)\n"
    "  --json=FILE                  also write the results as JSON; '-' prints JSON instead\n"
    "  --check                      exit with status 2 when a target does not hold\n";

}  // namespace

std::optional<DeliveryOptions> parse_delivery_options(int argc, char** argv, int& exit_code) {
  DeliveryOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const std::size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const std::string value(equals == std::string_view::npos ? std::string_view{} : arg.substr(equals + 1));
    try {
      if (name == "--help" || name == "-h") {
        std::fputs(kUsage, stdout);
        exit_code = 0;
        return std::nullopt;
      }
      if (name == "--seed")
        options.seed = std::stoull(value);
      else if (name == "--legitimate" || name == "--legit")
        options.legitimate = std::stoull(value);
      else if (name == "--spam")
        options.spam = std::stoull(value);
      else if (name == "--days")
        options.days = std::stoll(value);
      else if (name == "--delay")
        options.delay = std::stoll(value);
      else if (name == "--auto-whitelist-clients")
        options.auto_whitelist_clients = std::stoll(value);
      else if (name == "--whitelist-clients")
        options.whitelist_clients = value;
      else if (name == "--whitelist-recipients")
        options.whitelist_recipients = value;
      else if (name == "--json")
        options.json = value;
      else if (name == "--check")
        options.check = true;
      else
        throw std::invalid_argument("unknown option");
    } catch (const std::exception&) {
      std::fprintf(stderr, "grayling-delivery: bad option '%s'\n%s", argv[i], kUsage);
      exit_code = 1;
      return std::nullopt;
    }
  }
  if (options.days < 1 || options.delay < 0 || options.auto_whitelist_clients < 0) {
    std::fprintf(stderr,
                 "grayling-delivery: --days must be at least 1, --delay and --auto-whitelist-clients not negative\n");
    exit_code = 1;
    return std::nullopt;
  }
  return options;
}

}  // namespace delivery
