#include "localist/model/flash_attention.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>

#include "localist/core/errors.h"
#include "localist/model/flash_row.h"

#ifdef LOCALIST_FLASH_CUDA
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "localist/model/flash_attention_cuda.h"
#endif

namespace localist {
namespace {

using torch::indexing::Slice;

// The per-position arrays of a BlockBias, as the loops and kernels read them.
struct Positions {
  torch::Tensor key_block, target, anchor, penalty;  // int32, int32, uint8, float32; (B, T)
};

Positions positions_of(const BlockBias& b, const torch::Device& device) {
  auto on = [&](const torch::Tensor& t, torch::ScalarType type) {
    return t.to(device, type).contiguous();
  };
  return {on(b.key_block, torch::kInt), on(b.target, torch::kInt), on(b.anchor, torch::kByte),
          on(b.penalty, torch::kFloat)};
}

void check_inputs(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  const BlockBias& bias) {
  if (q.dim() != 4 || k.sizes() != q.sizes() || v.sizes() != q.sizes())
    throw ConfigError("flash attention: q, k, v must be (B, H, T, Dh) of one shape");
  if (k.device() != q.device() || v.device() != q.device())
    throw ConfigError("flash attention: q, k, v must be on one device");
  const auto type = q.scalar_type();
  if (k.scalar_type() != type || v.scalar_type() != type ||
      !(type == torch::kFloat || (type == torch::kBFloat16 && q.is_cuda())))
    throw ConfigError("flash attention: q, k, v must be float32 (or bfloat16 on CUDA)");
  const auto B = q.size(0), T = q.size(2);
  for (const auto* t : {&bias.key_block, &bias.target, &bias.anchor, &bias.penalty})
    if (!t->defined() || t->dim() != 2 || t->size(0) != B || t->size(1) != T)
      throw ConfigError("flash attention: the block bias must be (B, T) = (" + std::to_string(B) +
                        ", " + std::to_string(T) + ") for every position array");
}

float dot(const float* a, const float* b, int64_t D) {
  float s = 0.0f;
  for (int64_t d = 0; d < D; ++d) s += a[d] * b[d];
  return s;
}

// The forward on the CPU: one row (b, h, t) at a time, rows in parallel.
void cpu_forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                 const Positions& p, const BlockBias& bias, float scale, FlashAttention& out) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
  const int *kb = p.key_block.data_ptr<int>(), *tg = p.target.data_ptr<int>();
  const uint8_t* an = p.anchor.data_ptr<uint8_t>();
  const float* pen = p.penalty.data_ptr<float>();
  float *y = out.y.data_ptr<float>(), *lse = out.lse.data_ptr<float>();
  float *ent = out.entropy_bits.data_ptr<float>(), *tm = out.target_mass.data_ptr<float>(),
        *am = out.anchor_mass.data_ptr<float>();
  const int shared = static_cast<int>(bias.shared_block);
  at::parallel_for(0, B * H * T, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> acc(D);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t bh = row / T, t = row % T, b = bh / H;
      const float* qt = qp + row * D;
      const float *kbh = kp + bh * T * D, *vbh = vp + bh * T * D;
      const int tgt = tg[b * T + t];
      const float c = pen[b * T + t];
      std::fill(acc.begin(), acc.end(), 0.0f);
      flash::Row r;
      for (int64_t j = 0, n = bias.causal ? t + 1 : T; j < n; ++j) {
        const float s = dot(qt, kbh + j * D, D);
        const bool in = flash::in_target(kb[b * T + j], tgt, shared);
        float e;
        const float f = r.push(flash::biased(s * scale, in, c), in, an[b * T + j] != 0, e);
        if (f != 1.0f)
          for (auto& a : acc) a *= f;
        if (e != 0.0f)
          for (int64_t d = 0; d < D; ++d) acc[d] += e * vbh[j * D + d];
      }
      for (int64_t d = 0; d < D; ++d) y[row * D + d] = acc[d] * r.inv_z();
      lse[row] = r.lse();
      ent[row] = r.entropy_bits();
      tm[row] = r.target_mass();
      am[row] = r.anchor_mass();
    }
  });
}

