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

#include "stm32l4.h"

/* Register offsets (common layout; TIM6/7 have a subset). */
#define TIM_CR1     0x00
#define TIM_CR2     0x04
#define TIM_SMCR    0x08
#define TIM_DIER    0x0c
#define TIM_SR      0x10
#define TIM_EGR     0x14
#define TIM_CCMR1   0x18
#define TIM_CCMR2   0x1c
#define TIM_CCER    0x20
#define TIM_CNT     0x24
#define TIM_PSC     0x28
#define TIM_ARR     0x2c
#define TIM_CCR1    0x34
#define TIM_CCR2    0x38
#define TIM_CCR3    0x3c
#define TIM_CCR4    0x40
#define TIM_DCR     0x48
#define TIM_DMAR    0x4c
#define TIM_OR1     0x50
#define TIM_OR2     0x60

#define CR1_CEN     (1u << 0)
#define CR1_UDIS    (1u << 1)
#define CR1_URS     (1u << 2)
#define CR1_OPM     (1u << 3)
#define CR1_ARPE    (1u << 7)
#define CR1_UIFREMAP (1u << 11)
#define SR_UIF      (1u << 0)
#define SR_CC1IF    (1u << 1)
#define SR_CC1OF    (1u << 9)
#define EGR_UG      (1u << 0)
#define EGR_CC1G    (1u << 1)
#define CNT_UIFCPY  (1u << 31)

#define NS_PER_S    1000000000u
#define NO_TICK     UINT64_MAX

struct tim_variant {
    const struct vup_reg *regs;
    size_t num_regs;
    uint32_t cnt_max;        /* 0xffff or 0xffffffff */
    uint32_t sr_mask;        /* flags that exist in SR */
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
    ccr1 = vup_reg_get(t->p, TIM_CCR1);
    if (ccr1 <= t->cnt0 || (uint64_t)ccr1 - t->cnt0 <= t->done ||
        (uint64_t)ccr1 - t->cnt0 >= update_tick(t)) {
        return NO_TICK;
    }
    return (uint64_t)ccr1 - t->cnt0;
}

static void set_sr(vup_periph *p, uint32_t bits)
{
    vup_reg_set(p, TIM_SR, vup_reg_get(p, TIM_SR) | bits);
}

/* CC1 matched: CC1IF, or CC1OF if CC1IF was still set. */
static void cc1_match(vup_periph *p)
{
    set_sr(p, (vup_reg_get(p, TIM_SR) & SR_CC1IF) ? SR_CC1OF : SR_CC1IF);
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
    t->psc = vup_reg_get(t->p, TIM_PSC);
    t->arr = vup_reg_get(t->p, TIM_ARR);
}

