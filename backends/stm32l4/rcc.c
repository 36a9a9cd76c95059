/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 RCC (RM0351 chapter 6): just enough for firmware to start its
 * peripherals' clocks.
 *
 * Every register of the STM32L475 RCC is present with its RM0351 reset value
 * and writable-bit mask, so reads return what firmware expects.  Behaviour:
 *   - each oscillator's ready bit follows its ON bit (MSI, HSI16, HSE, PLL,
 *     PLLSAI1, PLLSAI2 in CR; LSE in BDCR; LSI in CSR), and the oscillator
 *     selected as SYSCLK cannot be switched off (as QEMU's model);
 *   - CFGR.SWS follows CFGR.SW at once;
 *   - a ready bit that rises with its CIER enable set raises the CIFR flag;
 *     CICR clears CIFR; the RCC interrupt line (5) is CIFR & CIER;
 *   - CR.CSSON, CR.MSIRGSEL and APB2ENR.FWEN are set-only; CSR.RMVF clears
 *     the reset flags;
 *   - the *ENR / *RSTR / *SMENR registers are plain storage.
 * Not modelled (yet): frequencies (no clock tree: the peripheral models do
 * not depend on their bus clock), write protections of MSIRANGE, the PLL
 * source being forced on, clock security system, backup domain reset, the
 * effect of *RSTR bits on the peripherals.
 *
 * Oscillators are rows of rcc_oscs[]: a fuller clock tree adds columns.
 */
#include <stdlib.h>

#include "stm32l4.h"

/* Register offsets. */
#define RCC_CR          0x00
#define RCC_ICSCR       0x04
#define RCC_CFGR        0x08
#define RCC_PLLCFGR     0x0c
#define RCC_PLLSAI1CFGR 0x10
#define RCC_PLLSAI2CFGR 0x14
#define RCC_CIER        0x18
#define RCC_CIFR        0x1c
#define RCC_CICR        0x20
#define RCC_AHB1RSTR    0x28
#define RCC_AHB2RSTR    0x2c
#define RCC_AHB3RSTR    0x30
#define RCC_APB1RSTR1   0x38
#define RCC_APB1RSTR2   0x3c
#define RCC_APB2RSTR    0x40
#define RCC_AHB1ENR     0x48
#define RCC_AHB2ENR     0x4c
#define RCC_AHB3ENR     0x50
#define RCC_APB1ENR1    0x58
#define RCC_APB1ENR2    0x5c
#define RCC_APB2ENR     0x60
#define RCC_AHB1SMENR   0x68
#define RCC_AHB2SMENR   0x6c
#define RCC_AHB3SMENR   0x70
#define RCC_APB1SMENR1  0x78
#define RCC_APB1SMENR2  0x7c
#define RCC_APB2SMENR   0x80
#define RCC_CCIPR       0x88
#define RCC_BDCR        0x90
#define RCC_CSR         0x94

#define CR_MSIRGSEL     (1u << 3)
#define CR_CSSON        (1u << 19)
#define CFGR_SW_MASK    0x3u
#define CFGR_SWS_SHIFT  2
#define CFGR_SWS_MASK   (0x3u << CFGR_SWS_SHIFT)
#define APB2ENR_FWEN    (1u << 7)
#define CSR_RMVF        (1u << 23)
#define CSR_RSTF_MASK   0xff000000u
#define CIFR_MASK       0x000007ffu
#define CIER_IRQ_MASK   0x000006ffu  /* CSSF (bit 8) goes to NMI, not here */

#define NO_SYSCLK       (-1)

/* An oscillator or PLL whose ready bit follows its enable bit. */
struct rcc_osc {
    const char *name;
    uint32_t reg;            /* holds both ON and RDY */
    uint32_t on;
    uint32_t rdy;
    uint32_t flag;           /* CIER enable / CIFR flag for RDY */
    int sws;                 /* CFGR.SWS value selecting it, or NO_SYSCLK */
};

static const struct rcc_osc rcc_oscs[] = {
    { "MSI",     RCC_CR,   1u << 0,  1u << 1,  1u << 2, 0 },
    { "HSI16",   RCC_CR,   1u << 8,  1u << 10, 1u << 3, 1 },
    { "HSE",     RCC_CR,   1u << 16, 1u << 17, 1u << 4, 2 },
    { "PLL",     RCC_CR,   1u << 24, 1u << 25, 1u << 5, 3 },
    { "PLLSAI1", RCC_CR,   1u << 26, 1u << 27, 1u << 6, NO_SYSCLK },
    { "PLLSAI2", RCC_CR,   1u << 28, 1u << 29, 1u << 7, NO_SYSCLK },
    { "LSE",     RCC_BDCR, 1u << 0,  1u << 1,  1u << 1, NO_SYSCLK },
    { "LSI",     RCC_CSR,  1u << 0,  1u << 1,  1u << 0, NO_SYSCLK },
};
#define NUM_OSCS (sizeof(rcc_oscs) / sizeof(rcc_oscs[0]))

struct stm32l4_rcc {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irq;
    struct vup_periph_desc desc;
    vup_periph *p;
    bool irq_level;
};

static void rcc_update_irq(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);
    bool level = (vup_reg_get(p, RCC_CIFR) & vup_reg_get(p, RCC_CIER) &
                  CIER_IRQ_MASK) != 0;

    if (level != r->irq_level) {
        r->irq_level = level;
        vup_irq_set(p, 0, level);
    }
}

