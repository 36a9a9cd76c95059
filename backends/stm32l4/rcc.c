/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 RCC (RM0351 chapter 6): registers and the clock tree.
 *
 * Every register of the STM32L475 RCC is present with its RM0351 reset value
 * and its fields' semantics (the table at the end), so reads return what
 * firmware expects.  Behaviour (the hooks):
 *   - each oscillator's ready bit follows its ON bit at once (MSI, HSI16,
 *     HSE, PLL, PLLSAI1, PLLSAI2 in CR; LSE in BDCR; LSI in CSR); the
 *     oscillator selected as SYSCLK, and the PLL's input while the PLL is on,
 *     cannot be switched off (as QEMU's model);
 *   - CFGR.SWS follows CFGR.SW at once;
 *   - a ready bit that rises with its CIER enable set raises the CIFR flag;
 *     CICR clears CIFR; the RCC interrupt line (5) is CIFR & CIER;
 *   - CSR.RMVF clears the reset flags (CR.CSSON, CR.MSIRGSEL and
 *     APB2ENR.FWEN, set-only, are declared so);
 *   - frequencies, published as clock outputs (rcc_clocks[]): SYSCLK from
 *     MSI (range table), HSI16, HSE (the control channel's value
 *     "rcc.hse_hz", 48 MHz by default as QEMU's) or PLLR
 *     (src / M * N / R), the AHB/APB prescalers, the SysTick reference
 *     (HCLK/8), the APB timer clocks (x2 when the APB prescaler is not 1)
 *     and the USART kernel clocks selected by CCIPR, gated by their
 *     APBxENR bit as in QEMU.  A stopped oscillator gives 0 Hz.
 * Not modelled: write protections of MSIRANGE, PLLSAI1/2 outputs, MCO,
 * clock security system, backup domain reset, the effect of *RSTR bits.
 */
#include <inttypes.h>
#include <stdlib.h>

#include <vup/registerfields.h>

#include "stm32l4.h"

/*
 * Registers and fields, RM0351 6.4.  The peripheral reset, clock enable
 * and sleep-mode enable registers (one bit per peripheral) have their bits
 * in the bus lists below (AHB1_PERIPHS...); FIELD() names the bits the
 * code uses.
 */
REG32(CR, 0x00)
    FIELD(CR, MSION, 0, 1)
    FIELD(CR, MSIRDY, 1, 1)
    FIELD(CR, MSIPLLEN, 2, 1)
    FIELD(CR, MSIRGSEL, 3, 1)
    FIELD(CR, MSIRANGE, 4, 4)
    FIELD(CR, HSION, 8, 1)
    FIELD(CR, HSIKERON, 9, 1)
    FIELD(CR, HSIRDY, 10, 1)
    FIELD(CR, HSIASFS, 11, 1)
    FIELD(CR, HSEON, 16, 1)
    FIELD(CR, HSERDY, 17, 1)
    FIELD(CR, HSEBYP, 18, 1)
    FIELD(CR, CSSON, 19, 1)
    FIELD(CR, PLLON, 24, 1)
    FIELD(CR, PLLRDY, 25, 1)
    FIELD(CR, PLLSAI1ON, 26, 1)
    FIELD(CR, PLLSAI1RDY, 27, 1)
    FIELD(CR, PLLSAI2ON, 28, 1)
    FIELD(CR, PLLSAI2RDY, 29, 1)
REG32(ICSCR, 0x04)
    FIELD(ICSCR, MSICAL, 0, 8)
    FIELD(ICSCR, MSITRIM, 8, 8)
    FIELD(ICSCR, HSICAL, 16, 8)
    FIELD(ICSCR, HSITRIM, 24, 7)
REG32(CFGR, 0x08)
    FIELD(CFGR, SW, 0, 2)
    FIELD(CFGR, SWS, 2, 2)
    FIELD(CFGR, HPRE, 4, 4)
    FIELD(CFGR, PPRE1, 8, 3)
    FIELD(CFGR, PPRE2, 11, 3)
    FIELD(CFGR, STOPWUCK, 15, 1)
    FIELD(CFGR, MCOSEL, 24, 3)
    FIELD(CFGR, MCOPRE, 28, 3)
REG32(PLLCFGR, 0x0c)
    FIELD(PLLCFGR, PLLSRC, 0, 2)
    FIELD(PLLCFGR, PLLM, 4, 3)
    FIELD(PLLCFGR, PLLN, 8, 7)
    FIELD(PLLCFGR, PLLPEN, 16, 1)
    FIELD(PLLCFGR, PLLP, 17, 1)
    FIELD(PLLCFGR, PLLQEN, 20, 1)
    FIELD(PLLCFGR, PLLQ, 21, 2)
    FIELD(PLLCFGR, PLLREN, 24, 1)
    FIELD(PLLCFGR, PLLR, 25, 2)
    FIELD(PLLCFGR, PLLPDIV, 27, 5)
REG32(PLLSAI1CFGR, 0x10)
    FIELD(PLLSAI1CFGR, PLLSAI1N, 8, 7)
    FIELD(PLLSAI1CFGR, PLLSAI1PEN, 16, 1)
    FIELD(PLLSAI1CFGR, PLLSAI1P, 17, 1)
    FIELD(PLLSAI1CFGR, PLLSAI1QEN, 20, 1)
    FIELD(PLLSAI1CFGR, PLLSAI1Q, 21, 2)
    FIELD(PLLSAI1CFGR, PLLSAI1REN, 24, 1)
    FIELD(PLLSAI1CFGR, PLLSAI1R, 25, 2)
    FIELD(PLLSAI1CFGR, PLLSAI1PDIV, 27, 5)
REG32(PLLSAI2CFGR, 0x14)
    FIELD(PLLSAI2CFGR, PLLSAI2N, 8, 7)
    FIELD(PLLSAI2CFGR, PLLSAI2PEN, 16, 1)
    FIELD(PLLSAI2CFGR, PLLSAI2P, 17, 1)
    FIELD(PLLSAI2CFGR, PLLSAI2REN, 24, 1)
    FIELD(PLLSAI2CFGR, PLLSAI2R, 25, 2)
    FIELD(PLLSAI2CFGR, PLLSAI2PDIV, 27, 5)
/* CIER, CIFR and CICR: one bit per source, at the same place in all three. */
REG32(CIER, 0x18)
    FIELD(CIER, LSIRDYIE, 0, 1)
    FIELD(CIER, LSERDYIE, 1, 1)
    FIELD(CIER, MSIRDYIE, 2, 1)
    FIELD(CIER, HSIRDYIE, 3, 1)
    FIELD(CIER, HSERDYIE, 4, 1)
    FIELD(CIER, PLLRDYIE, 5, 1)
    FIELD(CIER, PLLSAI1RDYIE, 6, 1)
    FIELD(CIER, PLLSAI2RDYIE, 7, 1)
    FIELD(CIER, LSECSSIE, 9, 1)
    FIELD(CIER, HSI48RDYIE, 10, 1)
REG32(CIFR, 0x1c)
    FIELD(CIFR, LSIRDYF, 0, 1)
    FIELD(CIFR, LSERDYF, 1, 1)
    FIELD(CIFR, MSIRDYF, 2, 1)
    FIELD(CIFR, HSIRDYF, 3, 1)
    FIELD(CIFR, HSERDYF, 4, 1)
    FIELD(CIFR, PLLRDYF, 5, 1)
    FIELD(CIFR, PLLSAI1RDYF, 6, 1)
    FIELD(CIFR, PLLSAI2RDYF, 7, 1)
    FIELD(CIFR, CSSF, 8, 1)
    FIELD(CIFR, LSECSSF, 9, 1)
    FIELD(CIFR, HSI48RDYF, 10, 1)
REG32(CICR, 0x20)
    FIELD(CICR, LSIRDYC, 0, 1)
    FIELD(CICR, LSERDYC, 1, 1)
    FIELD(CICR, MSIRDYC, 2, 1)
    FIELD(CICR, HSIRDYC, 3, 1)
    FIELD(CICR, HSERDYC, 4, 1)
    FIELD(CICR, PLLRDYC, 5, 1)
    FIELD(CICR, PLLSAI1RDYC, 6, 1)
    FIELD(CICR, PLLSAI2RDYC, 7, 1)
    FIELD(CICR, CSSC, 8, 1)
    FIELD(CICR, LSECSSC, 9, 1)
    FIELD(CICR, HSI48RDYC, 10, 1)
REG32(AHB1RSTR, 0x28)
REG32(AHB2RSTR, 0x2c)
REG32(AHB3RSTR, 0x30)
REG32(APB1RSTR1, 0x38)
REG32(APB1RSTR2, 0x3c)
REG32(APB2RSTR, 0x40)
REG32(AHB1ENR, 0x48)
REG32(AHB2ENR, 0x4c)
REG32(AHB3ENR, 0x50)
REG32(APB1ENR1, 0x58)
    FIELD(APB1ENR1, USART2EN, 17, 1)
    FIELD(APB1ENR1, USART3EN, 18, 1)
REG32(APB1ENR2, 0x5c)
REG32(APB2ENR, 0x60)
    FIELD(APB2ENR, FWEN, 7, 1)
    FIELD(APB2ENR, USART1EN, 14, 1)
REG32(AHB1SMENR, 0x68)
REG32(AHB2SMENR, 0x6c)
REG32(AHB3SMENR, 0x70)
REG32(APB1SMENR1, 0x78)
REG32(APB1SMENR2, 0x7c)
REG32(APB2SMENR, 0x80)
REG32(CCIPR, 0x88)
    FIELD(CCIPR, USART1SEL, 0, 2)
    FIELD(CCIPR, USART2SEL, 2, 2)
    FIELD(CCIPR, USART3SEL, 4, 2)
    FIELD(CCIPR, UART4SEL, 6, 2)
    FIELD(CCIPR, UART5SEL, 8, 2)
    FIELD(CCIPR, LPUART1SEL, 10, 2)
    FIELD(CCIPR, I2C1SEL, 12, 2)
    FIELD(CCIPR, I2C2SEL, 14, 2)
    FIELD(CCIPR, I2C3SEL, 16, 2)
    FIELD(CCIPR, LPTIM1SEL, 18, 2)
    FIELD(CCIPR, LPTIM2SEL, 20, 2)
    FIELD(CCIPR, SAI1SEL, 22, 2)
    FIELD(CCIPR, SAI2SEL, 24, 2)
    FIELD(CCIPR, CLK48SEL, 26, 2)
    FIELD(CCIPR, ADCSEL, 28, 2)
    FIELD(CCIPR, SWPMI1SEL, 30, 1)
    FIELD(CCIPR, DFSDM1SEL, 31, 1)
REG32(BDCR, 0x90)
    FIELD(BDCR, LSEON, 0, 1)
    FIELD(BDCR, LSERDY, 1, 1)
    FIELD(BDCR, LSEBYP, 2, 1)
    FIELD(BDCR, LSEDRV, 3, 2)
    FIELD(BDCR, LSECSSON, 5, 1)
    FIELD(BDCR, LSECSSD, 6, 1)
    FIELD(BDCR, RTCSEL, 8, 2)
    FIELD(BDCR, RTCEN, 15, 1)
    FIELD(BDCR, BDRST, 16, 1)
    FIELD(BDCR, LSCOEN, 24, 1)
    FIELD(BDCR, LSCOSEL, 25, 1)
REG32(CSR, 0x94)
    FIELD(CSR, LSION, 0, 1)
    FIELD(CSR, LSIRDY, 1, 1)
    FIELD(CSR, MSISRANGE, 8, 4)
    FIELD(CSR, RMVF, 23, 1)
    FIELD(CSR, FWRSTF, 24, 1)
    FIELD(CSR, OBLRSTF, 25, 1)
    FIELD(CSR, PINRSTF, 26, 1)
    FIELD(CSR, BORRSTF, 27, 1)
    FIELD(CSR, SFTRSTF, 28, 1)
    FIELD(CSR, IWDGRSTF, 29, 1)
    FIELD(CSR, WWDGRSTF, 30, 1)
    FIELD(CSR, LPWRRSTF, 31, 1)

/* CSR's reset flags, cleared by writing RMVF. */
#define CSR_RSTF_MASK   (R_CSR_FWRSTF_MASK | R_CSR_OBLRSTF_MASK | \
                         R_CSR_PINRSTF_MASK | R_CSR_BORRSTF_MASK | \
                         R_CSR_SFTRSTF_MASK | R_CSR_IWDGRSTF_MASK | \
                         R_CSR_WWDGRSTF_MASK | R_CSR_LPWRRSTF_MASK)

#define NO_SEL          (-1)

/*
 * Oscillator frequencies.  The HSE crystal is a board part: the value
 * "rcc.hse_hz" of the control channel, 4 to 48 MHz (RM0351 6.2.1),
 * 48 MHz by default as QEMU's stm32l4x5_rcc.
 */
#define HSI16_HZ        16000000u
#define HSE_DEFAULT_HZ  48000000u
#define HSE_MIN_HZ      4000000u
#define HSE_MAX_HZ      48000000u
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

/* Register, ON and RDY fields, CIFR flag, SWS and PLLSRC values. */
#define OSC(reg, on, rdy, flag, sws, pllsrc) \
    A_##reg, R_##reg##_##on##_MASK, R_##reg##_##rdy##_MASK, \
    R_CIFR_##flag##_MASK, sws, pllsrc

static const struct rcc_osc rcc_oscs[NUM_OSCS] = {
    [OSC_MSI]     = { "MSI",     OSC(CR, MSION, MSIRDY, MSIRDYF, 0, 1) },
    [OSC_HSI16]   = { "HSI16",   OSC(CR, HSION, HSIRDY, HSIRDYF, 1, 2) },
    [OSC_HSE]     = { "HSE",     OSC(CR, HSEON, HSERDY, HSERDYF, 2, 3) },
    [OSC_PLL]     = { "PLL",     OSC(CR, PLLON, PLLRDY, PLLRDYF, 3,
                                     NO_SEL) },
    [OSC_PLLSAI1] = { "PLLSAI1", OSC(CR, PLLSAI1ON, PLLSAI1RDY, PLLSAI1RDYF,
                                     NO_SEL, NO_SEL) },
    [OSC_PLLSAI2] = { "PLLSAI2", OSC(CR, PLLSAI2ON, PLLSAI2RDY, PLLSAI2RDYF,
                                     NO_SEL, NO_SEL) },
    [OSC_LSE]     = { "LSE",     OSC(BDCR, LSEON, LSERDY, LSERDYF, NO_SEL,
                                     NO_SEL) },
    [OSC_LSI]     = { "LSI",     OSC(CSR, LSION, LSIRDY, LSIRDYF, NO_SEL,
                                     NO_SEL) },
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
    { CLK_USART1, R_CCIPR_USART1SEL_SHIFT, CLK_PCLK2, A_APB2ENR,
      R_APB2ENR_USART1EN_MASK },
    { CLK_USART2, R_CCIPR_USART2SEL_SHIFT, CLK_PCLK1, A_APB1ENR1,
      R_APB1ENR1_USART2EN_MASK },
    { CLK_USART3, R_CCIPR_USART3SEL_SHIFT, CLK_PCLK1, A_APB1ENR1,
      R_APB1ENR1_USART3EN_MASK },
};

struct stm32l4_rcc {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irq;
    struct vup_periph_desc desc;
    vup_periph *p;
    bool irq_level;
    uint32_t msi_hz;         /* kept over an out-of-range MSI range write */
    int clk[NUM_CLKS];       /* vup clock indexes */
    vup_value *hse;          /* the crystal's frequency (a board part) */
};

static void rcc_update_irq(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);
    /* CIER has no enable for CSSF: the CSS interrupt is the NMI. */
    bool level = (vup_reg_get(p, A_CIFR) & vup_reg_get(p, A_CIER)) != 0;

    if (level != r->irq_level) {
        r->irq_level = level;
        vup_irq_set(p, 0, level);
    }
}

