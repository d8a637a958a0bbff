// CUDA versions of Lever's kernels. Same semantics as src/*.cpp; checked against them by test/cuda_vs_cpu.cpp
// (CTest) and by the Java GPU tests. Launchers return 0 or a cudaError_t; they never synchronise the stream.
#include "lever_kernels_cuda.h"
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>

#define MASKED_LOGIT (-100.0f)

namespace {

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}
__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}
// block-wide reductions for blockDim.x a multiple of 32 and <= 1024
__device__ float block_max(float v, float* sh) {
    v = warp_max(v);
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (lane == 0) sh[wid] = v;
    __syncthreads();
    v = lane < nw ? sh[lane] : -INFINITY;
    v = warp_max(v);
    __syncthreads();
    return v;
}
__device__ float block_sum(float v, float* sh) {
    v = warp_sum(v);
    const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
    if (lane == 0) sh[wid] = v;
    __syncthreads();
    v = lane < nw ? sh[lane] : 0.f;
    v = warp_sum(v);
    __syncthreads();
    return v;
}

// __fmul_rn: the product is rounded on its own, never contracted into an FMA with a following subtraction, so the
// backward's `logit - lse` is exactly the forward's (with K = 1 it is exactly 0 and the gradient exactly 0, as on
// the CPU; a contracted fma(s, inv_t, -lse) left 1e-5-sized gradients there).
__device__ __forceinline__ float ptr_logit(const float* s, const uint8_t* m, int64_t k, float inv_t) {
    return (m && m[k]) ? MASKED_LOGIT : __fmul_rn(s[k], inv_t);
}

__device__ float ptr_row_lse(const float* s, const uint8_t* m, int64_t K, float inv_t, float* sh) {
    float mx = -INFINITY;
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) mx = fmaxf(mx, ptr_logit(s, m, k, inv_t));
    mx = block_max(mx, sh);
    float sum = 0.f;
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) sum += expf(ptr_logit(s, m, k, inv_t) - mx);
    sum = block_sum(sum, sh);
    return mx + logf(sum);
}

__global__ void ptr_fwd_kernel(const float* __restrict__ scores, const uint8_t* __restrict__ mask,
                               const int64_t* __restrict__ target, float inv_t, int64_t K, float* __restrict__ out,
                               float* __restrict__ lse_out) {
    __shared__ float sh[32];
    const int64_t b = blockIdx.x;
    const float* s = scores + b * K;
    const uint8_t* m = mask ? mask + b * K : nullptr;
    const float lse = ptr_row_lse(s, m, K, inv_t, sh);
    if (threadIdx.x == 0) {
        out[b] = ptr_logit(s, m, target[b], inv_t) - lse;
        if (lse_out) lse_out[b] = lse;
    }
}

__global__ void ptr_bwd_kernel(const float* __restrict__ scores, const uint8_t* __restrict__ mask,
                               const int64_t* __restrict__ target, float inv_t, int64_t K,
                               const float* __restrict__ lse_in, const float* __restrict__ grad_out,
                               float* __restrict__ grad) {
    __shared__ float sh[32];
    const int64_t b = blockIdx.x;
    const float* s = scores + b * K;
    const uint8_t* m = mask ? mask + b * K : nullptr;
    const float lse = lse_in ? lse_in[b] : ptr_row_lse(s, m, K, inv_t, sh);
    const float go = grad_out[b] * inv_t;
    for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
        float g = 0.f;
        if (!(m && m[k])) g = go * ((k == target[b] ? 1.f : 0.f) - expf(ptr_logit(s, m, k, inv_t) - lse));
        grad[b * K + k] = g;
    }
}

// ---- answer_token_logprobs: tiles of TT positions x VT vocabulary rows; each block writes a partial (max, sum)
// per position to the workspace, a second kernel combines them. No [T,V] buffer ever exists.
constexpr int TT = 16, VT = 64, DK = 32, THREADS = 256;

template <bool BF16>
__device__ __forceinline__ float load_w(const void* w, int64_t idx) {
    if (BF16) {
        const uint32_t u = ((uint32_t)((const uint16_t*)w)[idx]) << 16;
        return __uint_as_float(u);
    } else {
        return ((const float*)w)[idx];
    }
}

