// Forwards lever_cuda_* to the optional CUDA library, opened at run time. Keeping CUDA out of this library's link
// line means the CPU build needs no CUDA toolkit and loads on machines without a driver.
#include "lever_kernels.h"
#include <dlfcn.h>
#include <mutex>
#include <string>

namespace {
struct CudaLib {
    void* handle = nullptr;
    int (*device_count)() = nullptr;
    const char* (*error_string)(int) = nullptr;
    int (*ptr_fwd)(const float*, const uint8_t*, const int64_t*, float, int64_t, int64_t, float*, float*, void*) = nullptr;
    int (*ptr_bwd)(const float*, const uint8_t*, const int64_t*, float, int64_t, int64_t, const float*, const float*,
                   float*, void*) = nullptr;
    int64_t (*ans_ws)(int64_t, int64_t) = nullptr;
    int (*ans)(const float*, const void*, int, const int64_t*, int64_t, int64_t, int64_t, void*, float*, float*,
               void*) = nullptr;
};
CudaLib g_lib;
std::mutex g_mu;
std::string g_err;

template <class F>
bool sym(void* h, const char* name, F& f) {
    f = reinterpret_cast<F>(dlsym(h, name));
    if (!f) g_err = std::string("missing symbol ") + name;
    return f != nullptr;
}

int translate(int rc) {
    if (rc == 0) return LEVER_OK;
    if (rc < 0) return rc;  // already a LEVER_E_* code
    g_err = g_lib.error_string ? g_lib.error_string(rc) : "cuda error";
    return LEVER_E_CUDA;
}
}  // namespace

extern "C" int lever_cuda_open(const char* path) {
    std::lock_guard<std::mutex> lock(g_mu);
    if (!g_lib.handle) {
        if (!path) { g_err = "no path given"; return LEVER_E_NO_CUDA; }
        void* h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!h) { const char* e = dlerror(); g_err = e ? e : "dlopen failed"; return LEVER_E_NO_CUDA; }
        CudaLib lib;
        lib.handle = h;
        if (!sym(h, "lkc_device_count", lib.device_count) || !sym(h, "lkc_error_string", lib.error_string) ||
            !sym(h, "lkc_pointer_step_logprobs_f32", lib.ptr_fwd) ||
            !sym(h, "lkc_pointer_step_logprobs_backward_f32", lib.ptr_bwd) ||
            !sym(h, "lkc_answer_token_logprobs_workspace_bytes", lib.ans_ws) ||
            !sym(h, "lkc_answer_token_logprobs", lib.ans)) {
            dlclose(h);
            return LEVER_E_NO_CUDA;
        }
        g_lib = lib;
    }
    int n = g_lib.device_count();
    if (n < 0) {
        g_err = g_lib.error_string(-n);
        return -(1000 + (-n));
    }
    g_err.clear();
    return n;
}

extern "C" int lever_cuda_loaded(void) { return g_lib.handle != nullptr; }
extern "C" const char* lever_cuda_last_error(void) { return g_err.c_str(); }

extern "C" int lever_cuda_pointer_step_logprobs_f32(const float* s, const uint8_t* m, const int64_t* t, float inv_t,
                                                    int64_t B, int64_t K, float* out, float* lse, void* stream) {
    if (!g_lib.handle) return LEVER_E_NO_CUDA;
    return translate(g_lib.ptr_fwd(s, m, t, inv_t, B, K, out, lse, stream));
}

extern "C" int lever_cuda_pointer_step_logprobs_backward_f32(const float* s, const uint8_t* m, const int64_t* t,
                                                             float inv_t, int64_t B, int64_t K, const float* lse,
                                                             const float* go, float* gs, void* stream) {
    if (!g_lib.handle) return LEVER_E_NO_CUDA;
    return translate(g_lib.ptr_bwd(s, m, t, inv_t, B, K, lse, go, gs, stream));
}

extern "C" int64_t lever_cuda_answer_token_logprobs_workspace_bytes(int64_t T, int64_t V) {
    if (!g_lib.handle) return LEVER_E_NO_CUDA;
    return g_lib.ans_ws(T, V);
}

extern "C" int lever_cuda_answer_token_logprobs(const float* h, const void* w, int wd, const int64_t* tg, int64_t T,
                                                int64_t D, int64_t V, void* ws, float* out, float* lse, void* stream) {
    if (!g_lib.handle) return LEVER_E_NO_CUDA;
    return translate(g_lib.ans(h, w, wd, tg, T, D, V, ws, out, lse, stream));
}
