/*
 * vfio-user-mcu: a generic Cortex-M board whose peripherals live in
 * external vfio-user backends
 *
 * The board has a CPU, its NVIC, flash and SRAM.  Everything else comes
 * from one or more backend processes (sockets=...): each describes in its
 * control region where its registers live and which NVIC lines it drives,
 * and the board maps and wires them through vfio-user-platform devices.
 *
 * Copyright (c) 2025 vfio-user-mcu developers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/visitor.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/units.h"
#include "qobject/qdict.h"
#include "hw/arm/armv7m.h"
#include "hw/arm/boot.h"
#include "hw/arm/machines-qom.h"
#include "hw/boards.h"
#include "hw/clock.h"
#include "hw/qdev-clock.h"
#include "hw/qdev-properties.h"
#include "hw/sysbus.h"
#include "hw/vfio-user/platform.h"
#include "system/address-spaces.h"
#include "system/system.h"
#include "target/arm/cpu-qom.h"

#define TYPE_VFIO_USER_MCU_MACHINE MACHINE_TYPE_NAME("vfio-user-mcu")
OBJECT_DECLARE_SIMPLE_TYPE(VfioUserMcuMachineState, VFIO_USER_MCU_MACHINE)

/* NVIC_MAX_IRQ in hw/intc/armv7m_nvic.c */
#define VUM_MAX_IRQ 496

/* Numeric board properties; "set" records what the user gave. */
enum {
    VUM_NUM_IRQ,
    VUM_SYSCLK_HZ,
    VUM_FLASH_BASE,
    VUM_FLASH_SIZE,
    VUM_SRAM1_BASE,
    VUM_SRAM1_SIZE,
    VUM_SRAM2_BASE,
    VUM_SRAM2_SIZE,
    VUM_NUM_PROPS
};

typedef struct VumPropInfo {
    const char *name;
    bool is_size;
    uint64_t def;
    const char *desc;
} VumPropInfo;

static const VumPropInfo vum_props[VUM_NUM_PROPS] = {
    [VUM_NUM_IRQ] = { "num-irq", false, 96,
        "number of NVIC external interrupt lines (default: a backend's "
        "CPU hint, else 96)" },
    [VUM_SYSCLK_HZ] = { "sysclk-hz", false, 4000000,
        "CPU clock in Hz; the SysTick reference clock is sysclk-hz / 8; "
        "when set, replaces the backends' CPU and SysTick clock outputs "
        "(default: a backend's ROLE_CPU/ROLE_REFCLK clocks, else 4000000, "
        "the STM32L4 MSI clock at reset)" },
    [VUM_FLASH_BASE] = { "flash-base", false, 0x08000000,
        "flash base address (default: a backend's flash hint, else "
        "0x08000000); also aliased at 0 for booting" },
    [VUM_FLASH_SIZE] = { "flash-size", true, 1 * MiB,
        "flash size, read-only to the guest, holds -kernel (default: a "
        "backend's flash hint, else 1M)" },
    [VUM_SRAM1_BASE] = { "sram1-base", false, 0x20000000,
        "SRAM1 base address (default: a backend's first RAM hint, else "
        "0x20000000)" },
    [VUM_SRAM1_SIZE] = { "sram1-size", true, 96 * KiB,
        "SRAM1 size, 0 = none (default: a backend's first RAM hint, "
        "else 96K)" },
    [VUM_SRAM2_BASE] = { "sram2-base", false, 0x10000000,
        "SRAM2 base address (default: a backend's second RAM hint, else "
        "0x10000000)" },
    [VUM_SRAM2_SIZE] = { "sram2-size", true, 32 * KiB,
        "SRAM2 size, 0 = none (default: a backend's second RAM hint, "
        "else 32K)" },
};

/* Cortex-M address ranges the board owns beyond its memories. */
#define VUM_PPB_BASE        0xe0000000ULL
#define VUM_PPB_SIZE        0x00100000ULL
#define VUM_ADDR_SPACE_END  0x100000000ULL
#define VUM_BITBAND_SRAM    0x22000000ULL
#define VUM_BITBAND_PERIPH  0x42000000ULL
#define VUM_BITBAND_SIZE    0x02000000ULL

