/* Angular k-nearest neighbours of small particle sets (the encoder's EdgeConv graph).
 *
 * For each particle i of each event, the k particles j != i (real ones only when a
 * mask is given) with the smallest  d_ij = 1 - n_i . n_j  (n = unit direction), and
 * ln |n_i - n_j| = ln sqrt(max(2 d_ij, floor^2)) of each.  The same function as the
 * torch path of mlhad.encoder.layers.knn_by_angle (bmm, then topk), without the
 * (B, N, N) distance matrix: for N ~ 40 and k = 8 an insertion selection per row is
 * a few dozen comparisons.
 *
 * The dot product is rounded as torch's CPU matrix product rounds it (torch 2.x, x86):
 * fma(z_i, z_j, fma(y_i, y_j, x_i * x_j)) in single precision, or the plain sum
 * (x_i x_j + y_i y_j) + z_i z_j for the small products (3 n^2 < 400) that torch
 * computes with a simple loop.  So the distances, and with them the neighbour sets,
 * are the ones torch selects (up to the choice among exactly tied distances), and the
 * ln-chord agrees to float rounding even for nearly collinear pairs, where
 * 1 - cos in single precision is ill-conditioned.  Compile with -ffp-contract=off so
 * that no other expression is contracted.
 *
 * Plain C99, no dependency; loaded through ctypes by mlhad.native.knn (which releases
 * the GIL during the call, so several Python threads can run it at once).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Rows with k <= 8 keep their 8 best in one vector register and insert branch-free:
 * the insertion branch of a scalar k-list mispredicts on about every third particle. */
#if defined(__GNUC__) && defined(__AVX2__)
#define MLHAD_VEC8 1
typedef float v8f __attribute__((vector_size(32)));
typedef int32_t v8i __attribute__((vector_size(32)));
#if defined(__clang__)
#define SHIFT_IN(a, first) __builtin_shufflevector(a, first, 8, 0, 1, 2, 3, 4, 5, 6)
#else
#define SHIFT_IN(a, first) __builtin_shuffle(a, first, (v8i){8, 0, 1, 2, 3, 4, 5, 6})
#endif

/* One insertion step of candidate (d, j) into the sorted (best, idx) of one row. */
#define INSERT8(best, idx, d, j)                                                           \
    do {                                                                                   \
        const v8f dv_ = {d, d, d, d, d, d, d, d};                                          \
        const v8i jv_ = {j, j, j, j, j, j, j, j};                                          \
        const v8f prev_ = SHIFT_IN(best, lowest);     /* best[s - 1], -inf at s = 0 */     \
        const v8i prev_idx_ = SHIFT_IN(idx, idx);                                          \
        const v8i moves_ = best > dv_;                /* lanes at or after the insertion */ \
        const v8i shifts_ = prev_ > dv_;              /* lanes after it: previous entry */  \
        const v8i take_ = moves_ & ~shifts_;          /* the insertion point itself */      \
        best = (v8f)(((v8i)best & ~moves_) | ((v8i)prev_ & shifts_) | ((v8i)dv_ & take_)); \
        idx = (idx & ~moves_) | (prev_idx_ & shifts_) | (jv_ & take_);                     \
    } while (0)

/* The 8 smallest entries of R = 4 rows of distances (row r at dist + r * n), sorted,
 * with their column; columns never inserted (fewer than 8 finite entries) keep
 * +inf and the row's own index self[r].  Four rows at once: four independent
 * dependency chains keep the vector units busy. */
static void best8x4(const float *dist, int64_t n, const int32_t self[4], float *out_d, int32_t *out_j)
{
    const v8f inf = {INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY, INFINITY};
    const v8f lowest = -inf;
    v8f b0 = inf, b1 = inf, b2 = inf, b3 = inf;
    v8i i0 = {0}, i1 = {0}, i2 = {0}, i3 = {0};
    i0 += self[0]; i1 += self[1]; i2 += self[2]; i3 += self[3];
    const float *d0 = dist, *d1 = dist + n, *d2 = dist + 2 * n, *d3 = dist + 3 * n;
    for (int32_t j = 0; j < (int32_t)n; ++j) {
        INSERT8(b0, i0, d0[j], j);
        INSERT8(b1, i1, d1[j], j);
        INSERT8(b2, i2, d2[j], j);
        INSERT8(b3, i3, d3[j], j);
    }
    for (int s = 0; s < 8; ++s) {
        out_d[s] = b0[s]; out_j[s] = i0[s];
        out_d[8 + s] = b1[s]; out_j[8 + s] = i1[s];
        out_d[16 + s] = b2[s]; out_j[16 + s] = i2[s];
        out_d[24 + s] = b3[s]; out_j[24 + s] = i3[s];
    }
}
#endif

/* The k (<= 256) smallest of one row of n distances, sorted, into best_d / best_j;
 * slots left without a finite entry keep +inf and index self. */
