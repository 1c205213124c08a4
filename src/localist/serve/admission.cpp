#include "localist/serve/admission.h"

#include "localist/core/errors.h"

namespace localist::serve {

Admission::Admission(int parallel, int queue) : parallel_(parallel), queue_(queue) {
  if (parallel < 1) throw ConfigError(setting("parallel") + " must be >= 1, got " + std::to_string(parallel));
  if (queue < 0) throw ConfigError(setting("queue") + " must be >= 0, got " + std::to_string(queue));
}

std::shared_ptr<Admission::Slot> Admission::admit(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> lock(m_);
  if (running_ >= parallel_ && waiting_ >= queue_) return nullptr;
  ++waiting_;
  const bool got = freed_.wait_until(lock, deadline, [&] { return running_ < parallel_; });
  --waiting_;
  if (!got) return nullptr;
  ++running_;
  return std::make_shared<Slot>(*this);
}

void Admission::release() {
  {
    std::lock_guard<std::mutex> lock(m_);
    --running_;
  }
  freed_.notify_one();
}

int Admission::running() const {
  std::lock_guard<std::mutex> lock(m_);
  return running_;
}

int Admission::waiting() const {
  std::lock_guard<std::mutex> lock(m_);
  return waiting_;
}

}  // namespace localist::serve
