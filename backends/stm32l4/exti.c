/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 extended interrupts and events controller EXTI (RM0351
 * chapter 14), at 0x40010400 on APB2; the STM32L47x's 40 lines.
 *
 * Every register of RM0351 14.5 with its reset value and field
 * semantics (the table at the end): IMR1, EMR1, RTSR1, FTSR1, SWIER1,
 * PR1, IMR2, EMR2, RTSR2, FTSR2, SWIER2, PR2.  The lines (RM0351 table
 * 59) come in as signal groups:
 *   - lines 0..15: "syscfg.exti", SYSCFG's multiplexer output (the pin
 *     EXTICRn selects for each line), connected inside the backend when
 *     SYSCFG is there, else published for QEMU to route;
 *   - the other configurable lines, each from the peripheral of its name
 *     (none of which is modelled yet; they are published, so another
 *     backend or QEMU can drive them): "pwr.pvd" (line 16), "rtc.alarm"
 *     (18), "rtc.tamp" (19: tamper, timestamp, CSS on LSE), "rtc.wkup"
 *     (20), "comp1.out" (21), "comp2.out" (22), "pwr.pvm" (4 lines:
 *     PVM1..PVM4, lines 35..38).
 * Behaviour (RM0351 14.3, 14.5):
 *   - a configurable line whose input rises with its RTSR bit set, or
 *     falls with its FTSR bit set (both: either edge), sets its pending
 *     bit PIFx, if the interrupt is unmasked in IMR: "the interrupt line
 *     should be configured and enabled in order to generate an interrupt
 *     ... When the selected edge occurs on the interrupt line, an
 *     interrupt request is generated.  The pending bit corresponding to
 *     the interrupt line is also set" (14.3); a masked line's edge sets
 *     nothing (and is not remembered);
 *   - SWIx: writing 1 to a bit at 0 sets it and, if the line is unmasked
 *     in IMR, its pending bit.  SWIx reads back and is cleared only by
 *     clearing the pending bit (writing 1 to PIFx, whether it was set or
 *     not), as RM0351 14.5 describes it; the manual gives a 0 written to
 *     SWIx no effect of its own, so it leaves the bit;
 *   - PIFx is cleared by writing 1 (rc_w1);
 *   - the NVIC lines are level lines, each high while one of its EXTI
 *     lines is pending and unmasked (PIF & MR): EXTI0..EXTI4 (6..10),
 *     EXTI9_5 (23), EXTI15_10 (40), PVD_PVM (1: lines 16, 35..38),
 *     TAMP_STAMP (2: 19), RTC_WKUP (3: 20), RTC_ALARM (41: 18), COMP
 *     (64: 21, 22), as RM0351's vector table routes them through EXTI.
 *     Masking a pending line lowers its NVIC line; unmasking raises it.
 * Not modelled: events (EMR is stored; no event is sent to the CPU's
 * event input), wake-up from Stop modes, the
 * direct lines (17, 23..34, 39: their MR bits are stored; their
 * peripherals' interrupts reach the NVIC by themselves and have no
 * pending bit here).  EXTI has no RCC enable bit: it always answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vup/registerfields.h>

#include "stm32l4.h"

/* Registers, RM0351 14.5: bank 1 (lines 0..31), bank 2 (32..39). */
REG32(IMR1, 0x00)
REG32(EMR1, 0x04)
REG32(RTSR1, 0x08)
REG32(FTSR1, 0x0c)
REG32(SWIER1, 0x10)
REG32(PR1, 0x14)
REG32(IMR2, 0x20)
REG32(EMR2, 0x24)
REG32(RTSR2, 0x28)
REG32(FTSR2, 0x2c)
REG32(SWIER2, 0x30)
REG32(PR2, 0x34)

