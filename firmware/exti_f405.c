/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exti_f405: an external GPIO port driving the in-process EXTI of
 * QEMU's STM32F405 (-M netduinoplus2,vfio-user=...), for
 * tests/e2e/test_signals.py.
 *
 * GPIOA is served by a backend (vup-stm32l4 --periph gpioa@0x40020000:
 * its GPIO has the F4's register layout) whose pins QEMU routes to the
 * SoC's SYSCFG, which selects them for the EXTI lines; SYSCFG, EXTI and
 * USART1 are QEMU's own.  SYSCFG EXTICR1 selects port A for EXTI0, on
 * both edges, unmasked, NVIC line 6.
 *
 * First the firmware drives PA0 itself (an output): four ODR writes, each
 * timed by SysTick on the CPU clock from the write to the interrupt, and
 * prints for each
 *   exti: self N pa0=L after T ticks
 * (the interrupt of an external pin lands before the guest goes on: a few
 * instructions; the same T in every run under -icount).  Then PA0 becomes
 * an input with its pull-down, the firmware prints "exti: ready", and for
 * each EXTI0 interrupt of an edge driven from outside
 *   exti: N pa0=L
 * (N counts them from 1, L is PA0 as GPIOA's IDR reads it in the
 * handler).  Every line ends with "\r\n".
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define F4_GPIOA_BASE       0x40020000u
#define F4_SYSCFG_BASE      0x40013800u
#define F4_EXTI_BASE        0x40013c00u
#define F4_RCC_AHB1ENR      REG32(0x40023830u)
#define F4_RCC_APB2ENR      REG32(0x40023844u)
#define F4_RCC_GPIOAEN      (1u << 0)
#define F4_RCC_SYSCFGEN     (1u << 14)

#define F4_GPIO_MODER(b)    REG32((b) + 0x00u)
#define F4_GPIO_PUPDR(b)    REG32((b) + 0x0cu)
#define F4_GPIO_IDR(b)      REG32((b) + 0x10u)
#define F4_GPIO_ODR(b)      REG32((b) + 0x14u)
#define F4_SYSCFG_EXTICR1   REG32(F4_SYSCFG_BASE + 0x08u)
#define F4_EXTI_IMR         REG32(F4_EXTI_BASE + 0x00u)
#define F4_EXTI_RTSR        REG32(F4_EXTI_BASE + 0x08u)
#define F4_EXTI_FTSR        REG32(F4_EXTI_BASE + 0x0cu)
#define F4_EXTI_PR          REG32(F4_EXTI_BASE + 0x14u)

#define EXTI0_IRQn          6u
#define PIN                 0u      /* PA0 */
#define SELF_EDGES          4u

static volatile uint32_t count, self_count, self_level, stamp, ticks;
static volatile int self_test = 1;

void EXTI0_IRQHandler(void)
{
    uint32_t now = SYST_CVR;
    uint32_t level = (F4_GPIO_IDR(F4_GPIOA_BASE) >> PIN) & 1u;

    F4_EXTI_PR = 1u << PIN;         /* rc_w1 */
    (void)F4_EXTI_PR;               /* the clear lands before the return */
    if (self_test) {
        ticks = (stamp - now) & 0xffffffu;      /* SysTick counts down */
        self_level = level;
        self_count++;
        return;
    }
    uart1_puts("exti: ");
    uart1_putdec(++count);
    uart1_puts(" pa0=");
    uart1_putdec(level);
    uart1_puts("\r\n");
}

static void set_mode(uint32_t mode, uint32_t pull)
{
    F4_GPIO_MODER(F4_GPIOA_BASE) = (F4_GPIO_MODER(F4_GPIOA_BASE) &
                                    ~(0x3u << (2 * PIN))) |
                                   (mode << (2 * PIN));
    F4_GPIO_PUPDR(F4_GPIOA_BASE) = (F4_GPIO_PUPDR(F4_GPIOA_BASE) &
                                    ~(0x3u << (2 * PIN))) |
                                   (pull << (2 * PIN));
}

int main(void)
{
    uart1_init(115200, 0);
    F4_RCC_AHB1ENR |= F4_RCC_GPIOAEN;
    F4_RCC_APB2ENR |= F4_RCC_SYSCFGEN;

    /* EXTI0 <- port A (EXTICR1[3:0] = 0), both edges, unmasked. */
    F4_SYSCFG_EXTICR1 &= ~0xfu;
    F4_EXTI_RTSR |= 1u << PIN;
    F4_EXTI_FTSR |= 1u << PIN;
    F4_EXTI_PR = 1u << PIN;
    F4_EXTI_IMR |= 1u << PIN;
    nvic_enable_irq(EXTI0_IRQn);

    /* SysTick free-running on the CPU clock, no interrupt: a stopwatch. */
    SYST_RVR = 0xffffffu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_CLKSOURCE;

    /* PA0 an output, 0: four edges of our own. */
    F4_GPIO_ODR(F4_GPIOA_BASE) &= ~(1u << PIN);
    set_mode(0x1u, 0x0u);
    for (uint32_t n = 1; n <= SELF_EDGES; n++) {
        uint32_t seen = self_count;

        stamp = SYST_CVR;
        F4_GPIO_ODR(F4_GPIOA_BASE) ^= 1u << PIN;
        while (self_count == seen) {
        }
        uart1_puts("exti: self ");
        uart1_putdec(n);
        uart1_puts(" pa0=");
        uart1_putdec(self_level);
        uart1_puts(" after ");
        uart1_putdec(ticks);
        uart1_puts(" ticks\r\n");
    }

    /* PA0 (at 0) an input with its pull-down: edges from outside. */
    self_test = 0;
    set_mode(0x0u, 0x2u);
    uart1_puts("exti: ready\r\n");
    for (;;) {
        wfi();
    }
}
