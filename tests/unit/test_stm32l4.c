/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-stm32l4's RCC clock tree and timers through the protocol: the RCC,
 * TIM6 and TIM2 in one device (tim_pclk1 routed inside it), driven by the
 * client playing QEMU.  Frequencies are read from the live part's clock
 * slots; time only moves when the test writes vtime_ns.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* The models themselves (static functions included): one binary, no lib. */
#include "../../backends/stm32l4/rcc.c"
#include "../../backends/stm32l4/tim.c"

#include "vup/client.h"
#include "vup/cr.h"
#include "harness.h"

/* Regions, in the order the peripherals are added. */
enum { R_TIM6 = 1, R_TIM2 = 2, R_RCC = 3 };

static const struct stm32l4_periph_info rcc_info = {
    "rcc", STM32L4_MODEL_RCC, STM32L4_RCC_BASE, STM32L4_PERIPH_SIZE,
    STM32L4_RCC_IRQ, 0,
};
static const struct stm32l4_periph_info tim6_info = {
    "tim6", STM32L4_MODEL_TIM, STM32L4_TIM6_BASE, STM32L4_PERIPH_SIZE,
    STM32L4_TIM6_IRQ, STM32L4_TIM_BASIC,
};
static const struct stm32l4_periph_info tim2_info = {
    "tim2", STM32L4_MODEL_TIM, STM32L4_TIM2_BASE, STM32L4_PERIPH_SIZE,
    STM32L4_TIM2_IRQ, STM32L4_TIM_GP32,
};

struct fixture {
    struct harness h;
    struct stm32l4_rcc *rcc;
    struct stm32l4_tim *tim6, *tim2;
    void *cr;
    struct vup_cr_view view;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const struct stm32l4_opts opts = { 0 };
    struct vup_client_region_info ri;
    char err[256];
    size_t len;