typedef struct VumMemory {
    char *name;
    uint32_t kind;               /* VUP_CR_MEMORY_FLASH or _RAM */
    uint64_t base;
    uint64_t size;
    char *origin;                /* "board" or the socket of the hint */
    MemoryRegion mr;
} VumMemory;

/* A claimed guest physical range, for the overlap checks. */
typedef struct VumRange {
    uint64_t base;
    uint64_t size;
    char *what;
} VumRange;

struct VfioUserMcuMachineState {
    MachineState parent_obj;

    ARMv7MState armv7m;
    Clock *sysclk;
    Clock *refclk;

    char *sockets;
    char *cpu_type;
    QDict *backend_opts;         /* vfio-user-platform options set here */
    uint64_t val[VUM_NUM_PROPS];
    bool set[VUM_NUM_PROPS];

    unsigned int num_backends;
    VFIOUserPlatform **backends;
    unsigned int num_memories;
    VumMemory *memories;
    MemoryRegion flash_alias;
    GArray *ranges;              /* of VumRange */
};

static const char * const vum_valid_cpu_types[] = {
    ARM_CPU_TYPE_NAME("cortex-m0"),
    ARM_CPU_TYPE_NAME("cortex-m3"),
    ARM_CPU_TYPE_NAME("cortex-m4"),
    ARM_CPU_TYPE_NAME("cortex-m7"),
    ARM_CPU_TYPE_NAME("cortex-m33"),
    ARM_CPU_TYPE_NAME("cortex-m55"),
    NULL
};

/* "cortex-m4" or "cortex-m4-arm-cpu" to a valid type name, or NULL. */
static const char *vum_cpu_type(const char *model)
{
    g_autofree char *type = g_str_has_suffix(model, "-" TYPE_ARM_CPU) ?
                            g_strdup(model) :
                            g_strdup_printf(ARM_CPU_TYPE_NAME("%s"), model);
    int i;

    for (i = 0; vum_valid_cpu_types[i]; i++) {
        if (!strcmp(type, vum_valid_cpu_types[i])) {
            return vum_valid_cpu_types[i];
        }
    }
    return NULL;
}

/* Records a claimed range; refuses it if it overlaps an earlier one. */
static void vum_claim(VfioUserMcuMachineState *s, uint64_t base,
                      uint64_t size, char *what)
{
    VumRange r = { .base = base, .size = size, .what = what };
    unsigned int i;

    for (i = 0; i < s->ranges->len; i++) {
        VumRange *o = &g_array_index(s->ranges, VumRange, i);

        if (base < o->base + o->size && o->base < base + size) {
            error_report("vfio-user-mcu: %s [0x%" PRIx64 ", 0x%" PRIx64
                         ") overlaps %s [0x%" PRIx64 ", 0x%" PRIx64 ")",
                         what, base, base + size, o->what, o->base,
                         o->base + o->size);
            g_free(what);
            exit(EXIT_FAILURE);
        }
    }
    g_array_append_val(s->ranges, r);
}

static void vum_create_backends(VfioUserMcuMachineState *s)
{
    Error *err = NULL;

    if (!s->sockets || !s->sockets[0]) {
        error_report("vfio-user-mcu: no backend: set sockets=PATH[:PATH...] "
                     "to the vfio-user socket(s) of the peripheral "
                     "backend(s)");
        exit(EXIT_FAILURE);
    }
    s->backends = vfio_user_platform_create_list(OBJECT(s), "sockets",
                                                 s->sockets, s->backend_opts,
                                                 &s->num_backends, &err);
    if (!s->backends) {
        error_report_err(err);
        exit(EXIT_FAILURE);
    }
}

