/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-stm32l4's SYSCFG and EXTI models (backends/stm32l4/syscfg.c,
 * exti.c) with GPIOA and GPIOC in one device, their signal groups
 * connected inside it: a pin driven through the control channel (or an
 * output the guest sets) goes through SYSCFG's EXTICR multiplexer to an
 * EXTI line, whose pending bit and NVIC line the client playing QEMU
 * reads.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

/* The models themselves (static functions included). */
#include "../../backends/stm32l4/gpio.c"
#include "../../backends/stm32l4/syscfg.c"
#include "../../backends/stm32l4/exti.c"

#include "vup/client.h"
#include "vup/cr.h"
#include "../../lib/protocol.h"
#include "harness.h"

/* Regions, in the order the peripherals are added. */
enum { R_GPIOA = 1, R_GPIOC = 2, R_SYSCFG = 3, R_EXTI = 4 };
/* EXTI's IRQ indexes (exti_irqs[]): the only lines of the device. */
enum { IRQ_EXTI0, IRQ_EXTI1, IRQ_EXTI2, IRQ_EXTI3, IRQ_EXTI4, IRQ_EXTI9_5,
       IRQ_EXTI15_10, IRQ_PVD_PVM, IRQ_TAMP_STAMP, IRQ_RTC_WKUP,
       IRQ_RTC_ALARM, IRQ_COMP };

static const struct stm32l4_periph_info infos[] = {
    { "gpioa", STM32L4_MODEL_GPIO, STM32L4_GPIOA_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_NO_IRQ, 0 },
    { "gpioc", STM32L4_MODEL_GPIO, STM32L4_GPIOA_BASE + 0x800,
      STM32L4_PERIPH_SIZE, STM32L4_NO_IRQ, 2 },
    { "syscfg", STM32L4_MODEL_SYSCFG, STM32L4_SYSCFG_BASE,
      STM32L4_PERIPH_SIZE, STM32L4_NO_IRQ, 0 },
    { "exti", STM32L4_MODEL_EXTI, STM32L4_EXTI_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_EXTI0_IRQ, 0 },
};

struct fixture {
    struct harness h;
    struct stm32l4_gpio *gpioa, *gpioc;
    struct stm32l4_syscfg *syscfg;
    struct stm32l4_exti *exti;
    char ctl_path[112];
    struct harness_ctl *ctl;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const struct stm32l4_opts opts = { 0 };

    harness_init(&f->h, "exti", "stm32l4");
    f->gpioa = stm32l4_gpio_create(f->h.dev, &infos[0], &opts);
    f->gpioc = stm32l4_gpio_create(f->h.dev, &infos[1], &opts);
    f->syscfg = stm32l4_syscfg_create(f->h.dev, &infos[2], &opts);
    f->exti = stm32l4_exti_create(f->h.dev, &infos[3], &opts);
    assert_non_null(f->gpioa);
    assert_non_null(f->gpioc);
    assert_non_null(f->syscfg);
    assert_non_null(f->exti);
    snprintf(f->ctl_path, sizeof(f->ctl_path), "%s/ctl.sock", f->h.dir);
    assert_int_equal(vup_dev_ctl_listen(f->h.dev, f->ctl_path), 0);
    harness_serve(&f->h, NULL, NULL);
    f->ctl = harness_ctl_open(f->ctl_path);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;

    harness_ctl_close(f->ctl);
    harness_stop(&f->h);
    stm32l4_gpio_free(f->gpioa);
    stm32l4_gpio_free(f->gpioc);
    stm32l4_syscfg_free(f->syscfg);
    stm32l4_exti_free(f->exti);
    free(f);
    return 0;
}

static uint32_t rd(struct fixture *f, uint32_t region, uint32_t off)
{
    return harness_rd(f->h.c, region, off, 4);
}

static void wr(struct fixture *f, uint32_t region, uint32_t off, uint32_t v)
{
    harness_wr(f->h.c, region, off, v, 4);
}

/* The device's IRQ levels (bit i: index i), as QEMU reads them. */
static uint32_t irqs(struct fixture *f)
{
    return harness_rd(f->h.c, 0,
                      f->h.live + offsetof(struct vup_cr_live, irq_level),
                      4);
}

static bool irq(struct fixture *f, unsigned index)
{
    return (irqs(f) >> index) & 1u;
}

/* @c's control region, decoded into @view (free the result). */
static void *client_cr(vup_client *c, struct vup_cr_view *view)
{
    struct vup_client_region_info ri;
    char err[256];
    void *cr;
    size_t len;

    assert_int_equal(vup_client_region_info(c, 0, &ri), 0);
    assert_int_equal(vup_client_read_cr(c, 0, ri.size, &cr, &len), 0);
    if (vup_cr_decode(cr, len, NULL, view, err, sizeof(err)) != 0) {
        fail_msg("control region: %s", err);
    }
    return cr;
}

