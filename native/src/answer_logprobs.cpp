// VLM answer scoring (CPU): log p(target_t) = h_t.w_target - logsumexp_v(h_t.w_v) without the [T,V] logits.
//
// The vocabulary is walked in chunks of `chunk_rows` rows of W. For each chunk we compute the [T, chunk] block of
// logits (sgemm from the OpenBLAS already loaded in the process by LibTorch, or built-in SIMD loops), fold it into a
// running (max, sum) per position (online logsumexp), pick up the target logit if the target falls in the chunk, and
// reuse the same small buffer for the next chunk. Peak extra memory is T*chunk floats (+ chunk*D for bf16 weights),
// against 2*T*V floats for matmul + log_softmax.
#include "lever_kernels.h"
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

// ---- BLAS discovery: LibTorch's JavaCPP preset loads libopenblas.so.0 with RTLD_LOCAL, so we look it up by soname.
typedef void (*sgemm_fn)(int order, int transa, int transb, int m, int n, int k, float alpha, const float* a, int lda,
                         const float* b, int ldb, float beta, float* c, int ldc);
std::atomic<sgemm_fn> g_sgemm{nullptr};
std::atomic<int> g_force_builtin{0};

sgemm_fn find_sgemm() {
    sgemm_fn f = g_sgemm.load(std::memory_order_acquire);
    if (f) return f;
    static const char* names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblasp.so.0", "libblas.so.3"};
    for (const char* n : names) {
        void* h = dlopen(n, RTLD_NOW | RTLD_NOLOAD);  // only if already loaded: never pull a second BLAS in
        if (!h) continue;
        f = (sgemm_fn)dlsym(h, "cblas_sgemm");
        if (f) break;
    }
    if (f) g_sgemm.store(f, std::memory_order_release);
    return f;
}

constexpr int CblasRowMajor = 101, CblasNoTrans = 111, CblasTrans = 112;

// ---- built-in C[T,n] = H[T,D] * W[n,D]^T, four vocabulary rows at a time so each h load feeds four FMAs.
__attribute__((target_clones("arch=haswell", "default")))
void gemm_nt_builtin(const float* H, const float* W, float* C, int64_t T, int64_t n, int64_t D, int threads) {
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && n >= 64)
    for (int64_t v = 0; v < n; v += 4) {
        const int64_t nv = (n - v) < 4 ? (n - v) : 4;
        const float* w0 = W + v * D;
        const float* w1 = nv > 1 ? w0 + D : w0;
        const float* w2 = nv > 2 ? w0 + 2 * D : w0;
        const float* w3 = nv > 3 ? w0 + 3 * D : w0;
        for (int64_t t = 0; t < T; ++t) {
            const float* h = H + t * D;
            float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
            for (int64_t d = 0; d < D; ++d) {
                const float x = h[d];
                a0 += x * w0[d]; a1 += x * w1[d]; a2 += x * w2[d]; a3 += x * w3[d];
            }
            float* c = C + t * n + v;
            c[0] = a0;
            if (nv > 1) c[1] = a1;
            if (nv > 2) c[2] = a2;
            if (nv > 3) c[3] = a3;
        }
    }
}

// exp for x <= 0 (arguments are logits minus their running max): Cody-Waite range reduction and a degree-6
// polynomial, branch-free so the loop below vectorises; relative error ~2e-7 over [-87, 0].
inline float exp_nonpos(float x) {
    x = x < -87.0f ? -87.0f : x;
    const float n = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693145751953125f;
    r = r - n * 1.428606765330187045e-06f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits;
    const int32_t e = (int32_t)n + 127;
    bits = e << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

__attribute__((target_clones("arch=haswell", "default")))
float row_max(const float* x, int64_t n) {
    float m = -INFINITY;
#pragma omp simd reduction(max : m)
    for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
    return m;
}

__attribute__((target_clones("arch=haswell", "default")))
float row_sum_exp(const float* x, int64_t n, float mx) {
    float s = 0.f;
#pragma omp simd reduction(+ : s)
    for (int64_t i = 0; i < n; ++i) s += exp_nonpos(x[i] - mx);
    return s;
}

inline float bf16_to_f32(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    std::memcpy(&f, &u, sizeof(f));
    return f;
}

int64_t default_chunk(int weight_dtype) { return weight_dtype == LEVER_BF16 ? 256 : 1024; }

}  // namespace

