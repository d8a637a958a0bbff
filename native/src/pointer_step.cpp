// Pointer-selector step kernels (CPU). Rows are independent; K is small (the candidate pool, 64 by default), so one
// pass per row with double accumulation of the exponentials is both fast and as accurate as LibTorch's float path.
#include "lever_kernels.h"
#include <cmath>

namespace {
inline float logit(const float* s, const uint8_t* m, int64_t k, float inv_t) {
    return (m && m[k]) ? LEVER_MASKED_LOGIT : s[k] * inv_t;
}

inline float row_lse(const float* s, const uint8_t* m, int64_t K, float inv_t) {
    float mx = -INFINITY;
    for (int64_t k = 0; k < K; ++k) { float z = logit(s, m, k, inv_t); mx = z > mx ? z : mx; }
    double sum = 0.0;
    for (int64_t k = 0; k < K; ++k) sum += std::exp((double)(logit(s, m, k, inv_t) - mx));
    return mx + (float)std::log(sum);
}

int check(const float* scores, const int64_t* target, int64_t B, int64_t K, const uint8_t* mask, int strict) {
    if (B < 0 || K <= 0 || (B > 0 && (!scores || !target))) return LEVER_E_ARG;
    for (int64_t b = 0; b < B; ++b) {
        if (target[b] < 0 || target[b] >= K) return LEVER_E_TARGET;
        if (strict && mask && mask[b * K + target[b]]) return LEVER_E_TARGET;
    }
    return LEVER_OK;
}
}  // namespace

extern "C" int lever_kernels_abi(void) { return LEVER_KERNELS_ABI; }

extern "C" int lever_pointer_step_logprobs_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                               float inv_t, int64_t B, int64_t K, int strict,
                                               float* out, float* lse_out) {
    int rc = check(scores, target, B, K, mask, strict);
    if (rc) return rc;
    if (B > 0 && !out) return LEVER_E_ARG;
    for (int64_t b = 0; b < B; ++b) {
        const float* s = scores + b * K;
        const uint8_t* m = mask ? mask + b * K : nullptr;
        float lse = row_lse(s, m, K, inv_t);
        out[b] = logit(s, m, target[b], inv_t) - lse;
        if (lse_out) lse_out[b] = lse;
    }
    return LEVER_OK;
}

extern "C" int lever_pointer_step_logprobs_backward_f32(const float* scores, const uint8_t* mask, const int64_t* target,
                                                        float inv_t, int64_t B, int64_t K, const float* lse_in,
                                                        const float* grad_out, float* grad_scores) {
    int rc = check(scores, target, B, K, mask, 0);
    if (rc) return rc;
    if (B > 0 && (!grad_out || !grad_scores)) return LEVER_E_ARG;
    for (int64_t b = 0; b < B; ++b) {
        const float* s = scores + b * K;
        const uint8_t* m = mask ? mask + b * K : nullptr;
        float* g = grad_scores + b * K;
        const float lse = lse_in ? lse_in[b] : row_lse(s, m, K, inv_t);
        const float go = grad_out[b] * inv_t;
        for (int64_t k = 0; k < K; ++k) {
            if (m && m[k]) { g[k] = 0.0f; continue; }  // the constant -100 does not depend on the score
            float p = std::exp(s[k] * inv_t - lse);
            g[k] = go * ((k == target[b] ? 1.0f : 0.0f) - p);
        }
    }
    return LEVER_OK;
}
