#include "localist/train/gradient_sync.h"

#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>

namespace localist {

GradientSync::GradientSync(Distributed& dist, std::vector<torch::Tensor> params, int64_t bucket_bytes)
    : dist_(dist), params_(std::move(params)), bucket_of_(params_.size()), slot_of_(params_.size()) {
  int64_t bytes = 0;
  for (size_t i = params_.size(); i-- > 0;) {  // last layers first: their gradients come first
    const auto& p = params_[i];
    if (!p.requires_grad()) continue;
    const int64_t b = p.numel() * p.element_size();
    if (buckets_.empty() || (bytes > 0 && bytes + b > bucket_bytes)) buckets_.emplace_back(), bytes = 0;
    bucket_of_[i] = buckets_.size() - 1;
    slot_of_[i] = buckets_.back().members.size();
    buckets_.back().members.push_back(i);
    bytes += b;
  }
  for (size_t i = 0; i < params_.size(); ++i)
    if (params_[i].requires_grad())
      hooks_.push_back(params_[i].register_hook([this, i](const torch::Tensor& g) { on_gradient(i, g); }));
    else
      hooks_.push_back(~0u);
}

GradientSync::~GradientSync() {
  for (size_t i = 0; i < params_.size(); ++i)
    if (hooks_[i] != ~0u) params_[i].remove_hook(hooks_[i]);
}

void GradientSync::arm() {
  for (auto& b : buckets_) {
    b.ready.assign(b.members.size(), torch::Tensor());
    b.count = 0;
    b.flat = torch::Tensor();
    b.work.reset();
  }
  armed_ = true;
}

void GradientSync::on_gradient(size_t param, const torch::Tensor& g) {
  if (!armed_) return;
  auto& b = buckets_[bucket_of_[param]];
  auto& slot = b.ready[slot_of_[param]];
  if (slot.defined()) return;  // already counted
  const auto& acc = params_[param].grad();
  slot = acc.defined() ? acc + g : g.detach();  // .grad is accumulated after this hook
  if (++b.count == b.members.size()) launch(b);
}

void GradientSync::launch(Bucket& b) {
  std::vector<torch::Tensor> flat;
  for (size_t s = 0; s < b.members.size(); ++s) {
    auto& g = b.ready[s];
    if (!g.defined()) {  // no gradient in this backward: what earlier micro-steps left, or zero
      const auto& p = params_[b.members[s]];
      g = p.grad().defined() ? p.grad().detach() : torch::zeros_like(p);
    }
    flat.push_back(g.reshape({-1}));
  }
  b.flat = torch::cat(flat);
  std::vector<torch::Tensor> one = {b.flat};
  b.work = dist_.group().allreduce(one);
}

void GradientSync::finish() {
  torch::NoGradGuard no_grad;
  armed_ = false;
  for (auto& b : buckets_)
    if (!b.work) launch(b);  // a bucket some of whose parameters got no gradient
  const double inv = 1.0 / dist_.world_size();
  for (auto& b : buckets_) {
    b.work->wait();
    b.flat.mul_(inv);
    int64_t at = 0;
    for (size_t i : b.members) {
      auto& p = params_[i];
      auto mean = b.flat.narrow(0, at, p.numel()).view_as(p);
      if (p.grad().defined()) p.mutable_grad().copy_(mean);
      else p.mutable_grad() = mean.clone();
      at += p.numel();
    }
    b.ready.clear();
  }
}

}  // namespace localist
