/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 timers on guest virtual time (RM0351 chapters 31 and 32):
 * TIM6/TIM7 (basic, 16-bit) and TIM2 (general purpose, 32-bit).
 *
 * The counter is never stepped: while it runs, CNT is computed from the
 * virtual time since the last (re)start, the timer clock (input clock
 * "tim_pclk1") and the active prescaler:
 *     ticks = (now - t0) * f / (1e9 * (PSC + 1)),  CNT = cnt0 + ticks
 * Events (update, CC1 match) are processed in order whenever the model is
 * touched (any register access, a clock change) and at their own instant
 * by a vup_timer, armed only while an enabled interrupt waits for one: so
 * a polled UIF costs no wake-ups, and an interrupt lands at the exact guest
 * instant of its event.
 *
 * Modelled: CR1 CEN/UDIS/URS/OPM/ARPE (and UIFREMAP on basic timers), DIER
 * UIE, SR UIF (rc_w0), EGR UG, CNT (read/write), PSC (preloaded, active at
 * the next update event), ARR (preloaded with ARPE); TIM2 adds CCR1 compare
 * (CC1IF, CC1OF, CC1IE, EGR.CC1G) while counting up.  CR2, SMCR, CCMR1/2,
 * CCER, DCR and the OR registers are storage.
 * Not modelled: down/centre-aligned counting (CR1.DIR/CMS are stored but
 * TIM2 counts up), channels 2-4 matches, input capture, output pins, slave
 * modes and triggers, DMA requests, the master output (TRGO).  A counter
 * above ARR (ARR lowered without preload) runs to its maximum and wraps
 * with an update event.
 */
#include <stdlib.h>

#include <vup/registerfields.h>

#include "stm32l4.h"

/*
 * Registers and fields, RM0351 31.4 (TIM2) and 32.4 (TIM6/7): one layout,
 * the basic timers have a subset (their tables below).
 */
REG32(CR1, 0x00)
    FIELD(CR1, CEN, 0, 1)
    FIELD(CR1, UDIS, 1, 1)
    FIELD(CR1, URS, 2, 1)
    FIELD(CR1, OPM, 3, 1)
    FIELD(CR1, DIR, 4, 1)
    FIELD(CR1, CMS, 5, 2)
    FIELD(CR1, ARPE, 7, 1)
    FIELD(CR1, CKD, 8, 2)
    FIELD(CR1, UIFREMAP, 11, 1)
REG32(CR2, 0x04)
    FIELD(CR2, CCDS, 3, 1)
    FIELD(CR2, MMS, 4, 3)
    FIELD(CR2, TI1S, 7, 1)
REG32(SMCR, 0x08)
    FIELD(SMCR, SMS, 0, 3)
    FIELD(SMCR, TS, 4, 3)
    FIELD(SMCR, MSM, 7, 1)
    FIELD(SMCR, ETF, 8, 4)
    FIELD(SMCR, ETPS, 12, 2)
    FIELD(SMCR, ECE, 14, 1)
    FIELD(SMCR, ETP, 15, 1)
    FIELD(SMCR, SMS3, 16, 1)
REG32(DIER, 0x0c)
    FIELD(DIER, UIE, 0, 1)
    FIELD(DIER, CC1IE, 1, 1)
    FIELD(DIER, CC2IE, 2, 1)
    FIELD(DIER, CC3IE, 3, 1)
    FIELD(DIER, CC4IE, 4, 1)
    FIELD(DIER, TIE, 6, 1)
    FIELD(DIER, UDE, 8, 1)
    FIELD(DIER, CC1DE, 9, 1)
    FIELD(DIER, CC2DE, 10, 1)
    FIELD(DIER, CC3DE, 11, 1)
    FIELD(DIER, CC4DE, 12, 1)
    FIELD(DIER, TDE, 14, 1)