/* Ready bits follow enables; the SYSCLK source stays on. */
static void rcc_update_oscs(vup_periph *p)
{
    uint32_t sws = (vup_reg_get(p, RCC_CFGR) & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT;
    uint32_t cier = vup_reg_get(p, RCC_CIER);
    uint32_t cifr = vup_reg_get(p, RCC_CIFR);

    for (size_t i = 0; i < NUM_OSCS; i++) {
        const struct rcc_osc *o = &rcc_oscs[i];
        uint32_t v = vup_reg_get(p, o->reg);
        uint32_t nv = v;

        if (o->sws != NO_SYSCLK && (uint32_t)o->sws == sws) {
            nv |= o->on;
        }
        nv = (nv & o->on) ? (nv | o->rdy) : (nv & ~o->rdy);
        if ((nv & o->rdy) && !(v & o->rdy)) {
            vup_log(VUP_LOG_DEBUG, "rcc: %s ready", o->name);
            if (cier & o->flag) {
                cifr |= o->flag;
            }
        }
        if (nv != v) {
            vup_reg_set(p, o->reg, nv);
        }
    }
    vup_reg_set(p, RCC_CIFR, cifr);
    rcc_update_irq(p);
}

/* ---- register hooks -------------------------------------------------- */

static void cr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                     uint32_t value, uint32_t written)
{
    (void)written;
    /* CSSON and MSIRGSEL: set by software, cleared only by reset. */
    vup_reg_set(p, reg->offset, value | (old & (CR_CSSON | CR_MSIRGSEL)));
    rcc_update_oscs(p);
}

static void cfgr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                       uint32_t value, uint32_t written)
{
    (void)old; (void)written;
    value = (value & ~CFGR_SWS_MASK) |
            ((value & CFGR_SW_MASK) << CFGR_SWS_SHIFT);
    vup_reg_set(p, reg->offset, value);
    rcc_update_oscs(p);
}

/* BDCR, CSR, CIER: oscillator enables / ready interrupts. */
static void osc_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)old;
    if (reg->offset == RCC_CSR && (written & CSR_RMVF)) {
        vup_reg_set(p, RCC_CSR, value & ~CSR_RSTF_MASK);
    }
    rcc_update_oscs(p);
}

static void cicr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                       uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value;
    vup_reg_set(p, RCC_CIFR, vup_reg_get(p, RCC_CIFR) & ~(written & CIFR_MASK));
    rcc_update_irq(p);
}

static void apb2enr_write(vup_periph *p, const struct vup_reg *reg,
                          uint32_t old, uint32_t value, uint32_t written)
{
    (void)written;
    /* FWEN: set by software, cleared only by reset. */
    vup_reg_set(p, reg->offset, value | (old & APB2ENR_FWEN));
}

/*
 * Reset values: RM0351 6.4 and the STM32L475 SVD.  ICSCR's calibration
 * fields are factory-trimmed ("0x10XX 00XX"); we use QEMU's values.
 * Write masks are the SVD's read-write fields (MCOPRE is read-write in
 * RM0351 although the SVD says read-only).
 */
