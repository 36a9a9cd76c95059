/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-info: show what a vfio-user MCU backend offers, and check that it
 * conforms (device, regions, IRQs, control region).  Exits 1 on any
 * non-conformance, so it doubles as a conformance test.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/vfio.h>

#include "vup.h"
#include "vup/client.h"
#include "vup/cr.h"

#define MAX_REGIONS 100u    /* what QEMU's client accepts */
#define MAX_IRQS    50u

struct info {
    struct vup_client_device_info dev;
    struct vup_client_region_info region[MAX_REGIONS];
    uint64_t region_size[MAX_REGIONS];
    uint32_t region_flags[MAX_REGIONS];    /* VUP_CR_REGION_* */
    uint32_t irq_flags[MAX_IRQS], irq_count[MAX_IRQS];
    uint32_t cr_index;
    void *cr;
    size_t cr_len;
    struct vup_cr_view view;
};

static const char *sock_path;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: vup-info [--json] [--timeout MS] SOCKET\n"
            "\n"
            "Connects to the vfio-user backend listening on SOCKET and shows\n"
            "the device, its regions and IRQs, and its decoded control region\n"
            "(MMIO windows, IRQ lines, memories, CPU, clocks, signals, capabilities).\n"
            "Every field is validated: the exit status is 0 if the backend\n"
            "conforms, 1 if it does not or cannot be reached, 2 on bad usage.\n"
            "\n"
            "  --json         print JSON instead of a table\n"
            "  --timeout MS   wait at most MS milliseconds per reply "
            "(default 2000)\n"
            "  -h, --help     show this help\n");
}

