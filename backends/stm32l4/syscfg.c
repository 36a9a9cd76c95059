/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 system configuration controller SYSCFG (RM0351 chapter 9),
 * at 0x40010000 on APB2.
 *
 * Every register of RM0351 9.2 that the STM32L475 has, with its reset
 * value and field semantics (the table at the end): MEMRMP, CFGR1,
 * EXTICR1..4, SCSR, CFGR2, SWPR, SKR.  Behaviour (the hooks):
 *   - the EXTI multiplexer: signal groups "gpioa" .. "gpioh" come in
 *     (16 lines each, the pins of the port of that name: connected inside
 *     the backend to the GPIO models there, else published for QEMU to
 *     route from another backend), and "syscfg.exti" goes out (16 lines:
 *     line x is the level of pin x of the port EXTICRn.EXTIx selects,
 *     0: PA .. 7: PH), which EXTI takes.  Every change of a pin and every
 *     EXTICR write updates it; re-routing a line to a pin at another
 *     level changes it as the multiplexer would (EXTI may see an edge);
 *   - SRAM2 software erase: writing 0xCA then 0x53 to SKR unlocks SCSR's
 *     SRAM2ER (a wrong key locks it again); setting SRAM2ER then zeroes
 *     the 32 KiB of SRAM2 (0x10000000) through guest-memory DMA, with
 *     SRAM2BSY set while a DMA request is in flight; both read 0 when it
 *     is done (at once when QEMU shares its RAM).  Without the key the
 *     write is ignored.  A failed erase (no such memory mapped) is logged;
 *   - set-only and clear-only bits as the manual says: CFGR1.FWDIS is
 *     cleared by writing 0 and set only by reset; CFGR2's CLL, SPL, PVDL,
 *     ECCL and SWPR's PxWP are set by writing 1 and cleared only by reset;
 *     CFGR2.SPF is cleared by writing 1 (nothing sets it: no parity
 *     errors here).
 * Not modelled (stored and read back, no effect): the memory remap
 * (MEMRMP: QEMU's board owns the memory map), the firewall, the I/O
 * analog switch booster, Fast-mode Plus drive, the FPU interrupt enables
 * (CFGR1.FPU_IE: the FPU interrupt, NVIC 81, is never raised), SRAM2 page
 * write protection (SWPR is kept, writes to SRAM2 are not refused), the
 * lock bits' targets (CFGR2).  SWPR2 (SRAM2 pages 32..63) exists on the
 * STM32L49x/L4Ax only, not on the STM32L475 modelled here (its SVD and
 * CMSIS header have none): 0x28 is reserved.  The EXTI multiplexer takes
 * a pin's level (signals carry what is on the pin) also in analog mode,
 * where silicon's Schmitt trigger is off and EXTI sees 0.  As the other
 * models, SYSCFG answers whatever its RCC APB2ENR.SYSCFGEN bit says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vup/registerfields.h>

#include "stm32l4.h"

/* Registers, RM0351 9.2 (the STM32L475's; SVD STM32L475). */
REG32(MEMRMP, 0x00)
    FIELD(MEMRMP, MEM_MODE, 0, 3)
    FIELD(MEMRMP, QFS, 3, 1)
    FIELD(MEMRMP, FB_MODE, 8, 1)
REG32(CFGR1, 0x04)
    FIELD(CFGR1, FWDIS, 0, 1)
    FIELD(CFGR1, BOOSTEN, 8, 1)
    FIELD(CFGR1, I2C_PB6_FMP, 16, 1)
    FIELD(CFGR1, I2C_PB7_FMP, 17, 1)
    FIELD(CFGR1, I2C_PB8_FMP, 18, 1)
    FIELD(CFGR1, I2C_PB9_FMP, 19, 1)
    FIELD(CFGR1, I2C1_FMP, 20, 1)
    FIELD(CFGR1, I2C2_FMP, 21, 1)
    FIELD(CFGR1, I2C3_FMP, 22, 1)
    FIELD(CFGR1, FPU_IE, 26, 6)
REG32(EXTICR1, 0x08)
REG32(EXTICR2, 0x0c)
REG32(EXTICR3, 0x10)
REG32(EXTICR4, 0x14)
REG32(SCSR, 0x18)
    FIELD(SCSR, SRAM2ER, 0, 1)
    FIELD(SCSR, SRAM2BSY, 1, 1)
REG32(CFGR2, 0x1c)
    FIELD(CFGR2, CLL, 0, 1)
    FIELD(CFGR2, SPL, 1, 1)
    FIELD(CFGR2, PVDL, 2, 1)
    FIELD(CFGR2, ECCL, 3, 1)
    FIELD(CFGR2, SPF, 8, 1)
REG32(SWPR, 0x20)
REG32(SKR, 0x24)
    FIELD(SKR, KEY, 0, 8)

#define SYSCFG_LINES        16u
#define SYSCFG_EXTI_BITS    3u      /* EXTIx[2:0]: PA..PH */
#define SYSCFG_KEY1         0xcau
#define SYSCFG_KEY2         0x53u
#define SYSCFG_SRAM2_BASE   STM32L4_SRAM2_BASE
#define SYSCFG_SRAM2_SIZE   STM32L4_SRAM2_SIZE

/* The SKR key sequence that unlocks SRAM2ER. */
enum syscfg_key { SYSCFG_LOCKED, SYSCFG_KEY1_SEEN, SYSCFG_UNLOCKED };

struct stm32l4_syscfg {
    struct stm32l4_periph_info info;
    struct vup_periph_desc desc;
    vup_periph *p;
    vup_signal *port[STM32L4_NUM_GPIO_PORTS];   /* IN "gpioa" .. "gpioh" */
    vup_signal *out;                            /* OUT "syscfg.exti" */
    enum syscfg_key key;
    unsigned erase_gen;      /* bumped by reset: a late erase is dropped */
};

static const char *const syscfg_port_names[STM32L4_NUM_GPIO_PORTS] = {
    "gpioa", "gpiob", "gpioc", "gpiod", "gpioe", "gpiof", "gpiog", "gpioh",
};

static struct stm32l4_syscfg *syscfg_of(vup_periph *p)
{
    return vup_periph_opaque(p);
}

/* The port (0: A) EXTICR selects for EXTI line @line. */
static unsigned syscfg_source(vup_periph *p, unsigned line)
{
    uint32_t cr = vup_reg_get(p, A_EXTICR1 + 4 * (line / 4));

    return (cr >> (4 * (line % 4))) & ((1u << SYSCFG_EXTI_BITS) - 1);
}

/* "syscfg.exti" from the ports' levels and EXTICR1..4: one update. */
static void syscfg_route(struct stm32l4_syscfg *s)
{
    uint32_t levels = 0;

    if (!s->out) {
        return;                     /* still being created */
    }
    for (unsigned line = 0; line < SYSCFG_LINES; line++) {
        unsigned port = syscfg_source(s->p, line);

        if ((vup_signal_levels(s->port[port]) >> line) & 1u) {
            levels |= 1u << line;
        }
    }
    vup_signal_set_lines(s->out, (1u << SYSCFG_LINES) - 1, levels);
}

/* A pin of a port changed. */
static void syscfg_port_input(void *opaque, unsigned line, bool level)
{
    (void)line;
    (void)level;                    /* vup_signal_levels() has it */
    syscfg_route(opaque);
}

/* ---- register hooks -------------------------------------------------- */

static void exticr_write(vup_periph *p, const struct vup_reg *reg,
                         uint32_t old, uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    syscfg_route(syscfg_of(p));
}

/* The key sequence: 0xCA then 0x53 unlocks; any other value locks. */
static void skr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_syscfg *s = syscfg_of(p);
    uint32_t key = FIELD_EX32(value, SKR, KEY);

    (void)reg; (void)old; (void)written;
    if (key == SYSCFG_KEY1) {
        s->key = SYSCFG_KEY1_SEEN;
    } else if (key == SYSCFG_KEY2 && s->key == SYSCFG_KEY1_SEEN) {
        s->key = SYSCFG_UNLOCKED;
    } else {
        s->key = SYSCFG_LOCKED;
    }
    vup_reg_set(p, A_SKR, 0);       /* write-only */
}