REG32(SR, 0x10)
    FIELD(SR, UIF, 0, 1)
    FIELD(SR, CC1IF, 1, 1)
    FIELD(SR, CC2IF, 2, 1)
    FIELD(SR, CC3IF, 3, 1)
    FIELD(SR, CC4IF, 4, 1)
    FIELD(SR, TIF, 6, 1)
    FIELD(SR, CC1OF, 9, 1)
    FIELD(SR, CC2OF, 10, 1)
    FIELD(SR, CC3OF, 11, 1)
    FIELD(SR, CC4OF, 12, 1)
REG32(EGR, 0x14)
    FIELD(EGR, UG, 0, 1)
    FIELD(EGR, CC1G, 1, 1)
    FIELD(EGR, CC2G, 2, 1)
    FIELD(EGR, CC3G, 3, 1)
    FIELD(EGR, CC4G, 4, 1)
    FIELD(EGR, TG, 6, 1)
/* CCMR1/2 in their output-compare layout (input capture shares the bits). */
REG32(CCMR1, 0x18)
    FIELD(CCMR1, CC1S, 0, 2)
    FIELD(CCMR1, OC1FE, 2, 1)
    FIELD(CCMR1, OC1PE, 3, 1)
    FIELD(CCMR1, OC1M, 4, 3)
    FIELD(CCMR1, OC1CE, 7, 1)
    FIELD(CCMR1, CC2S, 8, 2)
    FIELD(CCMR1, OC2FE, 10, 1)
    FIELD(CCMR1, OC2PE, 11, 1)
    FIELD(CCMR1, OC2M, 12, 3)
    FIELD(CCMR1, OC2CE, 15, 1)
    FIELD(CCMR1, OC1M3, 16, 1)
    FIELD(CCMR1, OC2M3, 24, 1)
REG32(CCMR2, 0x1c)
    FIELD(CCMR2, CC3S, 0, 2)
    FIELD(CCMR2, OC3FE, 2, 1)
    FIELD(CCMR2, OC3PE, 3, 1)
    FIELD(CCMR2, OC3M, 4, 3)
    FIELD(CCMR2, OC3CE, 7, 1)
    FIELD(CCMR2, CC4S, 8, 2)
    FIELD(CCMR2, OC4FE, 10, 1)
    FIELD(CCMR2, OC4PE, 11, 1)
    FIELD(CCMR2, OC4M, 12, 3)
    FIELD(CCMR2, OC4CE, 15, 1)
    FIELD(CCMR2, OC3M3, 16, 1)
    FIELD(CCMR2, OC4M3, 24, 1)
REG32(CCER, 0x20)
    FIELD(CCER, CC1E, 0, 1)
    FIELD(CCER, CC1P, 1, 1)
    FIELD(CCER, CC1NP, 3, 1)
    FIELD(CCER, CC2E, 4, 1)
    FIELD(CCER, CC2P, 5, 1)
    FIELD(CCER, CC2NP, 7, 1)
    FIELD(CCER, CC3E, 8, 1)
    FIELD(CCER, CC3P, 9, 1)
    FIELD(CCER, CC3NP, 11, 1)
    FIELD(CCER, CC4E, 12, 1)
    FIELD(CCER, CC4P, 13, 1)
    FIELD(CCER, CC4NP, 15, 1)
REG32(CNT, 0x24)
    FIELD(CNT, CNT16, 0, 16)         /* basic timers: CNT[15:0] */
    FIELD(CNT, UIFCPY, 31, 1)        /* basic timers, with CR1.UIFREMAP */
    FIELD(CNT, CNT32, 0, 32)         /* TIM2: CNT[31:0] */
REG32(PSC, 0x28)
    FIELD(PSC, PSC, 0, 16)
REG32(ARR, 0x2c)
    FIELD(ARR, ARR16, 0, 16)
    FIELD(ARR, ARR32, 0, 32)
REG32(CCR1, 0x34)
REG32(CCR2, 0x38)
REG32(CCR3, 0x3c)
REG32(CCR4, 0x40)
REG32(DCR, 0x48)
    FIELD(DCR, DBA, 0, 5)
    FIELD(DCR, DBL, 8, 5)
