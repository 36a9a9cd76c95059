/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_irq: interrupt latency, for bench/run.py.
 *
 * 1. Virtual time (only where TIM6 exists, i.e. vfio-user-mcu with
 *    vup-stm32l4 --periph ...,tim6): TIM6 one-pulse, update after
 *    PERIOD ticks of its 4 MHz clock; the ISR's first act is reading
 *    SysTick (the core's, 4 MHz processor clock), so
 *      latency = SysTick ticks from CEN to ISR - PERIOD
 *    is the guest-visible delay from the backend's deadline to the first
 *    ISR instruction.  Printed as  V <ticks>  (one line per sample), then
 *    V done, or V none without a timer.
 *    The same for the core's own, in-process SysTick, as the reference an
 *    external timer is held to: its interrupt when the counter reloads
 *    after PERIOD ticks; the ISR's first act reads CVR, so
 *      latency = PERIOD - 1 - CVR
 *    ticks since the reload.  Printed as  S <ticks>, then S done.
 * 2. Host time: prints "ready"; then the USART1 RX interrupt handler's
 *    first act writes '!' to TDR (and it then drains RDR); the host
 *    timestamps its byte in and the '!' out.
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define PERIOD  4000u   /* 1 ms at 4 MHz */
#define SAMPLES 20u

static volatile uint32_t isr_cvr, fired, systick_cvr, systick_fired;

void SysTick_Handler(void)
{
    systick_cvr = SYST_CVR;     /* first: this is the measurement */
    SYST_CSR = 0;
    systick_fired = 1;
}

void TIM6_DAC_IRQHandler(void)
{
    isr_cvr = SYST_CVR;         /* first: this is the measurement */
    TIM_SR(TIM6_BASE) = 0;
    /*
     * Read back before returning, as on hardware with a write buffer: a
     * posted clear may not have reached the timer yet, and the still
     * pending line would re-enter this handler, counted as the next
     * sample's interrupt.
     */
    (void)TIM_SR(TIM6_BASE);
    fired = 1;
}

/* First act: a TDR write the host sees (posted with --posted-writes). */
void USART1_IRQHandler(void)
{
    USART_TDR(USART1_BASE) = '!';
    while (USART_ISR(USART1_BASE) & (USART_ISR_RXNE | USART_ISR_ORE)) {
        if (USART_ISR(USART1_BASE) & USART_ISR_ORE) {
            USART_ICR(USART1_BASE) = USART_ICR_ORECF;
        }
        if (USART_ISR(USART1_BASE) & USART_ISR_RXNE) {
            (void)USART_RDR(USART1_BASE);
        }
    }
}

static void put_latency(const char *tag, int32_t lat)
{
    uart1_puts(tag);
    uart1_puts(lat < 0 ? " -" : " ");
    uart1_putdec(lat < 0 ? (uint32_t)-lat : (uint32_t)lat);
    uart1_puts("\r\n");
}

static void systick_latency(void)
{
    for (uint32_t i = 0; i < SAMPLES; i++) {
        systick_fired = 0;
        SYST_RVR = PERIOD - 1u;
        SYST_CVR = 0;
        SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
        while (!systick_fired) {
            wfi();
        }
        put_latency("S", (int32_t)(PERIOD - 1u) - (int32_t)systick_cvr);
    }
    uart1_puts("S done\r\n");
}

static void virtual_latency(void)
{
    RCC_APB1ENR1 |= RCC_APB1ENR1_TIM6EN;
    (void)RCC_APB1ENR1;
    TIM_ARR(TIM6_BASE) = 0x1234;
    if (TIM_ARR(TIM6_BASE) != 0x1234) {
        uart1_puts("V none\r\n");
        return;
    }
    SYST_RVR = 0xffffffu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_CLKSOURCE;
    nvic_enable_irq(TIM6_IRQn);
    for (uint32_t i = 0; i < SAMPLES; i++) {
        uint32_t s0;

        /*
         * Interrupt off while UG sets UIF: with UIE still on from the last
         * sample the line would pulse high, and the NVIC keeps it pending
         * even after SR is cleared (as on hardware).  Without posted
         * writes QEMU takes that interrupt at once, before `fired` is
         * reset; with posted writes it may come later and pass for this
         * sample's.
         */
        TIM_DIER(TIM6_BASE) = 0;
        TIM_CR1(TIM6_BASE) = 0;
        TIM_PSC(TIM6_BASE) = 0;
        TIM_ARR(TIM6_BASE) = PERIOD - 1u;
        TIM_EGR(TIM6_BASE) = TIM_EGR_UG;
        TIM_SR(TIM6_BASE) = 0;
        TIM_DIER(TIM6_BASE) = TIM_DIER_UIE;
        fired = 0;
        s0 = SYST_CVR;
        TIM_CR1(TIM6_BASE) = TIM_CR1_CEN | (1u << 3);   /* OPM */
        while (!fired) {
            wfi();
        }
        put_latency("V", (int32_t)((s0 - isr_cvr) & 0xffffffu) -
                         (int32_t)PERIOD);
    }
    nvic_disable_irq(TIM6_IRQn);
    SYST_CSR = 0;
    uart1_puts("V done\r\n");
}

int main(void)
{
    uart1_init(115200, 0);
    uart1_puts("bench_irq\r\n");
    virtual_latency();
    systick_latency();
    USART_CR1(USART1_BASE) |= USART_CR1_RXNEIE;
    nvic_enable_irq(USART1_IRQn);
    uart1_puts("ready\r\n");
    for (;;) {
        wfi();
    }
}