/* num-irq and CPU type: user > backend hint > default. */
static void vum_choose_cpu(VfioUserMcuMachineState *s, uint32_t *num_irq,
                           const char **cpu_type)
{
    MachineState *machine = MACHINE(s);
    const char *hint_cpu = NULL, *hint_cpu_from = NULL;
    uint32_t hint_irq = 0;
    const char *hint_irq_from = NULL;
    unsigned int i;

    for (i = 0; i < s->num_backends; i++) {
        VFIOUserPlatform *b = s->backends[i];
        const struct vup_cr_cpu *h = vfio_user_platform_cpu_hint(b);
        const char *sock = vfio_user_platform_socket(b);

        if (!h) {
            continue;
        }
        if (h->num_irq) {
            if (hint_irq && hint_irq != h->num_irq) {
                error_report("vfio-user-mcu: backends disagree on num-irq: "
                             "%u (%s) and %u (%s); set num-irq", hint_irq,
                             hint_irq_from, h->num_irq, sock);
                exit(EXIT_FAILURE);
            }
            hint_irq = h->num_irq;
            hint_irq_from = sock;
        }
        if (h->cpu_type[0]) {
            if (hint_cpu && strcmp(hint_cpu, h->cpu_type)) {
                error_report("vfio-user-mcu: backends disagree on the CPU: "
                             "%s (%s) and %s (%s); set cpu-type", hint_cpu,
                             hint_cpu_from, h->cpu_type, sock);
                exit(EXIT_FAILURE);
            }
            hint_cpu = h->cpu_type;
            hint_cpu_from = sock;
        }
    }

    if (s->set[VUM_NUM_IRQ]) {
        *num_irq = s->val[VUM_NUM_IRQ];
    } else if (hint_irq) {
        *num_irq = hint_irq;
    } else {
        *num_irq = vum_props[VUM_NUM_IRQ].def;
    }
    if (*num_irq == 0 || *num_irq > VUM_MAX_IRQ) {
        error_report("vfio-user-mcu: num-irq %u%s%s is not between 1 and %u",
                     *num_irq, s->set[VUM_NUM_IRQ] ? "" : " from ",
                     s->set[VUM_NUM_IRQ] ? "" : hint_irq_from, VUM_MAX_IRQ);
        exit(EXIT_FAILURE);
    }

    if (s->cpu_type) {
        *cpu_type = vum_cpu_type(s->cpu_type);
        if (!*cpu_type) {
            error_report("vfio-user-mcu: cpu-type=%s is not a supported "
                         "Cortex-M CPU (cortex-m0, -m3, -m4, -m7, -m33, "
                         "-m55)", s->cpu_type);
            exit(EXIT_FAILURE);
        }
    } else if (machine->cpu_type) {
        *cpu_type = machine->cpu_type;
    } else if (hint_cpu) {
        *cpu_type = vum_cpu_type(hint_cpu);
        if (!*cpu_type) {
            error_report("vfio-user-mcu: backend %s asks for CPU %s, which "
                         "this board does not support; set cpu-type",
                         hint_cpu_from, hint_cpu);
            exit(EXIT_FAILURE);
        }
    } else {
        *cpu_type = ARM_CPU_TYPE_NAME("cortex-m4");
    }
}

static void vum_add_memory(VfioUserMcuMachineState *s, const char *name,
                           uint32_t kind, uint64_t base, uint64_t size,
                           const char *origin)
{
    VumMemory *m = &s->memories[s->num_memories++];

    m->name = g_strdup(name);
    m->kind = kind;
    m->base = base;
    m->size = size;
    m->origin = g_strdup(origin);
}

/* Did a backend before @upto give the same memory hint? */
static bool vum_hint_seen(VfioUserMcuMachineState *s, unsigned int upto,
                          const struct vup_cr_memory *m)
{
    unsigned int i, j;

    for (i = 0; i < upto; i++) {
        VFIOUserPlatform *b = s->backends[i];

        for (j = 0; j < vfio_user_platform_num_memories(b); j++) {
            const struct vup_cr_memory *o = vfio_user_platform_memory(b, j);

            if (o->kind == m->kind && o->base == m->base &&
                o->size == m->size && !strcmp(o->name, m->name)) {
                return true;
            }
        }
    }
    return false;
}

