/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-stm32l4's GPIO model (backends/stm32l4/gpio.c) through the protocol
 * (a libvup client playing QEMU) and the control channel (the pins):
 * GPIOA, GPIOB, GPIOC and GPIOH in one device.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

/* The model itself (static functions included). */
#include "../../backends/stm32l4/gpio.c"

#include "vup/client.h"
#include "harness.h"

/* Regions, in the order the ports are added. */
enum { GPIOA = 1, GPIOB = 2, GPIOC = 3, GPIOH = 4 };

static const struct stm32l4_periph_info ports[] = {
    { "gpioa", STM32L4_MODEL_GPIO, 0x48000000, 0x400, STM32L4_NO_IRQ, 0 },
    { "gpiob", STM32L4_MODEL_GPIO, 0x48000400, 0x400, STM32L4_NO_IRQ, 1 },
    { "gpioc", STM32L4_MODEL_GPIO, 0x48000800, 0x400, STM32L4_NO_IRQ, 2 },
    { "gpioh", STM32L4_MODEL_GPIO, 0x48001c00, 0x400, STM32L4_NO_IRQ, 7 },
};

struct fixture {
    struct harness h;
    struct stm32l4_gpio *g[4];
    char ctl_path[112];
    struct harness_ctl *ctl;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    const struct stm32l4_opts opts = { 0 };

    harness_init(&f->h, "gpio", "stm32l4");
    for (size_t i = 0; i < 4; i++) {
        f->g[i] = stm32l4_gpio_create(f->h.dev, &ports[i], &opts);
        assert_non_null(f->g[i]);
    }
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
    for (size_t i = 0; i < 4; i++) {
        stm32l4_gpio_free(f->g[i]);
    }
    free(f);
    return 0;
}

static uint32_t rd(struct fixture *f, uint32_t port, uint32_t off)
{
    return harness_rd(f->h.c, port, off, 4);
}

static void wr(struct fixture *f, uint32_t port, uint32_t off, uint32_t v)
{
    harness_wr(f->h.c, port, off, v, 4);
}

/* set-pin over the control channel; @level "0", "1" or "null". */
static void set_pin(struct fixture *f, const char *pin, const char *level)
{
    char line[128];
    json_object *r;

    snprintf(line, sizeof(line), "{\"cmd\":\"set-pin\",\"pin\":\"%s\","
             "\"level\":%s}", pin, level);
    r = harness_ctl_req(f->ctl, line);
    assert_true(json_object_get_boolean(harness_json(r, "ok")));
    json_object_put(r);
}

/* get-pin: the level; the mode into @mode if not NULL. */
static int get_level(struct fixture *f, const char *pin, char *mode,
                     size_t len)
{
    char line[96];
    json_object *r;
    int level;

    snprintf(line, sizeof(line), "{\"cmd\":\"get-pin\",\"pin\":\"%s\"}", pin);
    r = harness_ctl_req(f->ctl, line);
    level = json_object_get_int(harness_json(r, "level"));
    if (mode) {
        snprintf(mode, len, "%s",
                 json_object_get_string(harness_json(r, "mode")));
    }
    json_object_put(r);
    return level;
}

/* Pin @pin's 2-bit field of a register set to @v. */
static void set2(struct fixture *f, uint32_t port, uint32_t off,
                 unsigned pin, uint32_t v)
{
    uint32_t old = rd(f, port, off);

    wr(f, port, off, (old & ~(3u << (2 * pin))) | (v << (2 * pin)));
}

