#pragma once
// Concurrent requests' decoding steps batched into one forward pass (`localist serve --batch N`):
// each request's thread asks for its next-token logits and waits; one thread runs the forwards,
// each over every waiting step of the same model (at most N; right-padded, each row under its own
// dial: model/sampler.h next_token_logits_batch) and hands each request its row. Without it,
// every request runs its own forward (the worker pool). docs/serve.md measures both.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "localist/model/sampler.h"

namespace localist::serve {

class Batcher {
 public:
  Batcher(int64_t max_batch, torch::Device device);
  ~Batcher();  // finishes the forwards under way, then stops
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // next_token_logits(model, context, opt) computed in a forward shared with the other waiting
  // steps of `model`; blocks until it is done (an error in that forward is rethrown here).
  torch::Tensor next_logits(Gpt& model, const std::vector<int32_t>& context, const SampleOptions& opt);
  // As a SampleOptions::logits source.
  LogitsSource source();

  int64_t max_batch() const { return max_batch_; }
  int64_t forwards() const;  // forwards run so far
  int64_t steps() const;     // steps answered so far (steps / forwards: the mean batch)

 private:
  struct Step {
    Gpt* model;
    LogitsQuery query;
    std::promise<torch::Tensor> done;
  };
  void loop();

  const int64_t max_batch_;
  const torch::Device device_;
  mutable std::mutex m_;
  std::condition_variable wake_;
  std::deque<Step*> waiting_;
  bool stop_ = false;
  int64_t forwards_ = 0, steps_ = 0;
  std::thread worker_;
};

}  // namespace localist::serve