/*
 * Flash and RAM.  Backend hints replace the defaults; properties the user
 * set replace both.  RAM hints become SRAM1, SRAM2 and further RAMs.
 */
static void vum_plan_memories(VfioUserMcuMachineState *s)
{
    const struct vup_cr_memory *flash = NULL, *ram[2] = { NULL, NULL };
    const char *flash_from = NULL, *ram_from[2] = { NULL, NULL };
    unsigned int i, j, total = 3, num_ram = 0;

    for (i = 0; i < s->num_backends; i++) {
        total += vfio_user_platform_num_memories(s->backends[i]);
    }
    s->memories = g_new0(VumMemory, total);

    for (i = 0; i < s->num_backends; i++) {
        VFIOUserPlatform *b = s->backends[i];
        const char *sock = vfio_user_platform_socket(b);

        for (j = 0; j < vfio_user_platform_num_memories(b); j++) {
            const struct vup_cr_memory *m = vfio_user_platform_memory(b, j);

            /* Backends of one chip repeat its hints: keep one copy. */
            if (vum_hint_seen(s, i, m)) {
                continue;
            }
            if (m->kind == VUP_CR_MEMORY_FLASH) {
                if (flash) {
                    error_report("vfio-user-mcu: backends disagree on flash: "
                                 "\"%s\" 0x%" PRIx64 "+0x%" PRIx64 " (%s) and "
                                 "\"%s\" 0x%" PRIx64 "+0x%" PRIx64 " (%s)",
                                 flash->name, flash->base, flash->size,
                                 flash_from, m->name, m->base, m->size, sock);
                    exit(EXIT_FAILURE);
                }
                flash = m;
                flash_from = sock;
            } else if (num_ram < 2) {
                ram[num_ram] = m;
                ram_from[num_ram++] = sock;
            } else {
                vum_add_memory(s, m->name, m->kind, m->base, m->size, sock);
            }
        }
    }

    vum_add_memory(s, flash ? flash->name : "flash", VUP_CR_MEMORY_FLASH,
                   s->set[VUM_FLASH_BASE] || !flash ?
                   s->val[VUM_FLASH_BASE] : flash->base,
                   s->set[VUM_FLASH_SIZE] || !flash ?
                   s->val[VUM_FLASH_SIZE] : flash->size,
                   flash ? flash_from : "board");
    for (i = 0; i < 2; i++) {
        unsigned int pb = i ? VUM_SRAM2_BASE : VUM_SRAM1_BASE;
        unsigned int ps = i ? VUM_SRAM2_SIZE : VUM_SRAM1_SIZE;
        const struct vup_cr_memory *m = ram[i];
        g_autofree char *dflt = g_strdup_printf("SRAM%u", i + 1);

        /* With RAM hints, an unhinted SRAMn exists only if the user asks. */
        if (!m && num_ram && !s->set[pb] && !s->set[ps]) {
            continue;
        }
        if ((s->set[ps] || !m ? s->val[ps] : m->size) == 0) {
            continue;
        }
        vum_add_memory(s, m ? m->name : dflt, VUP_CR_MEMORY_RAM,
                       s->set[pb] || !m ? s->val[pb] : m->base,
                       s->set[ps] || !m ? s->val[ps] : m->size,
                       m ? ram_from[i] : "board");
    }
}