static void *read_cr(struct fixture *f, struct vup_cr_view *view)
{
    return client_cr(f->h.c, view);
}

/* set-pin over the control channel @ctl; @level "0", "1" or "null". */
static void ctl_set_pin(struct harness_ctl *ctl, const char *pin,
                        const char *level)
{
    char line[128];
    json_object *r;

    snprintf(line, sizeof(line), "{\"cmd\":\"set-pin\",\"pin\":\"%s\","
             "\"level\":%s}", pin, level);
    r = harness_ctl_req(ctl, line);
    assert_true(json_object_get_boolean(harness_json(r, "ok")));
    json_object_put(r);
}

static void set_pin(struct fixture *f, const char *pin, const char *level)
{
    ctl_set_pin(f->ctl, pin, level);
}

/* Pin @pin's 2-bit field of a GPIO register set to @v. */
static void set2(struct fixture *f, uint32_t port, uint32_t off,
                 unsigned pin, uint32_t v)
{
    uint32_t old = rd(f, port, off);

    wr(f, port, off, (old & ~(3u << (2 * pin))) | (v << (2 * pin)));
}

/* EXTI line @line (0..15) from port @port (0: A). */
static void route(struct fixture *f, unsigned line, unsigned port)
{
    uint32_t off = A_EXTICR1 + 4 * (line / 4);
    uint32_t old = rd(f, R_SYSCFG, off);

    wr(f, R_SYSCFG, off, (old & ~(0xfu << (4 * (line % 4)))) |
                         (port << (4 * (line % 4))));
}

/* PC13 as the board's button: input with its pull-up, EXTI13 from PC. */
static void button(struct fixture *f)
{
    set2(f, R_GPIOC, A_PUPDR, 13, PULL_UP);
    set2(f, R_GPIOC, A_MODER, 13, MODE_INPUT);
    route(f, 13, 2);
}

#define BIT13 (1u << 13)

static void test_reset_values(void **state)
{
    struct fixture *f = *state;

    /* SYSCFG, RM0351 9.2. */
    assert_int_equal(rd(f, R_SYSCFG, A_MEMRMP), 0);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR1), 0x7c000001);
    for (uint32_t off = A_EXTICR1; off <= A_SKR; off += 4) {
        assert_int_equal(rd(f, R_SYSCFG, off), 0);
    }
    /* EXTI, RM0351 14.5: the direct lines unmasked. */
    assert_int_equal(rd(f, R_EXTI, A_IMR1), 0xff820000);
    assert_int_equal(rd(f, R_EXTI, A_IMR2), 0x00000087);
    for (uint32_t off = A_EMR1; off <= A_PR1; off += 4) {
        assert_int_equal(rd(f, R_EXTI, off), 0);
    }
    for (uint32_t off = A_EMR2; off <= A_PR2; off += 4) {
        assert_int_equal(rd(f, R_EXTI, off), 0);
    }
    assert_int_equal(irqs(f), 0);
    /* Reserved bits: EXTIx are 3 bits; no triggers on the direct lines. */
    wr(f, R_SYSCFG, A_EXTICR2, 0xffffffff);
    assert_int_equal(rd(f, R_SYSCFG, A_EXTICR2), 0x7777);
    wr(f, R_EXTI, A_RTSR1, 0xffffffff);
    assert_int_equal(rd(f, R_EXTI, A_RTSR1), 0x007dffff);
    wr(f, R_EXTI, A_FTSR2, 0xffffffff);
    assert_int_equal(rd(f, R_EXTI, A_FTSR2), 0x78);
    wr(f, R_EXTI, A_IMR2, 0xffffffff);
    assert_int_equal(rd(f, R_EXTI, A_IMR2), 0xff);
    wr(f, R_EXTI, A_EMR1, 0xffffffff);
    assert_int_equal(rd(f, R_EXTI, A_EMR1), 0xffffffff);
    wr(f, R_SYSCFG, A_SWPR, 0x80000001);
    assert_int_equal(rd(f, R_SYSCFG, A_SWPR), 0x80000001);
    /* The device reset puts them back. */
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(rd(f, R_SYSCFG, A_EXTICR2), 0);
    assert_int_equal(rd(f, R_EXTI, A_RTSR1), 0);
    assert_int_equal(rd(f, R_EXTI, A_IMR2), 0x87);
    assert_int_equal(rd(f, R_SYSCFG, A_SWPR), 0);
}