REG32(DMAR, 0x4c)
    FIELD(DMAR, DMAB, 0, 16)
REG32(OR1, 0x50)
    FIELD(OR1, ITR1_RMP, 0, 1)
    FIELD(OR1, ETR1_RMP, 1, 1)
    FIELD(OR1, TI4_RMP, 2, 2)
REG32(OR2, 0x60)
    FIELD(OR2, ETRSEL, 14, 3)

#define NS_PER_S    1000000000u
#define NO_TICK     UINT64_MAX

struct tim_variant {
    const struct vup_reg *regs;
    size_t num_regs;
    uint32_t cnt_max;        /* 0xffff or 0xffffffff */
    uint32_t irq_mask;       /* SR & DIER bits that drive the line */
    bool cc1;                /* has the CCR1 compare */
    bool uifremap;           /* CNT bit 31 can copy UIF (16-bit counters) */
};

struct stm32l4_tim {
    struct stm32l4_periph_info info;
    const struct tim_variant *v;
    struct vup_irq_desc irq;
    struct vup_periph_desc desc;
    vup_periph *p;
    vup_timer *timer;
    int clk;                 /* vup clock index of "tim_pclk1" */
    uint64_t hz;             /* timer clock, 0: stopped */
    bool running;            /* CEN, as of the last sync */
    uint64_t t0;             /* virtual ns where the counter was cnt0 */
    uint32_t cnt0;
    uint64_t done;           /* ticks after t0 whose events are processed */
    uint32_t psc, arr;       /* active (shadow) prescaler and auto-reload */
    bool irq_level;
};

static struct stm32l4_tim *tim_of(vup_periph *p)
{
    return vup_periph_opaque(p);
}

static uint64_t now_ns(const struct stm32l4_tim *t)
{
    return vup_dev_now_ns(vup_periph_dev(t->p));
}

/* Whole ticks of the counter clock in [t0, now]. */
static uint64_t ticks_at(const struct stm32l4_tim *t, uint64_t now)
{
    if (!t->hz || now <= t->t0) {
        return 0;
    }
    return (uint64_t)((unsigned __int128)(now - t->t0) * t->hz /
                      ((unsigned __int128)NS_PER_S * (t->psc + 1u)));
}

/* The first virtual ns at which @n ticks have elapsed since t0. */
static uint64_t tick_time(const struct stm32l4_tim *t, uint64_t n)
{
    unsigned __int128 num = (unsigned __int128)n * NS_PER_S * (t->psc + 1u);
    unsigned __int128 ns = (num + t->hz - 1) / t->hz;

    return ns > UINT64_MAX - 1 - t->t0 ? UINT64_MAX - 1
                                       : t->t0 + (uint64_t)ns;
}

/* Ticks after t0 of the next update: at ARR, or at the counter's maximum. */
static uint64_t update_tick(const struct stm32l4_tim *t)
{
    uint64_t top = t->cnt0 <= t->arr ? t->arr : t->v->cnt_max;

    return top + 1 - (uint64_t)t->cnt0;
}

/* Ticks after t0 of the next CC1 match not yet processed, or NO_TICK. */
static uint64_t compare_tick(const struct stm32l4_tim *t)
{
    uint32_t ccr1;

    if (!t->v->cc1) {
        return NO_TICK;
    }
    ccr1 = vup_reg_get(t->p, A_CCR1);
    if (ccr1 <= t->cnt0 || (uint64_t)ccr1 - t->cnt0 <= t->done ||
        (uint64_t)ccr1 - t->cnt0 >= update_tick(t)) {
        return NO_TICK;
    }
    return (uint64_t)ccr1 - t->cnt0;
}

static void set_sr(vup_periph *p, uint32_t bits)
{
    vup_reg_set(p, A_SR, vup_reg_get(p, A_SR) | bits);
}

/* CC1 matched: CC1IF, or CC1OF if CC1IF was still set. */
static void cc1_match(vup_periph *p)
{
    set_sr(p, FIELD_EX32(vup_reg_get(p, A_SR), SR, CC1IF) ? R_SR_CC1OF_MASK
                                                          : R_SR_CC1IF_MASK);
}

