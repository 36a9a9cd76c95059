/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-ctl: printing the replies for people (without --json).
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "vup-ctl.h"

/* ---- printing the replies ------------------------------------------------ */

static const char *driven_text(json_object *r, char *buf, size_t len)
{
    json_object *d = member(r, "driven");

    if (!d) {
        return "";
    }
    snprintf(buf, len, ", driven to %d from outside", json_object_get_int(d));
    return buf;
}

/* "gpioa.5 = 1 (output push-pull)", and what the outside cannot do. */
void print_pin(json_object *r)
{
    char buf[48];
    const char *mode = member_str(r, "mode");
    bool in = json_object_get_boolean(member(r, "in"));

    printf("%s = %d (%s%s)%s\n", member_str(r, "pin"),
           json_object_get_int(member(r, "level")),
           mode[0] ? mode : "no mode", driven_text(r, buf, sizeof(buf)),
           in ? "" : ", not settable");
}

void print_value(json_object *r)
{
    const char *unit = member_str(r, "unit");

    printf("%s = %s%s%s (%s..%s%s)\n", member_str(r, "name"),
           member_str(r, "value"), unit[0] ? " " : "", unit,
           member_str(r, "min"), member_str(r, "max"),
           json_object_get_boolean(member(r, "integer")) ? ", whole" : "");
}

void print_list(json_object *r)
{
    json_object *ps = member(r, "peripherals");

    printf("device %s, QEMU %s, virtual time %" PRIu64 " ns\n",
           member_str(r, "device"),
           json_object_get_boolean(member(r, "qemu_connected"))
           ? "connected" : "not connected", member_u64(r, "vtime_ns"));
    for (size_t i = 0; i < json_object_array_length(ps); i++) {
        json_object *p = json_object_array_get_idx(ps, i);
        json_object *regs = member(p, "registers");
        json_object *pins = member(p, "pins");
        json_object *lines = member(p, "serial");
        json_object *vals = member(p, "values");

        printf("%s at 0x%08" PRIx64 " (0x%" PRIx64 " bytes)\n",
               member_str(p, "name"), member_u64(p, "base"),
               member_u64(p, "size"));
        for (size_t j = 0; j < json_object_array_length(regs); j++) {
            json_object *g = json_object_array_get_idx(regs, j);

            printf("  register %-12s +0x%03" PRIx64 " = 0x%08" PRIx64 "%s\n",
                   member_str(g, "name"), member_u64(g, "offset"),
                   member_u64(g, "value"),
                   json_object_get_boolean(member(g, "read_hook"))
                   ? "  (read hook: a guest read may differ)" : "");
        }
        /* Absent from a protocol 1.0 backend. */
        json_object *sigs = NULL;

        json_object_object_get_ex(p, "signals", &sigs);
        for (size_t j = 0; sigs && j < json_object_array_length(sigs); j++) {
            json_object *q = json_object_array_get_idx(sigs, j);

            printf("  signal %-10s %-3s %2" PRIu64 " %s lines = 0x%" PRIx64
                   ", connected %s\n", member_str(q, "signal"),
                   member_str(q, "direction"), member_u64(q, "width"),
                   member_str(q, "kind"), member_u64(q, "levels"),
                   member_str(q, "connected"));
        }
        for (size_t j = 0; j < json_object_array_length(pins); j++) {
            printf("  pin ");
            print_pin(json_object_array_get_idx(pins, j));
        }
        for (size_t j = 0; j < json_object_array_length(lines); j++) {
            json_object *q = json_object_array_get_idx(lines, j);

            printf("  serial line %s: %" PRIu64 " bytes sent, mark at %"
                   PRIu64 "\n", member_str(q, "line"), member_u64(q, "bytes"),
                   member_u64(q, "mark"));
        }
        for (size_t j = 0; j < json_object_array_length(vals); j++) {
            printf("  value ");
            print_value(json_object_array_get_idx(vals, j));
        }
    }
}

void print_reply(const char *cmd, json_object *r)
{
    if (!strcmp(cmd, "hello")) {
        printf("%s: protocol %s %d.%d, libvup %s, QEMU %s, virtual time %"
               PRIu64 " ns\n", member_str(r, "device"),
               member_str(r, "protocol"),
               json_object_get_int(member(r, "major")),
               json_object_get_int(member(r, "minor")),
               member_str(r, "library"),
               json_object_get_boolean(member(r, "qemu_connected"))
               ? "connected" : "not connected", member_u64(r, "vtime_ns"));
    } else if (!strcmp(cmd, "list")) {
        print_list(r);
    } else if (!strcmp(cmd, "read-reg")) {
        printf("%s.%s (+0x%03" PRIx64 ") = 0x%08" PRIx64 "\n",
               member_str(r, "peripheral"), member_str(r, "register"),
               member_u64(r, "offset"), member_u64(r, "value"));
    } else if (!strcmp(cmd, "set-pin") || !strcmp(cmd, "get-pin")) {
        print_pin(r);
        if (member(r, "note")) {
            fprintf(stderr, PROG ": note: %s\n", member_str(r, "note"));
        }
    } else if (!strcmp(cmd, "inject")) {
        printf("%s: %" PRIu64 " bytes injected\n", member_str(r, "line"),
               member_u64(r, "bytes"));
    } else if (!strcmp(cmd, "set-value") || !strcmp(cmd, "get-value")) {
        print_value(r);
    } else if (!strcmp(cmd, "wait-pin")) {
        printf("%s = %d at %" PRIu64 " ns\n", member_str(r, "pin"),
               json_object_get_int(member(r, "level")),
               member_u64(r, "vtime_ns"));
    } else if (!strcmp(cmd, "wait-serial")) {
        printf("%s: seen at bytes %" PRIu64 "..%" PRIu64 ", at %" PRIu64
               " ns\n", member_str(r, "line"), member_u64(r, "match_start"),
               member_u64(r, "match_end"), member_u64(r, "vtime_ns"));
    }
}