static void vum_create_memories(VfioUserMcuMachineState *s)
{
    MemoryRegion *sysmem = get_system_memory();
    unsigned int i;

    for (i = 0; i < s->num_memories; i++) {
        VumMemory *m = &s->memories[i];
        bool flash = m->kind == VUP_CR_MEMORY_FLASH;

        if (m->size == 0 || m->base + m->size > VUM_ADDR_SPACE_END ||
            m->base + m->size < m->base) {
            error_report("vfio-user-mcu: %s \"%s\" (from %s) at 0x%" PRIx64
                         " size 0x%" PRIx64 " is empty or beyond 4 GiB",
                         flash ? "flash" : "RAM", m->name, m->origin,
                         m->base, m->size);
            exit(EXIT_FAILURE);
        }
        vum_claim(s, m->base, m->size,
                  g_strdup_printf("%s \"%s\" (from %s)",
                                  flash ? "flash" : "RAM", m->name,
                                  m->origin));
        if (flash) {
            memory_region_init_rom(&m->mr, NULL, m->name, m->size,
                                   &error_fatal);
        } else {
            memory_region_init_ram(&m->mr, NULL, m->name, m->size,
                                   &error_fatal);
        }
        memory_region_add_subregion(sysmem, m->base, &m->mr);

        /* Boot from flash: Cortex-M fetches its vector table at 0. */
        if (flash && m->base != 0) {
            vum_claim(s, 0, m->size,
                      g_strdup_printf("the boot alias of flash \"%s\"",
                                      m->name));
            memory_region_init_alias(&s->flash_alias, NULL,
                                     "flash-boot-alias", &m->mr, 0, m->size);
            memory_region_add_subregion(sysmem, 0, &s->flash_alias);
        }
    }
}

static VumMemory *vum_flash(VfioUserMcuMachineState *s)
{
    unsigned int i;

    for (i = 0; i < s->num_memories; i++) {
        if (s->memories[i].kind == VUP_CR_MEMORY_FLASH) {
            return &s->memories[i];
        }
    }
    g_assert_not_reached();
}

static void vum_map_windows(VfioUserMcuMachineState *s)
{
    MemoryRegion *sysmem = get_system_memory();
    unsigned int i, j;

    for (i = 0; i < s->num_backends; i++) {
        VFIOUserPlatform *b = s->backends[i];

        for (j = 0; j < vfio_user_platform_num_windows(b); j++) {
            const struct vup_cr_mmio *w = vfio_user_platform_window(b, j);
            char *what = g_strdup_printf("window \"%s\" of %s", w->name,
                                         vfio_user_platform_socket(b));

            if (w->base + w->size > VUM_ADDR_SPACE_END) {
                error_report("vfio-user-mcu: %s at 0x%" PRIx64 " size 0x%"
                             PRIx64 " ends beyond 4 GiB", what, w->base,
                             w->size);
                g_free(what);
                exit(EXIT_FAILURE);
            }
            vum_claim(s, w->base, w->size, what);
            memory_region_add_subregion(sysmem, w->base,
                                        vfio_user_platform_window_mr(b, j));
        }
    }
}

static void vum_wire_irqs(VfioUserMcuMachineState *s, uint32_t num_irq)
{
    g_autofree const char **owner = g_new0(const char *, num_irq);
    g_autofree const char **owner_sock = g_new0(const char *, num_irq);
    unsigned int i, j;

    for (i = 0; i < s->num_backends; i++) {
        VFIOUserPlatform *b = s->backends[i];
        const char *sock = vfio_user_platform_socket(b);

        for (j = 0; j < vfio_user_platform_num_irqs(b); j++) {
            const struct vup_cr_irq *irq = vfio_user_platform_irq(b, j);

            if (irq->line >= num_irq) {
                error_report("vfio-user-mcu: irq \"%s\" of %s drives NVIC "
                             "line %u, but the board has num-irq=%u",
                             irq->name, sock, irq->line, num_irq);
                exit(EXIT_FAILURE);
            }
            if (owner[irq->line]) {
                error_report("vfio-user-mcu: NVIC line %u is driven by irq "
                             "\"%s\" of %s and by irq \"%s\" of %s",
                             irq->line, owner[irq->line],
                             owner_sock[irq->line], irq->name, sock);
                exit(EXIT_FAILURE);
            }
            owner[irq->line] = irq->name;
            owner_sock[irq->line] = sock;
            sysbus_connect_irq(SYS_BUS_DEVICE(b), j,
                               qdev_get_gpio_in(DEVICE(&s->armv7m),
                                                irq->line));
        }
    }
}

