/* A C program that uses the C ABI the way an engine does: it owns AscendCL (here the emulator's,
 * whose acl/acl.h is a subset of CANN's with the same names), its device memory and its stream;
 * it calls ascend-kernels ops on them, synchronizes, and copies the results out. Built and run
 * by capi/tests/c_abi.rs, which checks the results against the Rust library's.
 *
 * Usage: abi_test OUT_FILE     (writes the raw output bytes of each op, in order)
 * Exit codes: 0 ok; 2 a call failed unexpectedly; 3 an expected failure did not happen;
 * 4 device memory or a stream was left behind. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "ak_emu.h"
#include "ascend_kernels.h"

#define CHECK_ACL(call)                                                                   \
    do {                                                                                  \
        aclError rc_ = (call);                                                            \
        if (rc_ != ACL_SUCCESS) {                                                         \
            const char* m_ = aclGetRecentErrMsg();                                        \
            fprintf(stderr, "%s:%d: %s = %d (%s)\n", __FILE__, __LINE__, #call, rc_, m_ ? m_ : ""); \
            exit(2);                                                                      \
        }                                                                                 \
    } while (0)

#define CHECK_AK(call)                                                                    \
    do {                                                                                  \
        int32_t rc_ = (call);                                                             \
        if (rc_ != AK_STATUS_OK) {                                                        \
            fprintf(stderr, "%s:%d: %s = %d (%s)\n", __FILE__, __LINE__, #call, rc_, ak_last_error()); \
            exit(2);                                                                      \
        }                                                                                 \
    } while (0)

/* The call must fail with `status` and a message containing `needle`. */
static void expect_failure(int32_t rc, int32_t status, const char* needle, const char* what)
{
    if (rc != status || strstr(ak_last_error(), needle) == NULL) {
        fprintf(stderr, "%s: expected status %d with '%s', got %d: %s\n", what, status, needle, rc, ak_last_error());
        exit(3);
    }
    printf("refused as expected: %s: %s\n", what, ak_last_error());
}

/* f32 -> bf16, round to nearest even (finite inputs). */
static uint16_t bf16_of(float f)
{
    uint32_t b;
    memcpy(&b, &f, 4);
    b += 0x7FFFu + ((b >> 16) & 1u);
    return (uint16_t)(b >> 16);
}

/* The inputs: bf16 of ((i * mul) % 201 - 100) / div, the same formula the Rust test uses. */
static void fill(uint16_t* v, size_t n, uint32_t mul, float div)
{
    for (size_t i = 0; i < n; ++i) {
        v[i] = bf16_of((float)((int32_t)((i * mul) % 201u) - 100) / div);
    }
}

static ak_tensor tensor(void* data, uint64_t bytes, int32_t dtype, uint32_t rank, const int64_t* shape)
{
    ak_tensor t;
    memset(&t, 0, sizeof(t));
    t.data = data;
    t.bytes = bytes;
    t.dtype = dtype;
    t.rank = rank;
    for (uint32_t i = 0; i < rank; ++i) {
        t.shape[i] = shape[i];
    }
    return t;
}

static void* device_copy(const void* host, size_t bytes)
{
    void* p = NULL;
    CHECK_ACL(aclrtMalloc(&p, bytes, ACL_MEM_MALLOC_HUGE_FIRST));
    CHECK_ACL(aclrtMemcpy(p, bytes, host, bytes, ACL_MEMCPY_HOST_TO_DEVICE));
    return p;
}

static void* device_alloc(size_t bytes)
{
    void* p = NULL;
    CHECK_ACL(aclrtMalloc(&p, bytes, ACL_MEM_MALLOC_HUGE_FIRST));
    return p;
}

static void dump(FILE* f, const void* dev, size_t bytes)
{
    void* host = malloc(bytes);
    if (host == NULL) {
        exit(2);
    }
    CHECK_ACL(aclrtMemcpy(host, bytes, dev, bytes, ACL_MEMCPY_DEVICE_TO_HOST));
    if (fwrite(host, 1, bytes, f) != bytes) {
        exit(2);
    }
    free(host);
}

