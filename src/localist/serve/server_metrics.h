#pragma once
// `GET /metrics` of `localist serve` in Prometheus' text format (version 0.0.4), what an operator
// scrapes as from llama.cpp's server or vLLM: requests by route and status, prompt and generated
// tokens, histograms of the time to the first token, of the time per generated token after it and
// of the whole request, and (given at scrape time) the requests running and waiting. Thread-safe.
// Route labels are the server's own routes ("other" for any path it does not serve: a client
// cannot grow the label set).
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace localist::serve {

// A cumulative histogram over fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v, int64_t times = 1);
  // "# HELP/# TYPE" lines, then NAME_bucket{le=...}, NAME_sum, NAME_count.
  std::string text(const std::string& name, const std::string& help) const;

 private:
  std::vector<double> bounds_;
  std::vector<int64_t> counts_;  // per bound, not cumulative; the last: above every bound
  double sum_ = 0;
  int64_t count_ = 0;
};

class ServerMetrics {
 public:
  explicit ServerMetrics(std::vector<std::string> routes);
  void request(const std::string& path, int status);
  // A finished completion: its tokens; seconds to its first token and per token after it (none
  // generated: only the duration).
  void completion(int64_t prompt_tokens, int64_t completion_tokens, double first_token_s, double per_token_s,
                  double duration_s);
  std::string text(int running, int waiting) const;

 private:
  std::vector<std::string> routes_;
  mutable std::mutex m_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  int64_t prompt_tokens_ = 0, completion_tokens_ = 0;
  Histogram first_token_, per_token_, duration_;
};

}  // namespace localist::serve
