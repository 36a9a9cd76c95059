/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register-level definitions for the few STM32L475 (RM0351) and Cortex-M4
 * registers the test firmware uses.  No vendor HAL.
 */
#ifndef FW_STM32L4_H
#define FW_STM32L4_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(uintptr_t)(addr))

/* Reset clock: MSI at 4 MHz (RCC_CR.MSIRANGE = 6). */
#define SYSCLK_HZ           4000000u

/* RCC */
#define RCC_BASE            0x40021000u
#define RCC_CR              REG32(RCC_BASE + 0x00)
#define RCC_APB2ENR         REG32(RCC_BASE + 0x60)
#define RCC_APB2ENR_USART1EN (1u << 14)

/* USART1 */
#define USART1_BASE         0x40013800u
#define USART1_IRQn         37
#define USART_CR1(b)        REG32((b) + 0x00)
#define USART_BRR(b)        REG32((b) + 0x0c)
#define USART_ISR(b)        REG32((b) + 0x1c)
#define USART_ICR(b)        REG32((b) + 0x20)
#define USART_RDR(b)        REG32((b) + 0x24)
#define USART_TDR(b)        REG32((b) + 0x28)
#define USART_CR1_UE        (1u << 0)
#define USART_CR1_RE        (1u << 2)
#define USART_CR1_TE        (1u << 3)
#define USART_CR1_RXNEIE    (1u << 5)
#define USART_ISR_ORE       (1u << 3)
#define USART_ISR_RXNE      (1u << 5)
#define USART_ISR_TXE       (1u << 7)
#define USART_ICR_ORECF     (1u << 3)

/* Cortex-M4 system control space (part of the core, always present). */
#define NVIC_ISER(n)        REG32(0xe000e100u + 4u * (n))
#define SCB_VTOR            REG32(0xe000ed08u)
#define SCB_CFSR            REG32(0xe000ed28u)
#define SCB_HFSR            REG32(0xe000ed2cu)
#define SCB_BFAR            REG32(0xe000ed38u)

static inline void nvic_enable_irq(unsigned irqn)
{
    NVIC_ISER(irqn / 32u) = 1u << (irqn % 32u);
}

static inline void wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

#endif /* FW_STM32L4_H */
