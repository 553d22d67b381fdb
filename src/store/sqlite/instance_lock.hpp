#pragma once
/// One daemon per database: an exclusive flock(2) held for the daemon's lifetime.

#include <string>

namespace grayling {

/// Holds an exclusive lock on `path` (created 0600 if missing). Throws StoreError
/// naming the file when another process holds it. The kernel drops the lock if we die.
class InstanceLock {
 public:
  explicit InstanceLock(const std::string& path);
  ~InstanceLock();

  /// If the lock file was deleted or replaced under us, creates and takes it again, so a
  /// second daemon still cannot start. Throws like the constructor if someone else got it.
  void reclaim_if_lost();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  void acquire();

  std::string path_;
  int fd_ = -1;
};

}  // namespace grayling
