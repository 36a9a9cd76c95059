/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fault: checks that a bad access is a precise BusFault and that the fault
 * report works.  Prints a line on USART1, then reads FAULT_ADDR, which
 * nothing maps on either board (QSPI memory-mapped area, unused here).
 * Expected output:
 *   fault test: reading 0x90000000
 *   FAULT CFSR=0x00008200 BFAR=0x90000000 ...
 * (CFSR 0x8200: BFARVALID | PRECISERR.)
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define FAULT_ADDR 0x90000000u

int main(void)
{
    uart1_init(115200, 0);
    uart1_puts("fault test: reading 0x");
    uart1_puthex(FAULT_ADDR);
    uart1_puts("\r\n");
    (void)REG32(FAULT_ADDR);
    uart1_puts("no fault\r\n");
    return 0;
}