/* A clock entry of a backend, for routing. */
typedef struct VumClockRef {
    VFIOUserPlatform *backend;
    unsigned int n;
} VumClockRef;

static const struct vup_cr_clock *vum_clock(const VumClockRef *r)
{
    return vfio_user_platform_clock(r->backend, r->n);
}

/* The OUTPUT clock named @name in any backend; NULL if there is none. */
static bool vum_find_output(VfioUserMcuMachineState *s, const char *name,
                            VumClockRef *out)
{
    unsigned int i, j;

    for (i = 0; i < s->num_backends; i++) {
        VFIOUserPlatform *b = s->backends[i];

        for (j = 0; j < vfio_user_platform_num_clocks(b); j++) {
            const struct vup_cr_clock *c = vfio_user_platform_clock(b, j);

            if ((c->flags & VUP_CR_CLOCK_OUTPUT) && !strcmp(c->name, name)) {
                *out = (VumClockRef) { .backend = b, .n = j };
                return true;
            }
        }
    }
    return false;
}

/*
 * Clock routing.  Output clock names are unique across backends and each
 * role has at most one output.  Every input is connected to the output of
 * the same name; an input nobody drives stays at 0 Hz with a warning (its
 * backend may not need it).  Returns the CPU and SysTick clocks: the
 * ROLE_CPU and ROLE_REFCLK outputs, unless the user set sysclk-hz.
 */
static void vum_route_clocks(VfioUserMcuMachineState *s, Clock **cpuclk,
                             Clock **refclk)
{
    VumClockRef role_cpu = { NULL }, role_ref = { NULL };
    unsigned int i, j;

    for (i = 0; i < s->num_backends; i++) {
        VFIOUserPlatform *b = s->backends[i];
        const char *sock = vfio_user_platform_socket(b);

        for (j = 0; j < vfio_user_platform_num_clocks(b); j++) {
            const struct vup_cr_clock *c = vfio_user_platform_clock(b, j);
            VumClockRef r = { .backend = b, .n = j }, o;

            if (c->flags & VUP_CR_CLOCK_INPUT) {
                if (!vum_find_output(s, c->name, &o)) {
                    warn_report("vfio-user-mcu: input clock \"%s\" of %s: "
                                "no backend drives an output clock of that "
                                "name; it stays at 0 Hz", c->name, sock);
                    continue;
                }
                clock_set_source(vfio_user_platform_clock_obj(b, j),
                                 vfio_user_platform_clock_obj(o.backend,
                                                              o.n));
                continue;
            }
            if (vum_find_output(s, c->name, &o) &&
                (o.backend != b || o.n != j)) {
                error_report("vfio-user-mcu: output clock \"%s\" is driven "
                             "by %s and by %s", c->name,
                             vfio_user_platform_socket(o.backend), sock);
                exit(EXIT_FAILURE);
            }
            if (c->flags & VUP_CR_CLOCK_ROLE_CPU) {
                if (role_cpu.backend) {
                    error_report("vfio-user-mcu: two CPU clocks (ROLE_CPU): "
                                 "\"%s\" of %s and \"%s\" of %s",
                                 vum_clock(&role_cpu)->name,
                                 vfio_user_platform_socket(role_cpu.backend),
                                 c->name, sock);
                    exit(EXIT_FAILURE);
                }
                role_cpu = r;
            }
            if (c->flags & VUP_CR_CLOCK_ROLE_REFCLK) {
                if (role_ref.backend) {
                    error_report("vfio-user-mcu: two SysTick reference "
                                 "clocks (ROLE_REFCLK): \"%s\" of %s and "
                                 "\"%s\" of %s",
                                 vum_clock(&role_ref)->name,
                                 vfio_user_platform_socket(role_ref.backend),
                                 c->name, sock);
                    exit(EXIT_FAILURE);
                }
                role_ref = r;
            }
        }
    }

    if (s->set[VUM_SYSCLK_HZ]) {
        return;
    }
    if (role_cpu.backend) {
        *cpuclk = vfio_user_platform_clock_obj(role_cpu.backend, role_cpu.n);
    }
    if (role_ref.backend) {
        *refclk = vfio_user_platform_clock_obj(role_ref.backend, role_ref.n);
    }
}

