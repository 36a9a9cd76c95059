/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-stm32l4: STM32L4x5 (STM32L475VG) peripherals served over vfio-user.
 *
 * Memory map and interrupt numbers (RM0351, STM32L475 SVD).  Adding another
 * instance of an existing model is one row in stm32l4_periphs[] (main.c).
 */
#ifndef VUP_STM32L4_H
#define VUP_STM32L4_H

#include <stdint.h>

#include <vup.h>

/* Memory (board hints for the generic board). */
#define STM32L4_FLASH_BASE      0x08000000u
#define STM32L4_FLASH_SIZE      (1024u * 1024u)   /* STM32L475VG: 1 MiB */
#define STM32L4_SRAM1_BASE      0x20000000u
#define STM32L4_SRAM1_SIZE      (96u * 1024u)
#define STM32L4_SRAM2_BASE      0x10000000u
#define STM32L4_SRAM2_SIZE      (32u * 1024u)

/* CPU: Cortex-M4F, NVIC external lines as QEMU's stm32l4x5 SoC (num-irq). */
#define STM32L4_CPU_TYPE        "cortex-m4"
#define STM32L4_NUM_IRQ         96u

/* Peripherals. */
#define STM32L4_PERIPH_SIZE     0x400u

#define STM32L4_USART1_BASE     0x40013800u
#define STM32L4_USART1_IRQ      37u
#define STM32L4_USART2_BASE     0x40004400u
#define STM32L4_USART2_IRQ      38u
#define STM32L4_USART3_BASE     0x40004800u
#define STM32L4_USART3_IRQ      39u
#define STM32L4_RCC_BASE        0x40021000u
#define STM32L4_RCC_IRQ         5u
#define STM32L4_TIM2_BASE       0x40000000u
#define STM32L4_TIM2_IRQ        28u
#define STM32L4_TIM6_BASE       0x40001000u
#define STM32L4_TIM6_IRQ        54u       /* TIM6_DACUNDER, shared with DAC */
#define STM32L4_TIM7_BASE       0x40001400u
#define STM32L4_TIM7_IRQ        55u
/* DMA1/DMA2 (RM0351 11.3, table 57): a line per channel. */
#define STM32L4_DMA1_BASE       0x40020000u
#define STM32L4_DMA1_IRQ        11u       /* channels 1..7: 11..17 */
#define STM32L4_DMA2_BASE       0x40020400u
#define STM32L4_DMA2_IRQ        56u       /* channels 1..5: 56..60 */
#define STM32L4_DMA2_CH6_IRQ    68u       /* channels 6, 7: 68, 69 */
/* GPIOA..GPIOH on AHB2, 0x400 apart (RM0351 2.2.2). */
#define STM32L4_GPIOA_BASE      0x48000000u
#define STM32L4_NUM_GPIO_PORTS  8u
/* SYSCFG and EXTI on APB2 (RM0351 2.2.2); EXTI drives its own lines. */
#define STM32L4_SYSCFG_BASE     0x40010000u
#define STM32L4_EXTI_BASE       0x40010400u
#define STM32L4_EXTI0_IRQ       6u        /* the first of EXTI's lines */
/* The signal group SYSCFG's EXTI multiplexer drives and EXTI takes. */
#define STM32L4_SYSCFG_EXTI_SIGNAL "syscfg.exti"
/* A peripheral without an interrupt line of its own (GPIO: EXTI's). */
#define STM32L4_NO_IRQ          UINT32_MAX

enum stm32l4_model {
    STM32L4_MODEL_USART,
    STM32L4_MODEL_RCC,
    STM32L4_MODEL_TIM,
    STM32L4_MODEL_GPIO,
    STM32L4_MODEL_DMA,
    STM32L4_MODEL_SYSCFG,
    STM32L4_MODEL_EXTI,
};

/* Timer kinds (tim.c). */
enum stm32l4_tim_variant {
    STM32L4_TIM_BASIC,         /* TIM6, TIM7: 16-bit, update only */
    STM32L4_TIM_GP32,          /* TIM2: 32-bit, with CCR1 compare */
};

/* One instance of a peripheral model at a place in the memory map. */
struct stm32l4_periph_info {
    const char *name;          /* window and IRQ name, e.g. "usart1" */
    enum stm32l4_model model;
    uint32_t base;
    uint32_t size;
    uint32_t irq;              /* NVIC line, or STM32L4_NO_IRQ */
    unsigned variant;          /* model-specific kind (timers), port
                                  index (GPIO: 0 for A) */
};