/* ---- clock tree ------------------------------------------------------ */

static uint64_t hse_hz(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);

    return (uint64_t)vup_value_get(r->hse);
}

static bool osc_ready(vup_periph *p, enum rcc_osc_id id)
{
    return vup_reg_get(p, rcc_oscs[id].reg) & rcc_oscs[id].rdy;
}

static uint64_t msi_hz(vup_periph *p)
{
    struct stm32l4_rcc *r = vup_periph_opaque(p);
    uint32_t cr = vup_reg_get(p, A_CR);
    uint32_t range = FIELD_EX32(cr, CR, MSIRGSEL)
        ? FIELD_EX32(cr, CR, MSIRANGE)
        : FIELD_EX32(vup_reg_get(p, A_CSR), CSR, MSISRANGE);

    /* Ranges 12..15 are reserved: the MSI keeps its frequency, as QEMU. */
    if (range < sizeof(msi_range_hz) / sizeof(msi_range_hz[0])) {
        r->msi_hz = msi_range_hz[range];
    }
    return osc_ready(p, OSC_MSI) ? r->msi_hz : 0;
}

/* PLLCLK (the R output): (source / M) * N / R, 0 unless ready and enabled. */
static uint64_t pllr_hz(vup_periph *p, uint64_t msi)
{
    uint32_t cfg = vup_reg_get(p, A_PLLCFGR);
    uint64_t src;

    switch (FIELD_EX32(cfg, PLLCFGR, PLLSRC)) {
    case 1:
        src = msi;
        break;
    case 2:
        src = osc_ready(p, OSC_HSI16) ? HSI16_HZ : 0;
        break;
    case 3:
        src = osc_ready(p, OSC_HSE) ? hse_hz(p) : 0;
        break;
    default:
        src = 0;
        break;
    }
    if (!osc_ready(p, OSC_PLL) || !FIELD_EX32(cfg, PLLCFGR, PLLREN)) {
        return 0;
    }
    return src / (FIELD_EX32(cfg, PLLCFGR, PLLM) + 1) *
           FIELD_EX32(cfg, PLLCFGR, PLLN) /
           (2 * (FIELD_EX32(cfg, PLLCFGR, PLLR) + 1));
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
    uint32_t cfgr = vup_reg_get(p, A_CFGR);
    uint32_t ccipr = vup_reg_get(p, A_CCIPR);
    uint32_t sws = FIELD_EX32(cfgr, CFGR, SWS);
    uint64_t msi = msi_hz(p);
    uint64_t hsi = osc_ready(p, OSC_HSI16) ? HSI16_HZ : 0;
    uint64_t hse = osc_ready(p, OSC_HSE) ? hse_hz(p) : 0;
    uint64_t lse = osc_ready(p, OSC_LSE) ? LSE_HZ : 0;
    const uint64_t sources[] = { msi, hsi, hse, pllr_hz(p, msi) };
    uint64_t hz[NUM_CLKS];
    unsigned ppre1 = apb_div(FIELD_EX32(cfgr, CFGR, PPRE1));
    unsigned ppre2 = apb_div(FIELD_EX32(cfgr, CFGR, PPRE2));
    uint64_t old_sysclk = vup_clock_get_hz(d, (unsigned)r->clk[CLK_SYSCLK]);
    uint64_t old_hclk = vup_clock_get_hz(d, (unsigned)r->clk[CLK_HCLK]);

    hz[CLK_SYSCLK] = sources[sws];
    hz[CLK_HCLK] = hz[CLK_SYSCLK] / ahb_div(FIELD_EX32(cfgr, CFGR, HPRE));
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
    uint32_t sws = FIELD_EX32(vup_reg_get(p, A_CFGR), CFGR, SWS);
    uint32_t pllsrc = FIELD_EX32(vup_reg_get(p, A_PLLCFGR), PLLCFGR, PLLSRC);
    bool pll_on = FIELD_EX32(vup_reg_get(p, A_CR), CR, PLLON);
    uint32_t cier = vup_reg_get(p, A_CIER);
    uint32_t cifr = vup_reg_get(p, A_CIFR);

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
    vup_reg_set(p, A_CIFR, cifr);
    rcc_update_irq(p);
    rcc_update_clocks(p);
}