#define EXTI_BANKS          2u
#define EXTI_BANK_STRIDE    (A_IMR2 - A_IMR1)
/* Register @reg (A_IMR1 ..) of bank @b. */
#define EXTI_REG(reg, b)    (A_##reg##1 + EXTI_BANK_STRIDE * (b))
/* Configurable lines (with RTSR/FTSR/SWIER/PR bits): 0..16, 18..22; 35..38. */
#define EXTI_CFG1           0x007dffffu
#define EXTI_CFG2           0x00000078u
#define EXTI_GPIO_LINES     16u

static const uint32_t exti_cfg[EXTI_BANKS] = { EXTI_CFG1, EXTI_CFG2 };

/* The NVIC lines and the EXTI lines each one carries. */
static const struct {
    struct vup_irq_desc irq;
    uint32_t lines[EXTI_BANKS];
} exti_irqs[] = {
    { { "exti0", 6, VUP_CR_IRQ_LEVEL }, { 1u << 0, 0 } },
    { { "exti1", 7, VUP_CR_IRQ_LEVEL }, { 1u << 1, 0 } },
    { { "exti2", 8, VUP_CR_IRQ_LEVEL }, { 1u << 2, 0 } },
    { { "exti3", 9, VUP_CR_IRQ_LEVEL }, { 1u << 3, 0 } },
    { { "exti4", 10, VUP_CR_IRQ_LEVEL }, { 1u << 4, 0 } },
    { { "exti9_5", 23, VUP_CR_IRQ_LEVEL }, { 0x000003e0u, 0 } },
    { { "exti15_10", 40, VUP_CR_IRQ_LEVEL }, { 0x0000fc00u, 0 } },
    { { "pvd_pvm", 1, VUP_CR_IRQ_LEVEL }, { 1u << 16, EXTI_CFG2 } },
    { { "tamp_stamp", 2, VUP_CR_IRQ_LEVEL }, { 1u << 19, 0 } },
    { { "rtc_wkup", 3, VUP_CR_IRQ_LEVEL }, { 1u << 20, 0 } },
    { { "rtc_alarm", 41, VUP_CR_IRQ_LEVEL }, { 1u << 18, 0 } },
    { { "comp", 64, VUP_CR_IRQ_LEVEL }, { 3u << 21, 0 } },
};
#define EXTI_NUM_IRQS (sizeof(exti_irqs) / sizeof(exti_irqs[0]))

/* The configurable lines beyond the GPIOs, by the signal that drives them. */
static const struct {
    const char *name;
    unsigned first, width;      /* EXTI lines first .. first + width - 1 */
} exti_sources[] = {
    { "pwr.pvd", 16, 1 },
    { "rtc.alarm", 18, 1 },
    { "rtc.tamp", 19, 1 },
    { "rtc.wkup", 20, 1 },
    { "comp1.out", 21, 1 },
    { "comp2.out", 22, 1 },
    { "pwr.pvm", 35, 4 },
};
#define EXTI_NUM_SOURCES (sizeof(exti_sources) / sizeof(exti_sources[0]))

struct stm32l4_exti;

/* One IN group and the EXTI lines it drives. */
struct exti_input {
    struct stm32l4_exti *e;
    unsigned first;
    vup_signal *s;
};

struct stm32l4_exti {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irqs[EXTI_NUM_IRQS];
    struct vup_periph_desc desc;
    vup_periph *p;
    struct exti_input gpio;                       /* "syscfg.exti" */
    struct exti_input src[EXTI_NUM_SOURCES];
    uint32_t level[EXTI_BANKS];   /* the inputs as last seen, per line */
};

static struct stm32l4_exti *exti_of(vup_periph *p)
{
    return vup_periph_opaque(p);
}

/* Every NVIC line from PR & IMR. */
static void exti_update_irqs(struct stm32l4_exti *e)
{
    uint32_t active[EXTI_BANKS];

    for (unsigned b = 0; b < EXTI_BANKS; b++) {
        active[b] = vup_reg_get(e->p, EXTI_REG(PR, b)) &
                    vup_reg_get(e->p, EXTI_REG(IMR, b));
    }
    for (unsigned i = 0; i < EXTI_NUM_IRQS; i++) {
        vup_irq_set(e->p, i, (active[0] & exti_irqs[i].lines[0]) ||
                             (active[1] & exti_irqs[i].lines[1]));
    }
}

