#pragma once
/// A file written in full or not at all: grayling-admin's output files (a dump is a backup;
/// a half-written one must never stand where a whole one is expected).

#include <fstream>
#include <string>

namespace grayling {

/// Writes to a temporary name beside `path`; finish() renames it into place. Destroyed
/// unfinished (an error on the way), it removes the temporary file and leaves `path` alone.
class AtomicFile {
 public:
  /// Throws std::runtime_error if the temporary file cannot be created.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  /// Closes and renames into place. Throws std::runtime_error on a write or rename error.
  void finish();

 private:
  std::string path_;
  std::string temporary_;
  std::ofstream out_;
  bool done_ = false;
};

}  // namespace grayling
