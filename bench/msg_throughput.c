/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msg_throughput: vfio-user REGION_READ round trips per second against any
 * vfio-user server (libvup's vup-stm32l4, libvfio-user's samples), with the
 * same client (include/vup/client.h) so only the server differs.
 *
 *   msg_throughput [--region N] [--offset O] [--count C] [--seconds S]
 *                  [--repeat R] SOCKET
 *
 * Prints one line per repetition:  rt_per_s <rate> us_per_rt <latency>
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vup/client.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: msg_throughput [options] SOCKET\n"
        "REGION_READ round trips per second against a vfio-user server.\n"
        "  -r, --region N    region index (default 1)\n"
        "  -o, --offset O    offset in the region (default 0)\n"
        "  -c, --count C     bytes per read, 1..8 (default 4)\n"
        "  -s, --seconds S   duration of one repetition (default 2)\n"
        "  -n, --repeat R    repetitions (default 3)\n"
        "  -h, --help\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "region", required_argument, NULL, 'r' },
        { "offset", required_argument, NULL, 'o' },
        { "count", required_argument, NULL, 'c' },
        { "seconds", required_argument, NULL, 's' },
        { "repeat", required_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    unsigned long region = 1, count = 4, repeat = 3;
    unsigned long long offset = 0;
    double seconds = 2.0;
    char err[256];
    vup_client *c;
    int opt;

    while ((opt = getopt_long(argc, argv, "r:o:c:s:n:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'r': region = strtoul(optarg, NULL, 0); break;
        case 'o': offset = strtoull(optarg, NULL, 0); break;
        case 'c': count = strtoul(optarg, NULL, 0); break;
        case 's': seconds = strtod(optarg, NULL); break;
        case 'n': repeat = strtoul(optarg, NULL, 0); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 1;
        }
    }
    if (optind != argc - 1 || count < 1 || count > 8 || seconds <= 0 ||
        repeat < 1) {
        usage(stderr);
        return 1;
    }

    c = vup_client_connect(argv[optind], 5000, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "msg_throughput: %s\n", err);
        return 1;
    }
    for (unsigned long rep = 0; rep < repeat; rep++) {
        double t0 = now_s(), t;
        unsigned long n = 0;
        uint8_t buf[8];

        /* Check the clock only every 256 round trips: it costs too. */
        do {
            for (int i = 0; i < 256; i++, n++) {
                int r = vup_client_read(c, (uint32_t)region, offset, buf,
                                        (uint32_t)count);
                if (r < 0) {
                    fprintf(stderr, "msg_throughput: read: %s (%s)\n",
                            strerror(-r), vup_client_error(c));
                    vup_client_free(c);
                    return 1;
                }
            }
            t = now_s();
        } while (t - t0 < seconds);
        printf("rt_per_s %.0f us_per_rt %.3f\n", (double)n / (t - t0),
               (t - t0) * 1e6 / (double)n);
        fflush(stdout);
    }
    vup_client_free(c);
    return 0;
}