/* Sets the pending bits @bits of bank @b (already masked by IMR). */
static void exti_pend(struct stm32l4_exti *e, unsigned b, uint32_t bits)
{
    uint32_t pr = vup_reg_get(e->p, EXTI_REG(PR, b));

    if (bits & ~pr) {
        vup_reg_set(e->p, EXTI_REG(PR, b), pr | bits);
        exti_update_irqs(e);
    }
}

/* EXTI line @n's input is now @level. */
static void exti_line(struct stm32l4_exti *e, unsigned n, bool level)
{
    unsigned b = n / 32;
    uint32_t bit = 1u << (n % 32);
    uint32_t trigger;

    if (b >= EXTI_BANKS || !!(e->level[b] & bit) == level) {
        return;                     /* not a change */
    }
    e->level[b] ^= bit;
    trigger = vup_reg_get(e->p, level ? EXTI_REG(RTSR, b)
                                      : EXTI_REG(FTSR, b));
    if (trigger & bit & exti_cfg[b]) {
        exti_pend(e, b, bit & vup_reg_get(e->p, EXTI_REG(IMR, b)));
    }
}

/* A line of an IN group changed. */
static void exti_input_changed(void *opaque, unsigned line, bool level)
{
    struct exti_input *in = opaque;

    exti_line(in->e, in->first + line, level);
}

/* The inputs' levels now, without edges (reset: nothing is pending). */
static void exti_sample_inputs(struct stm32l4_exti *e)
{
    struct exti_input *ins[1 + EXTI_NUM_SOURCES];

    ins[0] = &e->gpio;
    for (unsigned i = 0; i < EXTI_NUM_SOURCES; i++) {
        ins[1 + i] = &e->src[i];
    }
    memset(e->level, 0, sizeof(e->level));
    for (unsigned i = 0; i < 1 + EXTI_NUM_SOURCES; i++) {
        uint32_t v = ins[i]->s ? vup_signal_levels(ins[i]->s) : 0;

        for (unsigned l = 0; v; l++, v >>= 1) {
            unsigned n = ins[i]->first + l;

            if (v & 1u) {
                e->level[n / 32] |= 1u << (n % 32);
            }
        }
    }
}

/* ---- register hooks -------------------------------------------------- */

static unsigned exti_bank_of(const struct vup_reg *reg)
{
    return reg->offset >= A_IMR2;
}

/* IMR: masking and unmasking a pending line moves its NVIC line. */
static void imr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    exti_update_irqs(exti_of(p));
}

/* SWIx going from 0 to 1 pends the line if IMR unmasks it. */
static void swier_write(vup_periph *p, const struct vup_reg *reg,
                        uint32_t old, uint32_t value, uint32_t written)
{
    unsigned b = exti_bank_of(reg);

    (void)written;
    exti_pend(exti_of(p), b,
              value & ~old & vup_reg_get(p, EXTI_REG(IMR, b)));
}

/* PIFx written 1: cleared (the table), and SWIx with it. */
static void pr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                     uint32_t value, uint32_t written)
{
    unsigned b = exti_bank_of(reg);
    uint32_t swier = vup_reg_get(p, EXTI_REG(SWIER, b));

    (void)old; (void)value;
    vup_reg_set(p, EXTI_REG(SWIER, b), swier & ~(written & exti_cfg[b]));
    exti_update_irqs(exti_of(p));
}

/*
 * Field semantics, RM0351 14.5: one field per line, named as there
 * (MRx, RTx, FTx, SWIx, PIFx), on the configurable lines only for the
 * trigger, software and pending registers.
 */