struct syscfg_erase {
    struct stm32l4_syscfg *s;
    unsigned gen;
};

static void syscfg_erase_done(void *opaque, int status)
{
    struct syscfg_erase *e = opaque;
    struct stm32l4_syscfg *s = e->s;

    if (e->gen == s->erase_gen) {
        if (status < 0) {
            vup_log(VUP_LOG_ERROR, "%s: SRAM2 erase at 0x%08x failed (%d)",
                    s->info.name, (unsigned)SYSCFG_SRAM2_BASE, status);
        }
        vup_reg_set(s->p, A_SCSR, 0);
    }
    free(e);
}

/* SRAM2ER (set-only): starts the erase, if SKR unlocked it. */
static void scsr_write(vup_periph *p, const struct vup_reg *reg,
                       uint32_t old, uint32_t value, uint32_t written)
{
    static const uint8_t zeros[SYSCFG_SRAM2_SIZE];
    struct stm32l4_syscfg *s = syscfg_of(p);
    struct syscfg_erase *e;
    int ret;

    (void)reg; (void)written;
    if (!FIELD_EX32(value & ~old, SCSR, SRAM2ER)) {
        return;                     /* not a start (or one in progress) */
    }
    if (s->key != SYSCFG_UNLOCKED) {
        vup_log(VUP_LOG_DEBUG, "%s: SRAM2ER written without the SKR key: "
                "ignored", s->info.name);
        vup_reg_set(p, A_SCSR, old);
        return;
    }
    e = malloc(sizeof(*e));
    if (!e) {
        vup_reg_set(p, A_SCSR, old);
        return;
    }
    *e = (struct syscfg_erase){ .s = s, .gen = s->erase_gen };
    ret = vup_dma_write(p, SYSCFG_SRAM2_BASE, zeros, sizeof(zeros),
                        syscfg_erase_done, e);
    if (ret == VUP_DMA_PENDING) {
        vup_reg_set(p, A_SCSR, FIELD_DP32(value, SCSR, SRAM2BSY, 1));
        return;                     /* syscfg_erase_done() ends it */
    }
    syscfg_erase_done(e, ret);
}

