/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hello: prints a greeting on USART1, then echoes every byte it receives
 * from the USART1 RXNE interrupt, sleeping in WFI in between.
 *
 * Touches only RCC and USART1 (plus the core's NVIC/SCB), so it runs both
 * on QEMU's b-l475e-iot01a board and on the generic vfio-user-mcu board
 * with vup-stm32l4 (where anything unmapped is a BusFault).
 */
#include "common/stm32l4.h"
#include "common/uart.h"

void USART1_IRQHandler(void)
{
    uint32_t isr;

    while ((isr = USART_ISR(USART1_BASE)) & (USART_ISR_RXNE | USART_ISR_ORE)) {
        if (isr & USART_ISR_ORE) {
            /* A byte was lost; clear the flag or the line stays high. */
            USART_ICR(USART1_BASE) = USART_ICR_ORECF;
        }
        if (isr & USART_ISR_RXNE) {
            uart1_putc((char)USART_RDR(USART1_BASE));
        }
    }
}

int main(void)
{
    uart1_init(115200, USART_CR1_RXNEIE);
    uart1_puts("Hello from STM32L4 firmware over vfio-user!\r\n");
    uart1_puts("ready\r\n");
    nvic_enable_irq(USART1_IRQn);
    for (;;) {
        wfi();
    }
}