#define EXTI_LINES_0_15(X, ...) X(0, __VA_ARGS__) X(1, __VA_ARGS__) \
    X(2, __VA_ARGS__) X(3, __VA_ARGS__) X(4, __VA_ARGS__) X(5, __VA_ARGS__) \
    X(6, __VA_ARGS__) X(7, __VA_ARGS__) X(8, __VA_ARGS__) X(9, __VA_ARGS__) \
    X(10, __VA_ARGS__) X(11, __VA_ARGS__) X(12, __VA_ARGS__) \
    X(13, __VA_ARGS__) X(14, __VA_ARGS__) X(15, __VA_ARGS__)
/* The configurable lines of bank 1: 0..16, 18..22. */
#define EXTI_CFG_LINES1(X, ...) EXTI_LINES_0_15(X, __VA_ARGS__) \
    X(16, __VA_ARGS__) X(18, __VA_ARGS__) X(19, __VA_ARGS__) \
    X(20, __VA_ARGS__) X(21, __VA_ARGS__) X(22, __VA_ARGS__)
#define EXTI_ALL_LINES1(X, ...) EXTI_LINES_0_15(X, __VA_ARGS__) \
    X(16, __VA_ARGS__) X(17, __VA_ARGS__) X(18, __VA_ARGS__) \
    X(19, __VA_ARGS__) X(20, __VA_ARGS__) X(21, __VA_ARGS__) \
    X(22, __VA_ARGS__) X(23, __VA_ARGS__) X(24, __VA_ARGS__) \
    X(25, __VA_ARGS__) X(26, __VA_ARGS__) X(27, __VA_ARGS__) \
    X(28, __VA_ARGS__) X(29, __VA_ARGS__) X(30, __VA_ARGS__) \
    X(31, __VA_ARGS__)
/* Bank 2: lines 32..39, of which 35..38 are configurable. */
#define EXTI_CFG_LINES2(X, ...) X(35, __VA_ARGS__) X(36, __VA_ARGS__) \
    X(37, __VA_ARGS__) X(38, __VA_ARGS__)
#define EXTI_ALL_LINES2(X, ...) X(32, __VA_ARGS__) X(33, __VA_ARGS__) \
    X(34, __VA_ARGS__) EXTI_CFG_LINES2(X, __VA_ARGS__) X(39, __VA_ARGS__)

