/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 DMA controllers DMA1 and DMA2 (RM0351 chapter 11), 7 channels
 * each, moving data through libvup's guest-memory API (vup_dma_read/write).
 *
 * Modelled: ISR (GIF/TCIF/HTIF/TEIF per channel, read-only), IFCR (write 1
 * to clear; CGIFx clears all four flags of channel x), per channel CCR,
 * CNDTR, CPAR, CMAR, and CSELR (stored).  Memory-to-memory transfers
 * (CCR.MEM2MEM=1) start when EN is set with CNDTR > 0: CNDTR items of
 * PSIZE from CPAR to items of MSIZE at CMAR when DIR=0 (the reverse when
 * DIR=1), addresses stepping by the item size with PINC/MINC, a narrower
 * source zero-extended and a wider one truncated to its low bytes (RM0351
 * table 42), addresses aligned down to the item size.  The transfer takes
 * no virtual time: at its end CNDTR is 0 and HTIF, TCIF and GIF are set
 * together; EN stays set, as in normal mode on silicon.  An address that
 * is not guest memory (vup_dma_* refuses it, or QEMU fails the request)
 * is a bus error: TEIF and GIF set, EN cleared, CNDTR left as it was.
 * Each channel drives its own IRQ line, high while (TCIF & TCIE) |
 * (HTIF & HTIE) | (TEIF & TEIE).
 * While EN=1, CCR's configuration bits (all but EN and the interrupt
 * enables), CNDTR, CPAR and CMAR ignore writes (RM0351: they must not be
 * written then; CNDTR is read-only).
 * Not modelled: peripheral-request transfers (MEM2MEM=0: a USART or timer
 * asking for an item needs signal lines between models, not there yet;
 * the channel is programmed and enabled, and waits), circular mode (with
 * MEM2MEM it is not allowed by the manual; it is stored), channel
 * priority (PL stored; transfers are instant, so none competes), the RCC
 * AHB1ENR DMAxEN gate (like the other models, the controller answers
 * whatever RCC says), and transfers to peripheral registers (only memory
 * the board offers for DMA is reachable: anything else is a bus error).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vup/registerfields.h>

#include "stm32l4.h"

#define NUM_CHANNELS   7u
#define MAX_ITEM       4u
#define MAX_ITEMS      0xffffu

REG32(ISR, 0x00)
REG32(IFCR, 0x04)
/* Channel x's registers at 0x08 + 0x14 * (x - 1). */
REG32(CCR, 0x08)
    FIELD(CCR, EN, 0, 1)
    FIELD(CCR, TCIE, 1, 1)
    FIELD(CCR, HTIE, 2, 1)
    FIELD(CCR, TEIE, 3, 1)
    FIELD(CCR, DIR, 4, 1)
    FIELD(CCR, CIRC, 5, 1)
    FIELD(CCR, PINC, 6, 1)
    FIELD(CCR, MINC, 7, 1)
    FIELD(CCR, PSIZE, 8, 2)
    FIELD(CCR, MSIZE, 10, 2)
    FIELD(CCR, PL, 12, 2)
    FIELD(CCR, MEM2MEM, 14, 1)
REG32(CNDTR, 0x0c)
    FIELD(CNDTR, NDT, 0, 16)
REG32(CPAR, 0x10)
REG32(CMAR, 0x14)
REG32(CSELR, 0xa8)
#define CH_STRIDE      0x14u
#define CH_REG(reg, ch) (A_##reg + CH_STRIDE * (ch))

/* ISR/IFCR: 4 bits per channel from bit 4 * (x - 1). */
#define FLAG_GIF       0x1u
#define FLAG_TCIF      0x2u
#define FLAG_HTIF      0x4u
#define FLAG_TEIF      0x8u
#define CCR_IRQ_ENABLES (R_CCR_TCIE_MASK | R_CCR_HTIE_MASK | R_CCR_TEIE_MASK)
/* What may change while EN=1. */
#define CCR_LIVE_BITS  (R_CCR_EN_MASK | CCR_IRQ_ENABLES)

struct stm32l4_dma;

struct dma_channel {
    struct stm32l4_dma *dma;
    unsigned n;                  /* 0-based: channel n + 1 */
    unsigned gen;                /* bumped when a transfer is abandoned */
    unsigned op_gen;             /* the transfer in flight's generation */
    bool busy;                   /* a vup_dma_* request is in flight */
    /* The transfer in flight. */
    uint32_t src, dst, items;
    unsigned ssize, dsize;
    bool sinc, dinc;
    uint8_t *sbuf, *dbuf;        /* MAX_ITEMS * MAX_ITEM bytes each */
};

struct stm32l4_dma {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irqs[NUM_CHANNELS];
    char irq_names[NUM_CHANNELS][VUP_CR_NAME_LEN];
    struct vup_periph_desc desc;
    vup_periph *p;
    struct dma_channel ch[NUM_CHANNELS];
};

