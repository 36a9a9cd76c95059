/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soak client for a running vup-stm32l4 (tests/stress/soak.sh runs the
 * backend under valgrind): ACCESSES forwarded accesses to the USART1 and
 * RCC windows: in turn a write, its read-back, a posted write and its
 * read-back (which must see it), a DEVICE_RESET every RESET_EVERY accesses and a
 * reconnect every RECONNECT_EVERY.  Each connection also registers IRQ
 * eventfds and maps a memfd, so the server has fds and mappings to drop.
 *
 *   soak SOCKET ACCESSES [RESET_EVERY [RECONNECT_EVERY]]
 *
 * Exits 1 on the first wrong value or failed request.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "vup/client.h"
#include "vup/cr.h"

#define TIMEOUT_MS  10000
#define USART_BRR   0x0c     /* BRR[15:0] read-write, no side effects */
#define RCC_AHB1ENR 0x48     /* read-write bits 0x00031103 */
#define AHB1ENR_MASK 0x00031103u
#define AHB1ENR_RESET 0x00000100u

struct soak {
    const char *path;
    vup_client *c;
    uint32_t usart, rcc;     /* region indices */
    uint32_t num_irqs;
    int efds[8];
    int memfd;
    unsigned long reads, writes, posted, resets, reconnects;
};

static void fail(struct soak *s, const char *what, int err)
{
    fprintf(stderr, "soak: %s: %s (%s)\n", what, strerror(-err),
            s->c ? vup_client_error(s->c) : "");
    exit(1);
}

/* Finds the windows by name in the control region. */
static void find_regions(struct soak *s)
{
    struct vup_client_device_info di;
    struct vup_client_region_info ri;
    struct vup_cr_view *v = malloc(sizeof(*v));
    char err[256];
    void *cr;
    size_t len;
    int ret;

    if (!v) {
        fail(s, "malloc", -ENOMEM);
    }
    if ((ret = vup_client_device_info(s->c, &di)) < 0 ||
        (ret = vup_client_region_info(s->c, 0, &ri)) < 0 ||
        (ret = vup_client_read_cr(s->c, 0, ri.size, &cr, &len)) < 0) {
        fail(s, "device info", ret);
    }
    if (vup_cr_decode(cr, len, NULL, v, err, sizeof(err)) < 0) {
        fprintf(stderr, "soak: control region: %s\n", err);
        exit(1);
    }
    s->usart = s->rcc = 0;
    for (size_t i = 0; i < v->num_mmio; i++) {
        if (!strcmp(v->mmio[i]->name, "usart1")) {
            s->usart = v->mmio[i]->region_index;
        } else if (!strcmp(v->mmio[i]->name, "rcc")) {
            s->rcc = v->mmio[i]->region_index;
        }
    }
    if (!s->usart || !s->rcc) {
        fprintf(stderr, "soak: the backend needs --periph rcc,usart1\n");
        exit(1);
    }
    s->num_irqs = di.num_irqs < 8 ? di.num_irqs : 8;
    free(cr);
    free(v);
}

static void connect_dev(struct soak *s)
{
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    char err[256];
    int ret;

    s->c = vup_client_connect(s->path, TIMEOUT_MS, err, sizeof(err));
    if (!s->c) {
        fprintf(stderr, "soak: connect %s: %s\n", s->path, err);
        exit(1);
    }
    find_regions(s);
    for (uint32_t i = 0; i < s->num_irqs; i++) {
        ret = vup_client_irq_set_eventfd(s->c, i, s->efds[i]);
        if (ret < 0) {
            fail(s, "SET_IRQS", ret);
        }
    }
    ret = vup_client_dma_map(s->c, 0x20000000, 0x10000, rw, s->memfd, 0);
    if (ret < 0) {
        fail(s, "DMA_MAP", ret);
    }
}

