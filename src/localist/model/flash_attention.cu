// CUDA kernels of flash-style localist attention (see flash_attention.h): one thread per query row
// (forward, dq) or key row (dk, dv), the other side streamed through shared memory in tiles,
// the row arithmetic from flash_row.h (the same the CPU loops run). fp32 accumulation for
// float and bfloat16 inputs. No tensor cores yet: docs/gpu.md measures what that costs.
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include "localist/model/flash_attention_cuda.h"
#include "localist/model/flash_row.h"

namespace localist {
namespace flash_cuda {
namespace {

__device__ __forceinline__ float to_float(float x) { return x; }
__device__ __forceinline__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename T> __device__ __forceinline__ T from_float(float x);
template <> __device__ __forceinline__ float from_float<float>(float x) { return x; }
template <> __device__ __forceinline__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16(x); }

constexpr int kRows = 64;              // threads per block = rows per block
constexpr int kTileFloats = 4096;      // a (keys x D) tile of floats: 16 KB

// Loads rows [r0, r0 + n) of a (T, D) matrix into a (kTileFloats / D, D) shared tile (zeros past T).
template <typename T, int D>
__device__ void load_tile(float* tile, const T* base, int r0, int n, int Tlen) {
  for (int i = threadIdx.x; i < n * D; i += blockDim.x) {
    const int r = r0 + i / D;
    tile[i] = r < Tlen ? to_float(base[static_cast<long>(r) * D + i % D]) : 0.0f;
  }
}

// One key tile for a block of query rows: k and v rows [j0, j0 + n) of this (b, h) and the keys'
// block ids (and anchor flags, when `anchors` is given), between the block's two barriers.
template <typename T, int D>
__device__ void load_key_tile(float* ks, float* vs, int* kbs, unsigned char* anchors, const T* k,
                              const T* v, const Positions& p, int b, int T_len, int j0, int n) {
  __syncthreads();  // the previous tile is no longer read
  load_tile<T, D>(ks, k, j0, n, T_len);
  load_tile<T, D>(vs, v, j0, n, T_len);
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    kbs[i] = p.key_block[b * T_len + j0 + i];
    if (anchors) anchors[i] = p.anchor[b * T_len + j0 + i];
  }
  __syncthreads();
}

template <typename T, int D>
__global__ void forward_kernel(Shape s, Positions p, const T* q, const T* k, const T* v, T* y,
                               float* lse, float* ent, float* tmass, float* amass) {
  constexpr int BK = kTileFloats / D;
  __shared__ float ks[kTileFloats], vs[kTileFloats];
  __shared__ int kbs[BK];
  __shared__ unsigned char as[BK];
  const int bh = blockIdx.y, b = bh / s.H, t = blockIdx.x * kRows + threadIdx.x;
  const long rows = static_cast<long>(bh) * s.T;
  const bool active = t < s.T;
  float qr[D], acc[D];
  for (int d = 0; d < D; ++d) {
    qr[d] = active ? to_float(q[(rows + t) * D + d]) * s.scale : 0.0f;
    acc[d] = 0.0f;
  }
  const int tgt = active ? p.target[b * s.T + t] : -1;
  const float c = active ? p.penalty[b * s.T + t] : 0.0f;
  flash::Row r;
  const int kend = s.causal ? min(s.T, (blockIdx.x + 1) * kRows) : s.T;
  for (int j0 = 0; j0 < kend; j0 += BK) {
    const int n = min(BK, kend - j0);
    load_key_tile<T, D>(ks, vs, kbs, as, k + rows * D, v + rows * D, p, b, s.T, j0, n);
    if (!active) continue;
    const int visible = s.causal ? min(n, t + 1 - j0) : n;
    for (int jj = 0; jj < visible; ++jj) {
      float dot = 0.0f;
#pragma unroll
      for (int d = 0; d < D; ++d) dot += qr[d] * ks[jj * D + d];
      const bool in = flash::in_target(kbs[jj], tgt, s.shared);
      float e;
      const float f = r.push(flash::biased(dot, in, c), in, as[jj] != 0, e);
#pragma unroll
      for (int d = 0; d < D; ++d) acc[d] = acc[d] * f + e * vs[jj * D + d];
    }
  }
  if (!active) return;
  for (int d = 0; d < D; ++d) y[(rows + t) * D + d] = from_float<T>(acc[d] * r.inv_z());
  lse[rows + t] = r.lse();
  ent[rows + t] = r.entropy_bits();
  tmass[rows + t] = r.target_mass();
  amass[rows + t] = r.anchor_mass();
}

// dq_t = scale sum_j ds_tj k_j, one thread per query row.
template <typename T, int D>
__global__ void dq_kernel(Shape s, Positions p, const T* q, const T* k, const T* v, const T* dy,
                          const float* lse, const float* dsum, T* dq) {
  constexpr int BK = kTileFloats / D;
  __shared__ float ks[kTileFloats], vs[kTileFloats];
  __shared__ int kbs[BK];
  const int bh = blockIdx.y, b = bh / s.H, t = blockIdx.x * kRows + threadIdx.x;
  const long rows = static_cast<long>(bh) * s.T;
  const bool active = t < s.T;
  float qr[D], dyr[D], g[D];
  for (int d = 0; d < D; ++d) {
    qr[d] = active ? to_float(q[(rows + t) * D + d]) * s.scale : 0.0f;
    dyr[d] = active ? to_float(dy[(rows + t) * D + d]) : 0.0f;
    g[d] = 0.0f;
  }
  const int tgt = active ? p.target[b * s.T + t] : -1;
  const float c = active ? p.penalty[b * s.T + t] : 0.0f;
  const float l = active ? lse[rows + t] : 0.0f, ds_sum = active ? dsum[rows + t] : 0.0f;
  const int kend = s.causal ? min(s.T, (blockIdx.x + 1) * kRows) : s.T;
  for (int j0 = 0; j0 < kend; j0 += BK) {
    const int n = min(BK, kend - j0);
    load_key_tile<T, D>(ks, vs, kbs, nullptr, k + rows * D, v + rows * D, p, b, s.T, j0, n);
    if (!active) continue;
    const int visible = s.causal ? min(n, t + 1 - j0) : n;
    for (int jj = 0; jj < visible; ++jj) {
      float dot = 0.0f, dp = 0.0f;
#pragma unroll
      for (int d = 0; d < D; ++d) {
        dot += qr[d] * ks[jj * D + d];
        dp += dyr[d] * vs[jj * D + d];
      }
      const bool in = flash::in_target(kbs[jj], tgt, s.shared);
      const float ds = flash::dscore(flash::prob(flash::biased(dot, in, c), l), dp, ds_sum);
#pragma unroll
      for (int d = 0; d < D; ++d) g[d] += ds * ks[jj * D + d];
    }
  }
  if (!active) return;
  for (int d = 0; d < D; ++d) dq[(rows + t) * D + d] = from_float<T>(g[d] * s.scale);
}

// dv_j = sum_t a_tj dy_t and dk_j = scale sum_t ds_tj q_t, one thread per key row.
template <typename T, int D>
__global__ void dkv_kernel(Shape s, Positions p, const T* q, const T* k, const T* v, const T* dy,
                           const float* lse, const float* dsum, T* dk, T* dv) {
  constexpr int BQ = kTileFloats / D;
  __shared__ float qs[kTileFloats], dys[kTileFloats];
  __shared__ int tgs[BQ];
  __shared__ float cs[BQ], ls[BQ], dss[BQ];
  const int bh = blockIdx.y, b = bh / s.H, j = blockIdx.x * kRows + threadIdx.x;
  const long rows = static_cast<long>(bh) * s.T;
  const bool active = j < s.T;
  float kr[D], vr[D], gk[D], gv[D];
  for (int d = 0; d < D; ++d) {
    kr[d] = active ? to_float(k[(rows + j) * D + d]) * s.scale : 0.0f;
    vr[d] = active ? to_float(v[(rows + j) * D + d]) : 0.0f;
    gk[d] = gv[d] = 0.0f;
  }
  const int kb = active ? p.key_block[b * s.T + j] : -2;
  const int qstart = s.causal ? blockIdx.x * kRows : 0;  // earlier queries cannot see these keys
  for (int t0 = qstart; t0 < s.T; t0 += BQ) {
    const int n = min(BQ, s.T - t0);
    __syncthreads();
    load_tile<T, D>(qs, q + rows * D, t0, n, s.T);
    load_tile<T, D>(dys, dy + rows * D, t0, n, s.T);
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
      tgs[i] = p.target[b * s.T + t0 + i];
      cs[i] = p.penalty[b * s.T + t0 + i];
      ls[i] = lse[rows + t0 + i];
      dss[i] = dsum[rows + t0 + i];
    }
    __syncthreads();
    if (!active) continue;
    for (int tt = s.causal ? max(0, j - t0) : 0; tt < n; ++tt) {
      float dot = 0.0f, dp = 0.0f;
#pragma unroll
      for (int d = 0; d < D; ++d) {
        dot += kr[d] * qs[tt * D + d];
        dp += vr[d] * dys[tt * D + d];
      }
      const bool in = flash::in_target(kb, tgs[tt], s.shared);
      const float a = flash::prob(flash::biased(dot, in, cs[tt]), ls[tt]);
      const float ds = flash::dscore(a, dp, dss[tt]);
#pragma unroll
      for (int d = 0; d < D; ++d) {
        gv[d] += a * dys[tt * D + d];
        gk[d] += ds * qs[tt * D + d];
      }
    }
  }
  if (!active) return;
  for (int d = 0; d < D; ++d) {
    dk[(rows + j) * D + d] = from_float<T>(gk[d] * s.scale);
    dv[(rows + j) * D + d] = from_float<T>(gv[d]);
  }
}

