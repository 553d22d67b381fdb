#pragma once
// A spdlog sink that collects formatted lines and writes them to a file descriptor only on
// flush() (or when 64 KiB have gathered). spdlog's own stderr sink fflush()es every line:
// one write(2) per decision, which costs more than the decision itself.

#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>

#include <spdlog/sinks/base_sink.h>

namespace grayling {

class BufferedFdSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit BufferedFdSink(int fd) : fd_(fd) {}
  ~BufferedFdSink() override { flush_(); }
  BufferedFdSink(const BufferedFdSink&) = delete;
  BufferedFdSink& operator=(const BufferedFdSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(message, formatted);
    buffer_.append(formatted.data(), formatted.size());
    if (buffer_.size() >= kFlushBytes) flush_();
  }

  void flush_() override {
    std::size_t written = 0;
    while (written < buffer_.size()) {
      const ssize_t n = ::write(fd_, buffer_.data() + written, buffer_.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // nowhere to log to: drop rather than block the daemon
      written += static_cast<std::size_t>(n);
    }
    buffer_.clear();
  }

 private:
  static constexpr std::size_t kFlushBytes = 64 * 1024;
  int fd_;
  std::string buffer_;
};

}  // namespace grayling
