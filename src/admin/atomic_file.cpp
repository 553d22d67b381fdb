#include "atomic_file.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace grayling {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temporary_(path_ + ".tmp-" + std::to_string(getpid())) {
  out_.open(temporary_, std::ios::out | std::ios::trunc);
  if (!out_) throw std::runtime_error(fmt::format("cannot write {}: {}", temporary_, std::strerror(errno)));
}

AtomicFile::~AtomicFile() {
  if (!done_) std::remove(temporary_.c_str());
}

void AtomicFile::finish() {
  out_.close();
  if (!out_ || std::rename(temporary_.c_str(), path_.c_str()) != 0) {
    throw std::runtime_error(fmt::format("cannot write {}: {}", path_, std::strerror(errno)));
  }
  done_ = true;
}

}  // namespace grayling