// The backward on the CPU: dq by query rows, dk and dv by key rows (no atomics), each
// recomputing a_tj from the saved lse.
void cpu_backward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  const torch::Tensor& dy, const torch::Tensor& lse, const torch::Tensor& dsum,
                  const Positions& p, const BlockBias& bias, float scale, torch::Tensor& dq,
                  torch::Tensor& dk, torch::Tensor& dv) {
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2), D = q.size(3);
  const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
  const float *dyp = dy.data_ptr<float>(), *lp = lse.data_ptr<float>(), *dsp = dsum.data_ptr<float>();
  const int *kb = p.key_block.data_ptr<int>(), *tg = p.target.data_ptr<int>();
  const float* pen = p.penalty.data_ptr<float>();
  float *dqp = dq.data_ptr<float>(), *dkp = dk.data_ptr<float>(), *dvp = dv.data_ptr<float>();
  const int shared = static_cast<int>(bias.shared_block);
  // ds_tj for the row of query `qrow` (= bh * T + t) and key j of the same (b, h)
  auto ds = [&](int64_t qrow, int64_t bh, int64_t j) {
    const int64_t t = qrow % T, b = bh / H;
    const bool in = flash::in_target(kb[b * T + j], tg[b * T + t], shared);
    const float s = flash::biased(dot(qp + qrow * D, kp + (bh * T + j) * D, D) * scale, in, pen[b * T + t]);
    const float a = flash::prob(s, lp[qrow]);
    return std::make_pair(a, flash::dscore(a, dot(dyp + qrow * D, vp + (bh * T + j) * D, D), dsp[qrow]));
  };
  at::parallel_for(0, B * H * T, 16, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t bh = row / T, i = row % T;
      // as a query: dq_i = scale sum_j ds_ij k_j
      for (int64_t j = 0, n = bias.causal ? i + 1 : T; j < n; ++j) {
        const float g = ds(row, bh, j).second * scale;
        for (int64_t d = 0; d < D; ++d) dqp[row * D + d] += g * kp[(bh * T + j) * D + d];
      }
      // as a key: dv_i = sum_t a_ti dy_t, dk_i = scale sum_t ds_ti q_t
      for (int64_t t = bias.causal ? i : 0; t < T; ++t) {
        const int64_t qrow = bh * T + t;
        const auto [a, g] = ds(qrow, bh, i);
        for (int64_t d = 0; d < D; ++d) {
          dvp[row * D + d] += a * dyp[qrow * D + d];
          dkp[row * D + d] += g * scale * qp[qrow * D + d];
        }
      }
    }
  });
}

#ifdef LOCALIST_FLASH_CUDA
flash_cuda::Shape cuda_shape(const torch::Tensor& q, const BlockBias& bias, double scale) {
  if (q.size(0) * q.size(1) > 65535)  // the kernels' grid.y
    throw ConfigError("flash attention on CUDA: batch x heads = " + std::to_string(q.size(0) * q.size(1)) +
                      " exceeds 65535; split the batch");
  if (!flash_cuda::supported_head_dim(static_cast<int>(q.size(3))))
    throw ConfigError("flash attention on CUDA: head size " + std::to_string(q.size(3)) +
                      " is not supported; expected 32, 64 or 128");
  return {static_cast<int>(q.size(0)), static_cast<int>(q.size(1)), static_cast<int>(q.size(2)),
          static_cast<int>(q.size(3)), static_cast<float>(scale), static_cast<int>(bias.shared_block),
          bias.causal, q.scalar_type() == torch::kBFloat16,
          c10::cuda::getCurrentCUDAStream(q.device().index()).stream()};
}

flash_cuda::Positions cuda_positions(const Positions& p) {
  return {p.key_block.data_ptr<int>(), p.target.data_ptr<int>(), p.anchor.data_ptr<uint8_t>(),
          p.penalty.data_ptr<float>()};
}

void cuda_check(int code, const char* what) {
  if (code != 0) throw std::runtime_error(std::string("flash attention ") + what + " on CUDA: " +
                                          flash_cuda::error_string(code));
}
#endif

}  // namespace