    harness_init(&f->h, "l4", "stm32l4");
    /* Timers first: their input is declared before the RCC's output. */
    f->tim6 = stm32l4_tim_create(f->h.dev, &tim6_info, &opts);
    f->tim2 = stm32l4_tim_create(f->h.dev, &tim2_info, &opts);
    f->rcc = stm32l4_rcc_create(f->h.dev, &rcc_info, &opts);
    assert_non_null(f->tim6);
    assert_non_null(f->tim2);
    assert_non_null(f->rcc);
    harness_serve(&f->h, NULL, NULL);
    /* As QEMU does when the machine starts. */
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(vup_client_region_info(f->h.c, 0, &ri), 0);
    assert_int_equal(vup_client_read_cr(f->h.c, 0, ri.size, &f->cr, &len), 0);
    assert_int_equal(vup_cr_decode(f->cr, len, NULL, &f->view, err,
                                   sizeof(err)), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_stop(&f->h);
    stm32l4_rcc_free(f->rcc);
    stm32l4_tim_free(f->tim6);
    stm32l4_tim_free(f->tim2);
    free(f->cr);
    free(f);
    return 0;
}

/* The registers are 32 bits. */
static uint32_t rd(struct fixture *f, uint32_t region, uint64_t off)
{
    return harness_rd(f->h.c, region, off, 4);
}

static void wr(struct fixture *f, uint32_t region, uint64_t off, uint32_t v)
{
    harness_wr(f->h.c, region, off, v, 4);
}

static uint64_t live64(struct fixture *f, size_t field)
{
    return harness_live64(&f->h, field);
}

/* The current frequency of the clock entry @name. */
static uint64_t hz(struct fixture *f, const char *name)
{
    for (size_t i = 0; i < f->view.num_clock; i++) {
        if (!strcmp(f->view.clock[i]->name, name)) {
            return live64(f, offsetof(struct vup_cr_live, clock_hz) +
                             f->view.clock[i]->live_index * 8u);
        }
    }
    fail_msg("no clock %s", name);
    return 0;
}

static void set_vtime(struct fixture *f, uint64_t ns)
{
    assert_int_equal(vup_client_write(f->h.c, 0, f->h.live +
                                      offsetof(struct vup_cr_live, vtime_ns),
                                      &ns, 8, false), 0);
}

static uint64_t deadline(struct fixture *f)
{
    return live64(f, offsetof(struct vup_cr_live, deadline_ns));
}

/* IRQ index of each line: tim6 0, tim2 1, rcc 2. */
static bool line(struct fixture *f, unsigned index)
{
    return live64(f, offsetof(struct vup_cr_live, irq_level)) >> index & 1;
}

/* ---- RCC ---------------------------------------------------------------- */

static void test_rcc_reset_clocks(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(hz(f, "sysclk"), 4000000);
    assert_int_equal(hz(f, "hclk"), 4000000);
    assert_int_equal(hz(f, "pclk1"), 4000000);
    assert_int_equal(hz(f, "pclk2"), 4000000);
    assert_int_equal(hz(f, "systick_ref"), 500000);
    assert_int_equal(hz(f, "tim_pclk1"), 4000000);
    assert_int_equal(hz(f, "usart1_ker"), 0);     /* clock not enabled */
    for (size_t i = 0; i < f->view.num_clock; i++) {
        const struct vup_cr_clock *c = f->view.clock[i];

        assert_int_equal(c->flags & VUP_CR_CLOCK_INPUT, 0);
        if (!strcmp(c->name, "hclk")) {
            assert_int_equal(c->flags, VUP_CR_CLOCK_OUTPUT |
                                       VUP_CR_CLOCK_ROLE_CPU);
        }
        if (!strcmp(c->name, "systick_ref")) {
            assert_int_equal(c->flags, VUP_CR_CLOCK_OUTPUT |
                                       VUP_CR_CLOCK_ROLE_REFCLK);
        }
    }
}

static void test_rcc_msi_ranges(void **state)
{
    struct fixture *f = *state;
    static const uint32_t table[] = {
        100000, 200000, 400000, 800000, 1000000, 2000000,
        4000000, 8000000, 16000000, 24000000, 32000000, 48000000,
    };

    for (uint32_t r = 0; r < 12; r++) {
        wr(f, R_RCC, A_CR, 0x1u | R_CR_MSIRGSEL_MASK | r << 4);
        assert_int_equal(hz(f, "sysclk"), table[r]);
    }
    /* Reserved range: the frequency stays. */
    wr(f, R_RCC, A_CR, 0x1u | R_CR_MSIRGSEL_MASK | 13u << 4);
    assert_int_equal(hz(f, "sysclk"), 48000000);
    /* MSION cannot be cleared while MSI is SYSCLK. */
    wr(f, R_RCC, A_CR, R_CR_MSIRGSEL_MASK | 6u << 4);
    assert_int_equal(rd(f, R_RCC, A_CR) & 0x3, 0x3);
}

static void test_rcc_pll80(void **state)
{
    struct fixture *f = *state;

    /* MSI 4 MHz / M1 * N40 / R2: RM0351's 80 MHz. */
    wr(f, R_RCC, A_PLLCFGR, 1u | 0u << 4 | 40u << 8 | R_PLLCFGR_PLLREN_MASK);
    assert_int_equal(rd(f, R_RCC, A_CR) & (1u << 25), 0);
    wr(f, R_RCC, A_CR, rd(f, R_RCC, A_CR) | R_CR_PLLON_MASK);
    assert_int_equal(rd(f, R_RCC, A_CR) & (1u << 25), 1u << 25);
    assert_int_equal(hz(f, "sysclk"), 4000000);
    wr(f, R_RCC, A_CFGR, 3);
    assert_int_equal(rd(f, R_RCC, A_CFGR) & 0xf, 0xf);   /* SWS = PLL */
    assert_int_equal(hz(f, "sysclk"), 80000000);
    assert_int_equal(hz(f, "hclk"), 80000000);
    assert_int_equal(hz(f, "systick_ref"), 10000000);
    /* PLLON stays while the PLL is SYSCLK. */
    wr(f, R_RCC, A_CR, rd(f, R_RCC, A_CR) & ~R_CR_PLLON_MASK);
    assert_int_equal(hz(f, "sysclk"), 80000000);
    /* HSI16 source, M 2, N 20, R 4: 16 / 2 * 20 / 4 = 40 MHz. */
    wr(f, R_RCC, A_CFGR, 0);
    wr(f, R_RCC, A_CR, rd(f, R_RCC, A_CR) & ~R_CR_PLLON_MASK);
    wr(f, R_RCC, A_PLLCFGR, 2u | 1u << 4 | 20u << 8 | R_PLLCFGR_PLLREN_MASK |
                              1u << 25);
    wr(f, R_RCC, A_CR, rd(f, R_RCC, A_CR) | R_CR_PLLON_MASK);
    assert_int_equal(rd(f, R_RCC, A_CR) & (1u << 10), 1u << 10); /* HSIRDY */
    wr(f, R_RCC, A_CFGR, 3);
    assert_int_equal(hz(f, "sysclk"), 40000000);
    /* Without PLLREN the R output is off. */
    wr(f, R_RCC, A_PLLCFGR, 2u | 1u << 4 | 20u << 8 | 1u << 25);
    assert_int_equal(hz(f, "sysclk"), 0);
}

static void test_rcc_prescalers(void **state)
{
    struct fixture *f = *state;

    wr(f, R_RCC, A_CR, 0x1u | R_CR_MSIRGSEL_MASK | 11u << 4);    /* 48 MHz */
    /* HPRE /2, PPRE1 /2, PPRE2 /4. */
    wr(f, R_RCC, A_CFGR, 8u << 4 | 4u << 8 | 5u << 11);
    assert_int_equal(hz(f, "hclk"), 24000000);
    assert_int_equal(hz(f, "systick_ref"), 3000000);
    assert_int_equal(hz(f, "pclk1"), 12000000);
    assert_int_equal(hz(f, "tim_pclk1"), 24000000);         /* x2 */
    assert_int_equal(hz(f, "pclk2"), 6000000);
    assert_int_equal(hz(f, "tim_pclk2"), 12000000);
    /* HPRE 1100 is /64 (RM0351). */
    wr(f, R_RCC, A_CFGR, 12u << 4);
    assert_int_equal(hz(f, "hclk"), 750000);
    assert_int_equal(hz(f, "tim_pclk1"), 750000);           /* x1 */
}

static void test_rcc_usart_kernel_clocks(void **state)
{
    struct fixture *f = *state;

    wr(f, R_RCC, A_CFGR, 4u << 11);                        /* PCLK2 /2 */
    wr(f, R_RCC, A_APB2ENR, 1u << 14);
    assert_int_equal(hz(f, "usart1_ker"), 2000000);          /* PCLK2 */
    wr(f, R_RCC, A_CCIPR, 1);
    assert_int_equal(hz(f, "usart1_ker"), 4000000);          /* SYSCLK */
    wr(f, R_RCC, A_CCIPR, 2);
    assert_int_equal(hz(f, "usart1_ker"), 0);                /* HSI16 off */
    wr(f, R_RCC, A_CR, rd(f, R_RCC, A_CR) | 1u << 8);
    assert_int_equal(hz(f, "usart1_ker"), 16000000);
    wr(f, R_RCC, A_CCIPR, 3);
    wr(f, R_RCC, A_BDCR, 1);                               /* LSEON */
    assert_int_equal(hz(f, "usart1_ker"), 32768);
    /* USART2 on PCLK1, gated by APB1ENR1.USART2EN. */
    assert_int_equal(hz(f, "usart2_ker"), 0);
    wr(f, R_RCC, A_APB1ENR1, 1u << 17);
    assert_int_equal(hz(f, "usart2_ker"), 4000000);
    wr(f, R_RCC, A_CCIPR, 3u | 2u << 2);
    assert_int_equal(hz(f, "usart2_ker"), 16000000);
}

/* ---- timers ------------------------------------------------------------- */

/* TIM6 at 1 MHz (4 MHz / 4), period 1000: started at 1000 ns. */
static void tim6_start(struct fixture *f)
{
    set_vtime(f, 1000);
    wr(f, R_TIM6, A_PSC, 3);
    wr(f, R_TIM6, A_ARR, 999);
    wr(f, R_TIM6, A_EGR, R_EGR_UG_MASK);
    assert_int_equal(rd(f, R_TIM6, A_SR), R_SR_UIF_MASK);   /* UG, URS = 0 */
    wr(f, R_TIM6, A_SR, 0);
    wr(f, R_TIM6, A_CR1, R_CR1_CEN_MASK);
}

static void test_tim_cnt_follows_vtime(void **state)
{
    struct fixture *f = *state;

    tim6_start(f);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 0);
    set_vtime(f, 1000 + 500000);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 500);
    set_vtime(f, 1000 + 999999);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 999);
    assert_int_equal(rd(f, R_TIM6, A_SR), 0);
    /* Polled: no interrupt enabled, no wake-up wanted. */
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    set_vtime(f, 1000 + 2500000);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 500);
    assert_int_equal(rd(f, R_TIM6, A_SR), R_SR_UIF_MASK);
    /* Stopped: CNT holds. */
    wr(f, R_TIM6, A_CR1, 0);
    set_vtime(f, 1000 + 9000000);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 500);
}

