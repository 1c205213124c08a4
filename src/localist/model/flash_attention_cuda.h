#pragma once
// The launchers of the CUDA kernels of flash-style localist attention (flash_attention.cu), on raw
// pointers so that nvcc compiles the kernels without LibTorch's headers. Rows are contiguous
// (B, H, T, D) tensors of float or bfloat16 (bf16 = true); per-position arrays are (B, T);
// per-row outputs (B, H, T) float. Each returns a cudaError_t as int (0: launched).
namespace localist {
namespace flash_cuda {

struct Shape {
  int B, H, T, D;
  float scale;
  int shared;   // the shared block, -1: none
  bool causal;
  bool bf16;
  void* stream;  // cudaStream_t
};

struct Positions {
  const int* key_block;
  const int* target;
  const unsigned char* anchor;
  const float* penalty;
};

// D must be 32, 64 or 128 (supported_head_dim).
bool supported_head_dim(int d);
int forward(const Shape& s, const Positions& p, const void* q, const void* k, const void* v,
            void* y, float* lse, float* entropy_bits, float* target_mass, float* anchor_mass);
// dsum: (B, H, T) dO_t . O_t; dq, dk, dv in the inputs' dtype.
int backward(const Shape& s, const Positions& p, const void* q, const void* k, const void* v,
             const void* dy, const float* lse, const float* dsum, void* dq, void* dk, void* dv);
const char* error_string(int code);

}  // namespace flash_cuda
}  // namespace localist