BlockBias block_bias(const BlockLayout& layout, double lambda_l, double kappa, bool causal) {
  torch::NoGradGuard no_grad;
  if (!(lambda_l >= 0.0 && std::isfinite(lambda_l)))
    throw ConfigError("flash attention: lambda = " + std::to_string(lambda_l) + " is impossible; expected >= 0");
  if (!(kappa > 0.0))
    throw ConfigError("flash attention: kappa = " + std::to_string(kappa) + " is impossible; expected > 0 nats (or inf)");
  auto blk = layout.block.to(torch::kLong), tgt = layout.target.to(torch::kLong);
  const int64_t B = blk.size(0), T = blk.size(1);
  // every block and target id < K; the layout knows it on the host (no device sync)
  const int64_t K = 1 + std::max({layout.n_blocks > 0 ? layout.n_blocks - 1
                                                      : std::max(blk.max().item<int64_t>(), tgt.max().item<int64_t>()),
                                  layout.shared_block, int64_t{0}});
  auto pos = torch::arange(T, blk.options()).expand({B, T});
  auto never = torch::full({B, K}, T, blk.options());
  // the first position of each block, and of each block's anchors (T: none)
  auto first = never.scatter_reduce(1, blk, pos, "amin");
  auto first_anchor = never.scatter_reduce(1, blk, torch::where(layout.is_anchor, pos, T), "amin");
  auto earliest = first.gather(1, tgt.clamp_min(0)), earliest_anchor = first_anchor.gather(1, tgt.clamp_min(0));
  if (layout.shared_block >= 0) {  // the shared block is in every target set
    earliest = torch::minimum(earliest, first.index({Slice(), Slice(layout.shared_block, layout.shared_block + 1)}));
    earliest_anchor = torch::minimum(
        earliest_anchor, first_anchor.index({Slice(), Slice(layout.shared_block, layout.shared_block + 1)}));
  }
  auto last_visible = causal ? pos : torch::full_like(pos, T - 1);
  BlockBias out;
  out.has_target = tgt.ge(0) & earliest.le(last_visible);
  out.has_anchor = tgt.ge(0) & earliest_anchor.le(last_visible);
  auto c = dial_penalty(layout, lambda_l, kappa).expand({B, T});
  out.penalty = torch::where(out.has_target, c, torch::zeros({}, c.options()));
  out.key_block = blk.to(torch::kInt);
  out.target = tgt.to(torch::kInt);
  out.anchor = layout.is_anchor.to(torch::kByte);
  out.shared_block = layout.shared_block;
  out.causal = causal;
  return out;
}

std::vector<BlockBias> block_biases(const BlockLayout& layout, const Dial& dial, int64_t n_layer, bool causal) {
  dial.validate();
  const auto lambdas = dial.layer_lambdas(n_layer);
  std::vector<BlockBias> out;
  for (int64_t l = 0; l < n_layer; ++l)  // layers at the same lambda share one, as in dial_biases
    out.push_back(l > 0 && lambdas[l] == lambdas[l - 1]
                      ? out[l - 1]
                      : block_bias(layout, dial.active() ? lambdas[l] : 0.0, dial.kappa, causal));
  return out;
}

bool flash_attention_has_cuda() {
#ifdef LOCALIST_FLASH_CUDA
  return true;
#else
  return false;
#endif
}

FlashAttention flash_attention(const torch::Tensor& q_in, const torch::Tensor& k_in,
                               const torch::Tensor& v_in, const BlockBias& bias, double scale) {
  torch::NoGradGuard no_grad;
  check_inputs(q_in, k_in, v_in, bias);
  auto q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
  const auto p = positions_of(bias, q.device());
  const int64_t B = q.size(0), H = q.size(1), T = q.size(2);
  auto row = torch::empty({B, H, T}, q.options().dtype(torch::kFloat));
  FlashAttention out{torch::empty_like(q), row, torch::empty_like(row), torch::empty_like(row),
                     torch::empty_like(row)};
  if (q.is_cuda()) {
#ifdef LOCALIST_FLASH_CUDA
    const c10::cuda::CUDAGuard on_device(q.device());  // the launch goes to q's device
    cuda_check(flash_cuda::forward(cuda_shape(q, bias, scale), cuda_positions(p), q.data_ptr(),
                                   k.data_ptr(), v.data_ptr(), out.y.data_ptr(), out.lse.data_ptr<float>(),
                                   out.entropy_bits.data_ptr<float>(), out.target_mass.data_ptr<float>(),
                                   out.anchor_mass.data_ptr<float>()),
               "forward");
    return out;
#else
    throw ConfigError("flash attention: this build has no CUDA kernels (nvcc was not found at build time)");
#endif
  }
  cpu_forward(q, k, v, p, bias, static_cast<float>(scale), out);
  return out;
}