static void test_rising_falling_both(void **state)
{
    struct fixture *f = *state;

    button(f);
    wr(f, R_EXTI, A_IMR1, rd(f, R_EXTI, A_IMR1) | BIT13);

    /* Rising only: pressing (1 -> 0) pends nothing, releasing does. */
    wr(f, R_EXTI, A_RTSR1, BIT13);
    set_pin(f, "gpioc.13", "0");
    assert_int_equal(rd(f, R_GPIOC, A_IDR) & BIT13, 0);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_false(irq(f, IRQ_EXTI15_10));
    set_pin(f, "gpioc.13", "null");
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    assert_int_equal(irqs(f), 1u << IRQ_EXTI15_10);
    /* Write 1 to clear: the line drops. */
    wr(f, R_EXTI, A_PR1, BIT13);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_int_equal(irqs(f), 0);

    /* Falling only. */
    wr(f, R_EXTI, A_RTSR1, 0);
    wr(f, R_EXTI, A_FTSR1, BIT13);
    set_pin(f, "gpioc.13", "1");        /* already 1 (pull-up): no edge */
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    set_pin(f, "gpioc.13", "0");
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    assert_true(irq(f, IRQ_EXTI15_10));
    wr(f, R_EXTI, A_PR1, BIT13);
    set_pin(f, "gpioc.13", "1");
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_false(irq(f, IRQ_EXTI15_10));

    /* Both: every edge, and a pending one stays pending until cleared. */
    wr(f, R_EXTI, A_RTSR1, BIT13);
    set_pin(f, "gpioc.13", "0");
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    wr(f, R_EXTI, A_PR1, BIT13);
    assert_false(irq(f, IRQ_EXTI15_10));
    set_pin(f, "gpioc.13", "1");
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    set_pin(f, "gpioc.13", "0");
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    assert_true(irq(f, IRQ_EXTI15_10));
    wr(f, R_EXTI, A_PR1, BIT13);
    assert_false(irq(f, IRQ_EXTI15_10));
}

static void test_masked_line(void **state)
{
    struct fixture *f = *state;

    button(f);
    wr(f, R_EXTI, A_RTSR1, BIT13);
    wr(f, R_EXTI, A_FTSR1, BIT13);
    /* Masked (IMR1 reset value): the edge sets no pending bit. */
    set_pin(f, "gpioc.13", "0");
    set_pin(f, "gpioc.13", "1");
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_int_equal(irqs(f), 0);
    /* Nor does unmasking afterwards: nothing was remembered. */
    wr(f, R_EXTI, A_IMR1, rd(f, R_EXTI, A_IMR1) | BIT13);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_int_equal(irqs(f), 0);
    /* A pending line masked again: PIF13 stays, the NVIC line drops. */
    set_pin(f, "gpioc.13", "0");
    assert_true(irq(f, IRQ_EXTI15_10));
    wr(f, R_EXTI, A_IMR1, rd(f, R_EXTI, A_IMR1) & ~BIT13);
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    assert_false(irq(f, IRQ_EXTI15_10));
    wr(f, R_EXTI, A_IMR1, rd(f, R_EXTI, A_IMR1) | BIT13);
    assert_true(irq(f, IRQ_EXTI15_10));
    /* Another line's triggers (line 12 from PC12) do not matter. */
    wr(f, R_EXTI, A_PR1, BIT13);
    route(f, 12, 2);
    set2(f, R_GPIOC, A_MODER, 12, MODE_INPUT);
    set_pin(f, "gpioc.12", "1");
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_int_equal(irqs(f), 0);
}

static void test_swier(void **state)
{
    struct fixture *f = *state;

    /* Masked: SWI13 is set and reads back, nothing pends. */
    wr(f, R_EXTI, A_SWIER1, BIT13);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), BIT13);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_int_equal(irqs(f), 0);
    /* Writing 1 to PIF13 clears SWI13 even with PIF13 clear. */
    wr(f, R_EXTI, A_PR1, BIT13);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), 0);

    /* Unmasked: 0 -> 1 pends the line, without any trigger selected. */
    wr(f, R_EXTI, A_IMR1, rd(f, R_EXTI, A_IMR1) | BIT13 | 1u);
    wr(f, R_EXTI, A_SWIER1, BIT13);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), BIT13);
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13);
    assert_int_equal(irqs(f), 1u << IRQ_EXTI15_10);
    /* A 0 written leaves SWI13; other lines' bits set their own. */
    wr(f, R_EXTI, A_SWIER1, 1u);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), BIT13 | 1u);
    assert_int_equal(rd(f, R_EXTI, A_PR1), BIT13 | 1u);
    assert_int_equal(irqs(f), (1u << IRQ_EXTI15_10) | (1u << IRQ_EXTI0));
    /* Clearing PIF13 clears SWI13 and only it. */
    wr(f, R_EXTI, A_PR1, BIT13);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), 1u);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 1u);
    assert_int_equal(irqs(f), 1u << IRQ_EXTI0);
    /* SWI0 still 1: writing 1 again is no 0 -> 1, so nothing new. */
    wr(f, R_EXTI, A_PR1, 1u);
    assert_int_equal(irqs(f), 0);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), 0);
    wr(f, R_EXTI, A_SWIER1, 1u);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 1u);
    wr(f, R_EXTI, A_SWIER1, 1u);
    wr(f, R_EXTI, A_PR1, 1u);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    /* The direct lines have no SWI bit. */
    wr(f, R_EXTI, A_SWIER1, 1u << 17);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), 0);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
}

