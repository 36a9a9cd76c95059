/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adaptive polling (lib/spin.c): the rule, then the device's socket poll
 * as a client sees it: it stops polling while requests come later than
 * spin-us and polls the whole spin-us again once they come within it;
 * with vup_dev_set_spin_adaptive(d, false) it never changes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "vup.h"
#include "vup/client.h"
#include "../../lib/internal.h"
#include "harness.h"

#define MAX_NS 50000u

static void test_rule_shrinks_past_the_maximum(void **state)
{
    struct vupi_spin s;
    int halvings = 0;

    (void)state;
    vupi_spin_init(&s, MAX_NS / 1000, true);
    assert_int_equal(s.ns, MAX_NS);
    vupi_spin_learn(&s, 1000, false);              /* caught: nothing to learn */
    assert_int_equal(s.ns, MAX_NS);
    while (s.ns && halvings < 10) {
        uint64_t before = s.ns;

        vupi_spin_learn(&s, MAX_NS + 1, false);    /* the peer was not coming */
        assert_true(s.ns == before / 2 || s.ns == 0);
        halvings++;
    }
    assert_int_equal(s.ns, 0);
    assert_int_equal(halvings, 5);          /* 50, 25, 12.5, 6.25, 3.1 us */
    vupi_spin_learn(&s, 10 * MAX_NS, false);
    assert_int_equal(s.ns, 0);
}

static void test_rule_grows_to_the_maximum(void **state)
{
    struct vupi_spin s;

    (void)state;
    vupi_spin_init(&s, MAX_NS / 1000, true);
    for (int i = 0; i < 10; i++) {
        vupi_spin_learn(&s, MAX_NS * 2, false);
    }
    assert_int_equal(s.ns, 0);
    /* A wait a longer poll would have caught: 4 us, then doubling. */
    vupi_spin_learn(&s, 1, false);
    assert_int_equal(s.ns, 4000);
    vupi_spin_learn(&s, 4000, false);              /* caught */
    assert_int_equal(s.ns, 4000);
    vupi_spin_learn(&s, 4001, false);
    assert_int_equal(s.ns, 8000);
    vupi_spin_learn(&s, 20000, false);
    vupi_spin_learn(&s, 20000, false);
    vupi_spin_learn(&s, 40000, false);
    assert_int_equal(s.ns, MAX_NS);         /* never past spin-us */
}

static void test_rule_keeps_a_poll_that_gave_its_cpu_away(void **state)
{
    struct vupi_spin s;

    (void)state;
    vupi_spin_init(&s, MAX_NS / 1000, true);
    /* A host short of CPUs: the poll yielded to others; it cost nothing. */
    vupi_spin_learn(&s, 10 * MAX_NS, true);
    assert_int_equal(s.ns, MAX_NS);
    vupi_spin_learn(&s, 10 * MAX_NS, false);
    assert_int_equal(s.ns, MAX_NS / 2);
}

static void test_rule_fixed_and_zero(void **state)
{
    struct vupi_spin s;

    (void)state;
    vupi_spin_init(&s, MAX_NS / 1000, false);
    vupi_spin_learn(&s, 10 * MAX_NS, false);
    assert_int_equal(s.ns, MAX_NS);
    vupi_spin_init(&s, 0, true);            /* spin-us 0: never polls */
    vupi_spin_learn(&s, 1, false);
    assert_int_equal(s.ns, 0);
}

static const struct vup_field data_fields[] = {
    VUP_FIELD("VALUE", 0, 32, VUP_RW),
};
static const struct vup_reg regs[] = {
    { .name = "DATA", .offset = 0x0, .reset = 0x1234,
      VUP_FIELDS(data_fields) },
};
static const struct vup_periph_desc desc = {
    .name = "p0", .base = 0x40000000, .size = 0x100,
    .regs = regs, .num_regs = 1,
};

static int setup(void **state)
{
    struct harness *h = calloc(1, sizeof(*h));

    harness_init(h, "spin", "spindev");
    assert_non_null(vup_dev_add_periph(h->dev, &desc, NULL));
    *state = h;
    return 0;
}

static uint64_t socket_poll_ns(const struct harness *h)
{
    uint64_t sock, mbox;

    vup_dev_spin_now(h->dev, &sock, &mbox);
    return sock;
}

static void read_after(const struct harness *h, long pause_us)
{
    struct timespec ts = { .tv_nsec = pause_us * 1000 };

    if (pause_us) {
        nanosleep(&ts, NULL);
    }
    assert_int_equal(harness_rd(h->c, 1, 0, 4), 0x1234);
}

static void test_device_poll_follows_the_requests(void **state)
{
    struct harness *h = *state;
    int i;

    harness_serve(h, NULL, NULL);
    /*
     * A guest busy elsewhere: 1 ms between reads, every poll wasted.  A
     * poll that yielded to another thread (a loaded host) does not count,
     * so allow for more reads than the 5 halvings.
     */
    for (i = 0; i < 200 && socket_poll_ns(h); i++) {
        read_after(h, 1000);
    }
    assert_int_equal(socket_poll_ns(h), 0);
    /* A polling guest: back to back; the poll grows back to spin-us. */
    for (i = 0; i < 5000 && socket_poll_ns(h) < MAX_NS; i++) {
        read_after(h, 0);
    }
    assert_int_equal(socket_poll_ns(h), MAX_NS);
}

static void test_device_poll_fixed(void **state)
{
    struct harness *h = *state;

    vup_dev_set_spin_adaptive(h->dev, false);
    harness_serve(h, NULL, NULL);
    for (int i = 0; i < 10; i++) {
        read_after(h, 1000);
    }
    assert_int_equal(socket_poll_ns(h), MAX_NS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_shrinks_past_the_maximum),
        cmocka_unit_test(test_rule_grows_to_the_maximum),
        cmocka_unit_test(test_rule_keeps_a_poll_that_gave_its_cpu_away),
        cmocka_unit_test(test_rule_fixed_and_zero),
        cmocka_unit_test_setup_teardown(test_device_poll_follows_the_requests,
                                        setup, harness_teardown),
        cmocka_unit_test_setup_teardown(test_device_poll_fixed, setup,
                                        harness_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