/* Restarts counting at @now from @cnt. */
static void rebase(struct stm32l4_tim *t, uint64_t now, uint32_t cnt)
{
    t->t0 = now;
    t->cnt0 = cnt;
    t->done = 0;
}

/* Update event: preloads become active (RM0351 31.3.2). */
static void load_shadows(struct stm32l4_tim *t)
{
    t->psc = vup_reg_get(t->p, A_PSC);
    t->arr = vup_reg_get(t->p, A_ARR);
}

/* Processes every event due by @now, in order. */
static void tim_sync(struct stm32l4_tim *t, uint64_t now)
{
    vup_periph *p = t->p;

    while (t->running && t->hz) {
        uint64_t n = ticks_at(t, now);
        uint64_t upd = update_tick(t);
        uint64_t cmp = compare_tick(t);
        uint32_t cr1 = vup_reg_get(p, A_CR1);
        uint64_t when;

        if (cmp != NO_TICK && cmp <= n) {
            cc1_match(p);
            t->done = cmp;
            continue;
        }
        if (upd > n) {
            break;
        }
        /* The counter wraps to 0 (counter overflow), even with UDIS. */
        when = tick_time(t, upd);
        if (!(cr1 & R_CR1_UDIS_MASK)) {
            load_shadows(t);
            set_sr(p, R_SR_UIF_MASK);
        }
        rebase(t, when, 0);
        if (t->v->cc1 && vup_reg_get(p, A_CCR1) == 0) {
            cc1_match(p);
        }
        if (cr1 & R_CR1_OPM_MASK) {
            t->running = false;
            vup_reg_set(p, A_CR1, cr1 & ~R_CR1_CEN_MASK);
            break;
        }
        /* Long idle stretches: skip whole periods at once (same flags). */
        n = ticks_at(t, now);
        upd = update_tick(t);
        if (n >= upd && (!t->v->cc1 || vup_reg_get(p, A_CCR1) > t->arr)) {
            rebase(t, tick_time(t, n / upd * upd), 0);
        }
    }
}

static uint32_t tim_cnt(const struct stm32l4_tim *t)
{
    uint64_t c = t->cnt0;

    if (t->running) {
        c += ticks_at(t, now_ns(t));
    }
    return (uint32_t)c & t->v->cnt_max;
}

/* The line and the wake-up for the next event an enabled interrupt needs. */
static void tim_update(struct stm32l4_tim *t)
{
    vup_periph *p = t->p;
    uint32_t dier = vup_reg_get(p, A_DIER);
    uint32_t sr = vup_reg_get(p, A_SR);
    bool level = (sr & dier & t->v->irq_mask) != 0;
    bool wait = t->running && t->hz &&
                (((dier & R_DIER_UIE_MASK) && !(sr & R_SR_UIF_MASK)) ||
                 (t->v->cc1 && (dier & R_DIER_CC1IE_MASK) &&
                  !(sr & R_SR_CC1IF_MASK)));

    if (level != t->irq_level) {
        t->irq_level = level;
        vup_irq_set(p, 0, level);
    }
    if (wait) {
        uint64_t next = update_tick(t);
        uint64_t cmp = compare_tick(t);
        uint32_t due = 0;       /* the flags that wake-up sets */

        if (next <= cmp) {      /* as tim_sync() does at an overflow */
            if (!(vup_reg_get(p, A_CR1) & R_CR1_UDIS_MASK)) {
                due |= R_SR_UIF_MASK;
            }
            if (t->v->cc1 && vup_reg_get(p, A_CCR1) == 0) {
                due |= R_SR_CC1IF_MASK;
            }
        }
        if (t->v->cc1 && cmp <= next) {
            due |= R_SR_CC1IF_MASK;
        }

        vup_timer_arm(t->timer, tick_time(t, cmp < next ? cmp : next));
        /* If enabled, they raise the line: QEMU can do it at the instant. */
        if (!level && (due & dier & t->v->irq_mask)) {
            vup_timer_predict_irq(t->timer, p, 0);
        }
    } else {
        vup_timer_cancel(t->timer);
    }
}