template <bool BF16>
__global__ void ans_partial_kernel(const float* __restrict__ H, const void* __restrict__ W,
                                   const int64_t* __restrict__ target, int64_t T, int64_t D, int64_t V,
                                   float2* __restrict__ partial, float* __restrict__ tlogit, int64_t nvb) {
    __shared__ float hs[TT][DK + 1];
    __shared__ float ws[VT][DK + 1];
    __shared__ float lg[TT][VT + 1];
    const int64_t v0 = (int64_t)blockIdx.x * VT, t0 = (int64_t)blockIdx.y * TT;
    // thread -> (t, 4 consecutive v) of the 16x64 tile
    const int tl = threadIdx.x / (VT / 4), vl = (threadIdx.x % (VT / 4)) * 4;
    float acc[4] = {0.f, 0.f, 0.f, 0.f};
    for (int64_t d0 = 0; d0 < D; d0 += DK) {
        for (int i = threadIdx.x; i < TT * DK; i += THREADS) {
            const int r = i / DK, c = i % DK;
            const int64_t t = t0 + r, d = d0 + c;
            hs[r][c] = (t < T && d < D) ? H[t * D + d] : 0.f;
        }
        for (int i = threadIdx.x; i < VT * DK; i += THREADS) {
            const int r = i / DK, c = i % DK;
            const int64_t v = v0 + r, d = d0 + c;
            ws[r][c] = (v < V && d < D) ? load_w<BF16>(W, v * D + d) : 0.f;
        }
        __syncthreads();
#pragma unroll 8
        for (int c = 0; c < DK; ++c) {
            const float h = hs[tl][c];
            acc[0] = fmaf(h, ws[vl][c], acc[0]);
            acc[1] = fmaf(h, ws[vl + 1][c], acc[1]);
            acc[2] = fmaf(h, ws[vl + 2][c], acc[2]);
            acc[3] = fmaf(h, ws[vl + 3][c], acc[3]);
        }
        __syncthreads();
    }
    for (int j = 0; j < 4; ++j) lg[tl][vl + j] = (v0 + vl + j < V) ? acc[j] : -INFINITY;
    __syncthreads();
    // one warp per position row (8 warps, 16 rows): max and sum of exp over the VT columns
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    for (int r = warp; r < TT; r += THREADS / 32) {
        const int64_t t = t0 + r;
        if (t >= T) continue;
        float mx = fmaxf(lg[r][lane], lg[r][lane + 32]);
        mx = warp_max(mx);
        float s = expf(lg[r][lane] - mx) + expf(lg[r][lane + 32] - mx);
        s = warp_sum(s);
        if (lane == 0) partial[t * nvb + blockIdx.x] = make_float2(mx, s);
        const int64_t tg = target[t];
        if (lane == 0 && tg >= v0 && tg < v0 + VT) tlogit[t] = lg[r][tg - v0];
    }
}

__global__ void ans_combine_kernel(const float2* __restrict__ partial, const float* __restrict__ tlogit, int64_t nvb,
                                   float* __restrict__ out, float* __restrict__ lse_out) {
    __shared__ float sh[32];
    const int64_t t = blockIdx.x;
    const float2* p = partial + t * nvb;
    float mx = -INFINITY;
    for (int64_t i = threadIdx.x; i < nvb; i += blockDim.x) mx = fmaxf(mx, p[i].x);
    mx = block_max(mx, sh);
    float s = 0.f;
    for (int64_t i = threadIdx.x; i < nvb; i += blockDim.x) s += p[i].y * expf(p[i].x - mx);
    s = block_sum(s, sh);
    if (threadIdx.x == 0) {
        const float lse = mx + logf(s);
        out[t] = tlogit[t] - lse;
        if (lse_out) lse_out[t] = lse;
    }
}

}  // namespace

extern "C" int lkc_device_count(void) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    return e == cudaSuccess ? n : -(int)e;
}

extern "C" const char* lkc_error_string(int e) { return cudaGetErrorString((cudaError_t)e); }

extern "C" int lkc_pointer_step_logprobs_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                             float inv_t, int64_t B, int64_t K, float* out, float* lse_out,
                                             void* stream) {
    if (B <= 0) return 0;
    ptr_fwd_kernel<<<(unsigned)B, 128, 0, (cudaStream_t)stream>>>(scores, mask, target, inv_t, K, out, lse_out);
    return (int)cudaGetLastError();
}

extern "C" int lkc_pointer_step_logprobs_backward_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                                      float inv_t, int64_t B, int64_t K, const float* lse,
                                                      const float* grad_out, float* grad_scores, void* stream) {
    if (B <= 0) return 0;
    ptr_bwd_kernel<<<(unsigned)B, 128, 0, (cudaStream_t)stream>>>(scores, mask, target, inv_t, K, lse, grad_out,
                                                                  grad_scores);
    return (int)cudaGetLastError();
}

extern "C" int64_t lkc_answer_token_logprobs_workspace_bytes(int64_t T, int64_t V) {
    const int64_t nvb = (V + VT - 1) / VT;
    return T * nvb * (int64_t)sizeof(float2) + T * (int64_t)sizeof(float);
}

extern "C" int lkc_answer_token_logprobs(const float* hidden, const void* weight, int weight_dtype,
                                         const int64_t* target, int64_t T, int64_t D, int64_t V, void* workspace,
                                         float* out, float* lse_out, void* stream) {
    if (T <= 0) return 0;
    const int64_t nvb = (V + VT - 1) / VT;
    float2* partial = (float2*)workspace;
    float* tlogit = (float*)(partial + T * nvb);
    dim3 grid((unsigned)nvb, (unsigned)((T + TT - 1) / TT));
    cudaStream_t s = (cudaStream_t)stream;
    if (weight_dtype == 1)
        ans_partial_kernel<true><<<grid, THREADS, 0, s>>>(hidden, weight, target, T, D, V, partial, tlogit, nvb);
    else
        ans_partial_kernel<false><<<grid, THREADS, 0, s>>>(hidden, weight, target, T, D, V, partial, tlogit, nvb);
    ans_combine_kernel<<<(unsigned)T, 256, 0, s>>>(partial, tlogit, nvb, out, lse_out);
    return (int)cudaGetLastError();
}
