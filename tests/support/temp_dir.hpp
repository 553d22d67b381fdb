#pragma once
/// A private temporary directory, removed with everything in it when the object dies.

#include <filesystem>
#include <string>

namespace grayling::test {

class TempDir {
 public:
  /// Creates a fresh 0700 directory named `<prefix>XXXXXX` under $TMPDIR (or /tmp when
  /// $TMPDIR is unset or so long that unix socket paths inside it would not fit).
  explicit TempDir(const std::string& prefix = "grayling-test-");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  /// path() / name, as a string.
  [[nodiscard]] std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace grayling::test