static void tim_fire(vup_timer *timer, void *opaque)
{
    struct stm32l4_tim *t = opaque;

    (void)timer;
    tim_sync(t, now_ns(t));
    tim_update(t);
}

/* The timer clock changed: what elapsed counts at the old rate. */
static void tim_clock_changed(void *opaque, unsigned clock, uint64_t hz)
{
    struct stm32l4_tim *t = opaque;

    (void)clock;
    tim_sync(t, now_ns(t));
    rebase(t, now_ns(t), tim_cnt(t));
    t->hz = hz;
    tim_update(t);
}

/* ---- register hooks -------------------------------------------------- */

/*
 * Before any write that acts on the counter or its flags: process the
 * events up to now, so the write applies after them (SR's write-0-to-clear
 * clears an update that came before it; CR1 changes what comes after).
 */
static void catch_up(vup_periph *p, const struct vup_reg *reg)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)reg;
    tim_sync(t, now_ns(t));
}

/* CR1, SR: their bits as of now (OPM clears CEN, events set flags). */
static uint32_t synced_read(vup_periph *p, const struct vup_reg *reg,
                            uint32_t value)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)value;
    tim_sync(t, now_ns(t));
    tim_update(t);
    return vup_reg_get(p, reg->offset);
}

/* CNT follows virtual time; UIFCPY copies UIF with CR1.UIFREMAP. */
static uint32_t cnt_read(vup_periph *p, const struct vup_reg *reg,
                         uint32_t value)
{
    struct stm32l4_tim *t = tim_of(p);
    uint32_t cnt;

    synced_read(p, reg, value);
    cnt = tim_cnt(t);
    if (t->v->uifremap && FIELD_EX32(vup_reg_get(p, A_CR1), CR1, UIFREMAP) &&
        FIELD_EX32(vup_reg_get(p, A_SR), SR, UIF)) {
        cnt |= R_CNT_UIFCPY_MASK;
    }
    return cnt;
}

/* CEN starts and stops the counter. */
static void cr1_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);
    uint64_t now = now_ns(t);
    bool run = FIELD_EX32(value, CR1, CEN);

    (void)reg; (void)old; (void)written;
    if (run != t->running) {
        rebase(t, now, tim_cnt(t));
        t->running = run;
        /* Also catches a producer declared after us in this device. */
        t->hz = vup_clock_get_hz(vup_periph_dev(p), (unsigned)t->clk);
    }
    tim_update(t);
}

/* SR (rc_w0, declared): the line and the wake-up follow the flags. */
static void sr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                     uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    tim_update(tim_of(p));
}

static void egr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);
    uint32_t cr1 = vup_reg_get(p, A_CR1);

    (void)reg; (void)old; (void)value;
    if (FIELD_EX32(written, EGR, UG)) {
        /* Reinitialises the counter; an update event unless UDIS. */
        rebase(t, now_ns(t), 0);
        if (!FIELD_EX32(cr1, CR1, UDIS)) {
            load_shadows(t);
            if (!FIELD_EX32(cr1, CR1, URS)) {
                set_sr(p, R_SR_UIF_MASK);
            }
        }
    }
    if (t->v->cc1 && FIELD_EX32(written, EGR, CC1G)) {
        cc1_match(p);
    }
    tim_update(t);
}

static void cnt_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)reg; (void)old; (void)written;
    rebase(t, now_ns(t), value & t->v->cnt_max);
    tim_update(t);
}

static void arr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)reg; (void)old; (void)written;
    if (!FIELD_EX32(vup_reg_get(p, A_CR1), CR1, ARPE)) {
        rebase(t, now_ns(t), tim_cnt(t));
        t->arr = value;
    }
    tim_update(t);
}

