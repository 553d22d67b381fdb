#include "support/temp_dir.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace grayling::test {

namespace {
// sun_path holds 108 bytes; leave room for a socket name inside the directory.
constexpr std::size_t kMaxBaseLength = 60;

std::string base_directory() {
  const char* tmpdir = std::getenv("TMPDIR");
  if (tmpdir != nullptr && *tmpdir == '/' && std::strlen(tmpdir) <= kMaxBaseLength) return tmpdir;
  return "/tmp";
}
}  // namespace

TempDir::TempDir(const std::string& prefix) {
  std::string pattern = base_directory() + "/" + prefix + "XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  path_ = buffer.data();
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace grayling::test