static void test_pr_write_one_to_clear(void **state)
{
    struct fixture *f = *state;

    wr(f, R_EXTI, A_IMR1, 0xffffffff);
    wr(f, R_EXTI, A_SWIER1, 0x3);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0x3);
    /* Zeros keep; a byte lane of its own. */
    wr(f, R_EXTI, A_PR1, 0);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0x3);
    harness_wr(f->h.c, R_EXTI, A_PR1 + 1, 0xff, 1);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0x3);
    harness_wr(f->h.c, R_EXTI, A_PR1, 0x2, 1);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0x1);
    assert_int_equal(rd(f, R_EXTI, A_SWIER1), 0x1);
    assert_int_equal(irqs(f), 1u << IRQ_EXTI0);
    wr(f, R_EXTI, A_PR1, 0xffffffff);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    assert_int_equal(irqs(f), 0);
}

static void test_nvic_lines(void **state)
{
    struct fixture *f = *state;
    static const struct {
        unsigned line, index;
    } map[] = {
        { 0, IRQ_EXTI0 }, { 1, IRQ_EXTI1 }, { 2, IRQ_EXTI2 },
        { 3, IRQ_EXTI3 }, { 4, IRQ_EXTI4 }, { 5, IRQ_EXTI9_5 },
        { 9, IRQ_EXTI9_5 }, { 10, IRQ_EXTI15_10 }, { 15, IRQ_EXTI15_10 },
        { 16, IRQ_PVD_PVM }, { 18, IRQ_RTC_ALARM }, { 19, IRQ_TAMP_STAMP },
        { 20, IRQ_RTC_WKUP }, { 21, IRQ_COMP }, { 22, IRQ_COMP },
        { 35, IRQ_PVD_PVM }, { 38, IRQ_PVD_PVM },
    };

    wr(f, R_EXTI, A_IMR1, 0xffffffff);
    wr(f, R_EXTI, A_IMR2, 0xff);
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        unsigned b = map[i].line / 32;
        uint32_t bit = 1u << (map[i].line % 32);

        wr(f, R_EXTI, b ? A_SWIER2 : A_SWIER1, bit);
        assert_int_equal(rd(f, R_EXTI, b ? A_PR2 : A_PR1), bit);
        if (irqs(f) != 1u << map[i].index) {
            fail_msg("line %u: IRQ levels 0x%x, want index %u",
                     map[i].line, irqs(f), map[i].index);
        }
        wr(f, R_EXTI, b ? A_PR2 : A_PR1, bit);
        assert_int_equal(irqs(f), 0);
    }
    /* The IRQ table as the control region has it. */
    {
        static const uint32_t nvic[] = { 6, 7, 8, 9, 10, 23, 40, 1, 2, 3,
                                         41, 64 };
        struct vup_cr_view view;
        void *cr = read_cr(f, &view);

        assert_int_equal(view.num_irq, 12);
        for (size_t i = 0; i < 12; i++) {
            assert_int_equal(view.irq[i]->irq_index, i);
            assert_int_equal(view.irq[i]->line, nvic[i]);
            assert_int_equal(view.irq[i]->flags, VUP_CR_IRQ_LEVEL);
        }
        free(cr);
    }
}

static void test_exticr_reroutes(void **state)
{
    struct fixture *f = *state;
    const uint32_t bit5 = 1u << 5;

    /* PA5 a push-pull output at 1, PC5 an input at 0. */
    set2(f, R_GPIOA, A_MODER, 5, MODE_OUTPUT);
    wr(f, R_GPIOA, A_BSRR, bit5);
    set2(f, R_GPIOC, A_MODER, 5, MODE_INPUT);
    wr(f, R_EXTI, A_IMR1, rd(f, R_EXTI, A_IMR1) | bit5);
    wr(f, R_EXTI, A_RTSR1, bit5);
    /* EXTI5 from PA (reset): the output's edges. */
    wr(f, R_GPIOA, A_BSRR, bit5 << 16);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    wr(f, R_GPIOA, A_BSRR, bit5);
    assert_int_equal(rd(f, R_EXTI, A_PR1), bit5);
    assert_int_equal(irqs(f), 1u << IRQ_EXTI9_5);
    wr(f, R_EXTI, A_PR1, bit5);
    /* To PC5 (0): the multiplexer's output falls, no rising edge. */
    route(f, 5, 2);
    assert_int_equal(rd(f, R_SYSCFG, A_EXTICR2), 0x20);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    /* PA5 no longer matters, PC5 does. */
    wr(f, R_GPIOA, A_BSRR, bit5 << 16);
    wr(f, R_GPIOA, A_BSRR, bit5);
    assert_int_equal(rd(f, R_EXTI, A_PR1), 0);
    set_pin(f, "gpioc.5", "1");
    assert_int_equal(rd(f, R_EXTI, A_PR1), bit5);
    wr(f, R_EXTI, A_PR1, bit5);
    set_pin(f, "gpioc.5", "0");
    /* Back to PA5 (1): that is a rising edge of line 5. */
    route(f, 5, 0);
    assert_int_equal(rd(f, R_EXTI, A_PR1), bit5);
    assert_true(irq(f, IRQ_EXTI9_5));
    wr(f, R_EXTI, A_PR1, bit5);
    /* A port with no model here (PB) reads 0: from PA5 at 1, a fall. */
    wr(f, R_EXTI, A_FTSR1, bit5);
    route(f, 5, 1);
    assert_int_equal(rd(f, R_EXTI, A_PR1), bit5);
}