extern "C" int lever_cpu_gemm_backend(void) { return (!g_force_builtin.load() && find_sgemm()) ? 1 : 0; }
extern "C" void lever_cpu_force_builtin_gemm(int force) { g_force_builtin.store(force ? 1 : 0); }

extern "C" int64_t lever_answer_token_logprobs_scratch_bytes(int64_t T, int64_t D, int64_t V, int weight_dtype,
                                                             int64_t chunk_rows) {
    if (chunk_rows <= 0) chunk_rows = default_chunk(weight_dtype);
    if (chunk_rows > V) chunk_rows = V;
    int64_t bytes = T * chunk_rows * (int64_t)sizeof(float) + 2 * T * (int64_t)sizeof(double);
    if (weight_dtype == LEVER_BF16) bytes += chunk_rows * D * (int64_t)sizeof(float);
    return bytes;
}

extern "C" int lever_answer_token_logprobs(const float* hidden, const void* weight, int weight_dtype,
                                           const int64_t* target, int64_t T, int64_t D, int64_t V, int64_t chunk_rows,
                                           int num_threads, float* out, float* lse_out) {
    if (T < 0 || D <= 0 || V <= 0) return LEVER_E_ARG;
    if (weight_dtype != LEVER_F32 && weight_dtype != LEVER_BF16) return LEVER_E_ARG;
    if (T == 0) return LEVER_OK;
    if (!hidden || !weight || !target || !out) return LEVER_E_ARG;
    if (D > INT32_MAX || T > INT32_MAX) return LEVER_E_ARG;  // BLAS takes int sizes
    for (int64_t t = 0; t < T; ++t)
        if (target[t] < 0 || target[t] >= V) return LEVER_E_TARGET;
    if (chunk_rows <= 0) chunk_rows = default_chunk(weight_dtype);
    if (chunk_rows > V) chunk_rows = V;
#ifdef _OPENMP
    const int threads = num_threads > 0 ? num_threads : omp_get_max_threads();
#else
    const int threads = 1;
#endif
    sgemm_fn sgemm = g_force_builtin.load() ? nullptr : find_sgemm();

    std::vector<float> logits, wbuf;
    std::vector<double> run_max, run_sum;
    try {
        logits.resize((size_t)(T * chunk_rows));
        if (weight_dtype == LEVER_BF16) wbuf.resize((size_t)(chunk_rows * D));
        run_max.assign((size_t)T, -INFINITY);
        run_sum.assign((size_t)T, 0.0);
    } catch (...) {
        return LEVER_E_ALLOC;
    }
    for (int64_t v0 = 0; v0 < V; v0 += chunk_rows) {
        const int64_t n = (V - v0) < chunk_rows ? (V - v0) : chunk_rows;
        const float* w;
        if (weight_dtype == LEVER_F32) {
            w = (const float*)weight + v0 * D;
        } else {
            const uint16_t* src = (const uint16_t*)weight + v0 * D;
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
            for (int64_t i = 0; i < n * D; ++i) wbuf[(size_t)i] = bf16_to_f32(src[i]);
            w = wbuf.data();
        }
        if (sgemm)
            sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)T, (int)n, (int)D, 1.0f, hidden, (int)D, w, (int)D,
                  0.0f, logits.data(), (int)n);
        else
            gemm_nt_builtin(hidden, w, logits.data(), T, n, D, threads);
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1 && T >= 8)
        for (int64_t t = 0; t < T; ++t) {
            const float* row = logits.data() + t * n;
            const float cmax = row_max(row, n);
            const double m_new = cmax > run_max[t] ? (double)cmax : run_max[t];
            const double s = (double)row_sum_exp(row, n, (float)m_new);
            run_sum[t] = run_sum[t] * std::exp(run_max[t] - m_new) + s;
            run_max[t] = m_new;
            const int64_t tg = target[t];
            if (tg >= v0 && tg < v0 + n) out[t] = row[tg - v0];  // target logit: same arithmetic as the lse
        }
    }
    for (int64_t t = 0; t < T; ++t) {
        const double lse = run_max[t] + std::log(run_sum[t]);
        out[t] = (float)((double)out[t] - lse);
        if (lse_out) lse_out[t] = (float)lse;
    }
    return LEVER_OK;
}
