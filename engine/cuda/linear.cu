// CUDA: the dense projection y = x W^T (+ b) for a block of tokens, one cuBLAS SGEMM (twin of
// engine/cpu/linear.cpp).
//
// The one idea: row-major x (n, in) and W (out, in) are, read column-major, x^T (in x n) and W^T (in x out),
// so y^T (out x n, column-major = y row-major) = op_T(W^T) * x^T is a single SGEMM with no copies. A bias is
// written into y first and added by the GEMM's beta = 1 (y = bias + x W^T, the CPU's order of the sum);
// with accumulate and a bias (never used by the model) the bias is added after.
#include "engine/cuda/ops.cuh"

namespace hsa::cuda {

void linear(cublasHandle_t blas, const float* x, const float* W, const float* bias, float* y, int n, int in, int out,
            bool accumulate) {
  if (n == 0 || out == 0) return;
  const float alpha = 1.f;
  float beta = accumulate ? 1.f : 0.f;
  if (bias && !accumulate) {
    fill_rows(y, bias, n, out);
    beta = 1.f;
  }
  check(cublasSgemm(blas, CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &alpha, W, in, x, in, &beta, y, out), "linear",
        "cublasSgemm");
  if (bias && accumulate) add_rows(y, bias, n, out);
}

}  // namespace hsa::cuda