static void test_syscfg_fields(void **state)
{
    struct fixture *f = *state;

    /* FWDIS: cleared by writing 0, set only by reset. */
    wr(f, R_SYSCFG, A_CFGR1, 0x7c000000);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR1), 0x7c000000);
    wr(f, R_SYSCFG, A_CFGR1, 0x7c000001);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR1), 0x7c000000);
    wr(f, R_SYSCFG, A_CFGR1, 0xffffffff);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR1), 0xfc7f0100);
    /* CFGR2: the locks are set-only; SPF is write 1 to clear. */
    wr(f, R_SYSCFG, A_CFGR2, 0x5);
    wr(f, R_SYSCFG, A_CFGR2, 0x2);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR2), 0x7);
    wr(f, R_SYSCFG, A_CFGR2, 0);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR2), 0x7);
    /* SWPR: set-only too; SKR reads 0; MEMRMP is stored. */
    wr(f, R_SYSCFG, A_SWPR, 0x1);
    wr(f, R_SYSCFG, A_SWPR, 0x2);
    assert_int_equal(rd(f, R_SYSCFG, A_SWPR), 0x3);
    wr(f, R_SYSCFG, A_SKR, 0xca);
    assert_int_equal(rd(f, R_SYSCFG, A_SKR), 0);
    wr(f, R_SYSCFG, A_MEMRMP, 0xffffffff);
    assert_int_equal(rd(f, R_SYSCFG, A_MEMRMP), 0x10f);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR1), 0x7c000001);
    assert_int_equal(rd(f, R_SYSCFG, A_CFGR2), 0);
    assert_int_equal(rd(f, R_SYSCFG, A_SWPR), 0);
}

static void test_sram2_erase(void **state)
{
    struct fixture *f = *state;
    const uint32_t rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    int mfd = memfd_create("sram2", MFD_CLOEXEC);
    uint8_t *ram;

    assert_true(mfd >= 0);
    assert_int_equal(ftruncate(mfd, STM32L4_SRAM2_SIZE), 0);
    ram = mmap(NULL, STM32L4_SRAM2_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
               mfd, 0);
    assert_true(ram != MAP_FAILED);
    memset(ram, 0xa5, STM32L4_SRAM2_SIZE);
    assert_int_equal(vup_client_dma_map(f->h.c, STM32L4_SRAM2_BASE,
                                        STM32L4_SRAM2_SIZE, rw, mfd, 0), 0);
    /* Without the key: ignored. */
    wr(f, R_SYSCFG, A_SCSR, 1);
    assert_int_equal(rd(f, R_SYSCFG, A_SCSR), 0);
    assert_int_equal(ram[0], 0xa5);
    /* A wrong second key locks again. */
    wr(f, R_SYSCFG, A_SKR, 0xca);
    wr(f, R_SYSCFG, A_SKR, 0x35);
    wr(f, R_SYSCFG, A_SCSR, 1);
    assert_int_equal(ram[100], 0xa5);
    /* 0xCA, 0x53: SRAM2ER erases all of SRAM2, then reads 0. */
    wr(f, R_SYSCFG, A_SKR, 0xca);
    wr(f, R_SYSCFG, A_SKR, 0x53);
    wr(f, R_SYSCFG, A_SCSR, 1);
    assert_int_equal(rd(f, R_SYSCFG, A_SCSR), 0);
    for (size_t i = 0; i < STM32L4_SRAM2_SIZE; i++) {
        if (ram[i]) {
            fail_msg("SRAM2 byte 0x%zx is 0x%02x after the erase", i, ram[i]);
        }
    }
    /* Still unlocked: a second erase works too. */
    ram[5] = 1;
    wr(f, R_SYSCFG, A_SCSR, 1);
    assert_int_equal(ram[5], 0);
    munmap(ram, STM32L4_SRAM2_SIZE);
    close(mfd);
}

/* ---- GPIOC in one device, SYSCFG and EXTI in another ------------------- */

/*
 * What QEMU does between two backends, by hand: the test reads device A's
 * OUT group "gpioc" from its live part and writes device B's IN group
 * "gpioc" (QEMU's board routes them by name).
 */