static void vfio_user_mcu_init(MachineState *machine)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(machine);
    Clock *cpuclk, *refclk;
    DeviceState *armv7m;
    Error *err = NULL;
    const char *cpu_type;
    uint32_t num_irq;
    VumMemory *flash;
    bool bitband;

    s->ranges = g_array_new(false, true, sizeof(VumRange));

    /* Backends first: their control regions can shape the board. */
    vum_create_backends(s);
    vum_choose_cpu(s, &num_irq, &cpu_type);
    vum_plan_memories(s);
    vum_create_memories(s);

    if (s->val[VUM_SYSCLK_HZ] == 0) {
        error_report("vfio-user-mcu: sysclk-hz must not be 0");
        exit(EXIT_FAILURE);
    }
    s->sysclk = clock_new(OBJECT(machine), "SYSCLK");
    clock_set_hz(s->sysclk, s->val[VUM_SYSCLK_HZ]);
    s->refclk = clock_new(OBJECT(machine), "REFCLK");
    clock_set_hz(s->refclk, s->val[VUM_SYSCLK_HZ] / 8);
    cpuclk = s->sysclk;
    refclk = s->refclk;
    vum_route_clocks(s, &cpuclk, &refclk);

    object_initialize_child(OBJECT(machine), "armv7m", &s->armv7m,
                            TYPE_ARMV7M);
    armv7m = DEVICE(&s->armv7m);
    qdev_prop_set_uint32(armv7m, "num-irq", num_irq);
    qdev_prop_set_string(armv7m, "cpu-type", cpu_type);
    /* Cortex-M3 and M4 have bit-banding: alias regions in front of RAM. */
    bitband = !strcmp(cpu_type, ARM_CPU_TYPE_NAME("cortex-m3")) ||
              !strcmp(cpu_type, ARM_CPU_TYPE_NAME("cortex-m4"));
    qdev_prop_set_bit(armv7m, "enable-bitband", bitband);
    qdev_connect_clock_in(armv7m, "cpuclk", cpuclk);
    qdev_connect_clock_in(armv7m, "refclk", refclk);
    object_property_set_link(OBJECT(armv7m), "memory",
                             OBJECT(get_system_memory()), &error_abort);
    sysbus_realize(SYS_BUS_DEVICE(armv7m), &error_fatal);

    /* The NVIC, SysTick, MPU and debug blocks live in the PPB. */
    vum_claim(s, VUM_PPB_BASE, VUM_PPB_SIZE,
              g_strdup("the Cortex-M private peripheral bus"));
    if (bitband) {
        vum_claim(s, VUM_BITBAND_SRAM, VUM_BITBAND_SIZE,
                  g_strdup("the SRAM bit-band alias"));
        vum_claim(s, VUM_BITBAND_PERIPH, VUM_BITBAND_SIZE,
                  g_strdup("the peripheral bit-band alias"));
    }
    vum_map_windows(s);
    vum_wire_irqs(s, num_irq);
    if (!vfio_user_platform_route_signals(OBJECT(s), s->backends,
                                          s->num_backends, NULL, NULL,
                                          &err)) {
        error_prepend(&err, "vfio-user-mcu: ");
        error_report_err(err);
        exit(EXIT_FAILURE);
    }

    flash = vum_flash(s);
    armv7m_load_kernel(s->armv7m.cpu, machine->kernel_filename, flash->base,
                       flash->size);
}

/* Properties */

static void vum_get_prop(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(obj);
    unsigned int idx = (uintptr_t)opaque;
    uint64_t value = s->val[idx];

    if (vum_props[idx].is_size) {
        visit_type_size(v, name, &value, errp);
    } else {
        visit_type_uint64(v, name, &value, errp);
    }
}