static void test_reset_values(void **state)
{
    struct fixture *f = *state;
    char mode[64];

    /* RM0351 8.5: the debug pins of A and B are alternate functions. */
    assert_int_equal(rd(f, GPIOA, A_MODER), 0xabffffff);
    assert_int_equal(rd(f, GPIOA, A_OSPEEDR), 0x0c000000);
    assert_int_equal(rd(f, GPIOA, A_PUPDR), 0x64000000);
    assert_int_equal(rd(f, GPIOB, A_MODER), 0xfffffebf);
    assert_int_equal(rd(f, GPIOB, A_OSPEEDR), 0);
    assert_int_equal(rd(f, GPIOB, A_PUPDR), 0x00000100);
    assert_int_equal(rd(f, GPIOC, A_MODER), 0xffffffff);
    assert_int_equal(rd(f, GPIOC, A_PUPDR), 0);
    assert_int_equal(rd(f, GPIOH, A_MODER), 0x0000000f);
    for (uint32_t off = A_OTYPER; off <= A_ASCR; off += 4) {
        if (off != A_MODER && off != A_OSPEEDR && off != A_PUPDR &&
            off != A_IDR) {
            assert_int_equal(rd(f, GPIOA, off), 0);
        }
    }
    /* IDR: PA13/PA15 pulled up, PA14 down; PB4 up; analog pins read 0. */
    assert_int_equal(rd(f, GPIOA, A_IDR), 0xa000);
    assert_int_equal(rd(f, GPIOB, A_IDR), 0x0010);
    assert_int_equal(rd(f, GPIOC, A_IDR), 0);
    assert_int_equal(rd(f, GPIOH, A_IDR), 0);
    assert_int_equal(get_level(f, "gpioa.13", mode, sizeof(mode)), 1);
    assert_string_equal(mode, "alternate function pull-up");
    assert_int_equal(get_level(f, "gpioc.13", mode, sizeof(mode)), 0);
    assert_string_equal(mode, "analog");
    assert_int_equal(get_level(f, "gpioh.5", mode, sizeof(mode)), 0);
    assert_string_equal(mode, "input");
    /* Reserved bits read 0 and are not stored. */
    wr(f, GPIOC, A_ODR, 0xffffffff);
    assert_int_equal(rd(f, GPIOC, A_ODR), 0xffff);
}

static void test_output_odr_bsrr_brr(void **state)
{
    struct fixture *f = *state;
    char mode[64];

    set2(f, GPIOA, A_MODER, 5, MODE_OUTPUT);
    assert_int_equal(get_level(f, "gpioa.5", mode, sizeof(mode)), 0);
    assert_string_equal(mode, "output push-pull");
    wr(f, GPIOA, A_ODR, 1u << 5);
    assert_int_equal(rd(f, GPIOA, A_IDR) & (1u << 5), 1u << 5);
    assert_int_equal(get_level(f, "gpioa.5", NULL, 0), 1);
    /* BR5 resets; BS5 and BR5 together set; both read as 0. */
    wr(f, GPIOA, A_BSRR, 1u << (16 + 5));
    assert_int_equal(rd(f, GPIOA, A_ODR), 0);
    assert_int_equal(get_level(f, "gpioa.5", NULL, 0), 0);
    wr(f, GPIOA, A_BSRR, (1u << (16 + 5)) | (1u << 5) | (1u << 6));
    assert_int_equal(rd(f, GPIOA, A_ODR), 0x60);
    assert_int_equal(rd(f, GPIOA, A_BSRR), 0);
    /* A byte of BSRR: BR0..BR7 alone. */
    harness_wr(f->h.c, GPIOA, A_BSRR + 2, 1u << 6, 1);
    assert_int_equal(rd(f, GPIOA, A_ODR), 0x20);
    wr(f, GPIOA, A_BRR, 0x20);
    assert_int_equal(rd(f, GPIOA, A_ODR), 0);
    assert_int_equal(rd(f, GPIOA, A_BRR), 0);
    /* Outside drive does not move a push-pull output; the reply says so. */
    {
        json_object *r = harness_ctl_req(f->ctl, "{\"cmd\":\"set-pin\","
                                         "\"pin\":\"gpioa.5\",\"level\":1}");

        assert_int_equal(json_object_get_int(harness_json(r, "level")), 0);
        assert_non_null(strstr(json_object_get_string(
            harness_json(r, "note")), "gpioa.5 stays 0: it is output "
            "push-pull"));
        json_object_put(r);
    }
    assert_int_equal(rd(f, GPIOA, A_IDR) & (1u << 5), 0);
}

