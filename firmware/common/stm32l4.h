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
#define RCC_CFGR            REG32(RCC_BASE + 0x08)
#define RCC_PLLCFGR         REG32(RCC_BASE + 0x0c)
#define RCC_AHB1ENR         REG32(RCC_BASE + 0x48)
#define RCC_AHB2ENR         REG32(RCC_BASE + 0x4c)
#define RCC_AHB1ENR_DMA1EN  (1u << 0)
#define RCC_APB1ENR1        REG32(RCC_BASE + 0x58)
#define RCC_APB2ENR         REG32(RCC_BASE + 0x60)
#define RCC_CR_PLLON        (1u << 24)
#define RCC_CR_PLLRDY       (1u << 25)
#define RCC_CFGR_SW_MASK    0x3u
#define RCC_CFGR_SW_PLL     0x3u
#define RCC_CFGR_SWS(v)     (((v) >> 2) & 0x3u)
#define RCC_PLLCFGR_SRC_MSI 0x1u
#define RCC_PLLCFGR_M(m)    (((m) - 1u) << 4)
#define RCC_PLLCFGR_N(n)    ((n) << 8)
#define RCC_PLLCFGR_REN     (1u << 24)
#define RCC_PLLCFGR_R(r)    (((r) / 2u - 1u) << 25)
#define RCC_APB1ENR1_TIM2EN (1u << 0)
#define RCC_APB1ENR1_TIM6EN (1u << 4)
#define RCC_APB1ENR1_TIM7EN (1u << 5)
#define RCC_APB2ENR_USART1EN (1u << 14)
#define RCC_AHB2ENR_GPIOEN(port) (1u << (port))   /* port 0: GPIOA */

/* GPIOA..GPIOH, 0x400 apart (RM0351 8.5) */
#define GPIOA_BASE          0x48000000u
#define GPIOC_BASE          0x48000800u
#define GPIO_MODER(b)       REG32((b) + 0x00)
#define GPIO_OTYPER(b)      REG32((b) + 0x04)
#define GPIO_PUPDR(b)       REG32((b) + 0x0c)
#define GPIO_IDR(b)         REG32((b) + 0x10)
#define GPIO_ODR(b)         REG32((b) + 0x14)
#define GPIO_BSRR(b)        REG32((b) + 0x18)
#define GPIO_MODE_INPUT     0x0u
#define GPIO_MODE_OUTPUT    0x1u
#define GPIO_PULL_UP        0x1u

/* TIM2 (32-bit), TIM6/TIM7 (basic) */
#define TIM2_BASE           0x40000000u
#define TIM6_BASE           0x40001000u
#define TIM7_BASE           0x40001400u
#define TIM2_IRQn           28
#define TIM6_IRQn           54
#define TIM7_IRQn           55
#define TIM_CR1(b)          REG32((b) + 0x00)
#define TIM_DIER(b)         REG32((b) + 0x0c)
#define TIM_SR(b)           REG32((b) + 0x10)
#define TIM_EGR(b)          REG32((b) + 0x14)
#define TIM_CNT(b)          REG32((b) + 0x24)
#define TIM_PSC(b)          REG32((b) + 0x28)
#define TIM_ARR(b)          REG32((b) + 0x2c)
#define TIM_CCR1(b)         REG32((b) + 0x34)
#define TIM_CR1_CEN         (1u << 0)
#define TIM_DIER_UIE        (1u << 0)
#define TIM_DIER_CC1IE      (1u << 1)
#define TIM_SR_UIF          (1u << 0)
#define TIM_SR_CC1IF        (1u << 1)
#define TIM_EGR_UG          (1u << 0)

/* USART1 */
/* DMA1 (RM0351 11.6): channel x (1..7) registers 0x14 apart. */
#define DMA1_BASE           0x40020000u
#define DMA1_CH1_IRQn       11
#define DMA1_CH2_IRQn       12
#define DMA_ISR(b)          REG32((b) + 0x00)
#define DMA_IFCR(b)         REG32((b) + 0x04)
#define DMA_CCR(b, x)       REG32((b) + 0x08 + 0x14 * ((x) - 1))
#define DMA_CNDTR(b, x)     REG32((b) + 0x0c + 0x14 * ((x) - 1))
#define DMA_CPAR(b, x)      REG32((b) + 0x10 + 0x14 * ((x) - 1))
#define DMA_CMAR(b, x)      REG32((b) + 0x14 + 0x14 * ((x) - 1))
#define DMA_ISR_GIF(x)      (1u << (4 * ((x) - 1)))
#define DMA_ISR_TCIF(x)     (2u << (4 * ((x) - 1)))
#define DMA_ISR_HTIF(x)     (4u << (4 * ((x) - 1)))
#define DMA_ISR_TEIF(x)     (8u << (4 * ((x) - 1)))
#define DMA_CCR_EN          (1u << 0)
#define DMA_CCR_TCIE        (1u << 1)
#define DMA_CCR_TEIE        (1u << 3)
#define DMA_CCR_DIR         (1u << 4)
#define DMA_CCR_PINC        (1u << 6)
#define DMA_CCR_MINC        (1u << 7)
#define DMA_CCR_PSIZE(s)    ((s) << 8)      /* 0: 8, 1: 16, 2: 32 bits */
#define DMA_CCR_MSIZE(s)    ((s) << 10)
#define DMA_CCR_MEM2MEM     (1u << 14)

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
#define USART_CR1_TXEIE     (1u << 7)
#define USART_ISR_TC        (1u << 6)
#define USART_ISR_ORE       (1u << 3)
#define USART_ISR_RXNE      (1u << 5)
#define USART_ISR_TXE       (1u << 7)
#define USART_ICR_ORECF     (1u << 3)

/* Cortex-M4 system control space (part of the core, always present). */
#define NVIC_ISER(n)        REG32(0xe000e100u + 4u * (n))
#define NVIC_ICER(n)        REG32(0xe000e180u + 4u * (n))
#define NVIC_ISPR(n)        REG32(0xe000e200u + 4u * (n))
#define SYST_CSR            REG32(0xe000e010u)
#define SYST_RVR            REG32(0xe000e014u)
#define SYST_CVR            REG32(0xe000e018u)
#define SYST_CSR_ENABLE     (1u << 0)
#define SYST_CSR_TICKINT    (1u << 1)
#define SYST_CSR_CLKSOURCE  (1u << 2)   /* 1: processor clock, 0: refclk */
#define SCB_VTOR            REG32(0xe000ed08u)
#define SCB_CFSR            REG32(0xe000ed28u)
#define SCB_HFSR            REG32(0xe000ed2cu)
#define SCB_BFAR            REG32(0xe000ed38u)

static inline void nvic_enable_irq(unsigned irqn)
{
    NVIC_ISER(irqn / 32u) = 1u << (irqn % 32u);
}

static inline void nvic_disable_irq(unsigned irqn)
{
    NVIC_ICER(irqn / 32u) = 1u << (irqn % 32u);
}

/* A one-off pulse: the line is pending once, whatever the device does. */
static inline void nvic_pend_irq(unsigned irqn)
{
    NVIC_ISPR(irqn / 32u) = 1u << (irqn % 32u);
}

static inline void wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

#endif /* FW_STM32L4_H */
