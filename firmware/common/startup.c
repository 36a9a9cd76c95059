/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cortex-M4 startup for the STM32L475: vector table (16 system exceptions +
 * the STM32L475's 82 interrupt lines), reset handler (.data copy, .bss
 * zero, VTOR, main) and a fault handler that reports over USART1.
 *
 * Programs override an interrupt by defining a function of its name
 * (USART1_IRQHandler, ...); the others go to Default_Handler.
 */
#include <stdint.h>

#include "stm32l4.h"
#include "uart.h"

#define NUM_IRQS 82

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
extern int main(void);

void Reset_Handler(void);
void Fault_Handler(void);
void Default_Handler(void);

/*
 * The handlers a program may define, each with its vector: weak aliases of
 * Default_Handler until it does.
 */
#define HANDLERS(X) \
    X(NMI_Handler, 2)               X(SVC_Handler, 11) \
    X(DebugMon_Handler, 12)         X(PendSV_Handler, 14) \
    X(SysTick_Handler, 15)          X(RCC_IRQHandler, 16 + 5) \
    X(EXTI0_IRQHandler, 16 + 6) \
    X(USART1_IRQHandler, 16 + 37)   X(USART2_IRQHandler, 16 + 38) \
    X(USART3_IRQHandler, 16 + 39)   X(TIM2_IRQHandler, 16 + 28) \
    X(EXTI15_10_IRQHandler, 16 + 40) \
    X(TIM6_DAC_IRQHandler, 16 + 54) X(TIM7_IRQHandler, 16 + 55) \
    X(DMA1_Channel1_IRQHandler, 16 + 11) \
    X(DMA1_Channel2_IRQHandler, 16 + 12)
#define DECLARE(f, vector) \
    void f(void) __attribute__((weak, alias("Default_Handler")));
#define VECTOR(f, vector) [vector] = f,
HANDLERS(DECLARE)

typedef void (*vector_t)(void);

/* Fill every IRQ slot with Default_Handler, then name the ones we know. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
__attribute__((section(".isr_vector"), used))
const vector_t vector_table[16 + NUM_IRQS] = {
    [0]  = (vector_t)&_estack,
    [1]  = Reset_Handler,
    [3]  = Fault_Handler,       /* HardFault */
    [4]  = Fault_Handler,       /* MemManage */
    [5]  = Fault_Handler,       /* BusFault */
    [6]  = Fault_Handler,       /* UsageFault */
    [16 ... 16 + NUM_IRQS - 1] = Default_Handler,
    HANDLERS(VECTOR)
};
#pragma GCC diagnostic pop

void Reset_Handler(void)
{
    uint32_t *src = &_sidata, *dst = &_sdata;

    while (dst < &_edata) {
        *dst++ = *src++;
    }
    for (dst = &_sbss; dst < &_ebss; dst++) {
        *dst = 0;
    }
    SCB_VTOR = (uint32_t)(uintptr_t)vector_table;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    main();
    for (;;) {
        wfi();
    }
}

/* Called from Fault_Handler with the stacked exception frame. */
__attribute__((used, noreturn))
static void fault_report(const uint32_t *frame, uint32_t exc_return)
{
    uint32_t cfsr = SCB_CFSR, bfar = SCB_BFAR, hfsr = SCB_HFSR;

    if (!(USART_CR1(USART1_BASE) & USART_CR1_UE)) {
        uart1_init(115200, 0);
    }
    uart1_puts("\r\nFAULT CFSR=0x");
    uart1_puthex(cfsr);
    uart1_puts(" BFAR=0x");
    uart1_puthex(bfar);
    uart1_puts(" HFSR=0x");
    uart1_puthex(hfsr);
    uart1_puts(" PC=0x");
    uart1_puthex(frame[6]);
    uart1_puts(" LR=0x");
    uart1_puthex(frame[5]);
    uart1_puts(" EXC_RETURN=0x");
    uart1_puthex(exc_return);
    uart1_puts("\r\n");
    for (;;) {
    }
}

/* Picks the stack the faulting code used, then reports. */
__attribute__((naked))
void Fault_Handler(void)
{
    __asm__ volatile(
        "tst   lr, #4\n\t"
        "ite   eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov   r1, lr\n\t"
        "b     fault_report\n\t");
}

void Default_Handler(void)
{
    uart1_puts("\r\nUNEXPECTED EXCEPTION\r\n");
    for (;;) {
    }
}
