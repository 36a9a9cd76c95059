/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dma: DMA1 memory-to-memory transfers done by the backend's DMA model
 * into guest SRAM1, checked word by word here:
 *   1. channel 1, 64 words (32 bits to 32 bits), TC interrupt;
 *   2. channel 2, 16 bytes zero-extended to 16 words (8 to 32 bits);
 *   3. channel 1 with a destination outside the board's RAM (0x60000000):
 *      a bus error, so TEIF is set and EN cleared (TE interrupt).
 * Prints
 *   dma: words=64 ok=1
 *   dma: widen=16 ok=1
 *   dma: bad-address teif=1 en=0 tcif=0
 *   done
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define WORDS 64u
#define BYTES 16u

static uint32_t src[WORDS], dst[WORDS];
static uint8_t src8[BYTES];
static uint32_t dst32[BYTES];
static volatile uint32_t ch1_isr, ch2_isr;
static volatile int ch1_irqs, ch2_irqs;

void DMA1_Channel1_IRQHandler(void)
{
    ch1_isr = DMA_ISR(DMA1_BASE);
    DMA_IFCR(DMA1_BASE) = DMA_ISR_GIF(1);       /* clears all four */
    ch1_irqs++;
}

void DMA1_Channel2_IRQHandler(void)
{
    ch2_isr = DMA_ISR(DMA1_BASE);
    DMA_IFCR(DMA1_BASE) = DMA_ISR_GIF(2);
    ch2_irqs++;
}

static void wait_irq(volatile int *count, int want)
{
    /* Masked, so an IRQ between the test and WFI still wakes it. */
    __asm__ volatile("cpsid i" ::: "memory");
    while (*count < want) {
        wfi();
        __asm__ volatile("cpsie i\n\tisb\n\tcpsid i" ::: "memory");
    }
    __asm__ volatile("cpsie i" ::: "memory");
}

static void mem2mem(unsigned ch, const void *from, void *to, uint32_t n,
                    uint32_t sizes)
{
    DMA_CCR(DMA1_BASE, ch) = 0;
    DMA_CPAR(DMA1_BASE, ch) = (uint32_t)(uintptr_t)from;
    DMA_CMAR(DMA1_BASE, ch) = (uint32_t)(uintptr_t)to;
    DMA_CNDTR(DMA1_BASE, ch) = n;
    /* DIR=0: CPAR is the source; both sides step. */
    DMA_CCR(DMA1_BASE, ch) = DMA_CCR_MEM2MEM | DMA_CCR_PINC | DMA_CCR_MINC |
                             sizes | DMA_CCR_TCIE | DMA_CCR_TEIE;
    DMA_CCR(DMA1_BASE, ch) |= DMA_CCR_EN;
}

int main(void)
{
    uint32_t ok = 1, en;

    uart1_init(115200, 0);
    RCC_AHB1ENR |= RCC_AHB1ENR_DMA1EN;
    nvic_enable_irq(DMA1_CH1_IRQn);
    nvic_enable_irq(DMA1_CH2_IRQn);

    for (uint32_t i = 0; i < WORDS; i++) {
        src[i] = 0x9e3779b9u * (i + 1);
        dst[i] = 0;
    }
    mem2mem(1, src, dst, WORDS, DMA_CCR_PSIZE(2) | DMA_CCR_MSIZE(2));
    wait_irq(&ch1_irqs, 1);
    if (ch1_irqs != 1 || !(ch1_isr & DMA_ISR_TCIF(1)) ||
        DMA_CNDTR(DMA1_BASE, 1) != 0) {
        ok = 0;
    }
    for (uint32_t i = 0; i < WORDS; i++) {
        if (dst[i] != src[i]) {
            ok = 0;
        }
    }
    uart1_puts("dma: words=");
    uart1_putdec(WORDS);
    uart1_puts(" ok=");
    uart1_putdec(ok);
    uart1_puts("\r\n");

    ok = 1;
    for (uint32_t i = 0; i < BYTES; i++) {
        src8[i] = (uint8_t)(0xf0u + i);
        dst32[i] = 0xffffffffu;
    }
    mem2mem(2, src8, dst32, BYTES, DMA_CCR_PSIZE(0) | DMA_CCR_MSIZE(2));
    wait_irq(&ch2_irqs, 1);
    if (ch2_irqs != 1 || !(ch2_isr & DMA_ISR_TCIF(2))) {
        ok = 0;
    }
    for (uint32_t i = 0; i < BYTES; i++) {
        if (dst32[i] != 0xf0u + i) {
            ok = 0;
        }
    }
    uart1_puts("dma: widen=");
    uart1_putdec(BYTES);
    uart1_puts(" ok=");
    uart1_putdec(ok);
    uart1_puts("\r\n");

    ch1_isr = 0;
    mem2mem(1, src, (void *)0x60000000u, WORDS,
            DMA_CCR_PSIZE(2) | DMA_CCR_MSIZE(2));
    wait_irq(&ch1_irqs, 2);
    en = DMA_CCR(DMA1_BASE, 1) & DMA_CCR_EN;
    uart1_puts("dma: bad-address teif=");
    uart1_putdec(!!(ch1_isr & DMA_ISR_TEIF(1)));
    uart1_puts(" en=");
    uart1_putdec(!!en);
    uart1_puts(" tcif=");
    uart1_putdec(!!(ch1_isr & DMA_ISR_TCIF(1)));
    uart1_puts("\r\n");
    uart1_puts("done\r\n");
    uart1_flush();
    for (;;) {
        wfi();
    }
}
