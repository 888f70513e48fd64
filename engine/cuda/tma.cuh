// Hopper (sm_90a) bulk tensor copies (TMA) and the shared-memory barriers that count their bytes, for the
// warp-specialized bf16 scorer (retrieval_tc.cu score_wgmma_kernel).
//
// The one idea: a copy of a box of a tensor (described once on the host: tensor_map_bf16) into shared memory
// is issued by one thread and completes on an mbarrier that expects the number of bytes it brings
// (arrive_expect_tx); consumers wait on that barrier's phase. A second barrier per stage, which consumers
// arrive at when their MMAs are done with it, tells the producer when the stage may be refilled. Phases
// alternate 0, 1, 0, ...: the n-th use of a barrier completes phase n % 2 (wait_parity).
#pragma once

#include <cuda.h>

#include <cstdint>

namespace hsa::cuda::tma {

__device__ inline uint32_t smem_u32(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

__device__ inline void barrier_init(uint64_t* bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(count) : "memory");
}
// Makes initialized barriers visible to the other threads (and the async proxy) of the block.
__device__ inline void barrier_init_fence() { asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory"); }

// One arrival that also announces `bytes` still to come from bulk copies in this phase.
__device__ inline void arrive_expect_tx(uint64_t* bar, uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(smem_u32(bar)), "r"(bytes) : "memory");
}
__device__ inline void arrive(uint64_t* bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(smem_u32(bar)) : "memory");
}
// Returns once the phase of parity `parity` of bar has completed.
__device__ inline void wait_parity(uint64_t* bar, uint32_t parity) {
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "WAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_%=;\n"
      "}\n" ::"r"(smem_u32(bar)),
      "r"(parity)
      : "memory");
}

// Box of a 3-d tensor map at coordinates (x innermost, y, z) into shared memory at dst; completes on bar.
__device__ inline void load_3d(void* dst, const CUtensorMap* map, int x, int y, int z, uint64_t* bar) {
  asm volatile(
      "cp.async.bulk.tensor.3d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%2, %3, %4}], [%5];\n" ::"r"(
          smem_u32(dst)),
      "l"(reinterpret_cast<uint64_t>(map)), "r"(x), "r"(y), "r"(z), "r"(smem_u32(bar))
      : "memory");
}
__device__ inline void prefetch_map(const CUtensorMap* map) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<uint64_t>(map)) : "memory");
}

// Moves this warpgroup's register budget to N per thread (the producer gives registers to the consumers).
template <int N>
__device__ inline void regs_dec() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N));
#endif
}
template <int N>
__device__ inline void regs_inc() {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N));
#endif
}

}  // namespace hsa::cuda::tma