static void test_input_pulls_and_outside(void **state)
{
    struct fixture *f = *state;
    const uint32_t bit13 = 1u << 13;
    char mode[64];

    set2(f, GPIOC, A_MODER, 13, MODE_INPUT);
    /* Floating: reads 0. */
    assert_int_equal(rd(f, GPIOC, A_IDR) & bit13, 0);
    set2(f, GPIOC, A_PUPDR, 13, PULL_UP);
    assert_int_equal(rd(f, GPIOC, A_IDR) & bit13, bit13);
    assert_int_equal(get_level(f, "gpioc.13", mode, sizeof(mode)), 1);
    assert_string_equal(mode, "input pull-up");
    /* The outside beats the pull. */
    set_pin(f, "gpioc.13", "0");
    assert_int_equal(rd(f, GPIOC, A_IDR) & bit13, 0);
    set2(f, GPIOC, A_PUPDR, 13, PULL_DOWN);
    set_pin(f, "gpioc.13", "1");
    assert_int_equal(rd(f, GPIOC, A_IDR) & bit13, bit13);
    /* Released: the pull again. */
    set_pin(f, "gpioc.13", "null");
    assert_int_equal(rd(f, GPIOC, A_IDR) & bit13, 0);
    /* Analog: IDR reads 0 whatever the pin, and the pulls are off. */
    set_pin(f, "gpioc.13", "1");
    set2(f, GPIOC, A_PUPDR, 13, PULL_UP);
    set2(f, GPIOC, A_MODER, 13, MODE_ANALOG);
    assert_int_equal(rd(f, GPIOC, A_IDR), 0);
    assert_int_equal(get_level(f, "gpioc.13", NULL, 0), 1);
    set_pin(f, "gpioc.13", "null");
    assert_int_equal(get_level(f, "gpioc.13", NULL, 0), 0);
    /* What the outside drives stays over a reset (the board's wiring). */
    set_pin(f, "gpioc.2", "1");
    assert_int_equal(vup_client_reset(f->h.c), 0);
    set2(f, GPIOC, A_MODER, 2, MODE_INPUT);
    assert_int_equal(rd(f, GPIOC, A_IDR), 1u << 2);
}

static void test_open_drain(void **state)
{
    struct fixture *f = *state;
    const uint32_t bit5 = 1u << 5;

    set2(f, GPIOA, A_MODER, 5, MODE_OUTPUT);
    wr(f, GPIOA, A_OTYPER, bit5);
    /* ODR 0 pulls low whatever the outside does. */
    set_pin(f, "gpioa.5", "1");
    assert_int_equal(rd(f, GPIOA, A_IDR) & bit5, 0);
    /* ODR 1 lets go: the outside, else the pull, else 0. */
    wr(f, GPIOA, A_ODR, bit5);
    assert_int_equal(rd(f, GPIOA, A_IDR) & bit5, bit5);
    set_pin(f, "gpioa.5", "0");
    assert_int_equal(rd(f, GPIOA, A_IDR) & bit5, 0);
    set_pin(f, "gpioa.5", "null");
    assert_int_equal(rd(f, GPIOA, A_IDR) & bit5, 0);
    set2(f, GPIOA, A_PUPDR, 5, PULL_UP);
    assert_int_equal(rd(f, GPIOA, A_IDR) & bit5, bit5);
}

/* The LCKR key sequence on PC13, as ST's HAL does it. */
static void lock_pc13(struct fixture *f, bool read)
{
    wr(f, GPIOC, A_LCKR, 0x10000 | (1u << 13));
    wr(f, GPIOC, A_LCKR, 1u << 13);
    wr(f, GPIOC, A_LCKR, 0x10000 | (1u << 13));
    if (read) {
        (void)rd(f, GPIOC, A_LCKR);
    }
}

