/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * irqlevel: level interrupt semantics.  An ISR that leaves its source set
 * is entered again and again until it clears it; a one-off pulse (the NVIC
 * pending bit set by software, no device asserting the line) is entered
 * once.  Prints
 *   irqlevel tim6-uif: entries=5 expected=5
 *   irqlevel usart1-txe: entries=5 expected=5
 *   irqlevel pulse: entries=1 expected=1
 *   done
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define HOLD 5u

static volatile uint32_t tim6_entries, usart_entries, pulse_entries;

/* UIF is left set until the HOLD-th entry. */
void TIM6_DAC_IRQHandler(void)
{
    if (++tim6_entries == HOLD) {
        TIM_CR1(TIM6_BASE) = 0;
        TIM_SR(TIM6_BASE) = 0;
    }
}

/* TXE stays set (nothing is sent): only dropping TXEIE lowers the line. */
void USART1_IRQHandler(void)
{
    if (++usart_entries == HOLD) {
        USART_CR1(USART1_BASE) &= ~USART_CR1_TXEIE;
    }
}

/* TIM7 never asserts its line here: only the software pulse enters. */
void TIM7_IRQHandler(void)
{
    pulse_entries++;
}

static void report(const char *name, uint32_t entries, uint32_t expected)
{
    uart1_puts("irqlevel ");
    uart1_puts(name);
    uart1_puts(": entries=");
    uart1_putdec(entries);
    uart1_puts(" expected=");
    uart1_putdec(expected);
    uart1_puts("\r\n");
}

static void settle(void)
{
    for (volatile int i = 0; i < 20000; i++) {
    }
}

/*
 * @irqn's source was started with its line enabled: waits for its HOLD
 * entries (counted in *@entries by its handler), lets any extra one come,
 * disables the line and reports.
 */
static void held(const char *name, unsigned irqn,
                 const volatile uint32_t *entries)
{
    while (*entries < HOLD) {
        wfi();
    }
    settle();
    nvic_disable_irq(irqn);
    report(name, *entries, HOLD);
}

int main(void)
{
    uart1_init(115200, 0);
    RCC_APB1ENR1 |= RCC_APB1ENR1_TIM6EN | RCC_APB1ENR1_TIM7EN;
    (void)RCC_APB1ENR1;

    TIM_PSC(TIM6_BASE) = 3;                 /* 1 MHz */
    TIM_ARR(TIM6_BASE) = 999;               /* first update after 1 ms */
    TIM_EGR(TIM6_BASE) = TIM_EGR_UG;
    TIM_SR(TIM6_BASE) = 0;
    TIM_DIER(TIM6_BASE) = TIM_DIER_UIE;
    nvic_enable_irq(TIM6_IRQn);
    TIM_CR1(TIM6_BASE) = TIM_CR1_CEN;
    held("tim6-uif", TIM6_IRQn, &tim6_entries);

    nvic_enable_irq(USART1_IRQn);
    USART_CR1(USART1_BASE) |= USART_CR1_TXEIE;
    held("usart1-txe", USART1_IRQn, &usart_entries);

    nvic_enable_irq(TIM7_IRQn);
    nvic_pend_irq(TIM7_IRQn);
    settle();
    nvic_disable_irq(TIM7_IRQn);
    report("pulse", pulse_entries, 1);
    uart1_puts("done\r\n");
    for (;;) {
        wfi();
    }
}
