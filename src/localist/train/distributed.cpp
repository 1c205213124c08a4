#include "localist/train/distributed.h"

#include <chrono>
#include <cstdlib>
#include <string>

#ifdef USE_C10D_GLOO  // gloo's headers were found at build time (CMakeLists.txt)
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL  // a CUDA LibTorch built with NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "localist/core/errors.h"

namespace localist {
namespace {

int env_int(const char* name, int fallback, bool required) {
  const char* v = std::getenv(name);
  if (!v || !*v) {
    if (required) throw ConfigError(std::string(setting("distributed") + ": environment variable ") + name +
                                    " is not set (launch with torchrun --nproc-per-node N --no-python localist ...)");
    return fallback;
  }
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end || n < 0 || n > 1 << 30)
    throw ConfigError(std::string(setting("distributed") + ": ") + name + " = '" + v + "' is not a number >= 0");
  return static_cast<int>(n);
}

// Recruitment decisions (candidate fine-tunes on rank 0) can take many minutes: the other
// ranks wait for them in the store, so its timeout is long.
constexpr auto kStoreTimeout = std::chrono::hours(2);

// The store every rank meets in. Under torchrun the launcher's agent already serves one at
// MASTER_PORT (TORCHELASTIC_USE_AGENT_STORE): every rank joins it as a client, under the
// per-attempt prefix torch.distributed uses; otherwise (variables set by hand) rank 0
// serves it.
c10::intrusive_ptr<c10d::Store> rendezvous_store(const DistributedEnv& env) {
  const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
  const bool agent_store = agent && std::string(agent) == "True";
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<uint16_t>(env.master_port);
  opts.isServer = !agent_store && env.rank == 0;
  opts.numWorkers = env.world_size;
  opts.timeout = kStoreTimeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
  if (!agent_store) return store;
  const char* attempt = std::getenv("TORCHELASTIC_RESTART_COUNT");
  return c10::make_intrusive<c10d::PrefixStore>(
      "/worker/attempt_" + std::string(attempt && *attempt ? attempt : "0"), store);
}

}  // namespace

DistributedEnv DistributedEnv::from_environment() {
  DistributedEnv e;
  e.rank = env_int("RANK", 0, true);
  e.world_size = env_int("WORLD_SIZE", 1, true);
  e.local_rank = env_int("LOCAL_RANK", e.rank, false);
  e.master_port = env_int("MASTER_PORT", 29500, false);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) e.master_addr = a;
  if (e.world_size < 1 || e.rank >= e.world_size)
    throw ConfigError(setting("distributed") + ": RANK " + std::to_string(e.rank) + " outside WORLD_SIZE " +
                      std::to_string(e.world_size));
  if (e.master_port < 1 || e.master_port > 65535)
    throw ConfigError(setting("distributed") + ": MASTER_PORT " + std::to_string(e.master_port) + " outside [1, 65535]");
  return e;
}

Distributed::Distributed(const DistributedEnv& env, const torch::Device& device) : env_(env) {
#ifndef USE_C10D_NCCL
  if (device.is_cuda())
    throw ConfigError(setting("distributed") + " on CUDA needs NCCL, which this LibTorch build does not "
                      "provide; use " + setting("device") + " cpu (Gloo)");
#endif
  store_ = rendezvous_store(env);
#ifdef USE_C10D_NCCL
  if (device.is_cuda()) {  // not built or run on the CPU-only development machine (docs/distributed.md)
    auto nccl = c10d::ProcessGroupNCCL::Options::create();
    nccl->timeout = kStoreTimeout;
    group_ = c10::make_intrusive<c10d::ProcessGroupNCCL>(store_, env.rank, env.world_size, nccl);
    backend_ = "nccl";
    return;
  }
#endif
#ifdef USE_C10D_GLOO
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(env.master_addr));
  options->timeout = kStoreTimeout;
  group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, env.rank, env.world_size, options);
#else
  throw ConfigError(setting("distributed") + " on the CPU needs c10d's Gloo backend, which this build left out "
                    "(gloo's headers were not found: install libgloo-dev and rebuild)");
#endif
}

Distributed::~Distributed() = default;

void Distributed::broadcast(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one = {t.detach()};
    group_->broadcast(one)->wait();
  }
}

torch::Tensor Distributed::sum(const torch::Tensor& t) {
  std::vector<torch::Tensor> one = {t.detach().clone().contiguous()};
  group_->allreduce(one)->wait();
  return one[0];
}

torch::Tensor Distributed::average(const torch::Tensor& t) { return sum(t) / env_.world_size; }

bool Distributed::identical(const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> sums;
  for (const auto& t : tensors) {
    const auto d = t.detach().to(torch::kDouble);
    sums.push_back(d.sum());
    sums.push_back((d * d).sum());
  }
  auto hi = torch::stack(sums), lo = hi.clone();
  std::vector<torch::Tensor> a = {hi}, b = {lo};
  c10d::AllreduceOptions max_op, min_op;
  max_op.reduceOp = c10d::ReduceOp::MAX;
  min_op.reduceOp = c10d::ReduceOp::MIN;
  group_->allreduce(a, max_op)->wait();
  group_->allreduce(b, min_op)->wait();
  return torch::equal(a[0], b[0]);
}


std::string Distributed::share(const std::string& key, const std::string& bytes) {
  const std::string k = "localist/" + key;
  if (is_root()) {
    store_->set(k, std::vector<uint8_t>(bytes.begin(), bytes.end()));
    return bytes;
  }
  const auto v = store_->get(k);
  return std::string(v.begin(), v.end());
}

}  // namespace localist