int main(int argc, char** argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: abi_test OUT_FILE\n");
        return 2;
    }
    printf("ascend-kernels %s\n", ak_version());
    CHECK_ACL(aclInit(NULL));
    CHECK_ACL(aclrtSetDevice(0));
    aclrtStream stream = NULL;
    CHECK_ACL(aclrtCreateStream(&stream));

    ak_context* ctx = NULL;
    CHECK_AK(ak_context_create(AK_RUNTIME_EMULATOR, 0, NULL, &ctx));
    char target[8];
    CHECK_AK(ak_context_target(ctx, target, sizeof(target)));
    if (strcmp(target, "a2") != 0) {
        fprintf(stderr, "device 0 should be a2, is %s\n", target);
        return 3;
    }

    /* rms_norm: bf16 x [7, 96], weight [96]. */
    enum { R = 7, H = 96 };
    uint16_t hx[R * H], hw[H];
    fill(hx, R * H, 37, 25.0f);
    fill(hw, H, 11, 80.0f);
    void* dx = device_copy(hx, sizeof(hx));
    void* dw = device_copy(hw, sizeof(hw));
    void* dy = device_alloc(sizeof(hx));
    const int64_t xs[2] = {R, H}, ws[1] = {H};
    ak_tensor tx = tensor(dx, sizeof(hx), AK_DT_BF16, 2, xs);
    ak_tensor tw = tensor(dw, sizeof(hw), AK_DT_BF16, 1, ws);
    ak_tensor ty = tensor(dy, sizeof(hx), AK_DT_BF16, 2, xs);
    CHECK_AK(ak_rms_norm(ctx, stream, &tx, &tw, NULL, &ty, NULL, 1e-6f, 0));

    /* mx_quant: bf16 a [5, 100] and b [33, 100] to E4M3 with pair-layout scales [rows, 2, 2]. */
    enum { M = 5, N = 33, K = 100, PAIRS = 2 };
    uint16_t ha[M * K], hb[N * K];
    fill(ha, M * K, 53, 20.0f);
    fill(hb, N * K, 29, 40.0f);
    void* da = device_copy(ha, sizeof(ha));
    void* db = device_copy(hb, sizeof(hb));
    void* dqa = device_alloc(M * K);
    void* dsa = device_alloc(M * PAIRS * 2);
    void* dqb = device_alloc(N * K);
    void* dsb = device_alloc(N * PAIRS * 2);
    const int64_t as[2] = {M, K}, bs[2] = {N, K}, sas[3] = {M, PAIRS, 2}, sbs[3] = {N, PAIRS, 2};
    ak_tensor ta = tensor(da, sizeof(ha), AK_DT_BF16, 2, as);
    ak_tensor tb = tensor(db, sizeof(hb), AK_DT_BF16, 2, bs);
    ak_tensor tqa = tensor(dqa, M * K, AK_DT_F8_E4M3, 2, as);
    ak_tensor tsa = tensor(dsa, M * PAIRS * 2, AK_DT_F8_E8M0, 3, sas);
    ak_tensor tqb = tensor(dqb, N * K, AK_DT_F8_E4M3, 2, bs);
    ak_tensor tsb = tensor(dsb, N * PAIRS * 2, AK_DT_F8_E8M0, 3, sbs);
    CHECK_AK(ak_mx_quant(ctx, stream, &ta, &tqa, &tsa, AK_FORMAT_E4M3, 0, 0));
    CHECK_AK(ak_mx_quant(ctx, stream, &tb, &tqb, &tsb, AK_FORMAT_E4M3, 0, 0));

    /* mx_matmul of the two, with a bias, f32 out [5, 33], on the same stream (ordered after the
     * quantizations). */
    float bias[N];
    for (int i = 0; i < N; ++i) {
        bias[i] = (float)(i - 16) / 8.0f;
    }
    uint64_t ws_bytes = 0;
    CHECK_AK(ak_mx_matmul_workspace_size(ctx, M, N, K, 1, &ws_bytes));
    void* dws = device_alloc(ws_bytes);
    void* dmm = device_alloc(M * N * 4);
    const int64_t os[2] = {M, N}, wss[1] = {(int64_t)ws_bytes};
    ak_tensor tout = tensor(dmm, M * N * 4, AK_DT_F32, 2, os);
    ak_tensor tws = tensor(dws, ws_bytes, AK_DT_U8, 1, wss);
    CHECK_AK(ak_mx_matmul(ctx, stream, AK_FORMAT_E4M3, &tqa, &tsa, AK_FORMAT_E4M3, &tqb, &tsb, bias, N, &tout, &tws));

    /* Errors come back as a status and one message; nothing is launched. */
    const int64_t bad[1] = {H + 1};
    ak_tensor tbad = tensor(dw, sizeof(hw), AK_DT_BF16, 1, bad);
    expect_failure(ak_rms_norm(ctx, stream, &tx, &tbad, NULL, &ty, NULL, 1e-6f, 0), AK_STATUS_INVALID, "weight",
                   "a weight of the wrong length");
    expect_failure(ak_rms_norm(ctx, stream, &tx, NULL, NULL, &ty, NULL, 1e-6f, 0), AK_STATUS_INVALID, "NULL",
                   "a NULL tensor");
    ak_tensor tcode = tx;
    tcode.dtype = 42;
    expect_failure(ak_rms_norm(ctx, stream, &tcode, &tw, NULL, &ty, NULL, 1e-6f, 0), AK_STATUS_INVALID,
                   "unknown dtype code 42", "an unknown dtype code");
    expect_failure(ak_rms_norm(ctx, stream, &tx, &tw, &tx, &ty, NULL, 1e-6f, 0), AK_STATUS_INVALID,
                   "both or neither", "a residual without its output");
    static uint16_t host_memory[R * H];
    ak_tensor thost = tensor(host_memory, sizeof(host_memory), AK_DT_BF16, 2, xs);
    expect_failure(ak_rms_norm(ctx, stream, &thost, &tw, NULL, &ty, NULL, 1e-6f, 0), AK_STATUS_RUNTIME,
                   "not inside a device allocation", "host memory passed as device memory");
    expect_failure(ak_context_set_variant(ctx, "v9") == AK_STATUS_OK
                       ? ak_rms_norm(ctx, stream, &tx, &tw, NULL, &ty, NULL, 1e-6f, 0)
                       : -1,
                   AK_STATUS_UNAVAILABLE, "not compiled", "a variant the library lacks");
    CHECK_AK(ak_context_set_variant(ctx, "auto"));

    CHECK_ACL(aclrtSynchronizeStream(stream));

    FILE* f = fopen(argv[1], "wb");
    if (f == NULL) {
        return 2;
    }
    dump(f, dy, sizeof(hx));
    dump(f, dqa, M * K);
    dump(f, dsa, M * PAIRS * 2);
    dump(f, dqb, N * K);
    dump(f, dsb, N * PAIRS * 2);
    dump(f, dmm, M * N * 4);
    fclose(f);

    void* bufs[] = {dx, dw, dy, da, db, dqa, dsa, dqb, dsb, dws, dmm};
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); ++i) {
        CHECK_ACL(aclrtFree(bufs[i]));
    }
    CHECK_ACL(aclrtDestroyStream(stream));
    ak_context_destroy(ctx);
    if (akEmuLiveAllocations() != 0 || akEmuLiveStreams() != 0) {
        fprintf(stderr, "left behind: %llu allocations, %llu streams\n",
                (unsigned long long)akEmuLiveAllocations(), (unsigned long long)akEmuLiveStreams());
        return 4;
    }
    printf("ok\n");
    return 0;
}