/* DIER, CCR1, PSC: what the next event or wake-up is may change. */
static void update_write(vup_periph *p, const struct vup_reg *reg,
                         uint32_t old, uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)old; (void)value; (void)written;
    if (reg->offset == A_CCR1) {
        t->done = ticks_at(t, now_ns(t));
    }
    tim_update(t);
}

/*
 * Field semantics, RM0351 31.4 (TIM2) and 32.4 (TIM6/7), checked against
 * the STM32L475 SVD: SR's flags are rc_w0 (write 0 to clear, 1 keeps) and
 * set by hardware, EGR's are write-only (the hook acts), the rest
 * read-write.  RM0351 fields the SVD lacks: CR1.UIFREMAP and CNT.UIFCPY
 * (TIM6/7), SMCR.SMS[3] (TIM2).  CNT's stored value is unused: cnt_read
 * computes it.
 */
static const struct vup_field basic_cr1_fields[] = {
    VUP_FIELDS_OF(CR1, VUP_RW, CEN, UDIS, URS, OPM, ARPE, UIFREMAP),
};
static const struct vup_field basic_cr2_fields[] = {
    VUP_FIELD_OF(CR2, MMS, VUP_RW),
};
static const struct vup_field basic_dier_fields[] = {
    VUP_FIELDS_OF(DIER, VUP_RW, UIE, UDE),
};
static const struct vup_field basic_sr_fields[] = {
    VUP_FIELD_OF(SR, UIF, VUP_W0C | VUP_HW),
};
static const struct vup_field basic_egr_fields[] = {
    VUP_FIELD_OF(EGR, UG, VUP_WO),
};
static const struct vup_field basic_cnt_fields[] = {
    VUP_FIELD("CNT", R_CNT_CNT16_SHIFT, R_CNT_CNT16_LENGTH, VUP_RW),
    VUP_FIELD_OF(CNT, UIFCPY, VUP_RO | VUP_HW),
};
static const struct vup_field psc_fields[] = {
    VUP_FIELD_OF(PSC, PSC, VUP_RW),
};
static const struct vup_field basic_arr_fields[] = {
    VUP_FIELD("ARR", R_ARR_ARR16_SHIFT, R_ARR_ARR16_LENGTH, VUP_RW),
};