static void best_k(const float *dist, int64_t n, int64_t k, int64_t self, float *best_d, int64_t *best_j)
{
    for (int64_t s = 0; s < k; ++s) {
        best_d[s] = INFINITY;
        best_j[s] = self;
    }
    for (int64_t j = 0; j < n; ++j) {
        const float d = dist[j];
        if (!(d < best_d[k - 1])) continue;
        int64_t slot = k - 1;
        while (slot > 0 && best_d[slot - 1] > d) {
            best_d[slot] = best_d[slot - 1];
            best_j[slot] = best_j[slot - 1];
            --slot;
        }
        best_d[slot] = d;
        best_j[slot] = j;
    }
}

/* Returns 0 on success, 1 if k is out of range, 2 if out of memory. */
int mlhad_knn_by_angle(
    const float *direction,        /* (B, N, 3) with element strides sb, sn, sc */
    int64_t sb, int64_t sn, int64_t sc,
    const uint8_t *mask,           /* (B, N) contiguous, 1 = real particle; NULL: all real */
    int64_t n_batch, int64_t n, int64_t k,
    float chord_floor_sq,          /* floor of 2 d (the squared chord) */
    int64_t *index,                /* out (B, N, k) neighbour indices, nearest first */
    float *log_chord,              /* out (B, N, k) ln |n_i - n_j| */
    uint8_t *valid)                /* out (B, N, k) 1 = real neighbour; may be NULL when mask is NULL */
{
    enum { ROWS = 4 };
    if (k < 0 || k > 256 || (n > 0 && k > n - 1)) return 1;
    if (k == 0 || n == 0 || n_batch == 0) return 0;
    const float log_sqrt2 = logf(sqrtf(2.0f));
    /* One event as structure of arrays (x, y, z), then ROWS rows of distances. */
    float *buffer = (float *)malloc(sizeof(float) * (3 + ROWS) * (size_t)n);
    if (!buffer) return 2;
    float *x = buffer, *y = buffer + n, *z = buffer + 2 * n, *dist = buffer + 3 * n;
    /* torch's CPU bmm multiplies small products (3 n^2 < 400) with a plain loop (no fma). */
    const int small = 3 * n * n < 400;
    float best_d[ROWS * 256];
    int64_t best_j[ROWS * 256];
    for (int64_t b = 0; b < n_batch; ++b) {
        const float *event = direction + b * sb;
        const uint8_t *m = mask ? mask + b * n : 0;
        for (int64_t j = 0; j < n; ++j) {
            x[j] = event[j * sn];
            y[j] = event[j * sn + sc];
            z[j] = event[j * sn + 2 * sc];
        }
        for (int64_t i0 = 0; i0 < n; i0 += ROWS) {
            const int64_t rows = n - i0 < ROWS ? n - i0 : ROWS;
            for (int64_t r = 0; r < ROWS; ++r) {
                float *row = dist + r * n;
                if (r >= rows) {  /* past the last particle: a dummy row, never written out */
                    for (int64_t j = 0; j < n; ++j) row[j] = INFINITY;
                    continue;
                }
                const int64_t i = i0 + r;
                const float xi = x[i], yi = y[i], zi = z[i];
                if (small)
                    for (int64_t j = 0; j < n; ++j) row[j] = 1.0f - ((xi * x[j] + yi * y[j]) + zi * z[j]);
                else
                    for (int64_t j = 0; j < n; ++j) row[j] = 1.0f - fmaf(zi, z[j], fmaf(yi, y[j], xi * x[j]));
                row[i] = INFINITY;
                if (m)
                    for (int64_t j = 0; j < n; ++j) row[j] = m[j] ? row[j] : INFINITY;
            }
#ifdef MLHAD_VEC8
            if (k <= 8) {
                float d8[ROWS * 8];
                int32_t j8[ROWS * 8];
                const int32_t self[ROWS] = {(int32_t)i0, (int32_t)(i0 + 1), (int32_t)(i0 + 2), (int32_t)(i0 + 3)};
                best8x4(dist, n, self, d8, j8);
                for (int64_t r = 0; r < rows; ++r)
                    for (int64_t s = 0; s < k; ++s) {
                        best_d[r * k + s] = d8[r * 8 + s];
                        best_j[r * k + s] = j8[r * 8 + s];
                    }
            } else
#endif
            {
                for (int64_t r = 0; r < rows; ++r) best_k(dist + r * n, n, k, i0 + r, best_d + r * k, best_j + r * k);
            }
            for (int64_t r = 0; r < rows; ++r) {
                const int64_t out = (b * n + i0 + r) * k;
                for (int64_t s = 0; s < k; ++s) {
                    const float d = best_d[r * k + s];
                    index[out + s] = best_j[r * k + s];
                    if (isfinite(d)) {
                        float twice = 2.0f * d;
                        if (twice < chord_floor_sq) twice = chord_floor_sq; /* NaN stays NaN, as torch.clamp */
                        log_chord[out + s] = logf(sqrtf(twice));
                        if (valid) valid[out + s] = 1;
                    } else {
                        /* Not a real neighbour (fewer than k + 1 real particles): weight 0 downstream. */
                        log_chord[out + s] = log_sqrt2;
                        if (valid) valid[out + s] = 0;
                    }
                }
            }
        }
    }
    free(buffer);
    return 0;
}
