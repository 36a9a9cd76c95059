/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How the control channel carries bytes in JSON strings
 * (docs/control-channel.md): byte b is the character U+00bb, in UTF-8 one
 * byte below 0x80 and two from 0x80.  The one encoder, for the library's
 * replies and vup-ctl's requests.
 */
#ifndef VUP_LATIN1_H
#define VUP_LATIN1_H

#include <stddef.h>
#include <stdint.h>

/* @len bytes at @in as UTF-8 into @out (room for 2 * @len); its length. */
static inline size_t vup_latin1_encode(const uint8_t *in, size_t len,
                                       char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (in[i] < 0x80) {
            out[n++] = (char)in[i];
        } else {
            out[n++] = (char)(0xc0 | (in[i] >> 6));
            out[n++] = (char)(0x80 | (in[i] & 0x3f));
        }
    }
    return n;
}

#endif /* VUP_LATIN1_H */
