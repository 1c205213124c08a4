#include "localist/serve/batcher.h"

#include "localist/core/errors.h"

namespace localist::serve {

Batcher::Batcher(int64_t max_batch, torch::Device device) : max_batch_(max_batch), device_(device) {
  if (max_batch < 1) throw ConfigError(setting("batch") + " must be >= 1");
  worker_ = std::thread([this] { loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
}

torch::Tensor Batcher::next_logits(Gpt& model, const std::vector<int32_t>& context, const SampleOptions& opt) {
  Step step{&model, {&context, opt.blocks, opt.dial}, {}};
  auto result = step.done.get_future();
  {
    std::lock_guard<std::mutex> lock(m_);
    if (stop_) throw InternalError("serve: the batcher has stopped");
    waiting_.push_back(&step);
  }
  wake_.notify_one();
  return result.get();  // the step lives on this stack until the worker has answered it
}

LogitsSource Batcher::source() {
  return [this](Gpt& model, const std::vector<int32_t>& context, const SampleOptions& opt) {
    return next_logits(model, context, opt);
  };
}

int64_t Batcher::forwards() const {
  std::lock_guard<std::mutex> lock(m_);
  return forwards_;
}

int64_t Batcher::steps() const {
  std::lock_guard<std::mutex> lock(m_);
  return steps_;
}

void Batcher::loop() {
  torch::NoGradGuard no_grad;
  for (;;) {
    std::vector<Step*> batch;  // the oldest waiting step and the others of its model
    {
      std::unique_lock<std::mutex> lock(m_);
      wake_.wait(lock, [&] { return stop_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopped, nothing left
      Gpt* model = waiting_.front()->model;
      for (auto it = waiting_.begin(); it != waiting_.end() && static_cast<int64_t>(batch.size()) < max_batch_;)
        if ((*it)->model->get() == model->get()) batch.push_back(*it), it = waiting_.erase(it);
        else ++it;
    }
    std::vector<LogitsQuery> queries;
    for (auto* s : batch) queries.push_back(s->query);
    try {
      auto logits = next_token_logits_batch(*batch.front()->model, queries, device_);
      {
        std::lock_guard<std::mutex> lock(m_);
        ++forwards_, steps_ += static_cast<int64_t>(batch.size());
      }
      for (size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(std::move(logits[i]));
    } catch (...) {
      for (auto* s : batch) s->done.set_exception(std::current_exception());
    }
  }
}

}  // namespace localist::serve