static void test_lock_sequence(void **state)
{
    struct fixture *f = *state;
    const uint32_t pc13 = 3u << 26;
    json_object *r;

    set2(f, GPIOC, A_MODER, 13, MODE_INPUT);
    lock_pc13(f, false);
    /* Not active before the read; a control-channel peek is no read. */
    r = harness_ctl_req(f->ctl, "{\"cmd\":\"read-reg\",\"peripheral\":"
                        "\"gpioc\",\"register\":\"LCKR\"}");
    assert_int_equal(json_object_get_int(harness_json(r, "value")), 0x2000);
    json_object_put(r);
    assert_int_equal(rd(f, GPIOC, A_LCKR), 0x12000);
    assert_int_equal(rd(f, GPIOC, A_LCKR), 0x12000);
    /* PC13's configuration is frozen; the other pins' and ODR are not. */
    wr(f, GPIOC, A_MODER, 0xffffffff);
    assert_int_equal(rd(f, GPIOC, A_MODER), 0xffffffff & ~pc13);
    wr(f, GPIOC, A_PUPDR, 0x55555555);
    assert_int_equal(rd(f, GPIOC, A_PUPDR), 0x55555555 & ~pc13);
    wr(f, GPIOC, A_OTYPER, 0xffff);
    assert_int_equal(rd(f, GPIOC, A_OTYPER), 0xffff & ~(1u << 13));
    wr(f, GPIOC, A_OSPEEDR, 0xffffffff);
    assert_int_equal(rd(f, GPIOC, A_OSPEEDR), 0xffffffff & ~pc13);
    wr(f, GPIOC, A_AFRH, 0xffffffff);
    assert_int_equal(rd(f, GPIOC, A_AFRH), 0xffffffff & ~(0xfu << 20));
    wr(f, GPIOC, A_AFRL, 0xffffffff);
    assert_int_equal(rd(f, GPIOC, A_AFRL), 0xffffffff);
    wr(f, GPIOC, A_ODR, 0xffff);
    assert_int_equal(rd(f, GPIOC, A_ODR), 0xffff);
    /* LCKR itself stays until reset. */
    wr(f, GPIOC, A_LCKR, 0);
    assert_int_equal(rd(f, GPIOC, A_LCKR), 0x12000);
    assert_int_equal(vup_client_reset(f->h.c), 0);
    assert_int_equal(rd(f, GPIOC, A_LCKR), 0);
    wr(f, GPIOC, A_MODER, 0);
    assert_int_equal(rd(f, GPIOC, A_MODER), 0);
}

static void test_lock_sequence_aborts(void **state)
{
    struct fixture *f = *state;

    /* Another key in the second write. */
    wr(f, GPIOC, A_LCKR, 0x12000);
    wr(f, GPIOC, A_LCKR, 0x02001);
    wr(f, GPIOC, A_LCKR, 0x12000);
    assert_int_equal(rd(f, GPIOC, A_LCKR) & 0x10000, 0);
    /* A write where the read should be. */
    lock_pc13(f, false);
    wr(f, GPIOC, A_LCKR, 0x02000);
    assert_int_equal(rd(f, GPIOC, A_LCKR) & 0x10000, 0);
    /* LCKK=0 first. */
    wr(f, GPIOC, A_LCKR, 0x02000);
    wr(f, GPIOC, A_LCKR, 0x12000);
    wr(f, GPIOC, A_LCKR, 0x02000);
    assert_int_equal(rd(f, GPIOC, A_LCKR) & 0x10000, 0);
    wr(f, GPIOC, A_MODER, 0);
    assert_int_equal(rd(f, GPIOC, A_MODER), 0);
    /* A sequence started again after a stray LCKK=1 still locks. */
    wr(f, GPIOC, A_LCKR, 0x10001);
    lock_pc13(f, true);
    assert_int_equal(rd(f, GPIOC, A_LCKR), 0x12000);
}

static void test_wait_for_an_output(void **state)
{
    struct fixture *f = *state;
    const char *line = "{\"cmd\":\"wait-pin\",\"pin\":\"gpioa.5\",\"level\":1,"
                       "\"id\":1}\n";
    json_object *r;
    bool eof;
    char *early;

    set2(f, GPIOA, A_MODER, 5, MODE_OUTPUT);
    harness_ctl_send(f->ctl, line, strlen(line));
    early = harness_ctl_line(f->ctl, 50, &eof);
    assert_null(early);
    /* The firmware's write is what ends the wait. */
    wr(f, GPIOA, A_BSRR, 1u << 5);
    r = harness_ctl_reply(f->ctl);
    assert_true(json_object_get_boolean(harness_json(r, "ok")));
    assert_string_equal(json_object_get_string(harness_json(r, "mode")),
                        "output push-pull");
    json_object_put(r);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_output_odr_bsrr_brr),
        T(test_input_pulls_and_outside),
        T(test_open_drain),
        T(test_lock_sequence),
        T(test_lock_sequence_aborts),
        T(test_wait_for_an_output),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
