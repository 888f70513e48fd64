// Hopper warpgroup matrix multiply (wgmma, sm_90a) for the bf16 scorer (retrieval_tc.cu): shared-memory
// matrix descriptors, the fence / commit / wait of the asynchronous MMAs, and the one shape it uses.
//
// The one idea: both operands are K-major bf16 tiles in shared memory, 64 elements (128 bytes) per row, in the
// 128-byte swizzle the tensor cores read without bank conflicts (and the TMA writes, tma.cuh): within each
// 1024-byte group of 8 rows, the 16-byte piece j of row i is stored at piece j ^ (i % 8). A descriptor names a
// tile by its address (1024-aligned at its first row), the distance between 8-row groups (1024 bytes) and the
// swizzle; the k-th 16-element step of a row starts 32 k bytes further (the hardware applies the swizzle to
// the address it computes, so stepping inside a row works). D (64 x N, fp32) is spread over the 128 threads
// of the warpgroup as in mma.sync's C fragment: warp w holds rows 16 w + g and 16 w + g + 8 (lane = 4 g + t),
// and d[4 j + 0, 1] are columns 8 j + 2 t, 8 j + 2 t + 1 of the first row, d[4 j + 2, 3] the same of the
// second.
#pragma once

#include <cstdint>

namespace hsa::cuda::wgmma {

// A K-major bf16 tile of 128-byte rows (64 dims) in the 128-byte swizzle. (64-byte rows, with twice the
// pipeline stages in the same shared memory, measured 5-7% slower in the scorer.)
struct Swizzle128 {
  static constexpr int kRowBytes = 128;
  static constexpr int kGroupBytes = 1024;  // 8 rows: the descriptor's stride (and the tile's alignment)
  // Descriptor of the tile at shared address addr (16-byte units; stride between 8-row groups; leading
  // offset unused by swizzled K-major layouts, set to 1; layout type 1 = 128-byte swizzle).
  __device__ static uint64_t descriptor(uint32_t addr) {
    return (uint64_t)((addr & 0x3FFFF) >> 4) | ((uint64_t)1 << 16) | ((uint64_t)(kGroupBytes >> 4) << 32) |
           ((uint64_t)1 << 62);
  }
};

// Orders this thread's register accesses before the wgmma that follow (required before the first of them).
__device__ inline void fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ inline void commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
// Waits until at most N committed groups of this warpgroup are still running.
template <int N>
__device__ inline void wait() { asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory"); }

// Keeps the compiler from moving accesses of an accumulator across the asynchronous MMAs.
__device__ inline void pin(float (&d)[128]) {
#pragma unroll
  for (int i = 0; i < 128; ++i) asm volatile("" : "+f"(d[i])::"memory");
}

// d (64 x 256, fp32) = a (64 x 16) b^T (256 x 16) [+ d when accumulate], a and b bf16 tiles named by
// descriptors. Asynchronous: d may be read only after wait().
__device__ inline void mma_m64n256k16(float (&d)[128], uint64_t desc_a, uint64_t desc_b, bool accumulate) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  asm volatile(
      "{\n"
      ".reg .pred p;\n"
      "setp.ne.b32 p, %130, 0;\n"
      "wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16 {"
      "%0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14, %15,\n"
      "%16, %17, %18, %19, %20, %21, %22, %23, %24, %25, %26, %27, %28, %29, %30, %31,\n"
      "%32, %33, %34, %35, %36, %37, %38, %39, %40, %41, %42, %43, %44, %45, %46, %47,\n"
      "%48, %49, %50, %51, %52, %53, %54, %55, %56, %57, %58, %59, %60, %61, %62, %63,\n"
      "%64, %65, %66, %67, %68, %69, %70, %71, %72, %73, %74, %75, %76, %77, %78, %79,\n"
      "%80, %81, %82, %83, %84, %85, %86, %87, %88, %89, %90, %91, %92, %93, %94, %95,\n"
      "%96, %97, %98, %99, %100, %101, %102, %103, %104, %105, %106, %107, %108, %109, %110, %111,\n"
      "%112, %113, %114, %115, %116, %117, %118, %119, %120, %121, %122, %123, %124, %125, %126, %127},\n"
      " %128, %129, p, 1, 1, 0, 0;\n"
      "}\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3]), "+f"(d[4]), "+f"(d[5]), "+f"(d[6]), "+f"(d[7]),
        "+f"(d[8]), "+f"(d[9]), "+f"(d[10]), "+f"(d[11]), "+f"(d[12]), "+f"(d[13]), "+f"(d[14]), "+f"(d[15]),
        "+f"(d[16]), "+f"(d[17]), "+f"(d[18]), "+f"(d[19]), "+f"(d[20]), "+f"(d[21]), "+f"(d[22]), "+f"(d[23]),
        "+f"(d[24]), "+f"(d[25]), "+f"(d[26]), "+f"(d[27]), "+f"(d[28]), "+f"(d[29]), "+f"(d[30]), "+f"(d[31]),
        "+f"(d[32]), "+f"(d[33]), "+f"(d[34]), "+f"(d[35]), "+f"(d[36]), "+f"(d[37]), "+f"(d[38]), "+f"(d[39]),
        "+f"(d[40]), "+f"(d[41]), "+f"(d[42]), "+f"(d[43]), "+f"(d[44]), "+f"(d[45]), "+f"(d[46]), "+f"(d[47]),
        "+f"(d[48]), "+f"(d[49]), "+f"(d[50]), "+f"(d[51]), "+f"(d[52]), "+f"(d[53]), "+f"(d[54]), "+f"(d[55]),
        "+f"(d[56]), "+f"(d[57]), "+f"(d[58]), "+f"(d[59]), "+f"(d[60]), "+f"(d[61]), "+f"(d[62]), "+f"(d[63]),
        "+f"(d[64]), "+f"(d[65]), "+f"(d[66]), "+f"(d[67]), "+f"(d[68]), "+f"(d[69]), "+f"(d[70]), "+f"(d[71]),
        "+f"(d[72]), "+f"(d[73]), "+f"(d[74]), "+f"(d[75]), "+f"(d[76]), "+f"(d[77]), "+f"(d[78]), "+f"(d[79]),
        "+f"(d[80]), "+f"(d[81]), "+f"(d[82]), "+f"(d[83]), "+f"(d[84]), "+f"(d[85]), "+f"(d[86]), "+f"(d[87]),
        "+f"(d[88]), "+f"(d[89]), "+f"(d[90]), "+f"(d[91]), "+f"(d[92]), "+f"(d[93]), "+f"(d[94]), "+f"(d[95]),
        "+f"(d[96]), "+f"(d[97]), "+f"(d[98]), "+f"(d[99]), "+f"(d[100]), "+f"(d[101]), "+f"(d[102]), "+f"(d[103]),
        "+f"(d[104]), "+f"(d[105]), "+f"(d[106]), "+f"(d[107]), "+f"(d[108]), "+f"(d[109]), "+f"(d[110]), "+f"(d[111]),
        "+f"(d[112]), "+f"(d[113]), "+f"(d[114]), "+f"(d[115]), "+f"(d[116]), "+f"(d[117]), "+f"(d[118]), "+f"(d[119]),
        "+f"(d[120]), "+f"(d[121]), "+f"(d[122]), "+f"(d[123]), "+f"(d[124]), "+f"(d[125]), "+f"(d[126]), "+f"(d[127])
      : "l"(desc_a), "l"(desc_b), "r"(accumulate ? 1 : 0));
#else
  __trap();  // compiled for another architecture: never launched there (retrieval_tc.cu use_wgmma)
#endif
}

}  // namespace hsa::cuda::wgmma
