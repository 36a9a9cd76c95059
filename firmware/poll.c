/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * poll: keeps reading an RCC register and survives bus errors, for the
 * backend-failure tests (tests/e2e/test_hostile.py).  A BusFault handler
 * skips the faulting load or store and counts it, so the program goes on
 * when the backend behind RCC dies (QEMU's on-failure=bus-error) and
 * notices when it comes back (reconnect-ms).  Output on USART1:
 *   poll: start
 *   poll: alive N              after every 1024 good reads (N: their count)
 *   FAULT bus error reading 0x40021000 (fault N)   first fault of a run
 *   poll: back after N faults  first good read after a run of faults
 * Keep USART1 in another backend than RCC to see all of it.
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define SCB_SHCSR           REG32(0xe000ed24u)
#define SCB_SHCSR_BUSFAULTENA (1u << 17)
#define POLL_ADDR           RCC_BASE
#define NUM_VECTORS         (16 + 96)

static uint32_t ram_vectors[128] __attribute__((aligned(512)));
static volatile uint32_t faults;

/* Steps over the faulting instruction; its destination keeps its value. */
__attribute__((used))
static void bus_fault_skip(uint32_t *frame)
{
    uint16_t insn = *(const uint16_t *)(uintptr_t)frame[6];

    /* 32-bit Thumb encodings start with 0b11101, 0b11110 or 0b11111. */
    frame[6] += (insn >> 11) >= 0x1du ? 4u : 2u;
    SCB_CFSR = SCB_CFSR;    /* write one to clear */
    faults++;
}

__attribute__((naked))
static void BusFault_Handler(void)
{
    __asm__ volatile(
        "tst   lr, #4\n\t"
        "ite   eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "push  {r4, lr}\n\t"
        "bl    bus_fault_skip\n\t"
        "pop   {r4, pc}\n\t");
}

int main(void)
{
    const uint32_t *vt = (const uint32_t *)(uintptr_t)SCB_VTOR;
    uint32_t good = 0, run = 0;

    for (int i = 0; i < NUM_VECTORS; i++) {
        ram_vectors[i] = vt[i];
    }
    ram_vectors[5] = (uint32_t)(uintptr_t)BusFault_Handler;
    SCB_VTOR = (uint32_t)(uintptr_t)ram_vectors;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    SCB_SHCSR |= SCB_SHCSR_BUSFAULTENA;

    uart1_init(115200, 0);
    uart1_puts("poll: start\r\n");
    for (;;) {
        uint32_t before = faults;

        (void)REG32(POLL_ADDR);
        if (faults != before) {
            if (!run++) {
                uart1_puts("FAULT bus error reading 0x");
                uart1_puthex(POLL_ADDR);
                uart1_puts(" (fault ");
                uart1_putdec(faults);
                uart1_puts(")\r\n");
            }
            continue;
        }
        if (run) {
            uart1_puts("poll: back after ");
            uart1_putdec(run);
            uart1_puts(" faults\r\n");
            run = 0;
        }
        if (!(++good % 1024u)) {
            uart1_puts("poll: alive ");
            uart1_putdec(good);
            uart1_puts("\r\n");
        }
    }
}
