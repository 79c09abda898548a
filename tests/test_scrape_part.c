/* test_scrape_part.c — the scan loop's partition of rows (scrape_loop.h) against a plain
 * enumeration: for every rank count, batch size and round length, the ranks' shares of a round
 * tile it exactly (each row to one rank, in rank order, no rank more than its share); one
 * process takes every row of a round, and its rounds are single batches; under MPI a share is
 * 8 batches unless their row sums (L * share * C floats) would pass 256 MiB, and never less than
 * one batch. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "scrape/scrape_loop.h"

int main(void) {
    for (int R = 1; R <= 5; R++)
        for (int B = 1; B <= 9; B += 2) {
            scrape_part pt0 = scrape_part_make(R, 0, B, 12, 3072);
            uint64_t S = pt0.share;
            CHECK(S == (R == 1 ? (uint64_t)B : 8u * (uint64_t)B), "R %d B %d: share %llu", R, B,
                  (unsigned long long)S);
            /* every round length up to a full round and past it (cut to a full round by the loop) */
            for (uint64_t n = 0; n <= (uint64_t)R * S; n++) {
                unsigned char owner[5 * 8 * 9 + 1] = {0};
                uint64_t next = 0; /* the shares come in rank order, back to back */
                for (int r = 0; r < R; r++) {
                    scrape_part pt = scrape_part_make(R, r, B, 12, 3072);
                    uint64_t lo, mine;
                    scrape_part_rows(&pt, n, &lo, &mine);
                    CHECK(pt.share == S && pt.rank == r && pt.ranks == R, "R %d rank %d: the same share", R, r);
                    CHECK(lo == next && mine <= S && lo + mine <= n, "R %d B %d n %llu rank %d: [%llu, +%llu)", R, B,
                          (unsigned long long)n, r, (unsigned long long)lo, (unsigned long long)mine);
                    for (uint64_t i = lo; i < lo + mine && i < n; i++) owner[i]++;
                    next = lo + mine;
                }
                int tiled = next == n;
                for (uint64_t i = 0; i < n; i++) tiled &= owner[i] == 1;
                CHECK(tiled, "R %d B %d n %llu: every row of the round to exactly one rank", R, B,
                      (unsigned long long)n);
            }
        }
    /* the 256 MiB bound on a round's row sums: 48 layers x 6400 neurons (GPT-2 XL) are 1,228,800
     * bytes a row; at B = 64, 8 batches (512 rows, 629 MB) do not fit, 3 batches (192 rows,
     * 235.9 MB) do, 4 (314.6 MB) do not */
    scrape_part xl = scrape_part_make(4, 1, 64, 48, 6400);
    CHECK(xl.share == 192, "XL share %llu, expected 192", (unsigned long long)xl.share);
    CHECK(scrape_part_make(4, 1, 8, 48, 6400).share == 64, "XL at B = 8: 8 batches fit (78.6 MB)");
    scrape_part huge = scrape_part_make(2, 0, 4, 4096, 1 << 20); /* not even one batch fits: one batch */
    CHECK(huge.share == 4, "share never below one batch: %llu", (unsigned long long)huge.share);
    scrape_part one = scrape_part_make(1, 0, 4, 4096, 1 << 20); /* one process: no row sums, no bound */
    CHECK(one.share == 4, "one process: share = B");
    return check_finish();
}
