// Fuzz target: the command line and the --config file parser. The input is split at its
// first NUL: before it, NUL-free argv words separated by newlines; after it, a config file.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "grayling/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::size_t nul = input.find('\0');
  const std::string words = input.substr(0, nul);
  const std::string config = nul == std::string::npos ? std::string() : input.substr(nul + 1);

  std::vector<std::string> args{"grayling"};
  std::istringstream lines(words);
  for (std::string word; std::getline(lines, word);) args.push_back(word);
  static const std::string config_path = "/tmp/grayling-fuzz-" + std::to_string(::getpid()) + ".conf";
  if (!config.empty()) {
    std::ofstream(config_path, std::ios::binary) << config;
    args.push_back("--config=" + config_path);
  }
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out, err;
  (void)grayling::parse_options(static_cast<int>(argv.size()), argv.data(), out, err);
  if (!config.empty()) std::remove(config_path.c_str());
  return 0;
}
