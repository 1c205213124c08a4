#pragma once
// Gradient averaging across data-parallel ranks that overlaps the backward pass, as PyTorch's
// DDP Reducer does: parameters are grouped into buckets of ~bucket_bytes in reverse
// registration order (roughly the order backward produces their gradients); a hook on each
// parameter records its step gradient (what .grad already holds from earlier micro-steps plus
// the new contribution), and when a bucket is complete its all-reduce starts asynchronously
// while backward goes on. finish() waits for the rest and writes the means into .grad.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "localist/train/distributed.h"

namespace c10d {
class Work;
}

namespace localist {

class GradientSync {
 public:
  GradientSync(Distributed& dist, std::vector<torch::Tensor> params, int64_t bucket_bytes = 25 << 20);
  ~GradientSync();  // removes the hooks
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  void arm();     // the next backward is the step's last: its hooks start the all-reduces
  void finish();  // after that backward: every parameter's .grad is its mean over the ranks

 private:
  struct Bucket {
    std::vector<size_t> members;        // indices into params_
    std::vector<torch::Tensor> ready;   // per member: its step gradient once known
    size_t count = 0;
    torch::Tensor flat;
    c10::intrusive_ptr<c10d::Work> work;
  };
  void on_gradient(size_t param, const torch::Tensor& g);
  void launch(Bucket& b);

  Distributed& dist_;
  std::vector<torch::Tensor> params_;
  std::vector<unsigned> hooks_;
  std::vector<size_t> bucket_of_;  // param -> bucket
  std::vector<size_t> slot_of_;    // param -> its place in the bucket
  std::vector<Bucket> buckets_;
  bool armed_ = false;
};

}  // namespace localist