struct split {
    struct harness a, b;                /* a: gpioc; b: syscfg, exti */
    struct stm32l4_gpio *gpioc;
    struct stm32l4_syscfg *syscfg;
    struct stm32l4_exti *exti;
    char ctl_path[112];
    struct harness_ctl *ctl;
    void *cra, *crb;
    struct vup_cr_view va, vb;
};

enum { S_GPIOC = 1 };                   /* device a's region */
enum { S_SYSCFG = 1, S_EXTI = 2 };      /* device b's regions */

static const struct vup_cr_signal *signal_named(const struct vup_cr_view *v,
                                                const char *name)
{
    for (size_t i = 0; i < v->num_signal; i++) {
        if (strcmp(v->signal[i]->name, name) == 0) {
            return v->signal[i];
        }
    }
    return NULL;
}

static int split_setup(void **state)
{
    struct split *sp = calloc(1, sizeof(*sp));
    const struct stm32l4_opts opts = { 0 };

    harness_init(&sp->a, "exti-a", "stm32l4");
    harness_init(&sp->b, "exti-b", "stm32l4");
    sp->gpioc = stm32l4_gpio_create(sp->a.dev, &infos[1], &opts);
    sp->syscfg = stm32l4_syscfg_create(sp->b.dev, &infos[2], &opts);
    sp->exti = stm32l4_exti_create(sp->b.dev, &infos[3], &opts);
    assert_non_null(sp->gpioc);
    assert_non_null(sp->syscfg);
    assert_non_null(sp->exti);
    snprintf(sp->ctl_path, sizeof(sp->ctl_path), "%s/ctl.sock", sp->a.dir);
    assert_int_equal(vup_dev_ctl_listen(sp->a.dev, sp->ctl_path), 0);
    harness_serve(&sp->a, NULL, NULL);
    harness_serve(&sp->b, NULL, NULL);
    sp->ctl = harness_ctl_open(sp->ctl_path);
    sp->cra = client_cr(sp->a.c, &sp->va);
    sp->crb = client_cr(sp->b.c, &sp->vb);
    *state = sp;
    return 0;
}

static int split_teardown(void **state)
{
    struct split *sp = *state;

    harness_ctl_close(sp->ctl);
    harness_stop(&sp->a);
    harness_stop(&sp->b);
    stm32l4_gpio_free(sp->gpioc);
    stm32l4_syscfg_free(sp->syscfg);
    stm32l4_exti_free(sp->exti);
    free(sp->cra);
    free(sp->crb);
    free(sp);
    return 0;
}

/* The @width lines at @first of the live bitmap at @field of @h. */
static uint32_t live_lines(struct harness *h, size_t field, unsigned first,
                           unsigned width)
{
    uint64_t v = harness_rd(h->c, 0, h->live + field + 4 * (first / 32), 4);

    if (first % 32 + width > 32) {
        v |= (uint64_t)harness_rd(h->c, 0, h->live + field +
                                  4 * (first / 32 + 1), 4) << 32;
    }
    return (uint32_t)(v >> (first % 32)) & (uint32_t)((1ull << width) - 1);
}

/* Device a's "gpioc" levels into device b's "gpioc" input. */
static uint32_t forward(struct split *sp)
{
    const struct vup_cr_signal *out = signal_named(&sp->va, "gpioc");
    const struct vup_cr_signal *in = signal_named(&sp->vb, "gpioc");
    const size_t sig_in = offsetof(struct vup_cr_live, sig_in);
    uint32_t levels, word;
    uint64_t off;

    assert_non_null(out);
    assert_non_null(in);
    levels = live_lines(&sp->a, offsetof(struct vup_cr_live, sig_out),
                        out->first, out->width);
    /* The group's 16 lines inside one word of sig_in (asserted). */
    assert_true(in->first % 32 + in->width <= 32);
    off = sp->b.live + sig_in + 4 * (in->first / 32);
    word = harness_rd(sp->b.c, 0, off, 4);
    word &= ~(0xffffu << (in->first % 32));
    word |= levels << (in->first % 32);
    harness_wr(sp->b.c, 0, off, word, 4);
    return levels;
}