/* Processes every event due by @now, in order. */
static void tim_sync(struct stm32l4_tim *t, uint64_t now)
{
    vup_periph *p = t->p;

    while (t->running && t->hz) {
        uint64_t n = ticks_at(t, now);
        uint64_t upd = update_tick(t);
        uint64_t cmp = compare_tick(t);
        uint32_t cr1 = vup_reg_get(p, TIM_CR1);
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
        if (!(cr1 & CR1_UDIS)) {
            load_shadows(t);
            set_sr(p, SR_UIF);
        }
        rebase(t, when, 0);
        if (t->v->cc1 && vup_reg_get(p, TIM_CCR1) == 0) {
            cc1_match(p);
        }
        if (cr1 & CR1_OPM) {
            t->running = false;
            vup_reg_set(p, TIM_CR1, cr1 & ~CR1_CEN);
            break;
        }
        /* Long idle stretches: skip whole periods at once (same flags). */
        n = ticks_at(t, now);
        upd = update_tick(t);
        if (n >= upd && (!t->v->cc1 || vup_reg_get(p, TIM_CCR1) > t->arr)) {
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
    uint32_t dier = vup_reg_get(p, TIM_DIER);
    uint32_t sr = vup_reg_get(p, TIM_SR);
    bool level = (sr & dier & t->v->irq_mask) != 0;
    bool wait = t->running && t->hz &&
                (((dier & SR_UIF) && !(sr & SR_UIF)) ||
                 (t->v->cc1 && (dier & SR_CC1IF) && !(sr & SR_CC1IF)));

    if (level != t->irq_level) {
        t->irq_level = level;
        vup_irq_set(p, 0, level);
    }
    if (wait) {
        uint64_t next = update_tick(t);
        uint64_t cmp = compare_tick(t);

        vup_timer_arm(t->timer, tick_time(t, cmp < next ? cmp : next));
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

/* CR1, SR, CNT: bring events up to date before the guest looks. */
static uint32_t synced_read(vup_periph *p, const struct vup_reg *reg,
                            uint32_t value)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)value;
    tim_sync(t, now_ns(t));
    tim_update(t);
    return vup_reg_get(p, reg->offset);
}

static uint32_t cnt_read(vup_periph *p, const struct vup_reg *reg,
                         uint32_t value)
{
    struct stm32l4_tim *t = tim_of(p);
    uint32_t cnt;

    synced_read(p, reg, value);
    cnt = tim_cnt(t);
    if (t->v->uifremap && (vup_reg_get(p, TIM_CR1) & CR1_UIFREMAP) &&
        (vup_reg_get(p, TIM_SR) & SR_UIF)) {
        cnt |= CNT_UIFCPY;
    }
    return cnt;
}

static void cr1_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);
    uint64_t now = now_ns(t);
    bool run = value & CR1_CEN;

    (void)old; (void)written;
    tim_sync(t, now);                    /* may clear CEN (OPM)... */
    vup_reg_set(p, reg->offset, value);  /* ...before this write */
    if (run != t->running) {
        rebase(t, now, tim_cnt(t));
        t->running = run;
        /* Also catches a producer declared after us in this device. */
        t->hz = vup_clock_get_hz(vup_periph_dev(p), (unsigned)t->clk);
    }
    tim_update(t);
}

/* SR: rc_w0, the flags set by events up to now first. */
static void sr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                     uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)old; (void)value;
    tim_sync(t, now_ns(t));
    vup_reg_set(p, reg->offset,
                vup_reg_get(p, reg->offset) & (written | ~t->v->sr_mask));
    tim_update(t);
}

static void egr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);
    uint32_t cr1 = vup_reg_get(p, TIM_CR1);

    (void)reg; (void)old; (void)value;
    tim_sync(t, now_ns(t));
    if (written & EGR_UG) {
        /* Reinitialises the counter; an update event unless UDIS. */
        rebase(t, now_ns(t), 0);
        if (!(cr1 & CR1_UDIS)) {
            load_shadows(t);
            if (!(cr1 & CR1_URS)) {
                set_sr(p, SR_UIF);
            }
        }
    }
    if (t->v->cc1 && (written & EGR_CC1G)) {
        cc1_match(p);
    }
    tim_update(t);
}

static void cnt_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)reg; (void)old; (void)written;
    tim_sync(t, now_ns(t));
    rebase(t, now_ns(t), value & t->v->cnt_max);
    tim_update(t);
}

static void arr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_tim *t = tim_of(p);

    (void)reg; (void)old; (void)written;
    tim_sync(t, now_ns(t));
    if (!(vup_reg_get(p, TIM_CR1) & CR1_ARPE)) {
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

    (void)reg; (void)old; (void)value; (void)written;
    tim_sync(t, now_ns(t));
    if (reg->offset == TIM_CCR1) {
        t->done = ticks_at(t, now_ns(t));
    }
    tim_update(t);
}

/*
 * Register tables: RM0351 31.4 (TIM2) and 32.4 (TIM6/7) reset values and
 * field masks.  SR has no wmask: sr_write clears (rc_w0); EGR stores
 * nothing: its hook acts; CNT's stored value is unused (cnt_read).
 */
static const struct vup_reg basic_regs[] = {
    /* name   offset     reset       wmask       w1c read         write */
    { .name = "CR1", .offset = TIM_CR1, .reset = 0, .wmask = 0x0000088f, .read = synced_read, .write = cr1_write },
    { .name = "CR2", .offset = TIM_CR2, .reset = 0, .wmask = 0x00000070 },
    { .name = "DIER", .offset = TIM_DIER, .reset = 0, .wmask = 0x00000101, .write = update_write },
    { .name = "SR", .offset = TIM_SR, .reset = 0, .wmask = 0, .read = synced_read, .write = sr_write },
    { .name = "EGR", .offset = TIM_EGR, .reset = 0, .wmask = 0, .write = egr_write },
    { .name = "CNT", .offset = TIM_CNT, .reset = 0, .wmask = 0x0000ffff, .read = cnt_read, .write = cnt_write },
    { .name = "PSC", .offset = TIM_PSC, .reset = 0, .wmask = 0x0000ffff, .write = update_write },
    { .name = "ARR", .offset = TIM_ARR, .reset = 0x0000ffff, .wmask = 0x0000ffff, .write = arr_write },
};

