#pragma once
// One query row of flash-style localist attention: the online softmax over the row's keys with the
// dial's block bias applied from block ids (no T x T mask), and the row's metrics gathered in
// the same pass. Shared, line for line, by the CPU loops (flash_attention.cpp) and the CUDA
// kernels (flash_attention.cu), so the CPU tests check the arithmetic the GPU runs.
//
// For query t and visible key j, with s_tj = scale q_t.k_j:
//   s'_tj = s_tj                 if j is in t's target set (its block is b(t), or the shared one)
//   s'_tj = s_tj - c_t           otherwise; c_t = lambda_l s_t kappa (inf: a hard mask), 0 when
//                                t's target set holds no visible key (the dial's rule, dial.h)
//   a_tj = exp(s'_tj - lse_t),   lse_t = log sum_j exp(s'_tj)
// Running over j: m (max s'), z = sum exp(s' - m), w = sum exp(s' - m)(s' - m), and the parts
// of z on the target set and on its anchors; at the end
//   entropy (nats) = log z - w / z,  target mass = z_target / z,  anchor mass = z_anchor / z.
// w is kept relative to m so the entropy is not a difference of two large numbers.
#include <math.h>

#ifdef __CUDACC__
#define LOCALIST_HD __host__ __device__ __forceinline__
#else
#define LOCALIST_HD inline
#endif

namespace localist {
namespace flash {

// Key block kb is in the target set of a query whose target is tgt (-1: none).
LOCALIST_HD bool in_target(int kb, int tgt, int shared) {
  return tgt >= 0 && (kb == tgt || (shared >= 0 && kb == shared));
}

// The biased logit s' of a key (c: the query's penalty, >= 0, possibly inf).
LOCALIST_HD float biased(float s, bool in, float c) { return in || c == 0.0f ? s : s - c; }

struct Row {
  float m = -INFINITY;  // running max of s'
  float z = 0.0f;       // sum exp(s' - m)
  float w = 0.0f;       // sum exp(s' - m) (s' - m)
  float zt = 0.0f;      // the part of z on the target set
  float za = 0.0f;      // the part of z on the target set's anchors

  // Takes one key's s'. Returns the factor the running output must be scaled by first (1 when
  // the max did not move) and sets e, the weight exp(s' - m) of this key's value.
  LOCALIST_HD float push(float s, bool in, bool anchor, float& e) {
    e = 0.0f;
    if (s == -INFINITY) return 1.0f;  // masked (hard dial): no weight, no NaN from inf - inf
    float r = 1.0f;
    if (s > m) {
      if (m != -INFINITY) {
        const float d = m - s;  // < 0
        r = expf(d);
        w = r * (w + d * z);
        z *= r;
        zt *= r;
        za *= r;
      }
      m = s;
    }
    e = expf(s - m);
    z += e;
    w += e * (s - m);
    if (in) {
      zt += e;
      if (anchor) za += e;
    }
    return r;
  }
  // z = 0 only if every key was masked (a hard dial whose target set is empty: block_bias
  // never asks for that); the row then reads nothing: y = 0 and zeros, not 0/0.
  LOCALIST_HD float inv_z() const { return z > 0.0f ? 1.0f / z : 0.0f; }
  LOCALIST_HD float lse() const { return m + logf(z); }
  LOCALIST_HD float entropy_bits() const { return z > 0.0f ? (logf(z) - w / z) * 1.4426950408889634f : 0.0f; }
  LOCALIST_HD float target_mass() const { return zt * inv_z(); }
  LOCALIST_HD float anchor_mass() const { return za * inv_z(); }
};

// Backward: the probability a_tj from the saved lse, and dL/ds_tj = a_tj (dL/da_tj . - D_t),
// D_t = dO_t . O_t (the softmax's Jacobian applied to dp = dO_t . v_j).
LOCALIST_HD float prob(float s_biased, float lse) {
  return s_biased == -INFINITY ? 0.0f : expf(s_biased - lse);
}
LOCALIST_HD float dscore(float p, float dp, float d) { return p * (dp - d); }

}  // namespace flash
}  // namespace localist
