// Native self-check of the CPU kernels against plain double-precision loops (no LibTorch needed). The thorough
// checks against LibTorch composites run in Java (KernelsTest); this one lets `ctest` vouch for a build by itself.
#include "lever_kernels.h"
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

static int failures = 0;
static void expect(bool ok, const char* what, double err) {
    if (!ok) { std::printf("FAIL %s (err %.3g)\n", what, err); ++failures; }
}

int main() {
    std::mt19937 rng(42);
    std::normal_distribution<float> nd(0.f, 1.f);
    // pointer step
    const int64_t B = 7, K = 67;
    std::vector<float> s(B * K), out(B, NAN), lse(B, NAN);
    std::vector<uint8_t> m(B * K, 0);
    std::vector<int64_t> tg(B);
    for (auto& x : s) x = nd(rng);
    for (int64_t b = 0; b < B; ++b) { m[b * K + (b * 3) % K] = 1; tg[b] = (b * 5 + 1) % K; }
    int rc = lever_pointer_step_logprobs_f32(s.data(), m.data(), tg.data(), 10.f, B, K, 0, out.data(), lse.data());
    expect(rc == 0, "pointer rc", rc);
    for (int64_t b = 0; b < B; ++b) {
        double mx = -1e30, sum = 0;
        for (int64_t k = 0; k < K; ++k) mx = std::max(mx, m[b * K + k] ? -100.0 : s[b * K + k] * 10.0);
        for (int64_t k = 0; k < K; ++k) sum += std::exp((m[b * K + k] ? -100.0 : s[b * K + k] * 10.0) - mx);
        double ref = (m[b * K + tg[b]] ? -100.0 : s[b * K + tg[b]] * 10.0) - (mx + std::log(sum));
        expect(std::fabs(out[b] - ref) <= 1e-5 * std::max(1.0, std::fabs(ref)), "pointer logprob", out[b] - ref);
    }
    tg[0] = K;
    expect(lever_pointer_step_logprobs_f32(s.data(), m.data(), tg.data(), 10.f, B, K, 0, out.data(), nullptr) ==
               LEVER_E_TARGET, "pointer target range", 0);
    // answer logprobs, both GEMM back-ends
    const int64_t T = 5, D = 37, V = 1031;
    std::vector<float> h(T * D), w(V * D), o(T, NAN);
    std::vector<int64_t> at(T);
    for (auto& x : h) x = nd(rng);
    for (auto& x : w) x = nd(rng) * 0.3f;
    for (int64_t t = 0; t < T; ++t) at[t] = (t * 211 + 3) % V;
    for (int force = 0; force < 2; ++force) {
        lever_cpu_force_builtin_gemm(force);
        rc = lever_answer_token_logprobs(h.data(), w.data(), LEVER_F32, at.data(), T, D, V, 100, 2, o.data(), nullptr);
        expect(rc == 0, "answer rc", rc);
        for (int64_t t = 0; t < T; ++t) {
            std::vector<double> l(V);
            double mx = -1e300, sum = 0;
            for (int64_t v = 0; v < V; ++v) {
                double a = 0;
                for (int64_t d = 0; d < D; ++d) a += (double)h[t * D + d] * w[v * D + d];
                l[v] = a; mx = std::max(mx, a);
            }
            for (int64_t v = 0; v < V; ++v) sum += std::exp(l[v] - mx);
            double ref = l[at[t]] - mx - std::log(sum);
            expect(std::fabs(o[t] - ref) <= 1e-5 * std::max(1.0, std::fabs(ref)), "answer logprob", o[t] - ref);
        }
    }
    lever_cpu_force_builtin_gemm(0);
    std::printf("cpu_selfcheck: %s (gemm backend: %s)\n", failures ? "FAILED" : "ok",
                lever_cpu_gemm_backend() ? "blas" : "builtin");
    return failures ? 1 : 0;
}