/* ---- register hooks -------------------------------------------------- */

/*
 * CR (oscillator enables), PLLCFGR (its input may have to stay on), CCIPR
 * and APB1ENR1: ready bits and frequencies.
 */
static void oscs_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                       uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    rcc_update_oscs(p);
}

/* CFGR: the switch follows SW at once (SWS). */
static void cfgr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                       uint32_t value, uint32_t written)
{
    (void)old; (void)written;
    vup_reg_set(p, reg->offset, FIELD_DP32(value, CFGR, SWS,
                                           FIELD_EX32(value, CFGR, SW)));
    rcc_update_oscs(p);
}

/* BDCR, CSR, CIER: oscillator enables / ready interrupts. */
static void osc_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)old;
    if (reg->offset == A_CSR && FIELD_EX32(written, CSR, RMVF)) {
        vup_reg_set(p, A_CSR, value & ~CSR_RSTF_MASK);
    }
    rcc_update_oscs(p);
}

/*
 * CICR clears CIFR flags (same bits).  Its fields are write-only: @value
 * holds what this write stored in them, so value & written are the flags
 * it clears.
 */
static void cicr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                       uint32_t value, uint32_t written)
{
    (void)reg; (void)old;
    vup_reg_set(p, A_CIFR, vup_reg_get(p, A_CIFR) & ~(value & written));
    rcc_update_irq(p);
}