/* ---- flags and the IRQ lines --------------------------------------------- */

static unsigned flags_of(struct stm32l4_dma *m, unsigned ch)
{
    return (vup_reg_get(m->p, A_ISR) >> (4 * ch)) & 0xfu;
}

static void update_irq(struct stm32l4_dma *m, unsigned ch)
{
    unsigned f = flags_of(m, ch);
    uint32_t ccr = vup_reg_get(m->p, CH_REG(CCR, ch));
    bool level = ((f & FLAG_TCIF) && (ccr & R_CCR_TCIE_MASK)) ||
                 ((f & FLAG_HTIF) && (ccr & R_CCR_HTIE_MASK)) ||
                 ((f & FLAG_TEIF) && (ccr & R_CCR_TEIE_MASK));

    vup_irq_set(m->p, ch, level);
}

static void set_flags(struct stm32l4_dma *m, unsigned ch, unsigned f)
{
    vup_reg_set(m->p, A_ISR, vup_reg_get(m->p, A_ISR) | (f << (4 * ch)));
    update_irq(m, ch);
}

/* ---- a memory-to-memory transfer ---------------------------------------- */

static unsigned size_of(unsigned field)
{
    return field == 0 ? 1 : field == 1 ? 2 : 4;   /* 3 is reserved: 32 bits */
}

static void transfer_error(struct dma_channel *c)
{
    struct stm32l4_dma *m = c->dma;
    uint32_t ccr = vup_reg_get(m->p, CH_REG(CCR, c->n));

    c->busy = false;
    /* A bus error disables the channel (RM0351 11.4.10). */
    vup_reg_set(m->p, CH_REG(CCR, c->n), ccr & ~R_CCR_EN_MASK);
    set_flags(m, c->n, FLAG_TEIF | FLAG_GIF);
}

static void transfer_complete(struct dma_channel *c)
{
    struct stm32l4_dma *m = c->dma;

    c->busy = false;
    vup_reg_set(m->p, CH_REG(CNDTR, c->n), 0);
    set_flags(m, c->n, FLAG_HTIF | FLAG_TCIF | FLAG_GIF);
}

/* A completion that belongs to a transfer since abandoned is dropped. */
static bool stale(const struct dma_channel *c)
{
    return !c->busy || c->op_gen != c->gen;
}

static void write_done(void *opaque, int status)
{
    struct dma_channel *c = opaque;

    if (stale(c)) {
        return;
    }
    if (status < 0) {
        transfer_error(c);
    } else {
        transfer_complete(c);
    }
}

/* The source items, read, become the destination's (width and step). */
static void write_destination(struct dma_channel *c)
{
    size_t dlen = c->dinc ? (size_t)c->items * c->dsize : c->dsize;
    uint32_t first = c->dinc ? 0 : c->items - 1;  /* fixed: the last wins */
    int ret;

    for (uint32_t i = first; i < c->items; i++) {
        const uint8_t *s = c->sbuf + (c->sinc ? (size_t)i * c->ssize : 0);
        uint8_t *d = c->dbuf + (c->dinc ? (size_t)i * c->dsize : 0);
        uint32_t v = 0;

        memcpy(&v, s, c->ssize);      /* little-endian host and guest */
        memcpy(d, &v, c->dsize);      /* zero-extended or truncated */
    }
    ret = vup_dma_write(c->dma->p, c->dst, c->dbuf, dlen, write_done, c);
    if (ret < 0) {
        transfer_error(c);
    } else if (ret == 0) {
        transfer_complete(c);
    }
}

static void read_done(void *opaque, int status)
{
    struct dma_channel *c = opaque;

    if (stale(c)) {
        return;
    }
    if (status < 0) {
        transfer_error(c);
    } else {
        write_destination(c);
    }
}

static void start_mem2mem(struct dma_channel *c)
{
    struct stm32l4_dma *m = c->dma;
    uint32_t ccr = vup_reg_get(m->p, CH_REG(CCR, c->n));
    uint32_t par = vup_reg_get(m->p, CH_REG(CPAR, c->n));
    uint32_t mar = vup_reg_get(m->p, CH_REG(CMAR, c->n));
    unsigned psize = size_of(FIELD_EX32(ccr, CCR, PSIZE));
    unsigned msize = size_of(FIELD_EX32(ccr, CCR, MSIZE));
    bool pinc = FIELD_EX32(ccr, CCR, PINC), minc = FIELD_EX32(ccr, CCR, MINC);
    size_t slen;
    int ret;

    c->items = FIELD_EX32(vup_reg_get(m->p, CH_REG(CNDTR, c->n)), CNDTR, NDT);
    if (!c->items) {
        return;                       /* enabled with nothing to move */
    }
    if (FIELD_EX32(ccr, CCR, DIR)) {  /* memory to "peripheral" */
        c->src = mar & ~(msize - 1);
        c->dst = par & ~(psize - 1);
        c->ssize = msize, c->dsize = psize, c->sinc = minc, c->dinc = pinc;
    } else {
        c->src = par & ~(psize - 1);
        c->dst = mar & ~(msize - 1);
        c->ssize = psize, c->dsize = msize, c->sinc = pinc, c->dinc = minc;
    }
    c->busy = true;
    c->op_gen = c->gen;
    slen = c->sinc ? (size_t)c->items * c->ssize : c->ssize;
    ret = vup_dma_read(m->p, c->src, c->sbuf, slen, read_done, c);
    if (ret < 0) {
        transfer_error(c);
    } else if (ret == 0) {
        write_destination(c);
    }
}

