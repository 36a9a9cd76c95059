/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device reset (DEVICE_RESET, vup_dev_reset()) and what a client takes
 * with it when it goes: the order in which every module is put back.
 */
#include "internal.h"

void vupi_reset(vup_dev *d)
{
    for (size_t i = 0; i < d->num_periphs; i++) {
        vupi_regs_reset(d->periphs[i]);
    }
    /* Levels first, so a reset hook may raise a line that is high at reset. */
    vupi_irqs_lower(d);
    /* Models re-arm their timers from their reset hooks if they need to. */
    vupi_timers_reset(d);
    for (size_t i = 0; i < d->num_periphs; i++) {
        if (d->periphs[i]->desc.reset) {
            d->periphs[i]->desc.reset(d->periphs[i]);
        }
    }
    /* Last, so clock notifiers see their models already reset. */
    vupi_clocks_reset(d);
    /* The control channel's waits keep their timeouts. */
    vupi_signals_reset(d);
}

/* The client went away: forget what it owned, then reset. */
void vupi_client_gone(vup_dev *d)
{
    /* Before the time goes: waits counted in it end first. */
    vupi_signals_client_gone(d);
    vupi_irqs_client_gone(d);
    vupi_wires_client_gone(d);
    vupi_live_client_gone(&d->live);
    vupi_time_client_gone(d);
    vupi_clocks_client_gone(d);
    vupi_shm_client_gone(d);
    vupi_reset(d);
}