/*
 * Field semantics, RM0351 9.2.  EXTICRn: four 3-bit fields (EXTIx[2:0]
 * at 4 * (x % 4)); their bit 3 is reserved on this part.
 */
#define SYSCFG_EXTI_FIELD(x) \
    VUP_FIELD("EXTI" #x, 4 * ((x) % 4), SYSCFG_EXTI_BITS, VUP_RW)
#define SYSCFG_WP_FIELD(x) VUP_FIELD("P" #x "WP", (x), 1, VUP_W1S)

static const struct vup_field memrmp_fields[] = {
    VUP_FIELDS_OF(MEMRMP, VUP_RW, MEM_MODE, QFS, FB_MODE),
};
static const struct vup_field cfgr1_fields[] = {
    VUP_FIELD_OF(CFGR1, FWDIS, VUP_W0C),
    VUP_FIELDS_OF(CFGR1, VUP_RW, BOOSTEN, I2C_PB6_FMP, I2C_PB7_FMP,
                  I2C_PB8_FMP, I2C_PB9_FMP, I2C1_FMP, I2C2_FMP, I2C3_FMP,
                  FPU_IE),
};
static const struct vup_field exticr1_fields[] = {
    SYSCFG_EXTI_FIELD(0), SYSCFG_EXTI_FIELD(1), SYSCFG_EXTI_FIELD(2),
    SYSCFG_EXTI_FIELD(3),
};
static const struct vup_field exticr2_fields[] = {
    SYSCFG_EXTI_FIELD(4), SYSCFG_EXTI_FIELD(5), SYSCFG_EXTI_FIELD(6),
    SYSCFG_EXTI_FIELD(7),
};
static const struct vup_field exticr3_fields[] = {
    SYSCFG_EXTI_FIELD(8), SYSCFG_EXTI_FIELD(9), SYSCFG_EXTI_FIELD(10),
    SYSCFG_EXTI_FIELD(11),
};
static const struct vup_field exticr4_fields[] = {
    SYSCFG_EXTI_FIELD(12), SYSCFG_EXTI_FIELD(13), SYSCFG_EXTI_FIELD(14),
    SYSCFG_EXTI_FIELD(15),
};
static const struct vup_field scsr_fields[] = {
    VUP_FIELD_OF(SCSR, SRAM2ER, VUP_W1S | VUP_HW),
    VUP_FIELD_OF(SCSR, SRAM2BSY, VUP_RO | VUP_HW),
};
static const struct vup_field cfgr2_fields[] = {
    VUP_FIELDS_OF(CFGR2, VUP_W1S, CLL, SPL, PVDL, ECCL),
    VUP_FIELD_OF(CFGR2, SPF, VUP_W1C | VUP_HW),
};
static const struct vup_field swpr_fields[] = {
    SYSCFG_WP_FIELD(0), SYSCFG_WP_FIELD(1), SYSCFG_WP_FIELD(2),
    SYSCFG_WP_FIELD(3), SYSCFG_WP_FIELD(4), SYSCFG_WP_FIELD(5),
    SYSCFG_WP_FIELD(6), SYSCFG_WP_FIELD(7), SYSCFG_WP_FIELD(8),
    SYSCFG_WP_FIELD(9), SYSCFG_WP_FIELD(10), SYSCFG_WP_FIELD(11),
    SYSCFG_WP_FIELD(12), SYSCFG_WP_FIELD(13), SYSCFG_WP_FIELD(14),
    SYSCFG_WP_FIELD(15), SYSCFG_WP_FIELD(16), SYSCFG_WP_FIELD(17),
    SYSCFG_WP_FIELD(18), SYSCFG_WP_FIELD(19), SYSCFG_WP_FIELD(20),
    SYSCFG_WP_FIELD(21), SYSCFG_WP_FIELD(22), SYSCFG_WP_FIELD(23),
    SYSCFG_WP_FIELD(24), SYSCFG_WP_FIELD(25), SYSCFG_WP_FIELD(26),
    SYSCFG_WP_FIELD(27), SYSCFG_WP_FIELD(28), SYSCFG_WP_FIELD(29),
    SYSCFG_WP_FIELD(30), SYSCFG_WP_FIELD(31),
};
static const struct vup_field skr_fields[] = {
    VUP_FIELD_OF(SKR, KEY, VUP_WO),
};

/* Reset values: RM0351 9.2 (MEMRMP.MEM_MODE: booting from main flash). */
static const struct vup_reg syscfg_regs[] = {
    { VUP_REG_AT(MEMRMP), VUP_FIELDS(memrmp_fields) },
    { VUP_REG_AT(CFGR1), .reset = 0x7c000001, VUP_FIELDS(cfgr1_fields) },
    { VUP_REG_AT(EXTICR1), VUP_FIELDS(exticr1_fields),
      .write = exticr_write },
    { VUP_REG_AT(EXTICR2), VUP_FIELDS(exticr2_fields),
      .write = exticr_write },
    { VUP_REG_AT(EXTICR3), VUP_FIELDS(exticr3_fields),
      .write = exticr_write },
    { VUP_REG_AT(EXTICR4), VUP_FIELDS(exticr4_fields),
      .write = exticr_write },
    { VUP_REG_AT(SCSR), VUP_FIELDS(scsr_fields), .write = scsr_write },
    { VUP_REG_AT(CFGR2), VUP_FIELDS(cfgr2_fields) },
    { VUP_REG_AT(SWPR), VUP_FIELDS(swpr_fields) },
    { VUP_REG_AT(SKR), VUP_FIELDS(skr_fields), .write = skr_write },
};

static void syscfg_reset(vup_periph *p)
{
    struct stm32l4_syscfg *s = syscfg_of(p);

    s->key = SYSCFG_LOCKED;
    s->erase_gen++;
    syscfg_route(s);
}

struct stm32l4_syscfg *stm32l4_syscfg_create(vup_dev *d,
                                             const struct stm32l4_periph_info *info,
                                             const struct stm32l4_opts *opts)
{
    struct stm32l4_syscfg *s = calloc(1, sizeof(*s));
    struct vup_irq_desc no_irq;     /* unused: SYSCFG drives no line */

    if (!s) {
        return NULL;
    }
    s->info = *info;
    stm32l4_periph_desc(&s->desc, &no_irq, info, opts, syscfg_regs,
                        sizeof(syscfg_regs) / sizeof(syscfg_regs[0]),
                        syscfg_reset);
    s->p = vup_dev_add_periph(d, &s->desc, s);
    if (!s->p) {
        free(s);
        return NULL;
    }
    for (unsigned i = 0; i < STM32L4_NUM_GPIO_PORTS; i++) {
        s->port[i] = vup_periph_add_signal(s->p, syscfg_port_names[i],
                                           SYSCFG_LINES, VUP_SIGNAL_IN,
                                           syscfg_port_input, s);
        if (!s->port[i]) {
            /* The window stays in the device, which is not served now. */
            free(s);
            return NULL;
        }
    }
    s->out = vup_periph_add_signal(s->p, STM32L4_SYSCFG_EXTI_SIGNAL,
                                   SYSCFG_LINES, VUP_SIGNAL_OUT, NULL, NULL);
    if (!s->out) {
        free(s);
        return NULL;
    }
    syscfg_route(s);
    return s;
}

void stm32l4_syscfg_free(struct stm32l4_syscfg *s)
{
    free(s);
}
