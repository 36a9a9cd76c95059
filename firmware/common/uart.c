/* SPDX-License-Identifier: BSD-3-Clause */
#include "stm32l4.h"
#include "uart.h"

void uart1_init(uint32_t baud, uint32_t cr1_extra)
{
    uart1_init_clk(SYSCLK_HZ, baud, cr1_extra);
}

void uart1_init_clk(uint32_t clk_hz, uint32_t baud, uint32_t cr1_extra)
{
    RCC_APB2ENR |= RCC_APB2ENR_USART1EN;
    (void)RCC_APB2ENR;  /* read back: the clock is on before first access */
    USART_CR1(USART1_BASE) = 0;
    /* Oversampling by 16: BRR = USARTDIV = fCK / baud, rounded. */
    USART_BRR(USART1_BASE) = (clk_hz + baud / 2u) / baud;
    USART_CR1(USART1_BASE) = USART_CR1_UE | USART_CR1_TE | USART_CR1_RE |
                             cr1_extra;
}

void uart1_putc(char c)
{
    while (!(USART_ISR(USART1_BASE) & USART_ISR_TXE)) {
    }
    USART_TDR(USART1_BASE) = (uint8_t)c;
}

void uart1_flush(void)
{
    while (!(USART_ISR(USART1_BASE) & USART_ISR_TC)) {
    }
}