/* Field @prefix@n for line @n at bit n - @first. */
#define EXTI_FIELD(n, prefix, first, sem) \
    VUP_FIELD(#prefix #n, (n) - (first), 1, sem),

static const struct vup_field imr1_fields[] = {
    EXTI_ALL_LINES1(EXTI_FIELD, MR, 0, VUP_RW)
};
static const struct vup_field emr1_fields[] = {
    EXTI_ALL_LINES1(EXTI_FIELD, MR, 0, VUP_RW)
};
static const struct vup_field rtsr1_fields[] = {
    EXTI_CFG_LINES1(EXTI_FIELD, RT, 0, VUP_RW)
};
static const struct vup_field ftsr1_fields[] = {
    EXTI_CFG_LINES1(EXTI_FIELD, FT, 0, VUP_RW)
};
static const struct vup_field swier1_fields[] = {
    EXTI_CFG_LINES1(EXTI_FIELD, SWI, 0, VUP_W1S | VUP_HW)
};
static const struct vup_field pr1_fields[] = {
    EXTI_CFG_LINES1(EXTI_FIELD, PIF, 0, VUP_W1C | VUP_HW)
};
static const struct vup_field imr2_fields[] = {
    EXTI_ALL_LINES2(EXTI_FIELD, MR, 32, VUP_RW)
};
static const struct vup_field emr2_fields[] = {
    EXTI_ALL_LINES2(EXTI_FIELD, MR, 32, VUP_RW)
};
static const struct vup_field rtsr2_fields[] = {
    EXTI_CFG_LINES2(EXTI_FIELD, RT, 32, VUP_RW)
};
static const struct vup_field ftsr2_fields[] = {
    EXTI_CFG_LINES2(EXTI_FIELD, FT, 32, VUP_RW)
};
static const struct vup_field swier2_fields[] = {
    EXTI_CFG_LINES2(EXTI_FIELD, SWI, 32, VUP_W1S | VUP_HW)
};
static const struct vup_field pr2_fields[] = {
    EXTI_CFG_LINES2(EXTI_FIELD, PIF, 32, VUP_W1C | VUP_HW)
};

/*
 * Reset values, RM0351 14.5: the direct lines are unmasked (IMR1 bits 17,
 * 23..31; IMR2 bits 0..2 and 7: lines 32..34, 39).
 */
static const struct vup_reg exti_regs[] = {
    { VUP_REG_AT(IMR1), .reset = 0xff820000, VUP_FIELDS(imr1_fields),
      .write = imr_write },
    { VUP_REG_AT(EMR1), VUP_FIELDS(emr1_fields) },
    { VUP_REG_AT(RTSR1), VUP_FIELDS(rtsr1_fields) },
    { VUP_REG_AT(FTSR1), VUP_FIELDS(ftsr1_fields) },
    { VUP_REG_AT(SWIER1), VUP_FIELDS(swier1_fields), .write = swier_write },
    { VUP_REG_AT(PR1), VUP_FIELDS(pr1_fields), .write = pr_write },
    { VUP_REG_AT(IMR2), .reset = 0x00000087, VUP_FIELDS(imr2_fields),
      .write = imr_write },
    { VUP_REG_AT(EMR2), VUP_FIELDS(emr2_fields) },
    { VUP_REG_AT(RTSR2), VUP_FIELDS(rtsr2_fields) },
    { VUP_REG_AT(FTSR2), VUP_FIELDS(ftsr2_fields) },
    { VUP_REG_AT(SWIER2), VUP_FIELDS(swier2_fields), .write = swier_write },
    { VUP_REG_AT(PR2), VUP_FIELDS(pr2_fields), .write = pr_write },
};

static void exti_reset(vup_periph *p)
{
    struct stm32l4_exti *e = exti_of(p);

    exti_sample_inputs(e);
    exti_update_irqs(e);
}

struct stm32l4_exti *stm32l4_exti_create(vup_dev *d,
                                         const struct stm32l4_periph_info *info,
                                         const struct stm32l4_opts *opts)
{
    struct stm32l4_exti *e = calloc(1, sizeof(*e));
    struct vup_irq_desc unused;

    if (!e) {
        return NULL;
    }
    e->info = *info;
    for (unsigned i = 0; i < EXTI_NUM_IRQS; i++) {
        e->irqs[i] = exti_irqs[i].irq;
    }
    stm32l4_periph_desc(&e->desc, &unused, info, opts, exti_regs,
                        sizeof(exti_regs) / sizeof(exti_regs[0]),
                        exti_reset);
    e->desc.irqs = e->irqs;
    e->desc.num_irqs = EXTI_NUM_IRQS;
    e->p = vup_dev_add_periph(d, &e->desc, e);
    if (!e->p) {
        free(e);
        return NULL;
    }
    e->gpio = (struct exti_input){ .e = e, .first = 0 };
    e->gpio.s = vup_periph_add_signal(e->p, STM32L4_SYSCFG_EXTI_SIGNAL,
                                      EXTI_GPIO_LINES, VUP_SIGNAL_IN,
                                      exti_input_changed, &e->gpio);
    if (!e->gpio.s) {
        /* The window stays in the device, which is not served now. */
        free(e);
        return NULL;
    }
    for (unsigned i = 0; i < EXTI_NUM_SOURCES; i++) {
        struct exti_input *in = &e->src[i];

        *in = (struct exti_input){ .e = e, .first = exti_sources[i].first };
        in->s = vup_periph_add_signal(e->p, exti_sources[i].name,
                                      exti_sources[i].width, VUP_SIGNAL_IN,
                                      exti_input_changed, in);
        if (!in->s) {
            free(e);
            return NULL;
        }
    }
    exti_sample_inputs(e);
    return e;
}

void stm32l4_exti_free(struct stm32l4_exti *e)
{
    free(e);
}