static void test_tim_update_interrupt(void **state)
{
    struct fixture *f = *state;

    tim6_start(f);
    wr(f, R_TIM6, A_DIER, 1);
    assert_int_equal(deadline(f), 1000 + 1000000);
    set_vtime(f, 1000 + 999999);
    assert_false(line(f, 0));
    set_vtime(f, 1000 + 1000000);               /* QEMU's deadline timer */
    assert_true(line(f, 0));
    assert_int_equal(rd(f, R_TIM6, A_SR), R_SR_UIF_MASK);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 0);
    /* Held until cleared (level), then the next period is waited for. */
    assert_int_equal(deadline(f), VUP_CR_NO_DEADLINE);
    wr(f, R_TIM6, A_SR, 0);
    assert_false(line(f, 0));
    assert_int_equal(deadline(f), 1000 + 2000000);
}

/* SR is rc_w0: a write of 0 clears an update the guest never looked at. */
static void test_tim_sr_clears_unseen_update(void **state)
{
    struct fixture *f = *state;

    tim6_start(f);
    set_vtime(f, 1000 + 1500000);               /* an update at 1 ms */
    wr(f, R_TIM6, A_SR, 0);
    assert_int_equal(rd(f, R_TIM6, A_SR), 0);
    wr(f, R_TIM6, A_SR, R_SR_UIF_MASK);         /* 1 keeps, sets nothing */
    assert_int_equal(rd(f, R_TIM6, A_SR), 0);
    set_vtime(f, 1000 + 2000000);
    assert_int_equal(rd(f, R_TIM6, A_SR), R_SR_UIF_MASK);
}

