/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * exti: the B-L475E-IOT01A's user button (PC13, an input with its
 * pull-up) as an interrupt, for tests/e2e/test_exti.py: GPIOC, SYSCFG's
 * EXTI multiplexer and EXTI as the reference manual has them (RM0351
 * 9.2.6, 14.5), on the generic board with vup-stm32l4 serving rcc,
 * usart1, gpioc, syscfg and exti (in one backend or several).
 *
 * Enables the GPIOC and SYSCFG clocks, makes PC13 an input with its
 * pull-up, selects PC13 for EXTI line 13 (SYSCFG_EXTICR4.EXTI13 = PC),
 * enables both edges on line 13 (RTSR1, FTSR1), unmasks it (IMR1) and
 * NVIC line 40 (EXTI15_10).  Then one software interrupt (SWIER1.SWI13)
 * checks the path, and every interrupt after it is an edge.  Prints
 *   exti: line 13 from PC13, rising and falling edges
 *   exti13 1: swier, PC13=1
 *   ready
 *   exti13 2: edge, PC13=0        (one line per interrupt, in order, with
 *   exti13 3: edge, PC13=1         PC13's level read from IDR in the ISR)
 * or "error: ..." lines.  Every line ends with "\r\n".
 *
 * The ISR reads PR1 and SWIER1, clears PIF13 by writing 1 (which also
 * clears SWI13), reads IDR and queues what it saw; the main loop prints
 * the queue and sleeps in WFI.
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define BUTTON_PIN      13u
#define EXTI15_10_IRQn  40u

/* RCC, SYSCFG and EXTI (RM0351 6.4, 9.2, 14.5) */
#define RCC_APB2ENR_SYSCFGEN (1u << 0)
#define SYSCFG_BASE     0x40010000u
#define SYSCFG_EXTICR(n) REG32(SYSCFG_BASE + 0x08u + 4u * ((n) - 1u))
#define SYSCFG_PORT_C   2u
#define EXTI_BASE       0x40010400u
#define EXTI_IMR1       REG32(EXTI_BASE + 0x00)
#define EXTI_RTSR1      REG32(EXTI_BASE + 0x08)
#define EXTI_FTSR1      REG32(EXTI_BASE + 0x0c)
#define EXTI_SWIER1     REG32(EXTI_BASE + 0x10)
#define EXTI_PR1        REG32(EXTI_BASE + 0x14)
#define GPIO_PUPDR_MASK(pin) (0x3u << (2u * (pin)))

/* What each interrupt saw, for the main loop to print. */
#define QUEUE_LEN 64u
static volatile uint8_t queue[QUEUE_LEN];  /* bit 0: PC13, bit 1: SWI13 */
static volatile uint32_t head, tail, spurious;

void EXTI15_10_IRQHandler(void)
{
    uint32_t pr = EXTI_PR1, swi = EXTI_SWIER1;

    if (!(pr & (1u << BUTTON_PIN))) {
        spurious++;             /* entered with nothing pending */
        return;
    }
    /* rc_w1: the 1 clears PIF13, and SWI13 with it. */
    EXTI_PR1 = 1u << BUTTON_PIN;
    if (head - tail < QUEUE_LEN) {
        queue[head % QUEUE_LEN] =
            (uint8_t)(((GPIO_IDR(GPIOC_BASE) >> BUTTON_PIN) & 1u) |
                      ((swi >> BUTTON_PIN) & 1u) << 1);
        head++;
    }
}

static void print_entry(uint32_t n, uint8_t what)
{
    uart1_puts("exti13 ");
    uart1_putdec(n);
    uart1_puts((what & 2u) ? ": swier, PC13=" : ": edge, PC13=");
    uart1_putc((what & 1u) ? '1' : '0');
    uart1_puts("\r\n");
}

/* Prints what the ISR queued; false if there was nothing. */
static int drain(uint32_t *printed)
{
    int any = 0;

    while (tail != head) {
        print_entry(++*printed, queue[tail % QUEUE_LEN]);
        tail++;
        any = 1;
    }
    if (spurious) {
        uart1_puts("error: EXTI15_10 entered with PIF13 clear\r\n");
        spurious = 0;
    }
    return any;
}

int main(void)
{
    uint32_t printed = 0;

    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOEN(2);
    RCC_APB2ENR |= RCC_APB2ENR_SYSCFGEN;
    (void)RCC_APB2ENR;  /* read back: the clocks are on before first access */
    uart1_init(115200, 0);

    /* PC13: input with its pull-up (1 at rest, 0 pressed). */
    GPIO_PUPDR(GPIOC_BASE) = (GPIO_PUPDR(GPIOC_BASE) &
                              ~GPIO_PUPDR_MASK(BUTTON_PIN)) |
                             (GPIO_PULL_UP << (2u * BUTTON_PIN));
    GPIO_MODER(GPIOC_BASE) &= ~(0x3u << (2u * BUTTON_PIN));

    /* EXTI13 from port C: EXTICR4 bits 6:4. */
    SYSCFG_EXTICR(4) = (SYSCFG_EXTICR(4) & ~(0x7u << 4)) |
                       (SYSCFG_PORT_C << 4);
    if (((SYSCFG_EXTICR(4) >> 4) & 0x7u) != SYSCFG_PORT_C) {
        uart1_puts("error: SYSCFG_EXTICR4 does not read back\r\n");
    }
    EXTI_RTSR1 |= 1u << BUTTON_PIN;
    EXTI_FTSR1 |= 1u << BUTTON_PIN;
    EXTI_PR1 = 1u << BUTTON_PIN;       /* nothing stale */
    EXTI_IMR1 |= 1u << BUTTON_PIN;
    nvic_enable_irq(EXTI15_10_IRQn);
    uart1_puts("exti: line 13 from PC13, rising and falling edges\r\n");

    /* One software interrupt: SWI13 pends line 13 (IMR1 unmasks it). */
    EXTI_SWIER1 = 1u << BUTTON_PIN;
    for (volatile uint32_t i = 0; head == tail && i < 1000000u; i++) {
    }
    if (!drain(&printed)) {
        uart1_puts("error: no interrupt from SWIER1\r\n");
    }
    if (EXTI_SWIER1 & (1u << BUTTON_PIN)) {
        uart1_puts("error: clearing PIF13 left SWI13 set\r\n");
    }
    if (EXTI_PR1 & (1u << BUTTON_PIN)) {
        uart1_puts("error: PIF13 still set\r\n");
    }
    uart1_puts("ready\r\n");

    for (;;) {
        /* Sleep only with nothing queued; the interrupt still wakes WFI. */
        __asm__ volatile("cpsid i" ::: "memory");
        if (tail == head && !spurious) {
            wfi();
        }
        __asm__ volatile("cpsie i" ::: "memory");
        drain(&printed);
    }
}
