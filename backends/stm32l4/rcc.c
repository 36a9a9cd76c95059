/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 RCC (RM0351 chapter 6): registers and the clock tree.
 *
 * Every register of the STM32L475 RCC is present with its RM0351 reset value
 * and writable-bit mask, so reads return what firmware expects.  Behaviour:
 *   - each oscillator's ready bit follows its ON bit at once (MSI, HSI16,
 *     HSE, PLL, PLLSAI1, PLLSAI2 in CR; LSE in BDCR; LSI in CSR); the
 *     oscillator selected as SYSCLK, and the PLL's input while the PLL is on,
 *     cannot be switched off (as QEMU's model);
 *   - CFGR.SWS follows CFGR.SW at once;
 *   - a ready bit that rises with its CIER enable set raises the CIFR flag;
 *     CICR clears CIFR; the RCC interrupt line (5) is CIFR & CIER;
 *   - CR.CSSON, CR.MSIRGSEL and APB2ENR.FWEN are set-only; CSR.RMVF clears
 *     the reset flags;
 *   - frequencies, published as clock outputs (rcc_clocks[]): SYSCLK from
 *     MSI (range table), HSI16, HSE (48 MHz, QEMU's default) or PLLR
 *     (src / M * N / R), the AHB/APB prescalers, the SysTick reference
 *     (HCLK/8), the APB timer clocks (x2 when the APB prescaler is not 1)
 *     and the USART kernel clocks selected by CCIPR, gated by their
 *     APBxENR bit as in QEMU.  A stopped oscillator gives 0 Hz.
 * Not modelled: write protections of MSIRANGE, PLLSAI1/2 outputs, MCO,
 * clock security system, backup domain reset, the effect of *RSTR bits.
 */
#include <inttypes.h>
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

#define CR_PLLON        (1u << 24)
#define CR_MSIRANGE(cr) (((cr) >> 4) & 0xfu)
#define CSR_MSISRANGE(csr) (((csr) >> 8) & 0xfu)
#define CFGR_HPRE(cfgr) (((cfgr) >> 4) & 0xfu)
#define CFGR_PPRE1(cfgr) (((cfgr) >> 8) & 0x7u)
#define CFGR_PPRE2(cfgr) (((cfgr) >> 11) & 0x7u)
#define PLLCFGR_SRC(v)  ((v) & 0x3u)
#define PLLCFGR_M(v)    ((((v) >> 4) & 0x7u) + 1)
#define PLLCFGR_N(v)    (((v) >> 8) & 0x7fu)
#define PLLCFGR_REN     (1u << 24)
#define PLLCFGR_R(v)    (2 * ((((v) >> 25) & 0x3u) + 1))

#define NO_SEL          (-1)

/* Oscillator frequencies (QEMU's stm32l4x5_rcc: HSE defaults to 48 MHz). */
#define HSI16_HZ        16000000u
#define HSE_HZ          48000000u
#define LSE_HZ          32768u
#define LSI_HZ          32000u

/* MSIRANGE / MSISRANGE values 0..11 (RM0351 6.4.1). */
static const uint32_t msi_range_hz[] = {
    100000, 200000, 400000, 800000, 1000000, 2000000,
    4000000, 8000000, 16000000, 24000000, 32000000, 48000000,
};
#define MSI_RESET_HZ    4000000u

enum rcc_osc_id { OSC_MSI, OSC_HSI16, OSC_HSE, OSC_PLL, OSC_PLLSAI1,
                  OSC_PLLSAI2, OSC_LSE, OSC_LSI, NUM_OSCS };

/* An oscillator or PLL whose ready bit follows its enable bit. */
struct rcc_osc {
    const char *name;
    uint32_t reg;            /* holds both ON and RDY */
    uint32_t on;
    uint32_t rdy;
    uint32_t flag;           /* CIER enable / CIFR flag for RDY */
    int sws;                 /* CFGR.SWS value selecting it, or NO_SEL */
    int pllsrc;              /* PLLCFGR.PLLSRC value selecting it, or NO_SEL */
};

static const struct rcc_osc rcc_oscs[NUM_OSCS] = {
    [OSC_MSI]     = { "MSI",     RCC_CR,   1u << 0,  1u << 1,  1u << 2, 0, 1 },
    [OSC_HSI16]   = { "HSI16",   RCC_CR,   1u << 8,  1u << 10, 1u << 3, 1, 2 },
    [OSC_HSE]     = { "HSE",     RCC_CR,   1u << 16, 1u << 17, 1u << 4, 2, 3 },
    [OSC_PLL]     = { "PLL",     RCC_CR,   1u << 24, 1u << 25, 1u << 5, 3,
                      NO_SEL },
    [OSC_PLLSAI1] = { "PLLSAI1", RCC_CR,   1u << 26, 1u << 27, 1u << 6, NO_SEL,
                      NO_SEL },
    [OSC_PLLSAI2] = { "PLLSAI2", RCC_CR,   1u << 28, 1u << 29, 1u << 7, NO_SEL,
                      NO_SEL },
    [OSC_LSE]     = { "LSE",     RCC_BDCR, 1u << 0,  1u << 1,  1u << 1, NO_SEL,
                      NO_SEL },
    [OSC_LSI]     = { "LSI",     RCC_CSR,  1u << 0,  1u << 1,  1u << 0, NO_SEL,
                      NO_SEL },
};

/* Clock outputs, in the order of their control-region entries. */
enum rcc_clk { CLK_SYSCLK, CLK_HCLK, CLK_PCLK1, CLK_PCLK2, CLK_SYSTICK,
               CLK_TIM_PCLK1, CLK_TIM_PCLK2, CLK_USART1, CLK_USART2,
               CLK_USART3, NUM_CLKS };

/*
 * The CPU runs on HCLK (QEMU's model drives the armv7m cpuclk from its
 * "cortex-fclk", which is HCLK); SysTick's reference is HCLK/8.
 */
static const struct {
    const char *name;
    uint32_t flags;
} rcc_clocks[NUM_CLKS] = {
    [CLK_SYSCLK]    = { "sysclk",      VUP_CR_CLOCK_OUTPUT },
    [CLK_HCLK]      = { "hclk",        VUP_CR_CLOCK_OUTPUT |
                                       VUP_CR_CLOCK_ROLE_CPU },
    [CLK_PCLK1]     = { "pclk1",       VUP_CR_CLOCK_OUTPUT },
    [CLK_PCLK2]     = { "pclk2",       VUP_CR_CLOCK_OUTPUT },
    [CLK_SYSTICK]   = { "systick_ref", VUP_CR_CLOCK_OUTPUT |
                                       VUP_CR_CLOCK_ROLE_REFCLK },
    [CLK_TIM_PCLK1] = { "tim_pclk1",   VUP_CR_CLOCK_OUTPUT },
    [CLK_TIM_PCLK2] = { "tim_pclk2",   VUP_CR_CLOCK_OUTPUT },
    [CLK_USART1]    = { "usart1_ker",  VUP_CR_CLOCK_OUTPUT },
    [CLK_USART2]    = { "usart2_ker",  VUP_CR_CLOCK_OUTPUT },
    [CLK_USART3]    = { "usart3_ker",  VUP_CR_CLOCK_OUTPUT },
};

/* USART kernel clock: CCIPR selection, bus clock for 0, enable bit. */
static const struct {
    enum rcc_clk clk;
    unsigned sel_shift;
    enum rcc_clk pclk;
    uint32_t enr, en;
} rcc_usarts[] = {
    { CLK_USART1, 0, CLK_PCLK2, RCC_APB2ENR,  1u << 14 },
    { CLK_USART2, 2, CLK_PCLK1, RCC_APB1ENR1, 1u << 17 },
    { CLK_USART3, 4, CLK_PCLK1, RCC_APB1ENR1, 1u << 18 },
};

struct stm32l4_rcc {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irq;
    struct vup_periph_desc desc;
    vup_periph *p;
    bool irq_level;
    uint32_t msi_hz;         /* kept over an out-of-range MSI range write */
    int clk[NUM_CLKS];       /* vup clock indexes */
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

/* ---- clock tree ------------------------------------------------------ */

static bool osc_ready(vup_periph *p, enum rcc_osc_id id)
{
    return vup_reg_get(p, rcc_oscs[id].reg) & rcc_oscs[id].rdy;
}

static uint64_t msi_hz(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);
    uint32_t cr = vup_reg_get(p, RCC_CR);
    uint32_t range = (cr & CR_MSIRGSEL) ? CR_MSIRANGE(cr)
                                        : CSR_MSISRANGE(vup_reg_get(p, RCC_CSR));

    /* Ranges 12..15 are reserved: the MSI keeps its frequency, as QEMU. */
    if (range < sizeof(msi_range_hz) / sizeof(msi_range_hz[0])) {
        r->msi_hz = msi_range_hz[range];
    }
    return osc_ready(p, OSC_MSI) ? r->msi_hz : 0;
}

/* PLLCLK (the R output): (source / M) * N / R, 0 unless ready and enabled. */
static uint64_t pllr_hz(vup_periph *p, uint64_t msi)
{
    uint32_t cfg = vup_reg_get(p, RCC_PLLCFGR);
    uint64_t src;

    switch (PLLCFGR_SRC(cfg)) {
    case 1:
        src = msi;
        break;
    case 2:
        src = osc_ready(p, OSC_HSI16) ? HSI16_HZ : 0;
        break;
    case 3:
        src = osc_ready(p, OSC_HSE) ? HSE_HZ : 0;
        break;
    default:
        src = 0;
        break;
    }
    if (!osc_ready(p, OSC_PLL) || !(cfg & PLLCFGR_REN)) {
        return 0;
    }
    return src / PLLCFGR_M(cfg) * PLLCFGR_N(cfg) / PLLCFGR_R(cfg);
}

/* HPRE 0xxx: 1, 1000..1011: 2..16, 1100..1111: 64..512 (RM0351 6.4.3). */
static unsigned ahb_div(uint32_t hpre)
{
    if (hpre < 8) {
        return 1;
    }
    return hpre < 12 ? 1u << (hpre - 7) : 1u << (hpre - 6);
}

/* PPREx 0xx: 1, 100..111: 2..16. */
static unsigned apb_div(uint32_t ppre)
{
    return ppre < 4 ? 1 : 1u << (ppre - 3);
}

static const char *const sysclk_src_name[] = { "MSI", "HSI16", "HSE", "PLL" };

/* Recomputes every output from the registers and publishes the changes. */
static void rcc_update_clocks(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);
    vup_dev *d = vup_periph_dev(p);
    uint32_t cfgr = vup_reg_get(p, RCC_CFGR);
    uint32_t ccipr = vup_reg_get(p, RCC_CCIPR);
    uint32_t sws = (cfgr & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT;
    uint64_t msi = msi_hz(p);
    uint64_t hsi = osc_ready(p, OSC_HSI16) ? HSI16_HZ : 0;
    uint64_t hse = osc_ready(p, OSC_HSE) ? HSE_HZ : 0;
    uint64_t lse = osc_ready(p, OSC_LSE) ? LSE_HZ : 0;
    const uint64_t sources[] = { msi, hsi, hse, pllr_hz(p, msi) };
    uint64_t hz[NUM_CLKS];
    unsigned ppre1 = apb_div(CFGR_PPRE1(cfgr));
    unsigned ppre2 = apb_div(CFGR_PPRE2(cfgr));
    uint64_t old_sysclk = vup_clock_get_hz(d, (unsigned)r->clk[CLK_SYSCLK]);
    uint64_t old_hclk = vup_clock_get_hz(d, (unsigned)r->clk[CLK_HCLK]);

    hz[CLK_SYSCLK] = sources[sws];
    hz[CLK_HCLK] = hz[CLK_SYSCLK] / ahb_div(CFGR_HPRE(cfgr));
    hz[CLK_PCLK1] = hz[CLK_HCLK] / ppre1;
    hz[CLK_PCLK2] = hz[CLK_HCLK] / ppre2;
    hz[CLK_SYSTICK] = hz[CLK_HCLK] / 8;
    hz[CLK_TIM_PCLK1] = hz[CLK_PCLK1] * (ppre1 == 1 ? 1 : 2);
    hz[CLK_TIM_PCLK2] = hz[CLK_PCLK2] * (ppre2 == 1 ? 1 : 2);
    for (size_t i = 0; i < sizeof(rcc_usarts) / sizeof(rcc_usarts[0]); i++) {
        const uint64_t ker[] = { hz[rcc_usarts[i].pclk], hz[CLK_SYSCLK], hsi,
                                 lse };
        bool on = vup_reg_get(p, rcc_usarts[i].enr) & rcc_usarts[i].en;

        hz[rcc_usarts[i].clk] =
            on ? ker[(ccipr >> rcc_usarts[i].sel_shift) & 0x3u] : 0;
    }
    for (size_t i = 0; i < NUM_CLKS; i++) {
        vup_clock_set_hz(d, (unsigned)r->clk[i], hz[i]);
    }
    if (hz[CLK_SYSCLK] != old_sysclk || hz[CLK_HCLK] != old_hclk) {
        vup_log(VUP_LOG_INFO, "rcc: sysclk %" PRIu64 " Hz (%s), hclk %" PRIu64
                " Hz, pclk1 %" PRIu64 " Hz, pclk2 %" PRIu64 " Hz",
                hz[CLK_SYSCLK], sysclk_src_name[sws], hz[CLK_HCLK],
                hz[CLK_PCLK1], hz[CLK_PCLK2]);
    }
}

/*
 * Ready bits follow enables; the SYSCLK source, and the PLL's input while
 * the PLL is on, stay on.
 */
static void rcc_update_oscs(vup_periph *p)
{
    uint32_t sws = (vup_reg_get(p, RCC_CFGR) & CFGR_SWS_MASK) >> CFGR_SWS_SHIFT;
    uint32_t pllsrc = PLLCFGR_SRC(vup_reg_get(p, RCC_PLLCFGR));
    bool pll_on = vup_reg_get(p, RCC_CR) & CR_PLLON;
    uint32_t cier = vup_reg_get(p, RCC_CIER);
    uint32_t cifr = vup_reg_get(p, RCC_CIFR);

    for (size_t i = 0; i < NUM_OSCS; i++) {
        const struct rcc_osc *o = &rcc_oscs[i];
        uint32_t v = vup_reg_get(p, o->reg);
        uint32_t nv = v;

        if ((o->sws != NO_SEL && (uint32_t)o->sws == sws) ||
            (pll_on && o->pllsrc != NO_SEL && (uint32_t)o->pllsrc == pllsrc)) {
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
    rcc_update_clocks(p);
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
    rcc_update_clocks(p);
}

/* PLLCFGR (its input may have to stay on), CCIPR, APB1ENR1: frequencies. */
static void clocks_write(vup_periph *p, const struct vup_reg *reg,
                         uint32_t old, uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    rcc_update_oscs(p);
}

/*
 * Reset values: RM0351 6.4 and the STM32L475 SVD.  ICSCR's calibration
 * fields are factory-trimmed ("0x10XX 00XX"); we use QEMU's values.
 * Write masks are the SVD's read-write fields (MCOPRE is read-write in
 * RM0351 although the SVD says read-only).
 */
static const struct vup_reg rcc_regs[] = {
    /* name          offset           reset        wmask       w1c read write */
    { .name = "CR", .offset = RCC_CR, .reset = 0x00000063, .wmask = 0x150d0bfd, .write = cr_write },
    { .name = "ICSCR", .offset = RCC_ICSCR, .reset = 0x106e0082, .wmask = 0x7f00ff00 },
    { .name = "CFGR", .offset = RCC_CFGR, .reset = 0x00000000, .wmask = 0x7700bff3, .write = cfgr_write },
    { .name = "PLLCFGR", .offset = RCC_PLLCFGR, .reset = 0x00001000, .wmask = 0xff737f73, .write = clocks_write },
    { .name = "PLLSAI1CFGR", .offset = RCC_PLLSAI1CFGR, .reset = 0x00001000, .wmask = 0xff737f00 },
    { .name = "PLLSAI2CFGR", .offset = RCC_PLLSAI2CFGR, .reset = 0x00001000, .wmask = 0xff037f00 },
    { .name = "CIER", .offset = RCC_CIER, .reset = 0x00000000, .wmask = 0x000006ff, .write = osc_write },
    { .name = "CIFR", .offset = RCC_CIFR, .reset = 0x00000000, .wmask = 0 },
    { .name = "CICR", .offset = RCC_CICR, .reset = 0x00000000, .wmask = 0, .write = cicr_write },
    { .name = "AHB1RSTR", .offset = RCC_AHB1RSTR, .reset = 0x00000000, .wmask = 0x00031103 },
    { .name = "AHB2RSTR", .offset = RCC_AHB2RSTR, .reset = 0x00000000, .wmask = 0x000771ff },
    { .name = "AHB3RSTR", .offset = RCC_AHB3RSTR, .reset = 0x00000000, .wmask = 0x00000101 },
    { .name = "APB1RSTR1", .offset = RCC_APB1RSTR1, .reset = 0x00000000, .wmask = 0xf7fec23f },
    { .name = "APB1RSTR2", .offset = RCC_APB1RSTR2, .reset = 0x00000000, .wmask = 0x00000027 },
    { .name = "APB2RSTR", .offset = RCC_APB2RSTR, .reset = 0x00000000, .wmask = 0x01677c01 },
    { .name = "AHB1ENR", .offset = RCC_AHB1ENR, .reset = 0x00000100, .wmask = 0x00031103 },
    { .name = "AHB2ENR", .offset = RCC_AHB2ENR, .reset = 0x00000000, .wmask = 0x000771ff },
    { .name = "AHB3ENR", .offset = RCC_AHB3ENR, .reset = 0x00000000, .wmask = 0x00000101 },
    { .name = "APB1ENR1", .offset = RCC_APB1ENR1, .reset = 0x00000000, .wmask = 0xf7fece3f, .write = clocks_write },
    { .name = "APB1ENR2", .offset = RCC_APB1ENR2, .reset = 0x00000000, .wmask = 0x00000027 },
    { .name = "APB2ENR", .offset = RCC_APB2ENR, .reset = 0x00000000, .wmask = 0x01677c81, .write = apb2enr_write },
    { .name = "AHB1SMENR", .offset = RCC_AHB1SMENR, .reset = 0x00011303, .wmask = 0x00031303 },
    { .name = "AHB2SMENR", .offset = RCC_AHB2SMENR, .reset = 0x000532ff, .wmask = 0x000773ff },
    { .name = "AHB3SMENR", .offset = RCC_AHB3SMENR, .reset = 0x00000101, .wmask = 0x00000101 },
    { .name = "APB1SMENR1", .offset = RCC_APB1SMENR1, .reset = 0xf2feca3f, .wmask = 0xf6fece3f },
    { .name = "APB1SMENR2", .offset = RCC_APB1SMENR2, .reset = 0x00000025, .wmask = 0x00000027 },
    { .name = "APB2SMENR", .offset = RCC_APB2SMENR, .reset = 0x01677c01, .wmask = 0x01677c01 },
    { .name = "CCIPR", .offset = RCC_CCIPR, .reset = 0x00000000, .wmask = 0xffffffff, .write = clocks_write },
    { .name = "BDCR", .offset = RCC_BDCR, .reset = 0x00000000, .wmask = 0x0301833d, .write = osc_write },
    { .name = "CSR", .offset = RCC_CSR, .reset = 0x0c000600, .wmask = 0x00000f01, .write = osc_write },
};

static void rcc_reset(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);

    r->irq_level = false;
    r->msi_hz = MSI_RESET_HZ;
    vup_irq_set(p, 0, false);
    rcc_update_clocks(p);
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
        .mmio_flags = opts->mmio_flags,
        .regs = rcc_regs,
        .num_regs = sizeof(rcc_regs) / sizeof(rcc_regs[0]),
        .irqs = &r->irq,
        .num_irqs = 1,
        .reset = rcc_reset,
    };
    r->msi_hz = MSI_RESET_HZ;
    /* Reset frequencies: everything from the 4 MHz MSI, USARTs gated. */
    for (size_t i = 0; i < NUM_CLKS; i++) {
        uint64_t reset_hz = i == CLK_SYSTICK ? MSI_RESET_HZ / 8
                          : i >= CLK_USART1 ? 0 : MSI_RESET_HZ;

        r->clk[i] = vup_dev_add_clock(d, rcc_clocks[i].name,
                                      rcc_clocks[i].flags, reset_hz);
        if (r->clk[i] < 0) {
            free(r);
            return NULL;
        }
    }
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