static const struct vup_field gp32_cr1_fields[] = {
    VUP_FIELDS_OF(CR1, VUP_RW, CEN, UDIS, URS, OPM, DIR, CMS, ARPE, CKD,
                  UIFREMAP),
};
static const struct vup_field gp32_cr2_fields[] = {
    VUP_FIELDS_OF(CR2, VUP_RW, CCDS, MMS, TI1S),
};
static const struct vup_field gp32_smcr_fields[] = {
    VUP_FIELDS_OF(SMCR, VUP_RW, SMS, TS, MSM, ETF, ETPS, ECE, ETP, SMS3),
};
static const struct vup_field gp32_dier_fields[] = {
    VUP_FIELDS_OF(DIER, VUP_RW, UIE, CC1IE, CC2IE, CC3IE, CC4IE, TIE, UDE,
                  CC1DE, CC2DE, CC3DE, CC4DE, TDE),
};
#define SR_FLAG     (VUP_W0C | VUP_HW)
static const struct vup_field gp32_sr_fields[] = {
    VUP_FIELDS_OF(SR, SR_FLAG, UIF, CC1IF, CC2IF, CC3IF, CC4IF, TIF, CC1OF,
                  CC2OF, CC3OF, CC4OF),
};
static const struct vup_field gp32_egr_fields[] = {
    VUP_FIELDS_OF(EGR, VUP_WO, UG, CC1G, CC2G, CC3G, CC4G, TG),
};
static const struct vup_field gp32_ccmr1_fields[] = {
    VUP_FIELDS_OF(CCMR1, VUP_RW, CC1S, OC1FE, OC1PE, OC1M, OC1CE, CC2S, OC2FE,
                  OC2PE, OC2M, OC2CE, OC1M3, OC2M3),
};
static const struct vup_field gp32_ccmr2_fields[] = {
    VUP_FIELDS_OF(CCMR2, VUP_RW, CC3S, OC3FE, OC3PE, OC3M, OC3CE, CC4S, OC4FE,
                  OC4PE, OC4M, OC4CE, OC3M3, OC4M3),
};
static const struct vup_field gp32_ccer_fields[] = {
    VUP_FIELDS_OF(CCER, VUP_RW, CC1E, CC1P, CC1NP, CC2E, CC2P, CC2NP, CC3E,
                  CC3P, CC3NP, CC4E, CC4P, CC4NP),
};
static const struct vup_field gp32_cnt_fields[] = {
    VUP_FIELD("CNT", R_CNT_CNT32_SHIFT, R_CNT_CNT32_LENGTH, VUP_RW),
};
static const struct vup_field gp32_arr_fields[] = {
    VUP_FIELD("ARR", R_ARR_ARR32_SHIFT, R_ARR_ARR32_LENGTH, VUP_RW),
};
/* CCR1..4: CCRx[31:0]. */
static const struct vup_field gp32_ccr_fields[] = {
    VUP_FIELD("CCR", 0, 32, VUP_RW),
};
static const struct vup_field gp32_dcr_fields[] = {
    VUP_FIELDS_OF(DCR, VUP_RW, DBA, DBL),
};
static const struct vup_field gp32_dmar_fields[] = {
    VUP_FIELD_OF(DMAR, DMAB, VUP_RW),
};
static const struct vup_field gp32_or1_fields[] = {
    VUP_FIELDS_OF(OR1, VUP_RW, ITR1_RMP, ETR1_RMP, TI4_RMP),
};
static const struct vup_field gp32_or2_fields[] = {
    VUP_FIELD_OF(OR2, ETRSEL, VUP_RW),
};

/* Registers whose writes act on the counter catch up with time first. */
static const struct vup_reg basic_regs[] = {
    { VUP_REG_AT(CR1), VUP_FIELDS(basic_cr1_fields), .read = synced_read,
      .write = cr1_write, .pre_write = catch_up },
    { VUP_REG_AT(CR2), VUP_FIELDS(basic_cr2_fields) },
    { VUP_REG_AT(DIER), VUP_FIELDS(basic_dier_fields),
      .write = update_write, .pre_write = catch_up },
    { VUP_REG_AT(SR), VUP_FIELDS(basic_sr_fields), .read = synced_read,
      .write = sr_write, .pre_write = catch_up },
    { VUP_REG_AT(EGR), VUP_FIELDS(basic_egr_fields), .write = egr_write,
      .pre_write = catch_up },
    { VUP_REG_AT(CNT), VUP_FIELDS(basic_cnt_fields), .read = cnt_read,
      .write = cnt_write, .pre_write = catch_up },
    { VUP_REG_AT(PSC), VUP_FIELDS(psc_fields), .write = update_write,
      .pre_write = catch_up },
    { VUP_REG_AT(ARR), .reset = 0x0000ffff, VUP_FIELDS(basic_arr_fields),
      .write = arr_write, .pre_write = catch_up },
};