/* APB2ENR: USART1's kernel clock is gated by USART1EN. */
static void apb2enr_write(vup_periph *p, const struct vup_reg *reg,
                          uint32_t old, uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    rcc_update_clocks(p);
}

/*
 * Field semantics: RM0351 6.4, checked against the STM32L475 SVD, whose
 * field list this follows where RM0351 agrees.  Where they differ, RM0351:
 * CR.CSSON and CR.MSIRGSEL are rs (set only, cleared by reset; the SVD
 * says write-only), APB2ENR.FWEN is rs too, CFGR.MCOPRE is read-write (the
 * SVD says read-only).  CSR.RMVF is write-only here (a write of 1 clears
 * the reset flags, osc_write); ready bits, SWS and the flags are read-only
 * and set by hardware; ICSCR's calibration fields are read-only.
 */
#define HW_FLAG         (VUP_RO | VUP_HW)

static const struct vup_field cr_fields[] = {
    VUP_FIELDS_OF(CR, VUP_RW, MSION, MSIPLLEN, MSIRANGE, HSION, HSIKERON,
                  HSIASFS, HSEON, HSEBYP, PLLON, PLLSAI1ON, PLLSAI2ON),
    VUP_FIELDS_OF(CR, HW_FLAG, MSIRDY, HSIRDY, HSERDY, PLLRDY, PLLSAI1RDY,
                  PLLSAI2RDY),
    VUP_FIELDS_OF(CR, VUP_W1S, MSIRGSEL, CSSON),
};
static const struct vup_field icscr_fields[] = {
    VUP_FIELDS_OF(ICSCR, VUP_RO, MSICAL, HSICAL),
    VUP_FIELDS_OF(ICSCR, VUP_RW, MSITRIM, HSITRIM),
};
static const struct vup_field cfgr_fields[] = {
    VUP_FIELDS_OF(CFGR, VUP_RW, SW, HPRE, PPRE1, PPRE2, STOPWUCK, MCOSEL,
                  MCOPRE),
    VUP_FIELD_OF(CFGR, SWS, HW_FLAG),
};
static const struct vup_field pllcfgr_fields[] = {
    VUP_FIELDS_OF(PLLCFGR, VUP_RW, PLLSRC, PLLM, PLLN, PLLPEN, PLLP, PLLQEN,
                  PLLQ, PLLREN, PLLR, PLLPDIV),
};
static const struct vup_field pllsai1cfgr_fields[] = {
    VUP_FIELDS_OF(PLLSAI1CFGR, VUP_RW, PLLSAI1N, PLLSAI1PEN, PLLSAI1P,
                  PLLSAI1QEN, PLLSAI1Q, PLLSAI1REN, PLLSAI1R, PLLSAI1PDIV),
};
static const struct vup_field pllsai2cfgr_fields[] = {
    VUP_FIELDS_OF(PLLSAI2CFGR, VUP_RW, PLLSAI2N, PLLSAI2PEN, PLLSAI2P,
                  PLLSAI2REN, PLLSAI2R, PLLSAI2PDIV),
};
static const struct vup_field cier_fields[] = {
    VUP_FIELDS_OF(CIER, VUP_RW, LSIRDYIE, LSERDYIE, MSIRDYIE, HSIRDYIE,
                  HSERDYIE, PLLRDYIE, PLLSAI1RDYIE, PLLSAI2RDYIE, LSECSSIE,
                  HSI48RDYIE),
};
static const struct vup_field cifr_fields[] = {
    VUP_FIELDS_OF(CIFR, HW_FLAG, LSIRDYF, LSERDYF, MSIRDYF, HSIRDYF, HSERDYF,
                  PLLRDYF, PLLSAI1RDYF, PLLSAI2RDYF, CSSF, LSECSSF, HSI48RDYF),
};
static const struct vup_field cicr_fields[] = {
    VUP_FIELDS_OF(CICR, VUP_WO, LSIRDYC, LSERDYC, MSIRDYC, HSIRDYC, HSERDYC,
                  PLLRDYC, PLLSAI1RDYC, PLLSAI2RDYC, CSSC, LSECSSC, HSI48RDYC),
};
/*
 * A bus's reset (RSTR), clock enable (ENR) and sleep-mode enable (SMENR)
 * registers have one read-write bit per peripheral on the bus, at the same
 * place in all three (RM0351 6.4.7 to 6.4.24): each bus's peripherals are
 * listed once, as X(name, bit), and the three tables made from the list
 * (e.g. DMA1RST, DMA1EN, DMA1SMEN).  Bits only some of them have are
 * entries of their own.
 */