static void vum_set_prop(Object *obj, Visitor *v, const char *name,
                         void *opaque, Error **errp)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(obj);
    unsigned int idx = (uintptr_t)opaque;
    uint64_t value;

    if (vum_props[idx].is_size) {
        if (!visit_type_size(v, name, &value, errp)) {
            return;
        }
    } else if (!visit_type_uint64(v, name, &value, errp)) {
        return;
    }
    s->val[idx] = value;
    s->set[idx] = true;
}

static char *vum_get_sockets(Object *obj, Error **errp)
{
    return g_strdup(VFIO_USER_MCU_MACHINE(obj)->sockets);
}

static void vum_set_sockets(Object *obj, const char *value, Error **errp)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(obj);

    g_free(s->sockets);
    s->sockets = g_strdup(value);
}

static char *vum_get_cpu_type(Object *obj, Error **errp)
{
    return g_strdup(VFIO_USER_MCU_MACHINE(obj)->cpu_type);
}

static void vum_set_cpu_type(Object *obj, const char *value, Error **errp)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(obj);

    g_free(s->cpu_type);
    s->cpu_type = g_strdup(value);
}

static void vfio_user_mcu_instance_init(Object *obj)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(obj);
    unsigned int i;

    for (i = 0; i < VUM_NUM_PROPS; i++) {
        s->val[i] = vum_props[i].def;
    }
    /*
     * Flash and SRAM memfd-backed: the DMA_MAPs to the backends carry fds,
     * so their DMA is a copy, not a DMA_READ/WRITE round trip through the
     * main loop (aux-ram-share=off to compare).
     */
    MACHINE(obj)->aux_ram_share = true;
}

static void vfio_user_mcu_instance_finalize(Object *obj)
{
    VfioUserMcuMachineState *s = VFIO_USER_MCU_MACHINE(obj);

    g_free(s->sockets);
    g_free(s->cpu_type);
    qobject_unref(s->backend_opts);
}

static void vfio_user_mcu_class_init(ObjectClass *oc, const void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);
    unsigned int i;

    mc->desc = "Generic Cortex-M board with vfio-user peripheral backends";
    mc->init = vfio_user_mcu_init;
    mc->max_cpus = 1;
    mc->valid_cpu_types = vum_valid_cpu_types;

    object_class_property_add_str(oc, "sockets", vum_get_sockets,
                                  vum_set_sockets);
    object_class_property_set_description(oc, "sockets",
        "vfio-user socket paths of the peripheral backends, separated by "
        "':' (required)");
    object_class_property_add_str(oc, "cpu-type", vum_get_cpu_type,
                                  vum_set_cpu_type);
    object_class_property_set_description(oc, "cpu-type",
        "Cortex-M CPU, e.g. cortex-m4 (default: -cpu, else a backend's "
        "CPU hint, else cortex-m4)");
    /* msg-timeout, on-failure, fast-path...: each backend's options */
    vfio_user_platform_class_add_board_options(oc,
        offsetof(VfioUserMcuMachineState, backend_opts));
    for (i = 0; i < VUM_NUM_PROPS; i++) {
        object_class_property_add(oc, vum_props[i].name,
                                  vum_props[i].is_size ? "size" : "uint64",
                                  vum_get_prop, vum_set_prop, NULL,
                                  (void *)(uintptr_t)i);
        object_class_property_set_description(oc, vum_props[i].name,
                                              vum_props[i].desc);
    }
}

static const TypeInfo vfio_user_mcu_info = {
    .name = TYPE_VFIO_USER_MCU_MACHINE,
    .parent = TYPE_MACHINE,
    .instance_size = sizeof(VfioUserMcuMachineState),
    .instance_init = vfio_user_mcu_instance_init,
    .instance_finalize = vfio_user_mcu_instance_finalize,
    .class_init = vfio_user_mcu_class_init,
    .interfaces = arm_machine_interfaces,
};

static void vfio_user_mcu_machine_init(void)
{
    type_register_static(&vfio_user_mcu_info);
}

type_init(vfio_user_mcu_machine_init);