static const struct vup_reg gp32_regs[] = {
    { VUP_REG_AT(CR1), VUP_FIELDS(gp32_cr1_fields), .read = synced_read,
      .write = cr1_write, .pre_write = catch_up },
    { VUP_REG_AT(CR2), VUP_FIELDS(gp32_cr2_fields) },
    { VUP_REG_AT(SMCR), VUP_FIELDS(gp32_smcr_fields) },
    { VUP_REG_AT(DIER), VUP_FIELDS(gp32_dier_fields),
      .write = update_write, .pre_write = catch_up },
    { VUP_REG_AT(SR), VUP_FIELDS(gp32_sr_fields), .read = synced_read,
      .write = sr_write, .pre_write = catch_up },
    { VUP_REG_AT(EGR), VUP_FIELDS(gp32_egr_fields), .write = egr_write,
      .pre_write = catch_up },
    { VUP_REG_AT(CCMR1), VUP_FIELDS(gp32_ccmr1_fields) },
    { VUP_REG_AT(CCMR2), VUP_FIELDS(gp32_ccmr2_fields) },
    { VUP_REG_AT(CCER), VUP_FIELDS(gp32_ccer_fields) },
    { VUP_REG_AT(CNT), VUP_FIELDS(gp32_cnt_fields), .read = cnt_read,
      .write = cnt_write, .pre_write = catch_up },
    { VUP_REG_AT(PSC), VUP_FIELDS(psc_fields), .write = update_write,
      .pre_write = catch_up },
    { VUP_REG_AT(ARR), .reset = 0xffffffff, VUP_FIELDS(gp32_arr_fields),
      .write = arr_write, .pre_write = catch_up },
    { VUP_REG_AT(CCR1), VUP_FIELDS(gp32_ccr_fields), .write = update_write,
      .pre_write = catch_up },
    { VUP_REG_AT(CCR2), VUP_FIELDS(gp32_ccr_fields) },
    { VUP_REG_AT(CCR3), VUP_FIELDS(gp32_ccr_fields) },
    { VUP_REG_AT(CCR4), VUP_FIELDS(gp32_ccr_fields) },
    { VUP_REG_AT(DCR), VUP_FIELDS(gp32_dcr_fields) },
    { VUP_REG_AT(DMAR), VUP_FIELDS(gp32_dmar_fields) },
    { VUP_REG_AT(OR1), VUP_FIELDS(gp32_or1_fields) },
    { VUP_REG_AT(OR2), VUP_FIELDS(gp32_or2_fields) },
};

static const struct tim_variant tim_variants[] = {
    [STM32L4_TIM_BASIC] = {
        .regs = basic_regs,
        .num_regs = sizeof(basic_regs) / sizeof(basic_regs[0]),
        .cnt_max = 0xffff, .irq_mask = R_SR_UIF_MASK,
        .uifremap = true,
    },
    [STM32L4_TIM_GP32] = {
        .regs = gp32_regs,
        .num_regs = sizeof(gp32_regs) / sizeof(gp32_regs[0]),
        .cnt_max = 0xffffffff,
        .irq_mask = R_SR_UIF_MASK | R_SR_CC1IF_MASK | R_SR_CC2IF_MASK |
                    R_SR_CC3IF_MASK | R_SR_CC4IF_MASK | R_SR_TIF_MASK,
        .cc1 = true,
    },
};

static void tim_reset(vup_periph *p)
{
    struct stm32l4_tim *t = tim_of(p);

    t->running = false;
    t->hz = vup_clock_get_hz(vup_periph_dev(p), (unsigned)t->clk);
    rebase(t, now_ns(t), 0);
    load_shadows(t);
    t->irq_level = false;
    vup_irq_set(p, 0, false);
}

struct stm32l4_tim *stm32l4_tim_create(vup_dev *d,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts)
{
    struct stm32l4_tim *t = calloc(1, sizeof(*t));

    if (!t) {
        return NULL;
    }
    t->info = *info;
    t->v = &tim_variants[info->variant];
    stm32l4_periph_desc(&t->desc, &t->irq, info, opts, t->v->regs,
                        t->v->num_regs, tim_reset);
    t->timer = vup_timer_new(d, tim_fire, t);
    t->clk = vup_dev_add_clock(d, "tim_pclk1", VUP_CR_CLOCK_INPUT, 0);
    if (!t->timer || t->clk < 0 ||
        vup_clock_notify(d, (unsigned)t->clk, tim_clock_changed, t) < 0) {
        free(t);
        return NULL;
    }
    t->p = vup_dev_add_periph(d, &t->desc, t);
    if (!t->p) {
        free(t);
        return NULL;
    }
    t->hz = vup_clock_get_hz(d, (unsigned)t->clk);
    load_shadows(t);
    return t;
}

void stm32l4_tim_free(struct stm32l4_tim *t)
{
    free(t);
}