std::vector<torch::Tensor> flash_attention_backward(const torch::Tensor& q_in, const torch::Tensor& k_in,
                                                    const torch::Tensor& v_in, const BlockBias& bias,
                                                    double scale, const FlashAttention& fwd,
                                                    const torch::Tensor& dy_in) {
  torch::NoGradGuard no_grad;
  check_inputs(q_in, k_in, v_in, bias);
  const auto B = q_in.size(0), H = q_in.size(1), T = q_in.size(2);
  for (const auto* t : {&dy_in, &fwd.y, &fwd.lse})
    if (!t->defined() || t->device() != q_in.device())
      throw ConfigError("flash attention backward: dy, the forward's y and lse must be on q's device");
  if (dy_in.sizes() != q_in.sizes() || fwd.y.sizes() != q_in.sizes() ||
      fwd.lse.sizes() != torch::IntArrayRef({B, H, T}))
    throw ConfigError("flash attention backward: dy and y must be (B, H, T, Dh) like q, lse (B, H, T)");
  auto q = q_in.contiguous(), k = k_in.contiguous(), v = v_in.contiguous();
  auto dy = dy_in.to(q.scalar_type()).contiguous();
  auto dsum = (dy.to(torch::kFloat) * fwd.y.to(torch::kFloat)).sum(-1).contiguous();  // (B, H, T)
  const auto p = positions_of(bias, q.device());
  if (q.is_cuda()) {
#ifdef LOCALIST_FLASH_CUDA
    const c10::cuda::CUDAGuard on_device(q.device());
    auto dq = torch::empty_like(q), dk = torch::empty_like(k), dv = torch::empty_like(v);
    cuda_check(flash_cuda::backward(cuda_shape(q, bias, scale), cuda_positions(p), q.data_ptr(), k.data_ptr(),
                                    v.data_ptr(), dy.data_ptr(), fwd.lse.contiguous().data_ptr<float>(),
                                    dsum.data_ptr<float>(), dq.data_ptr(), dk.data_ptr(), dv.data_ptr()),
               "backward");
    return {dq, dk, dv};
#else
    throw ConfigError("flash attention: this build has no CUDA kernels (nvcc was not found at build time)");
#endif
  }
  auto dq = torch::zeros_like(q), dk = torch::zeros_like(k), dv = torch::zeros_like(v);
  cpu_backward(q, k, v, dy, fwd.lse.contiguous(), dsum, p, bias, static_cast<float>(scale), dq, dk, dv);
  return {dq, dk, dv};
}

namespace {

// Autograd: y depends on q, k, v; the block bias is a constant.
struct FlashAttentionFunction : torch::autograd::Function<FlashAttentionFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, torch::Tensor q, torch::Tensor k,
                               torch::Tensor v, torch::Tensor key_block, torch::Tensor target,
                               torch::Tensor anchor, torch::Tensor penalty, int64_t shared, bool causal,
                               double scale) {
    BlockBias b{key_block, target, anchor, penalty, {}, {}, shared, causal};
    auto f = flash_attention(q, k, v, b, scale);
    ctx->save_for_backward({q, k, v, key_block, target, anchor, penalty, f.y, f.lse});
    ctx->saved_data["shared"] = shared;
    ctx->saved_data["causal"] = causal;
    ctx->saved_data["scale"] = scale;
    return f.y;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad) {
    auto s = ctx->get_saved_variables();
    BlockBias b{s[3], s[4], s[5], s[6], {}, {}, ctx->saved_data["shared"].toInt(),
                ctx->saved_data["causal"].toBool()};
    FlashAttention f{s[7], s[8], {}, {}, {}};
    auto g = flash_attention_backward(s[0], s[1], s[2], b, ctx->saved_data["scale"].toDouble(), f, grad[0]);
    torch::Tensor none;
    return {g[0], g[1], g[2], none, none, none, none, none, none, none};
  }
};

}  // namespace

torch::Tensor flash_attention_autograd(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                       const BlockBias& bias, double scale) {
  return FlashAttentionFunction::apply(q, k, v, bias.key_block, bias.target, bias.anchor, bias.penalty,
                                       bias.shared_block, bias.causal, scale);
}

}  // namespace localist