template <typename T, int D>
int launch_forward(const Shape& s, const Positions& p, const void* q, const void* k, const void* v,
                   void* y, float* lse, float* ent, float* tm, float* am) {
  const dim3 grid((s.T + kRows - 1) / kRows, s.B * s.H);
  forward_kernel<T, D><<<grid, kRows, 0, static_cast<cudaStream_t>(s.stream)>>>(
      s, p, static_cast<const T*>(q), static_cast<const T*>(k), static_cast<const T*>(v),
      static_cast<T*>(y), lse, ent, tm, am);
  return static_cast<int>(cudaGetLastError());
}

template <typename T, int D>
int launch_backward(const Shape& s, const Positions& p, const void* q, const void* k, const void* v,
                    const void* dy, const float* lse, const float* dsum, void* dq, void* dk, void* dv) {
  const dim3 grid((s.T + kRows - 1) / kRows, s.B * s.H);
  auto stream = static_cast<cudaStream_t>(s.stream);
  const T *qt = static_cast<const T*>(q), *kt = static_cast<const T*>(k), *vt = static_cast<const T*>(v),
          *dyt = static_cast<const T*>(dy);
  dq_kernel<T, D><<<grid, kRows, 0, stream>>>(s, p, qt, kt, vt, dyt, lse, dsum, static_cast<T*>(dq));
  dkv_kernel<T, D><<<grid, kRows, 0, stream>>>(s, p, qt, kt, vt, dyt, lse, dsum, static_cast<T*>(dk),
                                               static_cast<T*>(dv));
  return static_cast<int>(cudaGetLastError());
}

