// CUDA: the dense projection y = x W^T (+ b) for a block of tokens, one cuBLAS GEMM (twin of
// engine/cpu/linear.cpp).
//
// The one idea: row-major x (n, in) and W (out, in) are, read column-major, x^T (in x n) and W^T (in x out),
// so y^T (out x n, column-major = y row-major) = op_T(W^T) * x^T is a single GEMM with no copies. A bias is
// written into y first and added by the GEMM's beta = 1 (y = bias + x W^T, the CPU's order of the sum);
// with accumulate and a bias (never used by the model) the bias is added after.
// fp32 weights: SGEMM on a handle in CUBLAS_PEDANTIC_MATH (no TF32). Weights registered as bf16 matrices
// (bf16 mode, Backend::matrix): x is rounded to bf16 into a staging buffer and one cublasGemmEx multiplies
// bf16 by bf16 on the tensor cores with fp32 accumulation and an fp32 y.
#include <cuda_bf16.h>

#include "engine/cuda/ops.cuh"

namespace hsa::cuda {
namespace {

__global__ void to_bf16_kernel(const float* x, __nv_bfloat16* y, int64_t n) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = __float2bfloat16_rn(x[i]);
}

}  // namespace

void to_bf16(const float* x, void* y, int64_t n) {
  if (n == 0) return;
  to_bf16_kernel<<<blocks_for(n), kThreads>>>(x, static_cast<__nv_bfloat16*>(y), n);
  check_launch("to_bf16");
}

void linear(const Gemm& g, const float* x, const float* W, const float* bias, float* y, int n, int in, int out,
            bool accumulate) {
  if (n == 0 || out == 0) return;
  const float alpha = 1.f;
  float beta = accumulate ? 1.f : 0.f;
  if (bias && !accumulate) {
    fill_rows(y, bias, n, out);
    beta = 1.f;
  }
  if (g.bf16_matrices && g.bf16_matrices->count(W)) {
    void* xb = g.staging->get((size_t)n * in * 2, "linear (bf16)");
    to_bf16(x, xb, (int64_t)n * in);
    check(cublasGemmEx(g.bf16, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &alpha, W, CUDA_R_16BF, in, xb, CUDA_R_16BF,
                       in, &beta, y, CUDA_R_32F, out, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "linear (bf16)", "cublasGemmEx");
  } else {
    check(cublasSgemm(g.fp32, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &alpha, W, in, x, in, &beta, y, out), "linear",
          "cublasSgemm");
  }
  if (bias && accumulate) add_rows(y, bias, n, out);
}

}  // namespace hsa::cuda
