/*
 * Attaching vfio-user peripheral backends to an existing Cortex-M board
 *
 * See include/hw/arm/vfio-user-attach.h.  The generic board (vfio-user-mcu)
 * builds a whole machine from its backends; here the machine exists and
 * each backend fills one of its holes.
 *
 * Copyright (c) 2026 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qobject/qdict.h"
#include "hw/arm/vfio-user-attach.h"
#include "hw/irq.h"
#include "hw/misc/unimp.h"
#include "hw/sysbus.h"
#include "hw/vfio-user/platform.h"
#include "system/memory.h"

static VFIOUserAttach *vua_state(Object *obj, void *opaque)
{
    return (VFIOUserAttach *)((char *)obj + (ptrdiff_t)(uintptr_t)opaque);
}

static void vua_get_sockets(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    VFIOUserAttach *a = vua_state(obj, opaque);
    char *value = g_strdup(a->sockets ? a->sockets : "");

    visit_type_str(v, name, &value, errp);
    g_free(value);
}

static void vua_set_sockets(Object *obj, Visitor *v, const char *name,
                            void *opaque, Error **errp)
{
    VFIOUserAttach *a = vua_state(obj, opaque);
    char *value;

    if (!visit_type_str(v, name, &value, errp)) {
        return;
    }
    g_free(a->sockets);
    a->sockets = value;
}

void vfio_user_attach_class_init(ObjectClass *oc, ptrdiff_t offset)
{
    object_class_property_add(oc, "vfio-user", "str", vua_get_sockets,
                              vua_set_sockets, NULL,
                              (void *)(uintptr_t)offset);
    object_class_property_set_description(oc, "vfio-user",
        "vfio-user socket paths of peripheral backends, separated by ':'; "
        "each backend window replaces the unimplemented-device placeholder "
        "at its address, its interrupt lines go to the NVIC");
    vfio_user_platform_class_add_board_options(oc,
        offset + offsetof(VFIOUserAttach, opts));
}

void vfio_user_attach_finalize(VFIOUserAttach *a)
{
    g_free(a->sockets);
    qobject_unref(a->opts);
    g_free(a->backends);
}

/* "the in-process device /machine/soc/usart[0] (region "usart")". */
static char *vua_describe(MemoryRegion *mr)
{
    Object *owner = memory_region_owner(mr);
    g_autofree char *path = owner ? object_get_canonical_path(owner) : NULL;

    if (owner && object_dynamic_cast(owner, TYPE_VFIO_USER_PLATFORM)) {
        VFIOUserPlatform *b = VFIO_USER_PLATFORM(owner);

        for (unsigned int i = 0; i < vfio_user_platform_num_windows(b); i++) {
            if (vfio_user_platform_window_mr(b, i) == mr) {
                return g_strdup_printf("window \"%s\" of %s",
                                       vfio_user_platform_window(b, i)->name,
                                       vfio_user_platform_socket(b));
            }
        }
    }
    return g_strdup_printf("%s \"%s\"%s%s",
                           memory_region_is_ram(mr) ? "memory" :
                           "the in-process device region",
                           memory_region_name(mr), path ? " of " : "",
                           path ? path : "");
}

/*
 * What the CPU sees in [base, base + size) must be unassigned or
 * unimplemented-device placeholders.  The flat view says what is visible,
 * whatever the nesting and priorities of the SoC's containers.
 */
static bool vua_check_free(MemoryRegion *cpu_mr, const char *what,
                           uint64_t base, uint64_t size, Error **errp)
{
    uint64_t addr = base, end = base + size;

    while (addr < end) {
        MemoryRegionSection sec = memory_region_find(cpu_mr, addr,
                                                     end - addr);
        Object *owner;
        uint64_t sec_end;

        if (!sec.mr) {
            return true;        /* nothing mapped in the rest */
        }
        sec_end = sec.offset_within_address_space +
                  int128_get64(sec.size);
        owner = memory_region_owner(sec.mr);
        if (!owner || !object_dynamic_cast(owner, TYPE_UNIMPLEMENTED_DEVICE)) {
            g_autofree char *other = vua_describe(sec.mr);

            error_setg(errp, "%s [0x%" PRIx64 ", 0x%" PRIx64 ") overlaps %s "
                       "at [0x%" PRIx64 ", 0x%" PRIx64 ")", what, base, end,
                       other, (uint64_t)sec.offset_within_address_space,
                       sec_end);
            memory_region_unref(sec.mr);
            return false;
        }
        memory_region_unref(sec.mr);
        addr = sec_end;
    }
    return true;
}

