/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Adaptive polling: how long to poll for the next message before sleeping.
 *
 * A poll that catches the message saves a wake-up (tens of microseconds
 * on an idle host CPU); one that does not costs the CPU it ran on.  The
 * rule is KVM's halt polling (and QEMU's AioContext polling): a wait that
 * ended after the poll but within the maximum would have been caught by a
 * longer poll (grow); a wait longer than the maximum means the peer was
 * not about to send (shrink).  But a poll that gave its CPU away (a
 * sched_yield() that let another thread run) cost nothing that a sleeper
 * would not have given up too, and on a host with more busy threads than
 * CPUs it still saves the wake-up: such a poll does not shrink.  So a
 * guest that polls a register keeps the whole poll, a guest that touches
 * the device now and then stops burning a core between its accesses, and
 * stacks that outnumber the cores keep polling with yields.
 */
#include <sched.h>

#include "internal.h"

/* The first poll after polling stopped; it doubles or halves from there. */
#define SPIN_START_NS 4000u

void vupi_spin_init(struct vupi_spin *s, unsigned max_us, bool adaptive)
{
    s->max_ns = (uint64_t)max_us * 1000u;
    s->ns = s->max_ns;
    s->adaptive = adaptive;
}

void vupi_spin_learn(struct vupi_spin *s, uint64_t waited_ns, bool gave_cpu)
{
    if (!s->adaptive || waited_ns <= s->ns) {
        return;                       /* fixed, or the poll caught it */
    }
    if (waited_ns <= s->max_ns) {
        s->ns = s->ns < SPIN_START_NS / 2 ? SPIN_START_NS : s->ns * 2;
        if (s->ns > s->max_ns) {
            s->ns = s->max_ns;
        }
    } else if (s->ns && !gave_cpu) {
        s->ns = s->ns / 2 < SPIN_START_NS / 2 ? 0 : s->ns / 2;
    }
}

bool vupi_spin_yield(void)
{
    uint64_t t = vupi_mono_ns();

    sched_yield();
    return vupi_mono_ns() - t >= VUPI_YIELD_GAVE_NS;
}
