#pragma once
// How many requests `localist serve` runs at once and how many may wait: a request is admitted
// to one of `parallel` slots, or waits in a queue of at most `queue`; beyond that, or after
// waiting past its deadline, it is refused (the server answers 503) rather than piling up.
// A slot is freed when its holder is destroyed (a finished, failed or abandoned request).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace localist::serve {

class Admission {
 public:
  Admission(int parallel, int queue);

  struct Slot;  // held while a request runs
  // nullptr: the queue is full, or no slot came free before `deadline`.
  std::shared_ptr<Slot> admit(std::chrono::steady_clock::time_point deadline);

  int running() const;
  int waiting() const;

 private:
  void release();

  const int parallel_, queue_;
  mutable std::mutex m_;
  std::condition_variable freed_;
  int running_ = 0, waiting_ = 0;
};

struct Admission::Slot {
  explicit Slot(Admission& a) : a(a) {}
  ~Slot() { a.release(); }
  Admission& a;
};

}  // namespace localist::serve