static bool vua_map_windows(VFIOUserAttach *a, ARMv7MState *cpu,
                            Error **errp)
{
    unsigned int i, j;

    for (i = 0; i < a->num_backends; i++) {
        VFIOUserPlatform *b = a->backends[i];

        for (j = 0; j < vfio_user_platform_num_windows(b); j++) {
            const struct vup_cr_mmio *w = vfio_user_platform_window(b, j);
            MemoryRegion *mr = vfio_user_platform_window_mr(b, j);
            g_autofree char *what = g_strdup_printf(
                "window \"%s\" of %s", w->name, vfio_user_platform_socket(b));
            MemoryRegionSection sec;
            bool visible;

            if (w->base + w->size > 0x100000000ULL) {
                error_setg(errp, "%s at 0x%" PRIx64 " size 0x%" PRIx64
                           " ends beyond 4 GiB", what, w->base, w->size);
                return false;
            }
            if (!vua_check_free(&cpu->container, what, w->base, w->size,
                                errp)) {
                return false;
            }
            /* Placeholders sit at priority -1000; the window goes above. */
            memory_region_add_subregion_overlap(cpu->board_memory, w->base,
                                                mr, 0);
            sec = memory_region_find(&cpu->container, w->base, 1);
            visible = sec.mr == mr;
            if (sec.mr) {
                memory_region_unref(sec.mr);
            }
            if (!visible) {
                error_setg(errp, "%s at 0x%" PRIx64 ": the board maps a "
                           "placeholder above it, the CPU would not see it",
                           what, w->base);
                return false;
            }
        }
    }
    return true;
}

/* Who drives @irq: the device with a GPIO output connected to it. */
typedef struct VuaIrqSearch {
    Object *irq;
    Object *driver;
    char *output;
} VuaIrqSearch;

static int vua_find_driver(Object *obj, void *opaque)
{
    DeviceState *dev = (DeviceState *)object_dynamic_cast(obj, TYPE_DEVICE);
    VuaIrqSearch *search = opaque;
    NamedGPIOList *ngl;

    if (!dev) {
        return 0;
    }
    QLIST_FOREACH(ngl, &dev->gpios, node) {
        for (int i = 0; i < ngl->num_out; i++) {
            char *prop = g_strdup_printf("%s[%d]", ngl->name ? ngl->name :
                                         "unnamed-gpio-out", i);

            if (object_property_get_link(obj, prop, NULL) == search->irq) {
                search->driver = obj;
                search->output = prop;
                return 1;
            }
            g_free(prop);
        }
    }
    return 0;
}

static bool vua_wire_irqs(MachineState *ms, VFIOUserAttach *a,
                          ARMv7MState *cpu, Error **errp)
{
    uint64_t num_irq = object_property_get_uint(OBJECT(cpu), "num-irq",
                                                &error_abort);
    unsigned int i, j;

    for (i = 0; i < a->num_backends; i++) {
        VFIOUserPlatform *b = a->backends[i];
        const char *sock = vfio_user_platform_socket(b);

        for (j = 0; j < vfio_user_platform_num_irqs(b); j++) {
            const struct vup_cr_irq *irq = vfio_user_platform_irq(b, j);
            VuaIrqSearch search = { NULL };
            qemu_irq in;

            if (irq->line >= num_irq) {
                error_setg(errp, "irq \"%s\" of %s drives NVIC line %u, but "
                           "this SoC's NVIC has %" PRIu64 " lines", irq->name,
                           sock, irq->line, num_irq);
                return false;
            }
            in = qdev_get_gpio_in(DEVICE(cpu), irq->line);
            search.irq = OBJECT(in);
            if (object_child_foreach_recursive(OBJECT(ms), vua_find_driver,
                                               &search)) {
                g_autofree char *path =
                    object_get_canonical_path(search.driver);

                error_setg(errp, "irq \"%s\" of %s: NVIC line %u is already "
                           "driven by %s (%s)", irq->name, sock, irq->line,
                           path, search.output);
                g_free(search.output);
                return false;
            }
            sysbus_connect_irq(SYS_BUS_DEVICE(b), j, in);
        }
    }
    return true;
}

static void vua_route_clocks(VFIOUserAttach *a,
                             VFIOUserAttachClockFn clock_for, void *opaque)
{
    unsigned int i, j;

    for (i = 0; i < a->num_backends; i++) {
        VFIOUserPlatform *b = a->backends[i];

        for (j = 0; j < vfio_user_platform_num_clocks(b); j++) {
            const struct vup_cr_clock *c = vfio_user_platform_clock(b, j);
            Clock *src;

            if (!(c->flags & VUP_CR_CLOCK_INPUT)) {
                continue;       /* the board's own clock tree rules */
            }
            src = clock_for ? clock_for(opaque, c->name) : NULL;
            if (!src) {
                warn_report("input clock \"%s\" of %s: this board has no "
                            "clock of that name; it stays at 0 Hz", c->name,
                            vfio_user_platform_socket(b));
                continue;
            }
            clock_set_source(vfio_user_platform_clock_obj(b, j), src);
        }
    }
}

bool vfio_user_attach(MachineState *ms, VFIOUserAttach *a, ARMv7MState *cpu,
                      VFIOUserAttachClockFn clock_for,
                      VFIOUserBoardSignalFn signal_for, void *opaque,
                      Error **errp)
{
    if (!a->sockets || !a->sockets[0]) {
        return true;
    }
    a->backends = vfio_user_platform_create_list(OBJECT(ms), "vfio-user",
                                                 a->sockets, a->opts,
                                                 &a->num_backends, errp);
    if (!a->backends) {
        return false;
    }
    if (!vua_map_windows(a, cpu, errp) || !vua_wire_irqs(ms, a, cpu, errp)) {
        return false;
    }
    vua_route_clocks(a, clock_for, opaque);
    return vfio_user_platform_route_signals(OBJECT(ms), a->backends,
                                            a->num_backends, signal_for,
                                            opaque, errp);
}
