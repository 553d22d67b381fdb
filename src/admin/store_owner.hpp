#pragma once
/// grayling-admin run as root works on an SQLite store as the user who owns its directory
/// (the daemon's user), so that a file it creates (the database, its -wal and -shm) is one
/// the daemon can still write.

#include <sys/types.h>

#include <string>

namespace grayling {

/// While alive: the effective user and group are the owner of `directory`, if this
/// process runs as root and the directory belongs to someone else; nothing otherwise.
/// The real user stays root, so files opened before and after are the administrator's.
class ActingAsOwner {
 public:
  /// Throws std::runtime_error if the identity cannot be taken.
  explicit ActingAsOwner(const std::string& directory);
  ~ActingAsOwner();
  ActingAsOwner(const ActingAsOwner&) = delete;
  ActingAsOwner& operator=(const ActingAsOwner&) = delete;

 private:
  bool switched_ = false;
};

}  // namespace grayling