#define AHB1_PERIPHS(X) \
    X(DMA1, 0)      X(DMA2, 1)      X(FLASH, 8)     X(CRC, 12) \
    X(TSC, 16)      X(DMA2D, 17)
#define AHB2_PERIPHS(X) \
    X(GPIOA, 0)     X(GPIOB, 1)     X(GPIOC, 2)     X(GPIOD, 3) \
    X(GPIOE, 4)     X(GPIOF, 5)     X(GPIOG, 6)     X(GPIOH, 7) \
    X(GPIOI, 8)     X(OTGFS, 12)    X(ADC, 13)      X(DCMI, 14) \
    X(AES, 16)      X(HASH, 17)     X(RNG, 18)
#define AHB3_PERIPHS(X) \
    X(FMC, 0)       X(QSPI, 8)
/* Without CRS (no sleep-mode bit), RTCAPB and WWDG (no reset bit). */
#define APB1_1_PERIPHS(X) \
    X(TIM2, 0)      X(TIM3, 1)      X(TIM4, 2)      X(TIM5, 3) \
    X(TIM6, 4)      X(TIM7, 5)      X(LCD, 9)       X(SPI2, 14) \
    X(SPI3, 15)     X(USART2, 17)   X(USART3, 18)   X(UART4, 19) \
    X(UART5, 20)    X(I2C1, 21)     X(I2C2, 22)     X(I2C3, 23) \
    X(CAN1, 25)     X(CAN2, 26)     X(PWR, 28)      X(DAC1, 29) \
    X(OPAMP, 30)    X(LPTIM1, 31)
