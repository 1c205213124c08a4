#pragma once
// The pieces of a training progress line and the JSON-lines metrics log.
#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace localist {

std::string format_duration(double seconds);  // "1h02m", "3m05s", "42s"
std::string format_count(double n);           // "12,345"

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void reset() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

// Appends one JSON object per line; each line is flushed so a crash loses at most one record.
class MetricsLog {
 public:
  // An empty path is a log that keeps nothing (ranks other than 0 in distributed training).
  explicit MetricsLog(std::string path) : path_(std::move(path)) {}
  void append(const nlohmann::json& record) const;
  const std::string& path() const { return path_; }
  // Drops the records with "step" > step: an interrupted run's, which a resume redoes
  // (rewritten atomically: a crash meanwhile leaves the old log).
  void truncate_after(int64_t step) const;
  // The records with "step" <= step or without a step (lines that are not JSON objects, e.g.
  // a torn last line, are skipped).
  std::vector<nlohmann::json> read_until(int64_t step) const;

 private:
  std::string path_;
};

}  // namespace localist