/* Per-instance options main.c passes to the models. */
struct stm32l4_opts {
    uint32_t mmio_flags;       /* VUP_CR_MMIO_* for every window */
};

/*
 * What every model gives vup_dev_add_periph() for an instance: the window
 * of @info with the registers @regs, and one level IRQ line (@irq, which
 * @desc points at, so both live in the instance), none for STM32L4_NO_IRQ.
 */
static inline void stm32l4_periph_desc(struct vup_periph_desc *desc,
                                       struct vup_irq_desc *irq,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts,
                                       const struct vup_reg *regs,
                                       size_t num_regs,
                                       void (*reset)(vup_periph *p))
{
    *irq = (struct vup_irq_desc){
        .name = info->name,
        .line = info->irq,
        .flags = VUP_CR_IRQ_LEVEL,
    };
    *desc = (struct vup_periph_desc){
        .name = info->name,
        .base = info->base,
        .size = info->size,
        .mmio_flags = opts->mmio_flags,
        .regs = regs,
        .num_regs = num_regs,
        .irqs = info->irq == STM32L4_NO_IRQ ? NULL : irq,
        .num_irqs = info->irq == STM32L4_NO_IRQ ? 0 : 1,
        .reset = reset,
    };
}

/* usart.c */
struct stm32l4_usart;
struct stm32l4_usart *stm32l4_usart_create(vup_dev *d,
                                           const struct stm32l4_periph_info *info,
                                           const struct stm32l4_opts *opts);
/* Connects the instance to a serial byte stream (vup_chardev_open spec). */
int stm32l4_usart_attach(struct stm32l4_usart *u, const char *spec);
/* Closes the serial stream: call before vup_dev_free(). */
void stm32l4_usart_detach(struct stm32l4_usart *u);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_usart_free(struct stm32l4_usart *u);

/* rcc.c */
struct stm32l4_rcc;
struct stm32l4_rcc *stm32l4_rcc_create(vup_dev *d,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_rcc_free(struct stm32l4_rcc *r);

/* tim.c: consumes the "tim_pclk1" clock (TIM2/6/7 are on APB1). */
struct stm32l4_tim;
struct stm32l4_tim *stm32l4_tim_create(vup_dev *d,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_tim_free(struct stm32l4_tim *t);

/*
 * gpio.c: pins "<name>.0" .. "<name>.15" on the control channel, and their
 * levels as the OUT signal group "<name>" (16 lines).
 */
struct stm32l4_gpio;
struct stm32l4_gpio *stm32l4_gpio_create(vup_dev *d,
                                         const struct stm32l4_periph_info *info,
                                         const struct stm32l4_opts *opts);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_gpio_free(struct stm32l4_gpio *g);

/* dma.c: DMA1/DMA2, memory-to-memory transfers through vup_dma_*. */
struct stm32l4_dma;
struct stm32l4_dma *stm32l4_dma_create(vup_dev *d,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_dma_free(struct stm32l4_dma *m);

/*
 * syscfg.c: the EXTI multiplexer, IN signal groups "gpioa" .. "gpioh" to
 * the OUT group STM32L4_SYSCFG_EXTI_SIGNAL (16 lines), and SRAM2 erase.
 */
struct stm32l4_syscfg;
struct stm32l4_syscfg *stm32l4_syscfg_create(vup_dev *d,
                                             const struct stm32l4_periph_info *info,
                                             const struct stm32l4_opts *opts);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_syscfg_free(struct stm32l4_syscfg *s);

/*
 * exti.c: EXTI lines 0..15 from the IN group STM32L4_SYSCFG_EXTI_SIGNAL,
 * the other configurable lines from their own IN groups; its own table of
 * NVIC lines (@info's irq is STM32L4_EXTI0_IRQ, the first, for listings).
 */
struct stm32l4_exti;
struct stm32l4_exti *stm32l4_exti_create(vup_dev *d,
                                         const struct stm32l4_periph_info *info,
                                         const struct stm32l4_opts *opts);
/* Frees the instance: call after vup_dev_free(). */
void stm32l4_exti_free(struct stm32l4_exti *e);

/* The NVIC line of channel @ch (0-based) of the DMA controller @info. */
static inline uint32_t stm32l4_dma_irq(const struct stm32l4_periph_info *info,
                                       unsigned ch)
{
    if (info->irq == STM32L4_DMA2_IRQ && ch >= 5) {
        return STM32L4_DMA2_CH6_IRQ + (ch - 5);
    }
    return info->irq + ch;
}

#endif /* VUP_STM32L4_H */