#define APB1_2_PERIPHS(X) \
    X(LPUART1, 0)   X(I2C4, 1)      X(SWPMI1, 2)    X(LPTIM2, 5)
#define APB2_PERIPHS(X) \
    X(SYSCFG, 0)    X(SDMMC1, 10)   X(TIM1, 11)     X(SPI1, 12) \
    X(TIM8, 13)     X(USART1, 14)   X(TIM15, 16)    X(TIM16, 17) \
    X(TIM17, 18)    X(SAI1, 21)     X(SAI2, 22)     X(DFSDM1, 24)
#define RST_BIT(periph, bit)    VUP_FIELD(#periph "RST", bit, 1, VUP_RW),
#define EN_BIT(periph, bit)     VUP_FIELD(#periph "EN", bit, 1, VUP_RW),
#define SMEN_BIT(periph, bit)   VUP_FIELD(#periph "SMEN", bit, 1, VUP_RW),

static const struct vup_field ahb1rstr_fields[] = { AHB1_PERIPHS(RST_BIT) };
static const struct vup_field ahb2rstr_fields[] = { AHB2_PERIPHS(RST_BIT) };
static const struct vup_field ahb3rstr_fields[] = { AHB3_PERIPHS(RST_BIT) };
static const struct vup_field apb1rstr1_fields[] = {
    APB1_1_PERIPHS(RST_BIT)
    RST_BIT(CRS, 24)
};
static const struct vup_field apb1rstr2_fields[] = { APB1_2_PERIPHS(RST_BIT) };
static const struct vup_field apb2rstr_fields[] = { APB2_PERIPHS(RST_BIT) };

