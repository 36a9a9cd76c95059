/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Polled USART1 output on the STM32F405 (netduinoplus2): the same API as
 * uart.c, for the F4's older USART layout (SR/DR instead of ISR/TDR).
 */
#include "uart.h"

#define REG32(addr)         (*(volatile uint32_t *)(uintptr_t)(addr))
#define F4_RCC_APB2ENR      REG32(0x40023844u)
#define F4_RCC_USART1EN     (1u << 4)
#define F4_USART1_BASE      0x40011000u
#define F4_USART_SR         REG32(F4_USART1_BASE + 0x00)
#define F4_USART_DR         REG32(F4_USART1_BASE + 0x04)
#define F4_USART_BRR        REG32(F4_USART1_BASE + 0x08)
#define F4_USART_CR1        REG32(F4_USART1_BASE + 0x0c)
#define F4_USART_SR_TC      (1u << 6)
#define F4_USART_SR_TXE     (1u << 7)
#define F4_USART_CR1_RE     (1u << 2)
#define F4_USART_CR1_TE     (1u << 3)
#define F4_USART_CR1_UE     (1u << 13)

/* netduinoplus2's SYSCLK; USART1 is on APB2, undivided in QEMU's model. */
#define F4_PCLK2_HZ         168000000u

void uart1_init(uint32_t baud, uint32_t cr1_extra)
{
    uart1_init_clk(F4_PCLK2_HZ, baud, cr1_extra);
}

void uart1_init_clk(uint32_t clk_hz, uint32_t baud, uint32_t cr1_extra)
{
    F4_RCC_APB2ENR |= F4_RCC_USART1EN;
    (void)F4_RCC_APB2ENR;
    F4_USART_CR1 = 0;
    F4_USART_BRR = (clk_hz + baud / 2u) / baud;
    F4_USART_CR1 = F4_USART_CR1_UE | F4_USART_CR1_TE | F4_USART_CR1_RE |
                   cr1_extra;
}

void uart1_putc(char c)
{
    while (!(F4_USART_SR & F4_USART_SR_TXE)) {
    }
    F4_USART_DR = (uint8_t)c;
}

void uart1_flush(void)
{
    while (!(F4_USART_SR & F4_USART_SR_TC)) {
    }
}
