#pragma once
/// A file written in full or not at all: grayling-admin's output files (a dump is a backup;
/// a half-written one must never stand where a whole one is expected).

#include <array>
#include <ostream>
#include <streambuf>
#include <string>

namespace grayling {

/// An output stream buffer over a file descriptor (std::ofstream cannot be opened on one,
/// nor with O_EXCL): remembers the first write error.
class FdOutputBuffer final : public std::streambuf {
 public:
  explicit FdOutputBuffer(int fd) : fd_(fd) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
  /// The errno of the first failed write; 0 if none failed.
  [[nodiscard]] int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override;
  int sync() override;

 private:
  bool drain();

  int fd_;
  int error_ = 0;
  std::array<char, 64 * 1024> buffer_{};
};

/// Writes to a new file beside `path`, created 0600 with O_EXCL under an unpredictable
/// name; finish() flushes it to disk and renames it into place, replacing `path`
/// atomically. Destroyed unfinished (an error on the way), it removes that file and
/// leaves `path` alone.
class AtomicFile {
 public:
  /// Throws std::runtime_error "cannot write PATH: ..." if `path` is a directory or the
  /// file cannot be created in its directory.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  /// Flushes, syncs and renames into place. Throws std::runtime_error "cannot write
  /// PATH: ..." on a write, sync or rename error.
  void finish();

 private:
  std::string path_;
  std::string temporary_;
  int fd_ = -1;
  FdOutputBuffer buffer_;
  std::ostream out_;
  bool done_ = false;
};

}  // namespace grayling