static int nonconform(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int nonconform(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "vup-info: %s: not conformant: ", sock_path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static void region_flags(char *buf, size_t len, uint32_t f)
{
    snprintf(buf, len, "%s%s%s%s", f & VFIO_REGION_INFO_FLAG_READ ? " read" : "",
             f & VFIO_REGION_INFO_FLAG_WRITE ? " write" : "",
             f & VFIO_REGION_INFO_FLAG_MMAP ? " mmap" : "",
             f & VFIO_REGION_INFO_FLAG_CAPS ? " caps" : "");
}

static bool is_cr(const struct vup_client_region_info *r)
{
    for (size_t i = 0; i < r->num_caps; i++) {
        if (r->caps[i].id == VFIO_REGION_INFO_CAP_TYPE &&
            r->caps[i].type == VUP_CR_REGION_TYPE &&
            r->caps[i].subtype == VUP_CR_REGION_SUBTYPE) {
            return true;
        }
    }
    return false;
}

/*
 * The IRQ indices QEMU registers an eventfd on must take one (count >= 1,
 * VFIO_IRQ_INFO_EVENTFD): the doorbell, and the lines unless the live
 * part carries them (vup_cr_lines_in_live()).
 */
static int check_eventfd(const struct info *in, uint32_t index,
                         const char *what)
{
    if (in->irq_count[index] < 1 ||
        !(in->irq_flags[index] & VFIO_IRQ_INFO_EVENTFD)) {
        return nonconform("%s: irq index %u does not support eventfd "
                          "signalling (flags 0x%x, count %u)", what, index,
                          in->irq_flags[index], in->irq_count[index]);
    }
    return 0;
}

static int check_eventfds(const struct info *in)
{
    const struct vup_cr_view *v = &in->view;

    for (size_t i = 0; !vup_cr_lines_in_live(v) && i < v->num_irq; i++) {
        if (check_eventfd(in, v->irq[i]->irq_index, v->irq[i]->name)) {
            return 1;
        }
    }
    return v->cap_doorbell ? check_eventfd(in, v->cap_doorbell->offset,
                                           "doorbell") : 0;
}

static int probe(vup_client *c, struct info *in)
{
    struct vup_cr_device_limits lim;
    bool found = false;
    char err[300];

    if (vup_client_device_info(c, &in->dev) < 0) {
        return nonconform("DEVICE_GET_INFO: %s", vup_client_error(c));
    }
    if (!(in->dev.flags & VFIO_DEVICE_FLAGS_PLATFORM)) {
        return nonconform("device flags 0x%x lack VFIO_DEVICE_FLAGS_PLATFORM",
                          in->dev.flags);
    }
    if (in->dev.num_regions > MAX_REGIONS || in->dev.num_irqs > MAX_IRQS) {
        return nonconform("%u regions and %u IRQs: QEMU accepts at most %u "
                          "and %u", in->dev.num_regions, in->dev.num_irqs,
                          MAX_REGIONS, MAX_IRQS);
    }
    for (uint32_t i = 0; i < in->dev.num_regions; i++) {
        struct vup_client_region_info *r = &in->region[i];

        if (vup_client_region_info(c, i, r) < 0) {
            return nonconform("region %u: %s", i, vup_client_error(c));
        }
        in->region_size[i] = r->size;
        in->region_flags[i] = r->flags & (VFIO_REGION_INFO_FLAG_READ |
                                          VFIO_REGION_INFO_FLAG_WRITE);
        if (is_cr(r)) {
            if (found) {
                return nonconform("regions %u and %u are both control "
                                  "regions", in->cr_index, i);
            }
            found = true;
            in->cr_index = i;
        }
    }
    for (uint32_t i = 0; i < in->dev.num_irqs; i++) {
        if (vup_client_irq_info(c, i, &in->irq_flags[i],
                                &in->irq_count[i]) < 0) {
            return nonconform("IRQ %u: %s", i, vup_client_error(c));
        }
    }
    if (!found) {
        return nonconform("no region has the control-region type "
                          "capability (0x%x/%u)", VUP_CR_REGION_TYPE,
                          VUP_CR_REGION_SUBTYPE);
    }
    if (!(in->region[in->cr_index].flags & VFIO_REGION_INFO_FLAG_READ)) {
        return nonconform("the control region (region %u) is not readable",
                          in->cr_index);
    }
    if (vup_client_read_cr(c, in->cr_index, in->region_size[in->cr_index],
                           &in->cr, &in->cr_len) < 0) {
        return nonconform("reading the control region: %s",
                          vup_client_error(c));
    }
    lim = (struct vup_cr_device_limits){
        .num_regions = in->dev.num_regions, .num_irqs = in->dev.num_irqs,
        .region_size = in->region_size, .region_flags = in->region_flags,
        .cr_index = in->cr_index,
    };
    if (vup_cr_decode(in->cr, in->cr_len, &lim, &in->view, err,
                      sizeof(err)) < 0) {
        return nonconform("%s", err);
    }
    return check_eventfds(in);
}

/* The levels of @g's lines now (bit i: line i), from the live part. */
static uint32_t signal_levels(const struct vup_cr_view *v,
                              const struct vup_cr_signal *g)
{
    const uint32_t *words = g->flags & VUP_CR_SIGNAL_OUT ? v->live->sig_out
                                                         : v->live->sig_in;
    uint32_t levels = 0;

    for (unsigned i = 0; i < g->width; i++) {
        unsigned bit = g->first + i;

        levels |= ((words[bit / 32] >> (bit % 32)) & 1u) << i;
    }
    return levels;
}

static bool live_has_signals(const struct vup_cr_view *v)
{
    return v->live && vup_cr_live_used(v) == sizeof(struct vup_cr_live);
}

static const char *signal_kind(uint32_t f)
{
    return f & VUP_CR_SIGNAL_PULSE ? "pulse" : "level";
}

static const char *clock_dir(uint32_t f)
{
    return f & VUP_CR_CLOCK_OUTPUT ? "output" : "input";
}

static const char *clock_role(uint32_t f)
{
    return f & VUP_CR_CLOCK_ROLE_CPU ? "cpu" :
           f & VUP_CR_CLOCK_ROLE_REFCLK ? "refclk" : "-";
}

static const char *cap_name(uint32_t id)
{
    switch (id) {
    case VUP_CR_CAP_VIRTUAL_TIME:
        return "virtual-time";
    case VUP_CR_CAP_FAST_PATH:
        return "fast-path";
    case VUP_CR_CAP_DOORBELL:
        return "doorbell";
    default:
        return "unknown";
    }
}

/* Direct-read ranges of the window on @region, on one line. */
static void print_direct(const struct vup_cr_view *v, uint32_t region)
{
    const char *sep = "\t\t     direct reads at";

    for (size_t i = 0; i < v->num_direct; i++) {
        if (v->direct[i]->region_index == region) {
            printf("%s +0x%" PRIx64 "..+0x%" PRIx64, sep,
                   v->direct[i]->offset,
                   v->direct[i]->offset + v->direct[i]->size - 1);
            sep = ",";
        }
    }
    if (sep[0] == ',') {
        printf("\n");
    }
}

static void print_table(vup_client *c, const struct info *in)
{
    const struct vup_cr_view *v = &in->view;
    const struct vup_cr_header *h = v->hdr;
    char flags[64];

    printf("Device \"%s\" on %s\n", h->device_name, sock_path);
    printf("\tFlags:%s%s%s\n",
           in->dev.flags & VFIO_DEVICE_FLAGS_PLATFORM ? " platform" : "",
           in->dev.flags & VFIO_DEVICE_FLAGS_RESET ? " reset" : "",
           in->dev.flags & VFIO_DEVICE_FLAGS_PCI ? " pci" : "");
    printf("\tRegions: %u, IRQs: %u\n", in->dev.num_regions,
           in->dev.num_irqs);
    printf("\tServer capabilities: %s\n",
           vup_client_server_caps(c)[0] ? vup_client_server_caps(c)
                                        : "(none)");
    for (uint32_t i = 0; i < in->dev.num_regions; i++) {
        const struct vup_client_region_info *r = &in->region[i];

        region_flags(flags, sizeof(flags), r->flags);
        printf("\tRegion %u: size 0x%" PRIx64 ",%s\n", i, r->size, flags);
        for (size_t k = 0; k < r->num_caps; k++) {
            if (r->caps[k].id == VFIO_REGION_INFO_CAP_TYPE) {
                printf("\t\tCapability: type 0x%x subtype %u%s\n",
                       r->caps[k].type, r->caps[k].subtype,
                       is_cr(r) ? " (vup control region)" : "");
            } else if (r->caps[k].id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
                printf("\t\tCapability: sparse mmap (id %u) version %u\n",
                       r->caps[k].id, r->caps[k].version);
            } else {
                printf("\t\tCapability: id %u version %u\n", r->caps[k].id,
                       r->caps[k].version);
            }
        }
    }
    for (uint32_t i = 0; i < in->dev.num_irqs; i++) {
        printf("\tIRQ %u: count %u, flags%s%s%s\n", i, in->irq_count[i],
               in->irq_flags[i] & VFIO_IRQ_INFO_EVENTFD ? " eventfd" : "",
               in->irq_flags[i] & VFIO_IRQ_INFO_MASKABLE ? " maskable" : "",
               in->irq_flags[i] & VFIO_IRQ_INFO_AUTOMASKED ? " automasked"
                                                            : "");
    }
    printf("\tControl region: version %u.%u, %u entries, descriptor 0x%x "
           "bytes, live part at 0x%x (0x%x bytes)\n", h->version_major,
           h->version_minor, h->num_entries, h->desc_size, h->live_offset,
           h->live_size);
    for (size_t i = 0; i < v->num_mmio; i++) {
        const struct vup_cr_mmio *m = v->mmio[i];

        printf("\t\tMMIO %-12s region %u at 0x%08" PRIx64 "-0x%08" PRIx64
               " (0x%" PRIx64 "), access %u..%u%s%s\n", m->name,
               m->region_index, m->base, m->base + m->size - 1, m->size,
               m->min_access, m->max_access,
               m->flags & VUP_CR_MMIO_POSTED_WRITES ? ", posted writes" : "",
               m->flags & VUP_CR_MMIO_DIRECT_MAPPED ? ", direct mapped" : "");
        print_direct(v, m->region_index);
    }
    for (size_t i = 0; i < v->num_irq; i++) {
        const struct vup_cr_irq *q = v->irq[i];

        printf("\t\tIRQ  %-12s index %u -> NVIC %u, %s\n", q->name,
               q->irq_index, q->line,
               q->flags == VUP_CR_IRQ_LEVEL ? "level" : "edge");
    }
    for (size_t i = 0; i < v->num_memory; i++) {
        const struct vup_cr_memory *m = v->memory[i];

        printf("\t\tMemory %-10s %s at 0x%08" PRIx64 " (0x%" PRIx64 ")\n",
               m->name, m->kind == VUP_CR_MEMORY_FLASH ? "flash" : "ram",
               m->base, m->size);
    }
    if (v->cpu) {
        printf("\t\tCPU %s, %u external IRQs\n",
               v->cpu->cpu_type[0] ? v->cpu->cpu_type : "(board default)",
               v->cpu->num_irq);
    }
    for (size_t i = 0; i < v->num_clock; i++) {
        const struct vup_cr_clock *k = v->clock[i];

        printf("\t\tClock %-11s %s, role %s, slot %u, %" PRIu64 " Hz at "
               "reset%s", k->name, clock_dir(k->flags), clock_role(k->flags),
               k->live_index, k->freq_hz, v->live ? "" : "\n");
        if (v->live) {
            printf(", now %" PRIu64 " Hz\n", v->live->clock_hz[k->live_index]);
        }
    }
    for (size_t i = 0; i < v->num_signal; i++) {
        const struct vup_cr_signal *g = v->signal[i];

        printf("\t\tSignal %-10s %s, %u %s line%s (live bits %u..%u)",
               g->name, g->flags & VUP_CR_SIGNAL_OUT ? "out" : "in",
               g->width, signal_kind(g->flags), g->width > 1 ? "s" : "",
               g->first, g->first + g->width - 1);
        if (live_has_signals(v) && !(g->flags & VUP_CR_SIGNAL_PULSE)) {
            printf(", now 0x%x", signal_levels(v, g));
        }
        printf("\n");
    }
    for (size_t i = 0; i < v->num_cap; i++) {
        printf("\t\tCapability %s (id %u) version %u, offset 0x%x size 0x%x\n",
               cap_name(v->cap[i]->id), v->cap[i]->id, v->cap[i]->version,
               v->cap[i]->offset, v->cap[i]->size);
    }
    if (v->num_skipped) {
        printf("\t\t%zu optional entries of unknown types skipped\n",
               v->num_skipped);
    }
    if (v->live) {
        printf("\tLive: seq %u, IRQ levels", v->live->seq);
        for (size_t i = 0; i < VUP_CR_MAX_IRQS / 32; i++) {
            printf(" %08x", v->live->irq_level[i]);
        }
        printf("\n");
    }
}

static void jadd_int(json_object *o, const char *k, int64_t v)
{
    json_object_object_add(o, k, json_object_new_int64(v));
}

static void jadd_str(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

/* A new array, member @k of @o. */
static json_object *jadd_array(json_object *o, const char *k)
{
    json_object *arr = json_object_new_array();

    json_object_object_add(o, k, arr);
    return arr;
}

/* A new object, at the end of @arr. */
static json_object *jappend_object(json_object *arr)
{
    json_object *o = json_object_new_object();

    json_object_array_add(arr, o);
    return o;
}

/* [{"offset": o, "size": n}, ...] of the window on @region. */
static json_object *json_direct(const struct vup_cr_view *v, uint32_t region)
{
    json_object *arr = json_object_new_array();

    for (size_t i = 0; i < v->num_direct; i++) {
        if (v->direct[i]->region_index == region) {
            json_object *r = json_object_new_object();

            jadd_int(r, "offset", (int64_t)v->direct[i]->offset);
            jadd_int(r, "size", (int64_t)v->direct[i]->size);
            json_object_array_add(arr, r);
        }
    }
    return arr;
}

static void print_json(vup_client *c, const struct info *in)
{
    const struct vup_cr_view *v = &in->view;
    json_object *root = json_object_new_object();
    json_object *cr = json_object_new_object();
    json_object *arr;

    jadd_str(root, "socket", sock_path);
    jadd_str(root, "device_name", v->hdr->device_name);
    jadd_int(root, "flags", in->dev.flags);
    jadd_str(root, "server_capabilities", vup_client_server_caps(c));
    arr = jadd_array(root, "regions");
    for (uint32_t i = 0; i < in->dev.num_regions; i++) {
        json_object *r = jappend_object(arr);
        json_object *caps;

        jadd_int(r, "index", i);
        jadd_int(r, "size", (int64_t)in->region[i].size);
        jadd_int(r, "flags", in->region[i].flags);
        caps = jadd_array(r, "caps");
        for (size_t k = 0; k < in->region[i].num_caps; k++) {
            json_object *cap = jappend_object(caps);

            jadd_int(cap, "id", in->region[i].caps[k].id);
            jadd_int(cap, "version", in->region[i].caps[k].version);
            jadd_int(cap, "type", in->region[i].caps[k].type);
            jadd_int(cap, "subtype", in->region[i].caps[k].subtype);
        }
    }
    arr = jadd_array(root, "irqs");
    for (uint32_t i = 0; i < in->dev.num_irqs; i++) {
        json_object *q = jappend_object(arr);

        jadd_int(q, "index", i);
        jadd_int(q, "count", in->irq_count[i]);
        jadd_int(q, "flags", in->irq_flags[i]);
    }

    jadd_int(cr, "region", in->cr_index);
    jadd_int(cr, "version_major", v->hdr->version_major);
    jadd_int(cr, "version_minor", v->hdr->version_minor);
    arr = jadd_array(cr, "mmio");
    for (size_t i = 0; i < v->num_mmio; i++) {
        json_object *m = jappend_object(arr);

        jadd_str(m, "name", v->mmio[i]->name);
        jadd_int(m, "region_index", v->mmio[i]->region_index);
        jadd_int(m, "base", (int64_t)v->mmio[i]->base);
        jadd_int(m, "size", (int64_t)v->mmio[i]->size);
        jadd_int(m, "flags", v->mmio[i]->flags);
        jadd_int(m, "min_access", v->mmio[i]->min_access);
        jadd_int(m, "max_access", v->mmio[i]->max_access);
        json_object_object_add(m, "direct",
                               json_direct(v, v->mmio[i]->region_index));
    }
    arr = jadd_array(cr, "irqs");
    for (size_t i = 0; i < v->num_irq; i++) {
        json_object *q = jappend_object(arr);

        jadd_str(q, "name", v->irq[i]->name);
        jadd_int(q, "irq_index", v->irq[i]->irq_index);
        jadd_int(q, "line", v->irq[i]->line);
        jadd_str(q, "trigger",
                 v->irq[i]->flags == VUP_CR_IRQ_LEVEL ? "level" : "edge");
    }
    arr = jadd_array(cr, "memories");
    for (size_t i = 0; i < v->num_memory; i++) {
        json_object *m = jappend_object(arr);

        jadd_str(m, "name", v->memory[i]->name);
        jadd_str(m, "kind",
                 v->memory[i]->kind == VUP_CR_MEMORY_FLASH ? "flash" : "ram");
        jadd_int(m, "base", (int64_t)v->memory[i]->base);
        jadd_int(m, "size", (int64_t)v->memory[i]->size);
    }
    if (v->cpu) {
        json_object *k = json_object_new_object();

        jadd_str(k, "cpu_type", v->cpu->cpu_type);
        jadd_int(k, "num_irq", v->cpu->num_irq);
        json_object_object_add(cr, "cpu", k);
    }
    arr = jadd_array(cr, "clocks");
    for (size_t i = 0; i < v->num_clock; i++) {
        json_object *k = jappend_object(arr);

        jadd_str(k, "name", v->clock[i]->name);
        jadd_str(k, "direction", clock_dir(v->clock[i]->flags));
        jadd_str(k, "role", clock_role(v->clock[i]->flags));
        jadd_int(k, "live_index", v->clock[i]->live_index);
        jadd_int(k, "reset_hz", (int64_t)v->clock[i]->freq_hz);
        if (v->live) {
            jadd_int(k, "hz",
                     (int64_t)v->live->clock_hz[v->clock[i]->live_index]);
        }
    }
    arr = jadd_array(cr, "signals");
    for (size_t i = 0; i < v->num_signal; i++) {
        const struct vup_cr_signal *g = v->signal[i];
        json_object *k = jappend_object(arr);

        jadd_str(k, "name", g->name);
        jadd_str(k, "direction", g->flags & VUP_CR_SIGNAL_OUT ? "out" : "in");
        jadd_str(k, "kind", signal_kind(g->flags));
        jadd_int(k, "width", g->width);
        jadd_int(k, "first", g->first);
        if (live_has_signals(v) && !(g->flags & VUP_CR_SIGNAL_PULSE)) {
            jadd_int(k, "levels", signal_levels(v, g));
        }
    }
    arr = jadd_array(cr, "caps");
    for (size_t i = 0; i < v->num_cap; i++) {
        json_object *k = jappend_object(arr);

        jadd_str(k, "name", cap_name(v->cap[i]->id));
        jadd_int(k, "id", v->cap[i]->id);
        jadd_int(k, "version", v->cap[i]->version);
        jadd_int(k, "offset", v->cap[i]->offset);
        jadd_int(k, "size", v->cap[i]->size);
    }
    jadd_int(cr, "skipped_entries", (int64_t)v->num_skipped);
    json_object_object_add(root, "control_region", cr);
    printf("%s\n", json_object_to_json_string_ext(
               root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "timeout", required_argument, NULL, 't' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct info *in;
    vup_client *c;
    bool json = false;
    long timeout = 2000;
    char err[300], *end;
    int opt, ret;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case 'j':
            json = true;
            break;
        case 't':
            errno = 0;
            timeout = strtol(optarg, &end, 10);
            if (errno || *end || timeout <= 0 || timeout > 3600000) {
                fprintf(stderr, "vup-info: bad --timeout %s\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    sock_path = argv[optind];
    c = vup_client_connect_raw(sock_path, (int)timeout, err, sizeof(err));
    if (!c) {
        fprintf(stderr, "vup-info: %s\n", err);
        return 1;
    }
    if (vup_client_version(c, VUP_CLIENT_CAPS) < 0) {
        ret = nonconform("version negotiation: %s", vup_client_error(c));
        vup_client_free(c);
        return ret;
    }
    in = calloc(1, sizeof(*in));
    if (!in) {
        vup_client_free(c);
        return 1;
    }
    ret = probe(c, in);
    if (!ret) {
        if (json) {
            print_json(c, in);
        } else {
            print_table(c, in);
        }
    }
    free(in->cr);
    free(in);
    vup_client_free(c);
    return ret;
}