/* USART1EN..USART3EN are FIELD()s too: the USART kernel clocks' gates. */
static const struct vup_field ahb1enr_fields[] = { AHB1_PERIPHS(EN_BIT) };
static const struct vup_field ahb2enr_fields[] = { AHB2_PERIPHS(EN_BIT) };
static const struct vup_field ahb3enr_fields[] = { AHB3_PERIPHS(EN_BIT) };
static const struct vup_field apb1enr1_fields[] = {
    APB1_1_PERIPHS(EN_BIT)
    EN_BIT(RTCAPB, 10)  EN_BIT(WWDG, 11)    EN_BIT(CRS, 24)
};
static const struct vup_field apb1enr2_fields[] = { APB1_2_PERIPHS(EN_BIT) };
static const struct vup_field apb2enr_fields[] = {
    APB2_PERIPHS(EN_BIT)
    VUP_FIELD_OF(APB2ENR, FWEN, VUP_W1S),
};

static const struct vup_field ahb1smenr_fields[] = {
    AHB1_PERIPHS(SMEN_BIT)
    SMEN_BIT(SRAM1, 9)
};
static const struct vup_field ahb2smenr_fields[] = {
    AHB2_PERIPHS(SMEN_BIT)
    SMEN_BIT(SRAM2, 9)
};
static const struct vup_field ahb3smenr_fields[] = { AHB3_PERIPHS(SMEN_BIT) };
static const struct vup_field apb1smenr1_fields[] = {
    APB1_1_PERIPHS(SMEN_BIT)
    SMEN_BIT(RTCAPB, 10) SMEN_BIT(WWDG, 11)
};
static const struct vup_field apb1smenr2_fields[] = {
    APB1_2_PERIPHS(SMEN_BIT)
};
static const struct vup_field apb2smenr_fields[] = { APB2_PERIPHS(SMEN_BIT) };

static const struct vup_field ccipr_fields[] = {
    VUP_FIELDS_OF(CCIPR, VUP_RW, USART1SEL, USART2SEL, USART3SEL, UART4SEL,
                  UART5SEL, LPUART1SEL, I2C1SEL, I2C2SEL, I2C3SEL, LPTIM1SEL,
                  LPTIM2SEL, SAI1SEL, SAI2SEL, CLK48SEL, ADCSEL, SWPMI1SEL,
                  DFSDM1SEL),
};
static const struct vup_field bdcr_fields[] = {
    VUP_FIELDS_OF(BDCR, VUP_RW, LSEON, LSEBYP, LSEDRV, LSECSSON, RTCSEL, RTCEN,
                  BDRST, LSCOEN, LSCOSEL),
    VUP_FIELDS_OF(BDCR, HW_FLAG, LSERDY, LSECSSD),
};
static const struct vup_field csr_fields[] = {
    VUP_FIELDS_OF(CSR, VUP_RW, LSION, MSISRANGE),
    VUP_FIELDS_OF(CSR, HW_FLAG, LSIRDY, FWRSTF, OBLRSTF, PINRSTF, BORRSTF,
                  SFTRSTF, IWDGRSTF, WWDGRSTF, LPWRRSTF),
    VUP_FIELD_OF(CSR, RMVF, VUP_WO),
};


/*
 * Reset values: RM0351 6.4 and the STM32L475 SVD.  ICSCR's calibration
 * fields are factory-trimmed ("0x10XX 00XX"); we use QEMU's values.
 */