/* ---- registers ------------------------------------------------------------ */

static unsigned channel_of(const struct vup_reg *r)
{
    return (r->offset - A_CCR) / CH_STRIDE;
}

static bool enabled(struct stm32l4_dma *m, unsigned ch)
{
    return vup_reg_get(m->p, CH_REG(CCR, ch)) & R_CCR_EN_MASK;
}

static void ifcr_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                       uint32_t value, uint32_t written)
{
    struct stm32l4_dma *m = vup_periph_opaque(p);
    uint32_t clear = 0;

    (void)r, (void)old, (void)value;
    for (unsigned ch = 0; ch < NUM_CHANNELS; ch++) {
        unsigned w = (written >> (4 * ch)) & 0xfu;

        /* CGIFx clears GIF, TCIF, HTIF and TEIF of the channel. */
        clear |= (w & FLAG_GIF ? 0xfu : w) << (4 * ch);
    }
    vup_reg_set(p, A_IFCR, 0);
    vup_reg_set(p, A_ISR, vup_reg_get(p, A_ISR) & ~clear);
    for (unsigned ch = 0; ch < NUM_CHANNELS; ch++) {
        if (clear & (0xfu << (4 * ch))) {
            update_irq(m, ch);
        }
    }
}

static void ccr_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_dma *m = vup_periph_opaque(p);
    unsigned ch = channel_of(r);
    struct dma_channel *c = &m->ch[ch];

    (void)written;
    if (old & R_CCR_EN_MASK) {
        /* Configuration is frozen while the channel is enabled. */
        value = (old & ~CCR_LIVE_BITS) | (value & CCR_LIVE_BITS);
        vup_reg_set(p, r->offset, value);
    }
    if ((old & R_CCR_EN_MASK) && !(value & R_CCR_EN_MASK)) {
        c->gen++;                     /* a transfer in flight is dropped */
        c->busy = false;
    }
    update_irq(m, ch);
    if (!(old & R_CCR_EN_MASK) && (value & R_CCR_EN_MASK) &&
        (value & R_CCR_MEM2MEM_MASK) && !c->busy) {
        start_mem2mem(c);
    }
}

/* CNDTR, CPAR, CMAR: read-only while the channel is enabled. */
static void frozen_write(vup_periph *p, const struct vup_reg *r, uint32_t old,
                         uint32_t value, uint32_t written)
{
    struct stm32l4_dma *m = vup_periph_opaque(p);
    unsigned ch = (r->offset - A_CCR) / CH_STRIDE;

    (void)value, (void)written;
    if (enabled(m, ch)) {
        vup_reg_set(p, r->offset, old);
    }
}