static const struct vup_reg gp32_regs[] = {
    /* name    offset     reset       wmask       w1c read         write */
    { .name = "CR1", .offset = TIM_CR1, .reset = 0, .wmask = 0x00000bff, .read = synced_read, .write = cr1_write },
    { .name = "CR2", .offset = TIM_CR2, .reset = 0, .wmask = 0x000000f8 },
    { .name = "SMCR", .offset = TIM_SMCR, .reset = 0, .wmask = 0x0001fff7 },
    { .name = "DIER", .offset = TIM_DIER, .reset = 0, .wmask = 0x00005f5f, .write = update_write },
    { .name = "SR", .offset = TIM_SR, .reset = 0, .wmask = 0, .read = synced_read, .write = sr_write },
    { .name = "EGR", .offset = TIM_EGR, .reset = 0, .wmask = 0, .write = egr_write },
    { .name = "CCMR1", .offset = TIM_CCMR1, .reset = 0, .wmask = 0x0101ffff },
    { .name = "CCMR2", .offset = TIM_CCMR2, .reset = 0, .wmask = 0x0101ffff },
    { .name = "CCER", .offset = TIM_CCER, .reset = 0, .wmask = 0x0000bbbb },
    { .name = "CNT", .offset = TIM_CNT, .reset = 0, .wmask = 0xffffffff, .read = cnt_read, .write = cnt_write },
    { .name = "PSC", .offset = TIM_PSC, .reset = 0, .wmask = 0x0000ffff, .write = update_write },
    { .name = "ARR", .offset = TIM_ARR, .reset = 0xffffffff, .wmask = 0xffffffff, .write = arr_write },
    { .name = "CCR1", .offset = TIM_CCR1, .reset = 0, .wmask = 0xffffffff, .write = update_write },
    { .name = "CCR2", .offset = TIM_CCR2, .reset = 0, .wmask = 0xffffffff },
    { .name = "CCR3", .offset = TIM_CCR3, .reset = 0, .wmask = 0xffffffff },
    { .name = "CCR4", .offset = TIM_CCR4, .reset = 0, .wmask = 0xffffffff },
    { .name = "DCR", .offset = TIM_DCR, .reset = 0, .wmask = 0x00001f1f },
    { .name = "DMAR", .offset = TIM_DMAR, .reset = 0, .wmask = 0x0000ffff },
    { .name = "OR1", .offset = TIM_OR1, .reset = 0, .wmask = 0x0000000f },
    { .name = "OR2", .offset = TIM_OR2, .reset = 0, .wmask = 0x0001c000 },
};

static const struct tim_variant tim_variants[] = {
    [STM32L4_TIM_BASIC] = {
        .regs = basic_regs,
        .num_regs = sizeof(basic_regs) / sizeof(basic_regs[0]),
        .cnt_max = 0xffff, .sr_mask = 0x1, .irq_mask = SR_UIF,
        .uifremap = true,
    },
    [STM32L4_TIM_GP32] = {
        .regs = gp32_regs,
        .num_regs = sizeof(gp32_regs) / sizeof(gp32_regs[0]),
        .cnt_max = 0xffffffff, .sr_mask = 0x1e5f, .irq_mask = 0x5f,
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
    t->irq = (struct vup_irq_desc){
        .name = info->name,
        .line = info->irq,
        .flags = VUP_CR_IRQ_LEVEL,
    };
    t->desc = (struct vup_periph_desc){
        .name = info->name,
        .base = info->base,
        .size = info->size,
        /* CNT is computed on read: never direct-mapped. */
        .mmio_flags = opts->mmio_flags,
        .regs = t->v->regs,
        .num_regs = t->v->num_regs,
        .irqs = &t->irq,
        .num_irqs = 1,
        .reset = tim_reset,
    };
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
