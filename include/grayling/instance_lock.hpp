#pragma once
/// One daemon per database: an exclusive flock(2) held for the daemon's lifetime.

#include <string>

namespace grayling {

/// Holds an exclusive lock on `path` (created 0600 if missing). Throws std::runtime_error
/// naming the file when another process holds it. The kernel drops the lock if we die.
class InstanceLock {
 public:
  explicit InstanceLock(const std::string& path);
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace grayling
