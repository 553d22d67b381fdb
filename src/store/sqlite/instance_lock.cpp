#include "instance_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "grayling/store/store.hpp"

namespace grayling {

InstanceLock::InstanceLock(const std::string& path) : path_(path) { acquire(); }

void InstanceLock::reclaim_if_lost() {
  struct stat on_disk {}, held {};
  if (fd_ >= 0 && ::stat(path_.c_str(), &on_disk) == 0 && ::fstat(fd_, &held) == 0 &&
      on_disk.st_dev == held.st_dev && on_disk.st_ino == held.st_ino) {
    return;
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  acquire();
}

void InstanceLock::acquire() {
  const std::string& path = path_;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw StoreError("cannot open lock file " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd_);
    fd_ = -1;
    if (error == EWOULDBLOCK) {
      throw StoreError("another grayling is already using this database (" + path + " is locked)");
    }
    throw StoreError("cannot lock " + path + ": " + std::strerror(error));
  }
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace grayling
