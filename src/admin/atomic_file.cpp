#include "atomic_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace grayling {

namespace {

constexpr int kNameAttempts = 100;

/// 16 hex digits from the kernel's random source: a name nobody can plant a link at in advance.
std::string random_suffix() {
  unsigned char bytes[8];
  std::size_t got = 0;
  while (got < sizeof bytes) {
    const ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(fmt::format("getrandom: {}", std::strerror(errno)));
    got += static_cast<std::size_t>(n);
  }
  std::string text;
  for (const unsigned char byte : bytes) text += fmt::format("{:02x}", byte);
  return text;
}

std::string directory_of(const std::string& path) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
  return parent.empty() ? "." : parent;
}

/// Makes the rename itself durable; a failure here leaves a whole file in place, so it is
/// not worth failing the command over.
void sync_directory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

/// Creates the file `path` is written through, beside it; sets `temporary` to its name.
/// O_EXCL with O_CREAT never follows a link at the name (O_NOFOLLOW says so once more), a
/// random name cannot be prepared for, and 0600 keeps the clear addresses of a dump from
/// other users whatever the umask.
int create_beside(const std::string& path, std::string& temporary) {
  struct stat status {};
  if (::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode)) {
    throw std::runtime_error(fmt::format("cannot write {}: it is a directory", path));
  }
  for (int attempt = 1;; ++attempt) {
    temporary = path + ".tmp-" + random_suffix();
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt == kNameAttempts) {
      throw std::runtime_error(
          fmt::format("cannot write {}: cannot create a file in {}: {}", path, directory_of(path), std::strerror(errno)));
    }
  }
}

}  // namespace

FdOutputBuffer::int_type FdOutputBuffer::overflow(int_type c) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

int FdOutputBuffer::sync() { return drain() ? 0 : -1; }

bool FdOutputBuffer::drain() {
  if (error_ != 0) return false;
  const char* from = pbase();
  while (from < pptr()) {
    const ssize_t written = ::write(fd_, from, static_cast<std::size_t>(pptr() - from));
    if (written < 0 && errno == EINTR) continue;
    if (written < 0) {
      error_ = errno;
      return false;
    }
    from += written;
  }
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return true;
}

AtomicFile::AtomicFile(std::string path)
    : path_(std::move(path)), fd_(create_beside(path_, temporary_)), buffer_(fd_), out_(&buffer_) {}

AtomicFile::~AtomicFile() {
  if (done_) return;
  if (fd_ >= 0) ::close(fd_);
  ::unlink(temporary_.c_str());
}

void AtomicFile::finish() {
  const auto fail = [&](const char* step, int error) {
    throw std::runtime_error(fmt::format("cannot write {}: {}: {}", path_, step, std::strerror(error)));
  };
  out_.flush();
  if (buffer_.error() != 0) fail("write", buffer_.error());
  if (!out_) fail("write", EIO);
  // On disk before it takes the old file's place: a crash leaves the old dump or the new.
  if (::fsync(fd_) != 0) fail("fsync", errno);
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail("close", errno);
  if (::rename(temporary_.c_str(), path_.c_str()) != 0) fail("rename", errno);
  done_ = true;
  sync_directory(directory_of(path_));
}

}  // namespace grayling