static void test_split_published_groups(void **state)
{
    struct split *sp = *state;
    static const char *const ins[] = {
        "gpioa", "gpiob", "gpioc", "gpiod", "gpioe", "gpiof", "gpiog",
        "gpioh", "pwr.pvd", "rtc.alarm", "rtc.tamp", "rtc.wkup",
        "comp1.out", "comp2.out", "pwr.pvm",
    };
    const struct vup_cr_signal *sig;

    /* a: the port's pins, out. */
    assert_int_equal(sp->va.num_signal, 1);
    sig = signal_named(&sp->va, "gpioc");
    assert_non_null(sig);
    assert_int_equal(sig->flags, VUP_CR_SIGNAL_OUT);
    assert_int_equal(sig->width, 16);
    /* b: the multiplexer's output (connected to EXTI, published too) and
       every input nothing in b drives. */
    sig = signal_named(&sp->vb, STM32L4_SYSCFG_EXTI_SIGNAL);
    assert_non_null(sig);
    assert_int_equal(sig->flags, VUP_CR_SIGNAL_OUT);
    assert_int_equal(sig->width, 16);
    assert_int_equal(sp->vb.num_signal, 1 + sizeof(ins) / sizeof(ins[0]));
    for (size_t i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        sig = signal_named(&sp->vb, ins[i]);
        if (!sig || sig->flags != VUP_CR_SIGNAL_IN) {
            fail_msg("no input signal %s", ins[i]);
        }
        assert_int_equal(sig->width, strcmp(ins[i], "pwr.pvm") == 0 ? 4 :
                                     strncmp(ins[i], "gpio", 4) == 0 ? 16
                                                                     : 1);
    }
}

static void test_split_edge_across_devices(void **state)
{
    struct split *sp = *state;
    const struct vup_cr_signal *mux =
        signal_named(&sp->vb, STM32L4_SYSCFG_EXTI_SIGNAL);
    const size_t sig_out = offsetof(struct vup_cr_live, sig_out);
    const size_t irq_level = offsetof(struct vup_cr_live, irq_level);

    /* a: PC13 an input with its pull-up, on the wire as gpioc line 13. */
    harness_wr(sp->a.c, S_GPIOC, A_PUPDR, 1u << 26, 4);
    harness_wr(sp->a.c, S_GPIOC, A_MODER, 0xf3ffffff, 4);
    assert_int_equal(forward(sp) & BIT13, BIT13);
    /* b: EXTI13 from PC follows, both edges, unmasked. */
    harness_wr(sp->b.c, S_SYSCFG, A_EXTICR4, 0x20, 4);
    assert_int_equal(live_lines(&sp->b, sig_out, mux->first, 16) & BIT13,
                     BIT13);
    harness_wr(sp->b.c, S_EXTI, A_RTSR1, BIT13, 4);
    harness_wr(sp->b.c, S_EXTI, A_FTSR1, BIT13, 4);
    harness_wr(sp->b.c, S_EXTI, A_IMR1, 0xff820000 | BIT13, 4);
    assert_int_equal(harness_rd(sp->b.c, S_EXTI, A_PR1, 4), 0);
    /* The button pressed in a: nothing in b until QEMU forwards it. */
    ctl_set_pin(sp->ctl, "gpioc.13", "0");
    assert_int_equal(harness_rd(sp->b.c, S_EXTI, A_PR1, 4), 0);
    assert_int_equal(forward(sp) & BIT13, 0);
    assert_int_equal(harness_rd(sp->b.c, S_EXTI, A_PR1, 4), BIT13);
    assert_int_equal(harness_rd(sp->b.c, 0, sp->b.live + irq_level, 4),
                     1u << IRQ_EXTI15_10);
    assert_int_equal(live_lines(&sp->b, sig_out, mux->first, 16) & BIT13, 0);
    harness_wr(sp->b.c, S_EXTI, A_PR1, BIT13, 4);
    assert_int_equal(harness_rd(sp->b.c, 0, sp->b.live + irq_level, 4), 0);
}

/* Sets line @line of device b's published IN group @name to @level. */
static void drive_input(struct split *sp, const char *name, unsigned line,
                        bool level)
{
    const struct vup_cr_signal *in = signal_named(&sp->vb, name);
    const size_t sig_in = offsetof(struct vup_cr_live, sig_in);
    unsigned n;
    uint64_t off;
    uint32_t word;

    assert_non_null(in);
    assert_int_equal(in->flags, VUP_CR_SIGNAL_IN);
    n = in->first + line;
    off = sp->b.live + sig_in + 4 * (n / 32);
    word = harness_rd(sp->b.c, 0, off, 4);
    word = level ? word | (1u << (n % 32)) : word & ~(1u << (n % 32));
    harness_wr(sp->b.c, 0, off, word, 4);
}

