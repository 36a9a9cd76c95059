/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_virt_pio: the upstream reference for bench/run.py.  On
 * qemu-system-arm -M virt,highmem=off -cpu cortex-a15 with QEMU's
 * vfio-user-pci and libvfio-user's gpio-pci-idio-16 sample, it finds the
 * device (vendor 0x494f, device 0x0dc8) by ECAM, gives its I/O BAR2 port
 * 0x1000, enables I/O decode and then reads that port n times per marker,
 * exactly as bench_mmio does on the MCU boards:
 *   B pio <n>\r\n ... E\r\n      (the vfio-user-pci read)
 *   B pl011 <128 n>\r\n ... E\r\n (an in-process device on the same board,
 *                              ~100x cheaper, so 128x as many reads)
 * Markers and results go out through the PL011.  Prints "no device" if the
 * sample is not on the bus.
 */
#include <stdint.h>

#define REG32(a)    (*(volatile uint32_t *)(uintptr_t)(a))
#define UART_DR     REG32(0x09000000u)
#define UART_FR     REG32(0x09000018u)
#define UART_CR     REG32(0x09000030u)
#define ECAM        0x3f000000u         /* highmem=off */
#define PIO         0x3eff0000u
#define PORT        0x1000u
#define IDIO_ID     0x0dc8494fu
#define REPS        3u

static void putc_(char c)
{
    while (UART_FR & (1u << 5)) {       /* TXFF */
    }
    UART_DR = (uint8_t)c;
}

static void puts_(const char *s)
{
    while (*s) {
        putc_(*s++);
    }
}

static void putdec(uint32_t v)
{
    char b[10];
    int n = 0;

    do {
        b[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v);
    while (n) {
        putc_(b[--n]);
    }
}

__attribute__((noinline)) static void loop_read(volatile uint32_t *r,
                                                uint32_t n)
{
    for (n /= 8u; n; n--) {
        (void)*r; (void)*r; (void)*r; (void)*r;
        (void)*r; (void)*r; (void)*r; (void)*r;
    }
}

static void run(const char *op, volatile uint32_t *r, uint32_t n)
{
    puts_("B ");
    puts_(op);
    putc_(' ');
    putdec(n);
    puts_("\r\n");
    loop_read(r, n);
    puts_("E\r\n");
}

int main(void)
{
    uint32_t cfg = 0;

    UART_CR = 0x301;                    /* UARTEN | TXE | RXE */
    puts_("bench_virt_pio\r\n");
    for (uint32_t dev = 0; dev < 32; dev++) {
        if (REG32(ECAM + (dev << 15)) == IDIO_ID) {
            cfg = ECAM + (dev << 15);
            break;
        }
    }
    if (!cfg) {
        puts_("no device\r\n");
        return 1;
    }
    REG32(cfg + 0x18) = PORT;           /* BAR2: I/O */
    REG32(cfg + 0x04) |= 1u;            /* COMMAND.IO */
    puts_("bar2 ");
    putdec(REG32(cfg + 0x18));
    puts_(" cmd ");
    putdec(REG32(cfg + 0x04) & 0xffffu);
    puts_(" first read ");
    putdec(REG32(PIO + PORT));
    puts_(" ");
    putdec(REG32(PIO + PORT));
    puts_("\r\n");
    for (uint32_t shift = 10; shift <= 24; shift++) {
        for (uint32_t i = 0; i < REPS; i++) {
            run("pio", &REG32(PIO + PORT), 1u << shift);
            run("pl011", &UART_FR, 1u << (shift + 7));
        }
    }
    puts_("done\r\n");
    return 0;
}
