/* SPDX-License-Identifier: BSD-3-Clause */
/* Bare-metal aarch32 entry for QEMU -M virt (-kernel ELF): stack, .bss, main. */
    .syntax unified
    .arm
    .section .text.start, "ax"
    .global _start
_start:
    ldr   sp, =_estack
    ldr   r0, =_sbss
    ldr   r1, =_ebss
    mov   r2, #0
1:  cmp   r0, r1
    strlo r2, [r0], #4
    blo   1b
    bl    main
2:  wfi
    b     2b