/* The other configurable lines, from the groups named after their sources. */
static void test_split_other_sources(void **state)
{
    struct split *sp = *state;
    const size_t irq_level = offsetof(struct vup_cr_live, irq_level);
    static const struct {
        const char *name;
        unsigned line, exti, index;
    } src[] = {
        { "pwr.pvd", 0, 16, IRQ_PVD_PVM },
        { "rtc.alarm", 0, 18, IRQ_RTC_ALARM },
        { "rtc.tamp", 0, 19, IRQ_TAMP_STAMP },
        { "rtc.wkup", 0, 20, IRQ_RTC_WKUP },
        { "comp1.out", 0, 21, IRQ_COMP },
        { "comp2.out", 0, 22, IRQ_COMP },
        { "pwr.pvm", 0, 35, IRQ_PVD_PVM },
        { "pwr.pvm", 3, 38, IRQ_PVD_PVM },
    };

    harness_wr(sp->b.c, S_EXTI, A_IMR1, 0xffffffff, 4);
    harness_wr(sp->b.c, S_EXTI, A_IMR2, 0xff, 4);
    harness_wr(sp->b.c, S_EXTI, A_RTSR1, 0x007d0000, 4);
    harness_wr(sp->b.c, S_EXTI, A_FTSR2, 0x78, 4);
    for (size_t i = 0; i < sizeof(src) / sizeof(src[0]); i++) {
        unsigned b = src[i].exti / 32;
        uint32_t bit = 1u << (src[i].exti % 32);
        uint32_t pr = b ? A_PR2 : A_PR1;

        /* Bank 1 rises, bank 2 falls (the triggers set above). */
        drive_input(sp, src[i].name, src[i].line, true);
        assert_int_equal(harness_rd(sp->b.c, S_EXTI, pr, 4), b ? 0 : bit);
        drive_input(sp, src[i].name, src[i].line, false);
        assert_int_equal(harness_rd(sp->b.c, S_EXTI, pr, 4), bit);
        assert_int_equal(harness_rd(sp->b.c, 0, sp->b.live + irq_level, 4),
                         1u << src[i].index);
        harness_wr(sp->b.c, S_EXTI, pr, bit, 4);
        assert_int_equal(harness_rd(sp->b.c, 0, sp->b.live + irq_level, 4),
                         0);
    }
}

/* The "gpioc" group carries the pins' levels, whatever drives them. */
static void test_split_gpio_levels_on_the_wire(void **state)
{
    struct split *sp = *state;
    const struct vup_cr_signal *out = signal_named(&sp->va, "gpioc");
    const size_t sig_out = offsetof(struct vup_cr_live, sig_out);
    const uint32_t bit5 = 1u << 5, bit6 = 1u << 6;
    uint64_t seq;

    assert_non_null(out);
    /* Reset: every pin analog, nothing driven: all 0. */
    assert_int_equal(live_lines(&sp->a, sig_out, out->first, 16), 0);
    /* Push-pull PC5 at 1; open-drain PC6 at 1 lets go (0: no pull). */
    harness_wr(sp->a.c, S_GPIOC, A_MODER, 0xffffd7ff, 4);
    harness_wr(sp->a.c, S_GPIOC, A_OTYPER, bit6, 4);
    harness_wr(sp->a.c, S_GPIOC, A_ODR, bit5 | bit6, 4);
    assert_int_equal(live_lines(&sp->a, sig_out, out->first, 16),
                     bit5);
    /* Its pull-up, then the outside pulling it low. */
    harness_wr(sp->a.c, S_GPIOC, A_PUPDR, 1u << 12, 4);
    assert_int_equal(live_lines(&sp->a, sig_out, out->first, 16),
                     bit5 | bit6);
    ctl_set_pin(sp->ctl, "gpioc.6", "0");
    assert_int_equal(live_lines(&sp->a, sig_out, out->first, 16), bit5);
    /* Analog pins are on the wire as driven (IDR reads 0 for them). */
    ctl_set_pin(sp->ctl, "gpioc.0", "1");
    assert_int_equal(live_lines(&sp->a, sig_out, out->first, 16),
                     bit5 | 1u);
    assert_int_equal(harness_rd(sp->a.c, S_GPIOC, A_IDR, 4), bit5);
    /* BSRR resets PC5: one change, one seq bump; none without a change. */
    seq = harness_rd(sp->a.c, 0, sp->a.live, 4);
    harness_wr(sp->a.c, S_GPIOC, A_BSRR, bit5 << 16, 4);
    assert_int_equal(live_lines(&sp->a, sig_out, out->first, 16), 1u);
    assert_int_equal(harness_rd(sp->a.c, 0, sp->a.live, 4), seq + 1);
    harness_wr(sp->a.c, S_GPIOC, A_BSRR, bit5 << 16, 4);
    assert_int_equal(harness_rd(sp->a.c, 0, sp->a.live, 4), seq + 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_rising_falling_both),
        T(test_masked_line),
        T(test_swier),
        T(test_pr_write_one_to_clear),
        T(test_nvic_lines),
        T(test_exticr_reroutes),
        T(test_syscfg_fields),
        T(test_sram2_erase),
        cmocka_unit_test_setup_teardown(test_split_published_groups,
                                        split_setup, split_teardown),
        cmocka_unit_test_setup_teardown(test_split_edge_across_devices,
                                        split_setup, split_teardown),
        cmocka_unit_test_setup_teardown(test_split_gpio_levels_on_the_wire,
                                        split_setup, split_teardown),
        cmocka_unit_test_setup_teardown(test_split_other_sources,
                                        split_setup, split_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
