/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tim2: TIM2 update interrupt at 1 kHz (4 MHz / PSC 4 / ARR 1000) with a
 * CC1 compare at CNT 250 in every period, counted in its ISR over a window
 * of 100.5 ms timed by TIM6 (10 kHz, ARR 1004, its own update interrupt).
 * Then checks that CNT moves between events.  Prints
 *   tim2: rate_hz=1000 window_us=100500 updates=100 cc1=101 cnt_at_cc1=250
 *   tim2: cnt_moves=1
 *   done
 * (cc1: matches at 0.25 ms + k ms for k = 0..100 all fall in the window.
 * cnt_at_cc1: CNT read in the ISR at the first CC1 match, so it can be a
 * little above 250.)
 */
#include "common/stm32l4.h"
#include "common/uart.h"

static volatile uint32_t updates, cc1, cnt_at_cc1;
static volatile int done;

void TIM2_IRQHandler(void)
{
    uint32_t sr = TIM_SR(TIM2_BASE);

    if (sr & TIM_SR_CC1IF) {
        if (!cc1++) {
            cnt_at_cc1 = TIM_CNT(TIM2_BASE);
        }
    }
    if (sr & TIM_SR_UIF) {
        updates++;
    }
    TIM_SR(TIM2_BASE) = ~sr;                /* rc_w0: clear what we saw */
}

void TIM6_DAC_IRQHandler(void)
{
    TIM_CR1(TIM2_BASE) = 0;
    TIM_CR1(TIM6_BASE) = 0;
    TIM_SR(TIM6_BASE) = 0;
    done = 1;
}

int main(void)
{
    uint32_t a, b;

    uart1_init(115200, 0);
    RCC_APB1ENR1 |= RCC_APB1ENR1_TIM2EN | RCC_APB1ENR1_TIM6EN;
    (void)RCC_APB1ENR1;

    TIM_PSC(TIM2_BASE) = 3;                 /* 1 MHz */
    TIM_ARR(TIM2_BASE) = 999;               /* 1 kHz updates */
    TIM_CCR1(TIM2_BASE) = 250;
    TIM_EGR(TIM2_BASE) = TIM_EGR_UG;
    TIM_SR(TIM2_BASE) = 0;
    TIM_DIER(TIM2_BASE) = TIM_DIER_UIE | TIM_DIER_CC1IE;

    TIM_PSC(TIM6_BASE) = 399;               /* 10 kHz */
    TIM_ARR(TIM6_BASE) = 1004;              /* 100.5 ms */
    TIM_EGR(TIM6_BASE) = TIM_EGR_UG;
    TIM_SR(TIM6_BASE) = 0;
    TIM_DIER(TIM6_BASE) = TIM_DIER_UIE;

    nvic_enable_irq(TIM2_IRQn);
    nvic_enable_irq(TIM6_IRQn);
    TIM_CR1(TIM2_BASE) = TIM_CR1_CEN;
    TIM_CR1(TIM6_BASE) = TIM_CR1_CEN;
    while (!done) {
        wfi();
    }
    nvic_disable_irq(TIM2_IRQn);
    uart1_puts("tim2: rate_hz=1000 window_us=100500 updates=");
    uart1_putdec(updates);
    uart1_puts(" cc1=");
    uart1_putdec(cc1);
    uart1_puts(" cnt_at_cc1=");
    uart1_putdec(cnt_at_cc1);
    uart1_puts("\r\n");

    /* Free-running, no interrupt: two reads some time apart differ. */
    TIM_DIER(TIM2_BASE) = 0;
    TIM_ARR(TIM2_BASE) = 0xffffffffu;
    TIM_CR1(TIM2_BASE) = TIM_CR1_CEN;
    a = TIM_CNT(TIM2_BASE);
    for (volatile int i = 0; i < 10000; i++) {
    }
    b = TIM_CNT(TIM2_BASE);
    TIM_CR1(TIM2_BASE) = 0;
    uart1_puts("tim2: cnt_moves=");
    uart1_putdec(b > a);
    uart1_puts("\r\ndone\r\n");
    for (;;) {
        wfi();
    }
}
