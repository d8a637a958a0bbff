/*
 * Lever's kernel library: a plain C ABI over raw pointers and sizes. No LibTorch headers: the JavaCPP presets ship
 * none, and a C ABI keeps this library independent of LibTorch's C++ ABI. All arrays are row-major and contiguous.
 * Every function returns 0 on success or a negative LEVER_E_* code; nothing is printed.
 *
 * CPU entry points are implemented here. CUDA entry points (lever_cuda_*) dispatch to the optional
 * libleverkernels_cuda.so, opened at run time with lever_cuda_open(); without it they return LEVER_E_NO_CUDA.
 */
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

#define LEVER_KERNELS_ABI 1

#define LEVER_OK 0
#define LEVER_E_ARG (-1)        /* a size, pointer or index is invalid */
#define LEVER_E_TARGET (-2)     /* a target / chosen index is out of range or masked */
#define LEVER_E_NO_CUDA (-3)    /* the CUDA library is not loaded */
#define LEVER_E_CUDA (-4)       /* a CUDA runtime call failed (see lever_cuda_last_error) */
#define LEVER_E_ALLOC (-5)      /* out of host memory */

/* dtype codes for weight matrices */
#define LEVER_F32 0
#define LEVER_BF16 1

/* The value Lever-Plus writes into the logits of already-chosen candidates (masked_fill(-100), not -inf). */
#define LEVER_MASKED_LOGIT (-100.0f)

int lever_kernels_abi(void);

/*
 * Pointer-selector step. For each row b of scores [B,K]:
 *   z[b,k]   = mask[b,k] ? -100 : scores[b,k] * inv_temperature
 *   lse[b]   = logsumexp_k z[b,k]
 *   out[b]   = z[b, target[b]] - lse[b]                      (log-probability of the chosen index)
 * mask: uint8 [B,K] (non-zero = already chosen) or NULL. target: int64 [B], 0 <= target < K.
 * lse_out: float [B] or NULL (saved for the backward).
 * A masked target is allowed (its log-probability is then -100 - lse, as in the original) unless strict != 0,
 * in which case it returns LEVER_E_TARGET.
 */
int lever_pointer_step_logprobs_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                    float inv_temperature, int64_t B, int64_t K, int strict,
                                    float* out, float* lse_out);

/*
 * Backward of lever_pointer_step_logprobs_f32: given grad_out [B] (dL/dout), writes
 *   grad_scores[b,k] = grad_out[b] * inv_temperature * ([k == target[b]] - softmax(z[b])[k])   for unmasked k
 *   grad_scores[b,k] = 0                                                                       for masked k
 * lse: the lse_out of the forward, or NULL (recomputed).
 */
int lever_pointer_step_logprobs_backward_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                             float inv_temperature, int64_t B, int64_t K, const float* lse,
                                             const float* grad_out, float* grad_scores);

/*
 * VLM answer scoring without the [T,V] logits. For each answer position t:
 *   out[t] = h_t . w_{target[t]} - logsumexp_v (h_t . w_v)
 * hidden: float [T,D]; weight: [V,D] in weight_dtype (LEVER_F32 or LEVER_BF16); target: int64 [T] in [0,V).
 * lse_out: float [T] or NULL. Works in V-chunks of chunk_rows (0 = default) with an online logsumexp, so the extra
 * memory is O(T * chunk_rows) whatever V is. num_threads <= 0 uses the library default.
 */
int lever_answer_token_logprobs(const float* hidden, const void* weight, int weight_dtype, const int64_t* target,
                                int64_t T, int64_t D, int64_t V, int64_t chunk_rows, int num_threads,
                                float* out, float* lse_out);

/* Bytes of scratch memory lever_answer_token_logprobs allocates for these sizes (for memory accounting). */
int64_t lever_answer_token_logprobs_scratch_bytes(int64_t T, int64_t D, int64_t V, int weight_dtype, int64_t chunk_rows);

/* Which GEMM the CPU answer kernel uses: 1 = BLAS sgemm found in the process (OpenBLAS), 0 = built-in loops. */
int lever_cpu_gemm_backend(void);
/* Force the built-in loops (1) or allow BLAS (0); for tests and benchmarks. */
void lever_cpu_force_builtin_gemm(int force);

/* ---- CUDA (optional library) ---- */

/* Opens libleverkernels_cuda.so at `path`. Returns the CUDA device count (>= 0), or a negative code:
 * LEVER_E_NO_CUDA if the library cannot be opened, or -(1000 + cudaError) if the runtime reports an error
 * (e.g. -1035: driver too old / absent, -1100: no device). Safe to call more than once. */
int lever_cuda_open(const char* path);
/* 1 when lever_cuda_open succeeded in loading the library (devices may still be absent). */
int lever_cuda_loaded(void);
/* dlerror() text or the CUDA error string of the last failure, or "" */
const char* lever_cuda_last_error(void);

/* Same semantics as the CPU versions; all pointers are device pointers; stream is a cudaStream_t or NULL. */
int lever_cuda_pointer_step_logprobs_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                         float inv_temperature, int64_t B, int64_t K,
                                         float* out, float* lse_out, void* stream);
int lever_cuda_pointer_step_logprobs_backward_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                                  float inv_temperature, int64_t B, int64_t K, const float* lse,
                                                  const float* grad_out, float* grad_scores, void* stream);
/* workspace: device memory of lever_cuda_answer_token_logprobs_workspace_bytes(T, V) bytes. */
int64_t lever_cuda_answer_token_logprobs_workspace_bytes(int64_t T, int64_t V);
int lever_cuda_answer_token_logprobs(const float* hidden, const void* weight, int weight_dtype, const int64_t* target,
                                     int64_t T, int64_t D, int64_t V, void* workspace,
                                     float* out, float* lse_out, void* stream);

#ifdef __cplusplus
}
#endif