/* A byte written to SR clears flags in its own byte only. */
static void test_tim2_sr_narrow_write(void **state)
{
    struct fixture *f = *state;
    uint8_t b = 0xfd;

    wr(f, R_TIM2, A_EGR, R_EGR_CC1G_MASK);
    wr(f, R_TIM2, A_EGR, R_EGR_CC1G_MASK);      /* CC1IF still set: CC1OF */
    assert_int_equal(rd(f, R_TIM2, A_SR),
                     R_SR_CC1IF_MASK | R_SR_CC1OF_MASK);
    assert_int_equal(vup_client_write(f->h.c, R_TIM2, A_SR, &b, 1, false), 0);
    assert_int_equal(rd(f, R_TIM2, A_SR), R_SR_CC1OF_MASK);
    assert_int_equal(vup_client_write(f->h.c, R_TIM2, A_SR + 1, &b, 1, false),
                     0);
    assert_int_equal(rd(f, R_TIM2, A_SR), 0);
}

static void test_tim_one_pulse_and_preload(void **state)
{
    struct fixture *f = *state;

    tim6_start(f);
    wr(f, R_TIM6, A_CR1, R_CR1_CEN_MASK | R_CR1_OPM_MASK | R_CR1_ARPE_MASK);
    /* Preloaded: the new ARR waits for the update event. */
    wr(f, R_TIM6, A_ARR, 99);
    set_vtime(f, 1000 + 999999);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 999);
    set_vtime(f, 1000 + 1500000);
    assert_int_equal(rd(f, R_TIM6, A_CR1) & R_CR1_CEN_MASK, 0);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 0);
    assert_int_equal(rd(f, R_TIM6, A_SR), R_SR_UIF_MASK);
    /* Restart: the period is now 100 ticks. */
    wr(f, R_TIM6, A_SR, 0);
    wr(f, R_TIM6, A_CR1, R_CR1_CEN_MASK);
    set_vtime(f, 1000 + 1500000 + 150000);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 50);
}