static const struct vup_field isr_fields[] = {
#define CH_FLAGS(x) \
    VUP_FIELD("GIF" #x, 4 * (x - 1), 1, VUP_RO | VUP_HW), \
    VUP_FIELD("TCIF" #x, 4 * (x - 1) + 1, 1, VUP_RO | VUP_HW), \
    VUP_FIELD("HTIF" #x, 4 * (x - 1) + 2, 1, VUP_RO | VUP_HW), \
    VUP_FIELD("TEIF" #x, 4 * (x - 1) + 3, 1, VUP_RO | VUP_HW)
    CH_FLAGS(1), CH_FLAGS(2), CH_FLAGS(3), CH_FLAGS(4), CH_FLAGS(5),
    CH_FLAGS(6), CH_FLAGS(7),
};
static const struct vup_field ifcr_fields[] = {
#define CH_CLEARS(x) \
    VUP_FIELD("CGIF" #x, 4 * (x - 1), 1, VUP_WO), \
    VUP_FIELD("CTCIF" #x, 4 * (x - 1) + 1, 1, VUP_WO), \
    VUP_FIELD("CHTIF" #x, 4 * (x - 1) + 2, 1, VUP_WO), \
    VUP_FIELD("CTEIF" #x, 4 * (x - 1) + 3, 1, VUP_WO)
    CH_CLEARS(1), CH_CLEARS(2), CH_CLEARS(3), CH_CLEARS(4), CH_CLEARS(5),
    CH_CLEARS(6), CH_CLEARS(7),
};
static const struct vup_field ccr_fields[] = {
    VUP_FIELDS_OF(CCR, VUP_RW, EN, TCIE, HTIE, TEIE, DIR, CIRC, PINC, MINC,
                  PSIZE, MSIZE, PL, MEM2MEM),
};
static const struct vup_field cndtr_fields[] = {
    VUP_FIELD_OF(CNDTR, NDT, VUP_RW | VUP_HW),
};
static const struct vup_field cselr_fields[] = {
    VUP_FIELD("C1S", 0, 4, VUP_RW), VUP_FIELD("C2S", 4, 4, VUP_RW),
    VUP_FIELD("C3S", 8, 4, VUP_RW), VUP_FIELD("C4S", 12, 4, VUP_RW),
    VUP_FIELD("C5S", 16, 4, VUP_RW), VUP_FIELD("C6S", 20, 4, VUP_RW),
    VUP_FIELD("C7S", 24, 4, VUP_RW),
};

#define CHANNEL_REGS(x) \
    { .name = "CCR" #x, .offset = CH_REG(CCR, x - 1), \
      VUP_FIELDS(ccr_fields), .write = ccr_write }, \
    { .name = "CNDTR" #x, .offset = CH_REG(CNDTR, x - 1), \
      VUP_FIELDS(cndtr_fields), .write = frozen_write }, \
    { .name = "CPAR" #x, .offset = CH_REG(CPAR, x - 1), \
      .write = frozen_write }, \
    { .name = "CMAR" #x, .offset = CH_REG(CMAR, x - 1), \
      .write = frozen_write }

/* ISR is changed by transfers: it has a hook so it is never mirrored. */
static uint32_t isr_read(vup_periph *p, const struct vup_reg *r,
                         uint32_t value)
{
    (void)p, (void)r;
    return value;
}

static const struct vup_reg dma_regs[] = {
    { VUP_REG_AT(ISR), VUP_FIELDS(isr_fields), .read = isr_read },
    { VUP_REG_AT(IFCR), VUP_FIELDS(ifcr_fields), .write = ifcr_write },
    CHANNEL_REGS(1), CHANNEL_REGS(2), CHANNEL_REGS(3), CHANNEL_REGS(4),
    CHANNEL_REGS(5), CHANNEL_REGS(6), CHANNEL_REGS(7),
    { VUP_REG_AT(CSELR), VUP_FIELDS(cselr_fields) },
};

static void dma_reset(vup_periph *p)
{
    struct stm32l4_dma *m = vup_periph_opaque(p);

    for (unsigned ch = 0; ch < NUM_CHANNELS; ch++) {
        m->ch[ch].gen++;
        m->ch[ch].busy = false;
    }
}

struct stm32l4_dma *stm32l4_dma_create(vup_dev *d,
                                       const struct stm32l4_periph_info *info,
                                       const struct stm32l4_opts *opts)
{
    struct stm32l4_dma *m = calloc(1, sizeof(*m));
    struct vup_irq_desc unused;

    if (!m) {
        return NULL;
    }
    m->info = *info;
    for (unsigned ch = 0; ch < NUM_CHANNELS; ch++) {
        struct dma_channel *c = &m->ch[ch];

        c->dma = m;
        c->n = ch;
        c->sbuf = malloc(MAX_ITEMS * MAX_ITEM);
        c->dbuf = malloc(MAX_ITEMS * MAX_ITEM);
        if (!c->sbuf || !c->dbuf) {
            stm32l4_dma_free(m);
            return NULL;
        }
        snprintf(m->irq_names[ch], sizeof(m->irq_names[ch]), "%s_ch%u",
                 info->name, ch + 1);
        m->irqs[ch] = (struct vup_irq_desc){
            .name = m->irq_names[ch],
            .line = stm32l4_dma_irq(info, ch),
            .flags = VUP_CR_IRQ_LEVEL,
        };
    }
    stm32l4_periph_desc(&m->desc, &unused, info, opts, dma_regs,
                        sizeof(dma_regs) / sizeof(dma_regs[0]), dma_reset);
    m->desc.irqs = m->irqs;
    m->desc.num_irqs = NUM_CHANNELS;
    m->p = vup_dev_add_periph(d, &m->desc, m);
    if (!m->p) {
        stm32l4_dma_free(m);
        return NULL;
    }
    return m;
}

void stm32l4_dma_free(struct stm32l4_dma *m)
{
    if (!m) {
        return;
    }
    for (unsigned ch = 0; ch < NUM_CHANNELS; ch++) {
        free(m->ch[ch].sbuf);
        free(m->ch[ch].dbuf);
    }
    free(m);
}
