// CUDA kernels against the CPU kernels on random inputs, without Java. Exit 77 = skipped (no CUDA device).
#include "lever_kernels.h"
#include <cuda_runtime.h>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#ifndef LEVER_CUDA_LIB
#define LEVER_CUDA_LIB "libleverkernels_cuda.so"
#endif

static int failures = 0;
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { std::printf("CUDA %s: %s\n", #x, cudaGetErrorString(e_)); return 1; } } while (0)

template <class T> static T* dev(const std::vector<T>& h) {
    T* d = nullptr;
    if (cudaMalloc(&d, h.size() * sizeof(T)) != cudaSuccess) return nullptr;
    cudaMemcpy(d, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
    return d;
}
template <class T> static std::vector<T> host(const T* d, size_t n) {
    std::vector<T> h(n);
    cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
}
static void compare(const char* what, const std::vector<float>& a, const std::vector<float>& b, double tol) {
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        double e = std::fabs((double)a[i] - b[i]) / std::max(1.0, std::fabs((double)b[i]));
        if (!(e <= tol)) worst = std::isnan(e) ? INFINITY : std::max(worst, e);
    }
    std::printf("%-40s %s (worst rel err beyond tol %.3g)\n", what, worst == 0 ? "ok" : "FAIL", worst);
    if (worst != 0) ++failures;
}
static uint16_t to_bf16(float f) { uint32_t u; std::memcpy(&u, &f, 4); u += 0x7fff + ((u >> 16) & 1); return (uint16_t)(u >> 16); }

int main(int argc, char** argv) {
    // the library path: argv[1], else $LEVER_CUDA_LIB, else the one this build wrote (a moved build tree still runs)
    const char* lib = argc > 1 ? argv[1] : (std::getenv("LEVER_CUDA_LIB") ? std::getenv("LEVER_CUDA_LIB") : LEVER_CUDA_LIB);
    int n = lever_cuda_open(lib);
    if (n <= 0) { std::printf("SKIP: no CUDA device (%d: %s)\n", n, lever_cuda_last_error()); return 77; }
    std::mt19937 rng(1);
    std::normal_distribution<float> nd(0.f, 1.f);
    for (int64_t K : {1, 64, 100, 1000}) {
        const int64_t B = 33;
        std::vector<float> s(B * K), out(B), lse(B), go(B), gs(B * K);
        std::vector<uint8_t> m(B * K, 0);
        std::vector<int64_t> tg(B);
        for (auto& x : s) x = nd(rng);
        for (auto& x : go) x = nd(rng);
        for (int64_t b = 0; b < B; ++b) { tg[b] = (b * 7) % K; if (K > 2 && b % 3 == 0) m[b * K + (tg[b] + 1) % K] = 1; }
        lever_pointer_step_logprobs_f32(s.data(), m.data(), tg.data(), 10.f, B, K, 0, out.data(), lse.data());
        lever_pointer_step_logprobs_backward_f32(s.data(), m.data(), tg.data(), 10.f, B, K, lse.data(), go.data(), gs.data());
        float *ds = dev(s), *dgo = dev(go), *dout = dev(std::vector<float>(B, NAN)), *dlse = dev(std::vector<float>(B, NAN)),
              *dgs = dev(std::vector<float>(B * K, NAN));
        uint8_t* dm = dev(m);
        int64_t* dt = dev(tg);
        if (lever_cuda_pointer_step_logprobs_f32(ds, dm, dt, 10.f, B, K, dout, dlse, nullptr)) ++failures;
        if (lever_cuda_pointer_step_logprobs_backward_f32(ds, dm, dt, 10.f, B, K, nullptr, dgo, dgs, nullptr)) ++failures;
        CK(cudaDeviceSynchronize());
        char name[64];
        std::snprintf(name, sizeof name, "pointer fwd K=%lld", (long long)K); compare(name, host(dout, B), out, 1e-5);
        std::snprintf(name, sizeof name, "pointer bwd K=%lld", (long long)K); compare(name, host(dgs, B * K), gs, 1e-5);
        cudaFree(ds); cudaFree(dgo); cudaFree(dout); cudaFree(dlse); cudaFree(dgs); cudaFree(dm); cudaFree(dt);
    }
    struct Shape { int64_t T, D, V; };
    for (Shape sh : {Shape{1, 64, 1000}, Shape{17, 200, 5003}, Shape{64, 2048, 151936}}) {
        std::vector<float> h(sh.T * sh.D), w(sh.V * sh.D), out(sh.T);
        std::vector<uint16_t> wb(sh.V * sh.D);
        std::vector<int64_t> tg(sh.T);
        for (auto& x : h) x = nd(rng);
        for (size_t i = 0; i < w.size(); ++i) { w[i] = nd(rng) * 0.05f; wb[i] = to_bf16(w[i]); }
        for (int64_t t = 0; t < sh.T; ++t) tg[t] = (t * 7919) % sh.V;
        float* dh = dev(h); int64_t* dt = dev(tg);
        void* ws = nullptr;
        CK(cudaMalloc(&ws, lever_cuda_answer_token_logprobs_workspace_bytes(sh.T, sh.V)));
        for (int bf = 0; bf < 2; ++bf) {
            std::vector<float> wref(w);
            if (bf) for (size_t i = 0; i < w.size(); ++i) { uint32_t u = (uint32_t)wb[i] << 16; std::memcpy(&wref[i], &u, 4); }
            lever_answer_token_logprobs(h.data(), wref.data(), LEVER_F32, tg.data(), sh.T, sh.D, sh.V, 0, 0, out.data(), nullptr);
            void* dw = bf ? (void*)dev(wb) : (void*)dev(w);
            float* dout = dev(std::vector<float>(sh.T, NAN));
            if (lever_cuda_answer_token_logprobs(dh, dw, bf ? LEVER_BF16 : LEVER_F32, dt, sh.T, sh.D, sh.V, ws, dout, nullptr, nullptr)) ++failures;
            CK(cudaDeviceSynchronize());
            char name[96];
            std::snprintf(name, sizeof name, "answer %s T=%lld D=%lld V=%lld", bf ? "bf16" : "f32", (long long)sh.T, (long long)sh.D, (long long)sh.V);
            compare(name, host(dout, sh.T), out, 1e-4);
            cudaFree(dw); cudaFree(dout);
        }
        cudaFree(ws); cudaFree(dh); cudaFree(dt);
    }
    std::printf("cuda_vs_cpu: %s\n", failures ? "FAILED" : "ok");
    return failures ? 1 : 0;
}