static void test_tim_clock_change(void **state)
{
    struct fixture *f = *state;

    tim6_start(f);
    set_vtime(f, 1000 + 200000);                /* CNT 200 */
    wr(f, R_RCC, A_CFGR, 8u << 4);            /* HCLK /2: 2 MHz timers */
    assert_int_equal(hz(f, "tim_pclk1"), 2000000);
    set_vtime(f, 1000 + 400000);
    assert_int_equal(rd(f, R_TIM6, A_CNT), 300);
}

static void test_tim2_compare(void **state)
{
    struct fixture *f = *state;

    set_vtime(f, 0);
    wr(f, R_TIM2, A_PSC, 3);
    wr(f, R_TIM2, A_ARR, 999);
    wr(f, R_TIM2, A_CCR1, 250);
    wr(f, R_TIM2, A_EGR, R_EGR_UG_MASK);
    wr(f, R_TIM2, A_SR, 0);
    wr(f, R_TIM2, A_DIER, R_SR_CC1IF_MASK);
    wr(f, R_TIM2, A_CR1, R_CR1_CEN_MASK);
    assert_int_equal(deadline(f), 250000);
    set_vtime(f, 250000);
    assert_true(line(f, 1));
    assert_int_equal(rd(f, R_TIM2, A_SR), R_SR_CC1IF_MASK);
    wr(f, R_TIM2, A_SR, ~R_SR_CC1IF_MASK);
    assert_false(line(f, 1));
    /* The next match is in the next period: woken at the update first. */
    assert_int_equal(deadline(f), 1000000);
    set_vtime(f, 1000000);
    assert_false(line(f, 1));
    assert_int_equal(deadline(f), 1250000);
    /* Missed while CC1IF was set: overcapture. */
    wr(f, R_TIM2, A_DIER, 0);
    wr(f, R_TIM2, A_EGR, R_EGR_CC1G_MASK);
    set_vtime(f, 1300000);
    assert_int_equal(rd(f, R_TIM2, A_SR),
                     R_SR_UIF_MASK | R_SR_CC1IF_MASK | R_SR_CC1OF_MASK);
    /* 32-bit counter. */
    wr(f, R_TIM2, A_ARR, 0xffffffffu);
    wr(f, R_TIM2, A_CNT, 0xfffffff0u);
    set_vtime(f, 1300000 + 10000);
    assert_int_equal(rd(f, R_TIM2, A_CNT), 0xfffffffau);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
        T(test_rcc_reset_clocks),
        T(test_rcc_msi_ranges),
        T(test_rcc_pll80),
        T(test_rcc_prescalers),
        T(test_rcc_usart_kernel_clocks),
        T(test_tim_cnt_follows_vtime),
        T(test_tim_update_interrupt),
        T(test_tim_sr_clears_unseen_update),
        T(test_tim2_sr_narrow_write),
        T(test_tim_one_pulse_and_preload),
        T(test_tim_clock_change),
        T(test_tim2_compare),
#undef T
    };

    vup_log_set_level(VUP_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
