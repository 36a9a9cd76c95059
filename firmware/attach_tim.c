/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * attach_tim: an external TIM6 on a board whose SoC model has no TIM6
 * (-M b-l475e-iot01a,vfio-user=... or -M netduinoplus2,vfio-user=...),
 * next to the SoC's in-process USART1 and SysTick.
 *
 * TIM6 counts at 1 MHz (PSC from the timer clock) and updates at 1 kHz
 * (ARR 999), from CNT 500: at 0.5 ms, 1.5 ms...  Its update interrupts
 * are counted over 100 periods of the in-process SysTick at 1 kHz on the
 * CPU clock (ticks at 1 ms, 2 ms...): 100 of them, each half a period
 * from the nearest tick, so a late or early IRQ cannot change the count
 * but a timer at the wrong rate does.  Prints
 *   attach: tim6 updates=100 systicks=100
 *   done
 * Built twice: attach_tim.elf for the STM32L475 (in-process RCC, 4 MHz
 * MSI at reset, for timers and CPU alike) and attach_tim_f405.elf for the
 * STM32F405 (168 MHz SYSCLK, which netduinoplus2 also gives the backend's
 * timer clock).
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#ifdef ATTACH_F405
#define CPU_HZ              168000000u
#define F4_RCC_APB1ENR      REG32(0x40023840u)
#define ENABLE_TIM6_CLOCK() (F4_RCC_APB1ENR |= 1u << 4)
#else
#define CPU_HZ              SYSCLK_HZ
#define ENABLE_TIM6_CLOCK() (RCC_APB1ENR1 |= RCC_APB1ENR1_TIM6EN)
#endif
#define TIMER_HZ            CPU_HZ
#define WINDOW_TICKS        100u

static volatile uint32_t updates, systicks;

void TIM6_DAC_IRQHandler(void)
{
    TIM_SR(TIM6_BASE) = 0;
    (void)TIM_SR(TIM6_BASE);    /* the clear lands before the return */
    if (systicks < WINDOW_TICKS) {
        updates++;
    }
}

void SysTick_Handler(void)
{
    if (++systicks == WINDOW_TICKS) {
        SYST_CSR = 0;
    }
}

int main(void)
{
    uart1_init(115200, 0);
    ENABLE_TIM6_CLOCK();

    TIM_PSC(TIM6_BASE) = TIMER_HZ / 1000000u - 1u;     /* 1 MHz */
    TIM_ARR(TIM6_BASE) = 999;                          /* 1 kHz */
    TIM_EGR(TIM6_BASE) = TIM_EGR_UG;
    TIM_CNT(TIM6_BASE) = 500;
    TIM_SR(TIM6_BASE) = 0;
    TIM_DIER(TIM6_BASE) = TIM_DIER_UIE;
    nvic_enable_irq(TIM6_IRQn);

    /* Both start together: the first update 0.5 ms on, the first tick 1. */
    SYST_RVR = CPU_HZ / 1000u - 1u;
    SYST_CVR = 0;
    TIM_CR1(TIM6_BASE) = TIM_CR1_CEN;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
    while (systicks < WINDOW_TICKS) {
        wfi();
    }
    TIM_CR1(TIM6_BASE) = 0;
    nvic_disable_irq(TIM6_IRQn);

    uart1_puts("attach: tim6 updates=");
    uart1_putdec(updates);
    uart1_puts(" systicks=");
    uart1_putdec(systicks);
    uart1_puts("\r\ndone\r\n");
    uart1_flush();
    for (;;) {
        wfi();
    }
}
