/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cr-verdicts FILE...: the control-region decoder's verdict on each file,
 * one line per file and set of limits: "OK" or the error message.
 *
 * Linked twice by the Makefile: with libvup's decoder, and with the object
 * QEMU's build made of the same source (hw/vfio-user/vup-cr.c), so a test
 * can show that both give the same verdict on every input.  The limits are
 * the fuzz target's (tests/fuzz/fuzz_cr_decode.c): none, then a device
 * with 4 regions of which region 0 is the control region.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vup/cr.h"

static int verdict(const char *path, const void *buf, size_t size,
                   const struct vup_cr_device_limits *lim, const char *what)
{
    struct vup_cr_view *v = malloc(sizeof(*v));
    char err[256];
    int ret;

    if (!v) {
        perror("cr-verdicts");
        return -1;
    }
    ret = vup_cr_decode(buf, size, lim, v, err, sizeof(err));
    printf("%s [%s]: %s\n", path, what, ret ? err : "OK");
    free(v);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cr-verdicts FILE...\n");
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        uint64_t region_size[4] = { 0, 0x400, 0x400, 0x400 };
        struct vup_cr_device_limits lim = {
            .num_regions = 4, .num_irqs = 4, .region_size = region_size,
        };
        FILE *f = fopen(argv[i], "rb");
        void *buf;
        long size;

        if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
            fseek(f, 0, SEEK_SET)) {
            fprintf(stderr, "cr-verdicts: %s: %s\n", argv[i],
                    strerror(errno));
            return 1;
        }
        /* Exactly @size bytes, 8-byte aligned as the decoder requires. */
        buf = malloc(size ? (size_t)size : 1);
        if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
            fprintf(stderr, "cr-verdicts: %s: cannot read\n", argv[i]);
            return 1;
        }
        fclose(f);
        region_size[0] = (uint64_t)size;
        if (verdict(argv[i], buf, (size_t)size, NULL, "no limits") ||
            verdict(argv[i], buf, (size_t)size, &lim, "4 regions")) {
            return 1;
        }
        free(buf);
    }
    return 0;
}
