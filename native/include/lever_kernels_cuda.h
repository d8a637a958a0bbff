/* Entry points of the optional libleverkernels_cuda.so. Java never calls these directly: libleverkernels.so opens
 * the library with dlopen and forwards its lever_cuda_* functions here, so machines without CUDA need nothing. */
#pragma once
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
/* device count, or -(cudaError_t) */
int lkc_device_count(void);
const char* lkc_error_string(int cuda_error);
int lkc_pointer_step_logprobs_f32(const float* scores, const uint8_t* mask, const int64_t* target, float inv_t,
                                  int64_t B, int64_t K, float* out, float* lse_out, void* stream);
int lkc_pointer_step_logprobs_backward_f32(const float* scores, const uint8_t* mask, const int64_t* target, float inv_t,
                                           int64_t B, int64_t K, const float* lse, const float* grad_out,
                                           float* grad_scores, void* stream);
int64_t lkc_answer_token_logprobs_workspace_bytes(int64_t T, int64_t V);
int lkc_answer_token_logprobs(const float* hidden, const void* weight, int weight_dtype, const int64_t* target,
                              int64_t T, int64_t D, int64_t V, void* workspace, float* out, float* lse_out,
                              void* stream);
#ifdef __cplusplus
}
#endif