static const struct vup_reg rcc_regs[] = {
    /* name          offset           reset        wmask       w1c read write */
    { "CR",          RCC_CR,          0x00000063, 0x150d0bfd, 0, NULL, cr_write },
    { "ICSCR",       RCC_ICSCR,       0x106e0082, 0x7f00ff00, 0, NULL, NULL },
    { "CFGR",        RCC_CFGR,        0x00000000, 0x7700bff3, 0, NULL, cfgr_write },
    { "PLLCFGR",     RCC_PLLCFGR,     0x00001000, 0xff737f73, 0, NULL, NULL },
    { "PLLSAI1CFGR", RCC_PLLSAI1CFGR, 0x00001000, 0xff737f00, 0, NULL, NULL },
    { "PLLSAI2CFGR", RCC_PLLSAI2CFGR, 0x00001000, 0xff037f00, 0, NULL, NULL },
    { "CIER",        RCC_CIER,        0x00000000, 0x000006ff, 0, NULL, osc_write },
    { "CIFR",        RCC_CIFR,        0x00000000, 0,          0, NULL, NULL },
    { "CICR",        RCC_CICR,        0x00000000, 0,          0, NULL, cicr_write },
    { "AHB1RSTR",    RCC_AHB1RSTR,    0x00000000, 0x00031103, 0, NULL, NULL },
    { "AHB2RSTR",    RCC_AHB2RSTR,    0x00000000, 0x000771ff, 0, NULL, NULL },
    { "AHB3RSTR",    RCC_AHB3RSTR,    0x00000000, 0x00000101, 0, NULL, NULL },
    { "APB1RSTR1",   RCC_APB1RSTR1,   0x00000000, 0xf7fec23f, 0, NULL, NULL },
    { "APB1RSTR2",   RCC_APB1RSTR2,   0x00000000, 0x00000027, 0, NULL, NULL },
    { "APB2RSTR",    RCC_APB2RSTR,    0x00000000, 0x01677c01, 0, NULL, NULL },
    { "AHB1ENR",     RCC_AHB1ENR,     0x00000100, 0x00031103, 0, NULL, NULL },
    { "AHB2ENR",     RCC_AHB2ENR,     0x00000000, 0x000771ff, 0, NULL, NULL },
    { "AHB3ENR",     RCC_AHB3ENR,     0x00000000, 0x00000101, 0, NULL, NULL },
    { "APB1ENR1",    RCC_APB1ENR1,    0x00000000, 0xf7fece3f, 0, NULL, NULL },
    { "APB1ENR2",    RCC_APB1ENR2,    0x00000000, 0x00000027, 0, NULL, NULL },
    { "APB2ENR",     RCC_APB2ENR,     0x00000000, 0x01677c81, 0, NULL, apb2enr_write },
    { "AHB1SMENR",   RCC_AHB1SMENR,   0x00011303, 0x00031303, 0, NULL, NULL },
    { "AHB2SMENR",   RCC_AHB2SMENR,   0x000532ff, 0x000773ff, 0, NULL, NULL },
    { "AHB3SMENR",   RCC_AHB3SMENR,   0x00000101, 0x00000101, 0, NULL, NULL },
    { "APB1SMENR1",  RCC_APB1SMENR1,  0xf2feca3f, 0xf6fece3f, 0, NULL, NULL },
    { "APB1SMENR2",  RCC_APB1SMENR2,  0x00000025, 0x00000027, 0, NULL, NULL },
    { "APB2SMENR",   RCC_APB2SMENR,   0x01677c01, 0x01677c01, 0, NULL, NULL },
    { "CCIPR",       RCC_CCIPR,       0x00000000, 0xffffffff, 0, NULL, NULL },
    { "BDCR",        RCC_BDCR,        0x00000000, 0x0301833d, 0, NULL, osc_write },
    { "CSR",         RCC_CSR,         0x0c000600, 0x00000f01, 0, NULL, osc_write },
};

static void rcc_reset(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);

    r->irq_level = false;
    vup_irq_set(p, 0, false);
}

struct stm32l4_rcc *stm32l4_rcc_create(vup_dev *d,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts)
{
    struct stm32l4_rcc *r = calloc(1, sizeof(*r));

    if (!r) {
        return NULL;
    }
    r->info = *info;
    r->irq = (struct vup_irq_desc){
        .name = info->name,
        .line = info->irq,
        .flags = VUP_CR_IRQ_LEVEL,
    };
    r->desc = (struct vup_periph_desc){
        .name = info->name,
        .base = info->base,
        .size = info->size,
        /* Writes have side effects (ready bits): never direct-mapped. */
        .mmio_flags = opts->mmio_flags & ~VUP_CR_MMIO_DIRECT_MAPPED,
        .regs = rcc_regs,
        .num_regs = sizeof(rcc_regs) / sizeof(rcc_regs[0]),
        .irqs = &r->irq,
        .num_irqs = 1,
        .reset = rcc_reset,
    };
    r->p = vup_dev_add_periph(d, &r->desc, r);
    if (!r->p) {
        free(r);
        return NULL;
    }
    return r;
}

void stm32l4_rcc_free(struct stm32l4_rcc *r)
{
    free(r);
}
