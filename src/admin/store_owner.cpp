#include "store_owner.hpp"

#include <fmt/format.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace grayling {

ActingAsOwner::ActingAsOwner(const std::string& directory) {
  struct stat info {};
  if (geteuid() != 0 || ::stat(directory.c_str(), &info) != 0 || info.st_uid == 0) return;
  // Group first: once the user is not root, the group can no longer be changed.
  if (setegid(info.st_gid) != 0 || seteuid(info.st_uid) != 0) {
    const int error = errno;
    if (setegid(0) != 0) {}  // best effort: we are giving up anyway
    throw std::runtime_error(fmt::format("cannot act as the owner of {} (uid {}): {}", directory, info.st_uid,
                                         std::strerror(error)));
  }
  switched_ = true;
}

ActingAsOwner::~ActingAsOwner() {
  if (!switched_) return;
  // Back to root, user first (it takes root to change the group back).
  if (seteuid(0) != 0 || setegid(0) != 0) std::abort();  // cannot happen with a saved uid of 0
}

}  // namespace grayling