static const struct vup_reg rcc_regs[] = {
    { VUP_REG_AT(CR), .reset = 0x00000063, VUP_FIELDS(cr_fields),
      .write = oscs_write },
    { VUP_REG_AT(ICSCR), .reset = 0x106e0082, VUP_FIELDS(icscr_fields) },
    { VUP_REG_AT(CFGR), VUP_FIELDS(cfgr_fields), .write = cfgr_write },
    { VUP_REG_AT(PLLCFGR), .reset = 0x00001000, VUP_FIELDS(pllcfgr_fields),
      .write = oscs_write },
    { VUP_REG_AT(PLLSAI1CFGR), .reset = 0x00001000,
      VUP_FIELDS(pllsai1cfgr_fields) },
    { VUP_REG_AT(PLLSAI2CFGR), .reset = 0x00001000,
      VUP_FIELDS(pllsai2cfgr_fields) },
    { VUP_REG_AT(CIER), VUP_FIELDS(cier_fields), .write = osc_write },
    { VUP_REG_AT(CIFR), VUP_FIELDS(cifr_fields) },
    { VUP_REG_AT(CICR), VUP_FIELDS(cicr_fields), .write = cicr_write },
    { VUP_REG_AT(AHB1RSTR), VUP_FIELDS(ahb1rstr_fields) },
    { VUP_REG_AT(AHB2RSTR), VUP_FIELDS(ahb2rstr_fields) },
    { VUP_REG_AT(AHB3RSTR), VUP_FIELDS(ahb3rstr_fields) },
    { VUP_REG_AT(APB1RSTR1), VUP_FIELDS(apb1rstr1_fields) },
    { VUP_REG_AT(APB1RSTR2), VUP_FIELDS(apb1rstr2_fields) },
    { VUP_REG_AT(APB2RSTR), VUP_FIELDS(apb2rstr_fields) },
    { VUP_REG_AT(AHB1ENR), .reset = 0x00000100, VUP_FIELDS(ahb1enr_fields) },
    { VUP_REG_AT(AHB2ENR), VUP_FIELDS(ahb2enr_fields) },
    { VUP_REG_AT(AHB3ENR), VUP_FIELDS(ahb3enr_fields) },
    { VUP_REG_AT(APB1ENR1), VUP_FIELDS(apb1enr1_fields),
      .write = oscs_write },
    { VUP_REG_AT(APB1ENR2), VUP_FIELDS(apb1enr2_fields) },
    { VUP_REG_AT(APB2ENR), VUP_FIELDS(apb2enr_fields),
      .write = apb2enr_write },
    { VUP_REG_AT(AHB1SMENR), .reset = 0x00011303,
      VUP_FIELDS(ahb1smenr_fields) },
    { VUP_REG_AT(AHB2SMENR), .reset = 0x000532ff,
      VUP_FIELDS(ahb2smenr_fields) },
    { VUP_REG_AT(AHB3SMENR), .reset = 0x00000101,
      VUP_FIELDS(ahb3smenr_fields) },
    { VUP_REG_AT(APB1SMENR1), .reset = 0xf2feca3f,
      VUP_FIELDS(apb1smenr1_fields) },
    { VUP_REG_AT(APB1SMENR2), .reset = 0x00000025,
      VUP_FIELDS(apb1smenr2_fields) },
    { VUP_REG_AT(APB2SMENR), .reset = 0x01677c01,
      VUP_FIELDS(apb2smenr_fields) },
    { VUP_REG_AT(CCIPR), VUP_FIELDS(ccipr_fields), .write = oscs_write },
    { VUP_REG_AT(BDCR), VUP_FIELDS(bdcr_fields), .write = osc_write },
    { VUP_REG_AT(CSR), .reset = 0x0c000600, VUP_FIELDS(csr_fields),
      .write = osc_write },
};

static const struct vup_value_desc hse_value = {
    .name = "hse_hz", .unit = "Hz", .min = HSE_MIN_HZ, .max = HSE_MAX_HZ,
    .initial = HSE_DEFAULT_HZ, .integer = true,
};

/* Another crystal: a running HSE (and what it feeds) changes at once. */
static void hse_changed(void *opaque, double hz)
{
    struct stm32l4_rcc *r = opaque;

    (void)hz;
    rcc_update_clocks(r->p);
}

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
    stm32l4_periph_desc(&r->desc, &r->irq, info, opts, rcc_regs,
                        sizeof(rcc_regs) / sizeof(rcc_regs[0]), rcc_reset);
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
    r->hse = vup_periph_add_value(r->p, &hse_value, hse_changed, r);
    if (!r->hse) {
        free(r);
        return NULL;
    }
    return r;
}

void stm32l4_rcc_free(struct stm32l4_rcc *r)
{
    free(r);
}
