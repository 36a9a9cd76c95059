/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * clocks: measures SysTick against TIM6 at the 4 MHz MSI reset clock, then
 * switches SYSCLK to the PLL (MSI / 1 * 40 / 2 = 80 MHz), reprograms
 * USART1 for 115200 baud at the new clock and measures again.
 *
 * Each measurement runs TIM6 at 100 kHz and counts SysTick periods of
 * 1000 clocks in the SysTick handler (no device access during the window
 * but the final TIM6 read), once with the processor clock (CLKSOURCE=1,
 * 1000 periods) and once with the reference clock (HCLK/8, 100 periods).
 * One line per measurement, then "clocks done":
 *   phase msi4: sysclk=4000000 systick=cpu systick_periods=1000 tim6_hz=100000 tim6_counts=25000 expected=25000
 * TIM6 has no flash wait states to care about, and FLASH (ACR) is not
 * touched: the generic board does not map it.
 */
#include "common/stm32l4.h"
#include "common/uart.h"

#define TIM6_HZ         100000u
#define SYSTICK_RELOAD  999u

static volatile uint32_t ticks, target, tim6_counts;
static volatile int done;

void SysTick_Handler(void)
{
    if (++ticks == target) {
        SYST_CSR = 0;
        tim6_counts = TIM_CNT(TIM6_BASE);
        done = 1;
    }
}

static void measure(const char *phase, uint32_t hclk, int cpu_clock,
                    uint32_t periods)
{
    uint32_t src_hz = cpu_clock ? hclk : hclk / 8u;
    uint32_t expected = (uint32_t)((uint64_t)periods * (SYSTICK_RELOAD + 1u) *
                                   TIM6_HZ / src_hz);

    /* TIM6 on PCLK1 (APB1 prescaler 1: the timer clock is HCLK). */
    TIM_CR1(TIM6_BASE) = 0;
    TIM_PSC(TIM6_BASE) = hclk / TIM6_HZ - 1u;
    TIM_ARR(TIM6_BASE) = 0xffffu;
    TIM_EGR(TIM6_BASE) = TIM_EGR_UG;        /* loads PSC */
    TIM_SR(TIM6_BASE) = 0;
    TIM_CNT(TIM6_BASE) = 0;
    ticks = 0;
    target = periods;
    done = 0;
    SYST_RVR = SYSTICK_RELOAD;
    SYST_CVR = 0;
    TIM_CR1(TIM6_BASE) = TIM_CR1_CEN;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT |
               (cpu_clock ? SYST_CSR_CLKSOURCE : 0);
    while (!done) {
        wfi();
    }
    TIM_CR1(TIM6_BASE) = 0;
    uart1_puts("phase ");
    uart1_puts(phase);
    uart1_puts(": sysclk=");
    uart1_putdec(hclk);
    uart1_puts(cpu_clock ? " systick=cpu" : " systick=ref");
    uart1_puts(" systick_periods=");
    uart1_putdec(periods);
    uart1_puts(" tim6_hz=");
    uart1_putdec(TIM6_HZ);
    uart1_puts(" tim6_counts=");
    uart1_putdec(tim6_counts);
    uart1_puts(" expected=");
    uart1_putdec(expected);
    uart1_puts("\r\n");
}

static void switch_to_pll80(void)
{
    /* MSI 4 MHz / M 1 * N 40 = 160 MHz VCO, / R 2 = 80 MHz. */
    RCC_PLLCFGR = RCC_PLLCFGR_SRC_MSI | RCC_PLLCFGR_M(1) | RCC_PLLCFGR_N(40) |
                  RCC_PLLCFGR_REN | RCC_PLLCFGR_R(2);
    RCC_CR |= RCC_CR_PLLON;
    while (!(RCC_CR & RCC_CR_PLLRDY)) {
    }
    /* No byte in flight while the USART's clock changes. */
    uart1_flush();
    USART_CR1(USART1_BASE) = 0;
    RCC_CFGR = (RCC_CFGR & ~RCC_CFGR_SW_MASK) | RCC_CFGR_SW_PLL;
    while (RCC_CFGR_SWS(RCC_CFGR) != RCC_CFGR_SW_PLL) {
    }
    uart1_init_clk(80000000u, 115200, 0);
}

int main(void)
{
    uart1_init(115200, 0);
    RCC_APB1ENR1 |= RCC_APB1ENR1_TIM6EN;
    (void)RCC_APB1ENR1;
    uart1_puts("clocks: start\r\n");
    measure("msi4", SYSCLK_HZ, 1, 1000);
    measure("msi4", SYSCLK_HZ, 0, 100);
    switch_to_pll80();
    uart1_puts("clocks: sysclk=80000000 (PLL) brr=0x");
    uart1_puthex(USART_BRR(USART1_BASE));
    uart1_puts("\r\n");
    measure("pll80", 80000000u, 1, 1000);
    measure("pll80", 80000000u, 0, 100);
    uart1_puts("clocks done\r\n");
    for (;;) {
        wfi();
    }
}
