/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: vup_cr_decode() on arbitrary control regions, with and
 * without device limits.  On success every pointer of the view is followed
 * and every name read with strlen(), so ASan catches a view the validator
 * let point outside the buffer or at an unterminated name; a failure must
 * leave a NUL-terminated, non-empty message.
 */
#include <stdlib.h>
#include <string.h>

#include "vup/cr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile size_t sink;

static void touch(const void *p, size_t len)
{
    const unsigned char *b = p;
    size_t sum = 0;

    for (size_t i = 0; i < len; i++) {
        sum += b[i];
    }
    sink += sum;
}

/* Every entry of one kind of the view (v->kind[], v->num_kind), its name. */
#define WALK_NAMED(v, kind) \
    for (size_t i = 0; i < (v)->num_##kind; i++) { \
        touch((v)->kind[i], sizeof(*(v)->kind[i])); \
        sink += strlen((v)->kind[i]->name); \
    }

static void walk(const struct vup_cr_view *v)
{
    touch(v->hdr, sizeof(*v->hdr));
    sink += strlen(v->hdr->device_name);
    if (v->live) {
        touch(v->live, VUP_CR_LIVE_SIZE_MIN);   /* 1.3 fields may not fit */
    }
    WALK_NAMED(v, mmio);
    WALK_NAMED(v, irq);
    WALK_NAMED(v, clock);
    WALK_NAMED(v, memory);
    for (size_t i = 0; i < v->num_cap; i++) {
        touch(v->cap[i], sizeof(*v->cap[i]));
    }
    if (v->cpu) {
        touch(v->cpu, sizeof(*v->cpu));
        sink += strlen(v->cpu->cpu_type);
    }
}

static void decode(const void *buf, size_t size,
                   const struct vup_cr_device_limits *limits)
{
    struct vup_cr_view *v = malloc(sizeof(*v));
    char err[256];

    if (!v) {
        abort();
    }
    memset(err, 'x', sizeof(err));
    if (vup_cr_decode(buf, size, limits, v, err, sizeof(err)) == 0) {
        walk(v);
    } else if (!memchr(err, 0, sizeof(err)) || !err[0]) {
        abort();
    }
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exactly @size bytes, 8-byte aligned as the decoder requires. */
    void *buf = malloc(size ? size : 1);
    uint64_t region_size[4] = { 0, 0x400, 0x400, 0x400 };
    struct vup_cr_device_limits limits = {
        .num_regions = 4, .num_irqs = 4, .region_size = region_size,
    };

    if (!buf) {
        abort();
    }
    memcpy(buf, data, size);
    region_size[0] = size;
    decode(buf, size, NULL);
    decode(buf, size, &limits);
    free(buf);
    return 0;
}