static uint32_t rd(struct soak *s, uint32_t region, uint32_t off)
{
    uint32_t v;
    int ret = vup_client_read(s->c, region, off, &v, 4);

    if (ret < 0) {
        fail(s, "read", ret);
    }
    s->reads++;
    return v;
}

static void wr(struct soak *s, uint32_t region, uint32_t off, uint32_t v,
               bool posted)
{
    int ret = vup_client_write(s->c, region, off, &v, 4, posted);

    if (ret < 0) {
        fail(s, "write", ret);
    }
    if (posted) {
        s->posted++;
    } else {
        s->writes++;
    }
}

static void expect(uint32_t got, uint32_t want, const char *what,
                   unsigned long i)
{
    if (got != want) {
        fprintf(stderr, "soak: access %lu: %s is 0x%08x, expected 0x%08x\n",
                i, what, got, want);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct soak s = { .memfd = -1 };
    unsigned long n, reset_every = 5000, reconnect_every = 10000;
    uint32_t brr = 0, ahb = AHB1ENR_RESET;
    struct timespec t0, t1;

    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: soak SOCKET ACCESSES [RESET_EVERY "
                "[RECONNECT_EVERY]]\n");
        return 2;
    }
    s.path = argv[1];
    n = strtoul(argv[2], NULL, 0);
    if (argc > 3) {
        reset_every = strtoul(argv[3], NULL, 0);
    }
    if (argc > 4) {
        reconnect_every = strtoul(argv[4], NULL, 0);
    }
    if (!reset_every || !reconnect_every) {
        fprintf(stderr, "soak: the periods must be positive\n");
        return 2;
    }
    for (size_t i = 0; i < 8; i++) {
        s.efds[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    s.memfd = memfd_create("soak-ram", MFD_CLOEXEC);
    if (s.memfd < 0 || ftruncate(s.memfd, 0x10000) < 0) {
        perror("soak: memfd");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    connect_dev(&s);
    for (unsigned long i = 1; i <= n; i++) {
        switch (i % 4) {
        case 0:     /* a checked write */
            brr = (uint32_t)(i * 2654435761u) & 0xffff;
            wr(&s, s.usart, USART_BRR, brr, false);
            break;
        case 1:     /* a read of it */
            expect(rd(&s, s.usart, USART_BRR), brr, "USART1 BRR", i);
            break;
        case 2:     /* a posted write... */
            ahb = (uint32_t)i & AHB1ENR_MASK;
            wr(&s, s.rcc, RCC_AHB1ENR, ahb, true);
            break;
        case 3:     /* ...seen by the next read */
            expect(rd(&s, s.rcc, RCC_AHB1ENR), ahb, "RCC AHB1ENR", i);
            break;
        }
        if (i % reset_every == 0) {
            int ret = vup_client_reset(s.c);

            if (ret < 0) {
                fail(&s, "DEVICE_RESET", ret);
            }
            s.resets++;
            brr = 0;
            ahb = AHB1ENR_RESET;
            expect(rd(&s, s.usart, USART_BRR), brr, "BRR after reset", i);
        }
        if (i % reconnect_every == 0) {
            vup_client_free(s.c);
            connect_dev(&s);
            s.reconnects++;
            /* A new client gets a reset device. */
            brr = 0;
            ahb = AHB1ENR_RESET;
            expect(rd(&s, s.rcc, RCC_AHB1ENR), ahb, "AHB1ENR after reconnect",
                   i);
        }
    }
    vup_client_free(s.c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("soak: %lu accesses (%lu reads, %lu writes, %lu posted writes), "
           "%lu resets, %lu reconnects in %.1f s, 0 errors\n",
           s.reads + s.writes + s.posted, s.reads, s.writes, s.posted,
           s.resets, s.reconnects,
           (double)(t1.tv_sec - t0.tv_sec) +
           (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    for (size_t i = 0; i < 8; i++) {
        close(s.efds[i]);
    }
    close(s.memfd);
    return 0;
}