// Calls F<T, D> for the runtime dtype and head size.
template <template <typename, int> class F, typename... A>
int dispatch(const Shape& s, A... a) {
  if (s.bf16) {
    if (s.D == 32) return F<__nv_bfloat16, 32>::run(s, a...);
    if (s.D == 64) return F<__nv_bfloat16, 64>::run(s, a...);
    return F<__nv_bfloat16, 128>::run(s, a...);
  }
  if (s.D == 32) return F<float, 32>::run(s, a...);
  if (s.D == 64) return F<float, 64>::run(s, a...);
  return F<float, 128>::run(s, a...);
}

template <typename T, int D>
struct Forward {
  template <typename... A> static int run(const Shape& s, A... a) { return launch_forward<T, D>(s, a...); }
};
template <typename T, int D>
struct Backward {
  template <typename... A> static int run(const Shape& s, A... a) { return launch_backward<T, D>(s, a...); }
};

}  // namespace

bool supported_head_dim(int d) { return d == 32 || d == 64 || d == 128; }

int forward(const Shape& s, const Positions& p, const void* q, const void* k, const void* v, void* y,
            float* lse, float* entropy_bits, float* target_mass, float* anchor_mass) {
  if (!supported_head_dim(s.D)) return static_cast<int>(cudaErrorInvalidValue);
  return dispatch<Forward>(s, p, q, k, v, y, lse, entropy_bits, target_mass, anchor_mass);
}

int backward(const Shape& s, const Positions& p, const void* q, const void* k, const void* v, const void* dy,
             const float* lse, const float* dsum, void* dq, void* dk, void* dv) {
  if (!supported_head_dim(s.D)) return static_cast<int>(cudaErrorInvalidValue);
  return dispatch<Backward>(s, p, q, k, v, dy, lse, dsum, dq, dk, dv);
}

const char* error_string(int code) { return cudaGetErrorString(static_cast<cudaError_t>(code)); }

}  // namespace flash_cuda
}  // namespace localist
