#pragma once
/// A progress bar on stderr, redrawn in place, when stderr is a terminal; nothing when it
/// is not (a script's log must not fill with bars).

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "grayling/admin/progress_text.hpp"

namespace grayling {

class TerminalProgress {
 public:
  explicit TerminalProgress(std::string what)
      : what_(std::move(what)), shown_(::isatty(STDERR_FILENO) == 1), start_(Clock::now()) {}
  ~TerminalProgress() { finish(); }
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;

  /// Redraws, at most ten times a second (and always at the end).
  void update(std::size_t done, std::size_t total) {
    if (!shown_) return;
    const auto now = Clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    std::fprintf(stderr, "\r%s\033[K", progress_line(what_, done, total, elapsed).c_str());
    drawn_ = true;
  }

  /// Ends the bar's line, so what follows starts on a line of its own.
  void finish() {
    if (drawn_) std::fputc('\n', stderr);
    drawn_ = false;
  }

 private:
  using Clock = std::chrono::steady_clock;
  std::string what_;
  bool shown_;
  bool drawn_ = false;
  Clock::time_point start_;
  Clock::time_point last_{};
};

}  // namespace grayling
