/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * button: the B-L475E-IOT01A's user button (PC13, an input with its
 * pull-up: 1 at rest, 0 pressed) mirrored onto its LED LD1 (PA5, a
 * push-pull output), for the control-channel tests (tests/e2e/test_ctl.py).
 *
 * Enables the GPIOA and GPIOC clocks, configures both pins, prints
 * "ready", then samples the button every millisecond (SysTick at 1 kHz,
 * WFI in between: idle between samples) and on every change prints
 * "button: 0" or "button: 1" and sets the LED to the same level.  Bytes
 * received on USART1 (its RXNE interrupt also wakes the loop) are echoed.
 * Every line ends with "\r\n".
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define BUTTON_PIN  13u           /* PC13 */
#define LED_PIN     5u            /* PA5 */

static volatile uint32_t ticks;

void SysTick_Handler(void)
{
    ticks++;
}

/* Only wakes the loop: the bytes are read there. */
void USART1_IRQHandler(void)
{
    nvic_disable_irq(USART1_IRQn);
}

static void set_mode(uint32_t base, unsigned pin, uint32_t mode)
{
    GPIO_MODER(base) = (GPIO_MODER(base) & ~(0x3u << (2 * pin))) |
                       (mode << (2 * pin));
}

static void set_pull(uint32_t base, unsigned pin, uint32_t pull)
{
    GPIO_PUPDR(base) = (GPIO_PUPDR(base) & ~(0x3u << (2 * pin))) |
                       (pull << (2 * pin));
}

static void set_led(unsigned level)
{
    /* BSRR: BS sets, BR (16 bits up) resets, no read-modify-write. */
    GPIO_BSRR(GPIOA_BASE) = level ? 1u << LED_PIN : 1u << (LED_PIN + 16);
}

static unsigned button(void)
{
    return (GPIO_IDR(GPIOC_BASE) >> BUTTON_PIN) & 1u;
}

int main(void)
{
    unsigned last;

    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOEN(0) | RCC_AHB2ENR_GPIOEN(2);
    (void)RCC_AHB2ENR;  /* read back: the clocks are on before first access */
    uart1_init(115200, USART_CR1_RXNEIE);

    set_pull(GPIOC_BASE, BUTTON_PIN, GPIO_PULL_UP);
    set_mode(GPIOC_BASE, BUTTON_PIN, GPIO_MODE_INPUT);
    GPIO_OTYPER(GPIOA_BASE) &= ~(1u << LED_PIN);
    set_mode(GPIOA_BASE, LED_PIN, GPIO_MODE_OUTPUT);
    last = button();
    set_led(last);

    SYST_RVR = SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
    uart1_puts("ready\r\n");

    for (;;) {
        unsigned now;

        while (USART_ISR(USART1_BASE) & (USART_ISR_RXNE | USART_ISR_ORE)) {
            if (USART_ISR(USART1_BASE) & USART_ISR_ORE) {
                USART_ICR(USART1_BASE) = USART_ICR_ORECF;
            }
            if (USART_ISR(USART1_BASE) & USART_ISR_RXNE) {
                uart1_putc((char)USART_RDR(USART1_BASE));
            }
        }
        nvic_enable_irq(USART1_IRQn);
        now = button();
        if (now != last) {
            last = now;
            set_led(now);
            uart1_puts(now ? "button: 1\r\n" : "button: 0\r\n");
        }
        wfi();
    }
}
