#pragma once
// Data-parallel training on PyTorch's own distributed engine, c10d (Gloo on CPU; NCCL on CUDA
// where the LibTorch build has it, USE_C10D_NCCL), launched torchrun-style: one process per device, each with
// RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT in its environment
// (torchrun --no-python sets them: .venv/bin/torchrun --nproc-per-node N --no-python localist …).
//
// What data parallelism needs and nothing more: parameters broadcast from rank 0, scalars
// reduced for the metrics, and small byte strings (a tokenizer, a
// recruitment decision) sent from rank 0 through the c10d store. Gradients are averaged by
// GradientSync (gradient_sync.h), overlapping the backward pass.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>


namespace c10d {
class Backend;
class Store;
}  // namespace c10d

namespace localist {

struct DistributedEnv {
  int rank = 0, world_size = 1, local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  // Reads the torchrun variables; ConfigError naming a missing or impossible one.
  static DistributedEnv from_environment();
};

class Distributed {
 public:
  // Joins the process group (blocks until all world_size processes have joined).
  Distributed(const DistributedEnv& env, const torch::Device& device);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  bool is_root() const { return env_.rank == 0; }
  const char* backend() const { return backend_; }

  void broadcast(const std::vector<torch::Tensor>& tensors);  // from rank 0, in place
  torch::Tensor sum(const torch::Tensor& t);      // a copy, summed over the ranks
  torch::Tensor average(const torch::Tensor& t);  // a copy, averaged over the ranks
  // Whether every rank holds the same values (per-tensor sums and sums of squares compared
  // exactly through all-reduce MAX and MIN): the check that the ranks have not drifted apart.
  bool identical(const std::vector<torch::Tensor>& tensors);
  c10d::Backend& group() { return *group_; }  // for GradientSync (gradient_sync.h)
  // Rank 0's `bytes` under `key`, on every rank (rank 0 passes them, the others receive them).
  std::string share(const std::string& key, const std::string& bytes);

 private:
  DistributedEnv env_;
  const char* backend_ = "gloo";
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::Backend> group_;
};

}  // namespace localist
