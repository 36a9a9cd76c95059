/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 USART (RM0351 chapter 40), one model for every instance.
 *
 * Register layout and reset values follow RM0351 and the STM32L475 SVD; the
 * behaviour follows QEMU's in-process stm32l4x5_usart model so that firmware
 * sees the same thing on both:
 *   - TX is always ready: a TDR write with UE and TE set sends the byte to
 *     the serial stream at once, and TXE and TC are set again before the
 *     write completes.  A TDR write while UE or TE is clear leaves TXE/TC
 *     clear and the byte pending; it is sent when UE and TE become set.
 *   - RX: bytes from the serial stream go to RDR and set RXNE; reading RDR
 *     clears RXNE.  Bytes arriving while RXNE is set are held in a bounded
 *     FIFO and delivered one at a time as RDR is read (QEMU gets the same
 *     effect by flow-controlling its chardev).  ORE is set only when the
 *     FIFO is full and a byte really is lost (unless CR3.OVRDIS).  Bytes
 *     arriving while UE or RE is clear are dropped, as on hardware.
 *   - One level interrupt line, high while any enabled status flag is set
 *     (same conditions as QEMU's model).
 *   - The kernel clock is the input clock "<name>_ker" (from the RCC in
 *     this process or, through QEMU, in another).  The baud rate it gives
 *     with BRR and CR1.OVER8 is logged whenever it changes while UE is set.
 * Not modelled: baud-rate timing, 7/9-bit words (the low 8 bits of TDR are
 * sent), parity/framing/noise errors, IDLE, receiver timeout, LIN, smartcard,
 * IrDA, auto-baud, mute/wake-up, DMA requests, hardware flow control.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stm32l4.h"

/* Register offsets. */
#define USART_CR1   0x00
#define USART_CR2   0x04
#define USART_CR3   0x08
#define USART_BRR   0x0c
#define USART_GTPR  0x10
#define USART_RTOR  0x14
#define USART_RQR   0x18
#define USART_ISR   0x1c
#define USART_ICR   0x20
#define USART_RDR   0x24
#define USART_TDR   0x28

/* CR1 */
#define CR1_UE      (1u << 0)
#define CR1_RE      (1u << 2)
#define CR1_TE      (1u << 3)
#define CR1_IDLEIE  (1u << 4)
#define CR1_RXNEIE  (1u << 5)
#define CR1_TCIE    (1u << 6)
#define CR1_TXEIE   (1u << 7)
#define CR1_PEIE    (1u << 8)
#define CR1_CMIE    (1u << 14)
#define CR1_RTOIE   (1u << 26)
#define CR1_OVER8   (1u << 15)
#define CR1_EOBIE   (1u << 27)
/* CR2 */
#define CR2_LBDIE   (1u << 6)
/* CR3 */
#define CR3_EIE     (1u << 0)
#define CR3_CTSIE   (1u << 10)
#define CR3_OVRDIS  (1u << 12)
#define CR3_WUFIE   (1u << 22)
/* RQR */
#define RQR_RXFRQ   (1u << 3)
#define RQR_TXFRQ   (1u << 4)
/* ISR */
#define ISR_PE      (1u << 0)
#define ISR_FE      (1u << 1)
#define ISR_ORE     (1u << 3)
#define ISR_IDLE    (1u << 4)
#define ISR_RXNE    (1u << 5)
#define ISR_TC      (1u << 6)
#define ISR_TXE     (1u << 7)
#define ISR_LBDF    (1u << 8)
#define ISR_CTSIF   (1u << 9)
#define ISR_RTOF    (1u << 11)
#define ISR_EOBF    (1u << 12)
#define ISR_ABRF    (1u << 15)
#define ISR_CMF     (1u << 17)
#define ISR_WUF     (1u << 20)
#define ISR_TEACK   (1u << 21)
#define ISR_REACK   (1u << 22)

/* Writable bits (RM0351 / SVD field masks). */
#define CR1_WMASK   0x1fffffffu
#define CR2_WMASK   0xffffff70u
#define CR3_WMASK   0x01feffffu
#define ICR_MASK    0x00121b5fu  /* clear flags that exist in ICR */
#define DATA_MASK   0x000001ffu  /* RDR/TDR: 9 bits */

#define ISR_RESET   0x020000c0u  /* TCBGT (bit 25), TC, TXE */

/* Serial input held while RXNE is set: plenty for anything typed or piped. */
#define RX_FIFO_SIZE 4096u

struct stm32l4_usart {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irq;
    struct vup_periph_desc desc;
    vup_periph *p;
    vup_chardev *chr;
    bool irq_level;
    int ker_clk;             /* vup clock index of "<name>_ker" */
    uint64_t baud;           /* last logged, 0: none */
    bool tx_pending;         /* TDR written while UE/TE clear */
    uint32_t rx_head, rx_count;
    uint64_t rx_dropped;     /* receiver disabled */
    uint64_t rx_overrun;     /* FIFO full */
    uint8_t rx_fifo[RX_FIFO_SIZE];
};

static struct stm32l4_usart *usart_of(vup_periph *p)
{
    return vup_periph_opaque(p);
}

/* The one interrupt line: same conditions as QEMU's model / RM0351 40.7. */
static void usart_update_irq(vup_periph *p)
{
    struct stm32l4_usart *u = usart_of(p);
    uint32_t cr1 = vup_reg_get(p, USART_CR1);
    uint32_t cr2 = vup_reg_get(p, USART_CR2);
    uint32_t cr3 = vup_reg_get(p, USART_CR3);
    uint32_t isr = vup_reg_get(p, USART_ISR);
    bool level =
        ((isr & ISR_WUF) && (cr3 & CR3_WUFIE)) ||
        ((isr & ISR_CMF) && (cr1 & CR1_CMIE)) ||
        ((isr & ISR_ABRF) && (cr1 & CR1_RXNEIE)) ||
        ((isr & ISR_EOBF) && (cr1 & CR1_EOBIE)) ||
        ((isr & ISR_RTOF) && (cr1 & CR1_RTOIE)) ||
        ((isr & ISR_CTSIF) && (cr3 & CR3_CTSIE)) ||
        ((isr & ISR_LBDF) && (cr2 & CR2_LBDIE)) ||
        ((isr & ISR_TXE) && (cr1 & CR1_TXEIE)) ||
        ((isr & ISR_TC) && (cr1 & CR1_TCIE)) ||
        ((isr & ISR_RXNE) && (cr1 & CR1_RXNEIE)) ||
        ((isr & ISR_IDLE) && (cr1 & CR1_IDLEIE)) ||
        ((isr & ISR_ORE) && ((cr1 & CR1_RXNEIE) || (cr3 & CR3_EIE))) ||
        ((isr & ISR_FE) && (cr3 & CR3_EIE)) ||
        ((isr & ISR_PE) && (cr1 & CR1_PEIE));

    if (level != u->irq_level) {
        u->irq_level = level;
        vup_irq_set(p, 0, level);
    }
}

static void usart_set_isr(vup_periph *p, uint32_t set, uint32_t clear)
{
    vup_reg_set(p, USART_ISR, (vup_reg_get(p, USART_ISR) & ~clear) | set);
}

static bool usart_rx_enabled(vup_periph *p)
{
    uint32_t cr1 = vup_reg_get(p, USART_CR1);
    return (cr1 & (CR1_UE | CR1_RE)) == (CR1_UE | CR1_RE);
}

static bool usart_tx_enabled(vup_periph *p)
{
    uint32_t cr1 = vup_reg_get(p, USART_CR1);
    return (cr1 & (CR1_UE | CR1_TE)) == (CR1_UE | CR1_TE);
}

/* Standard rates, so the log says "115200" for a BRR that gives 115274. */
static const uint32_t std_bauds[] = {
    1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
    921600, 1000000, 2000000, 4000000,
};

/*
 * RM0351 40.5.4: baud = fCK / USARTDIV (OVER8: 2 * fCK / USARTDIV), with
 * USARTDIV = BRR, or BRR[15:4] and BRR[2:0] << 1 with OVER8.  Logs each
 * change while the USART is enabled; 0 when the rate is undefined.
 */
static void usart_update_baud(vup_periph *p)
{
    struct stm32l4_usart *u = usart_of(p);
    uint32_t cr1 = vup_reg_get(p, USART_CR1);
    uint32_t brr = vup_reg_get(p, USART_BRR);
    uint64_t fck = vup_clock_get_hz(vup_periph_dev(p), (unsigned)u->ker_clk);
    bool over8 = cr1 & CR1_OVER8;
    uint32_t div = over8 ? (brr & 0xfff0u) | ((brr & 0x7u) << 1) : brr;
    uint64_t baud = 0, nominal;
    char exact[32] = "";

    if ((cr1 & CR1_UE) && fck && div >= 16) {
        baud = ((over8 ? 2 : 1) * fck + div / 2) / div;
    }
    if (baud == u->baud) {
        return;
    }
    u->baud = baud;
    if (!baud) {
        return;
    }
    nominal = baud;
    for (size_t i = 0; i < sizeof(std_bauds) / sizeof(std_bauds[0]); i++) {
        /* Within 2.5%: what a UART at the other end still receives. */
        if (baud * 40 >= std_bauds[i] * 39ull &&
            baud * 40 <= std_bauds[i] * 41ull) {
            nominal = std_bauds[i];
        }
    }
    if (nominal != baud) {
        snprintf(exact, sizeof(exact), ", exact %" PRIu64, baud);
    }
    vup_log(VUP_LOG_INFO, "%s: %" PRIu64 " baud (kernel clock %" PRIu64
            " Hz, BRR 0x%x%s%s)", u->info.name, nominal, fck, brr,
            over8 ? ", OVER8" : "", exact);
}

static void usart_clock_changed(void *opaque, unsigned clock, uint64_t hz)
{
    struct stm32l4_usart *u = opaque;

    (void)clock;
    (void)hz;
    usart_update_baud(u->p);
}

/* Moves the next held byte into RDR if RDR is free. */
static void usart_rx_deliver(vup_periph *p)
{
    struct stm32l4_usart *u = usart_of(p);

    if (u->rx_count == 0 || (vup_reg_get(p, USART_ISR) & ISR_RXNE) ||
        !usart_rx_enabled(p)) {
        return;
    }
    vup_reg_set(p, USART_RDR, u->rx_fifo[u->rx_head]);
    u->rx_head = (u->rx_head + 1) % RX_FIFO_SIZE;
    u->rx_count--;
    usart_set_isr(p, ISR_RXNE, 0);
}

/* Sends TDR if the transmitter is enabled; otherwise leaves it pending. */
static void usart_tx(vup_periph *p)
{
    struct stm32l4_usart *u = usart_of(p);

    if (!u->tx_pending || !usart_tx_enabled(p)) {
        return;
    }
    /* 8-bit words only: the low byte of TDR goes out. */
    uint8_t ch = (uint8_t)vup_reg_get(p, USART_TDR);
    if (u->chr) {
        vup_chardev_write(u->chr, &ch, 1);
    }
    u->tx_pending = false;
    usart_set_isr(p, ISR_TXE | ISR_TC, 0);
}

static void usart_rx(void *opaque, const uint8_t *buf, size_t len)
{
    struct stm32l4_usart *u = opaque;
    vup_periph *p = u->p;

    for (size_t i = 0; i < len; i++) {
        if (!usart_rx_enabled(p)) {
            u->rx_dropped++;
            vup_log(VUP_LOG_DEBUG, "%s: receiver disabled, byte 0x%02x dropped",
                    u->info.name, buf[i]);
            continue;
        }
        if (u->rx_count == RX_FIFO_SIZE) {
            u->rx_overrun++;
            if (!(vup_reg_get(p, USART_CR3) & CR3_OVRDIS)) {
                usart_set_isr(p, ISR_ORE, 0);
            }
            if (u->rx_overrun == 1 || (u->rx_overrun & 0x3ff) == 0) {
                vup_log(VUP_LOG_WARN, "%s: input FIFO full (%u bytes): "
                        "%llu bytes lost so far", u->info.name, RX_FIFO_SIZE,
                        (unsigned long long)u->rx_overrun);
            }
            continue;
        }
        u->rx_fifo[(u->rx_head + u->rx_count) % RX_FIFO_SIZE] = buf[i];
        u->rx_count++;
        usart_rx_deliver(p);
    }
    usart_update_irq(p);
}

/* ---- register hooks -------------------------------------------------- */

static void cr1_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)written;
    /* As QEMU: the enable acknowledges follow TE and RE. */
    usart_set_isr(p, (value & CR1_TE) ? ISR_TEACK : 0,
                  (value & CR1_TE) ? 0 : ISR_TEACK);
    usart_set_isr(p, (value & CR1_RE) ? ISR_REACK : 0,
                  (value & CR1_RE) ? 0 : ISR_REACK);
    usart_tx(p);
    usart_rx_deliver(p);
    usart_update_irq(p);
    usart_update_baud(p);
}

static void brr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    usart_update_baud(p);
}

/* CR2/CR3: interrupt enables live there too. */
static void cr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                     uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    usart_update_irq(p);
}

static void rqr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_usart *u = usart_of(p);
    (void)reg; (void)old; (void)value;

    if (written & RQR_RXFRQ) {
        /* Discard the byte in RDR; the next held byte (if any) follows. */
        usart_set_isr(p, 0, ISR_RXNE);
        usart_rx_deliver(p);
    }
    if (written & RQR_TXFRQ) {
        /* Discard a pending TDR: TXE set. */
        u->tx_pending = false;
        usart_set_isr(p, ISR_TXE, 0);
    }
    usart_update_irq(p);
}

static void icr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value;
    usart_set_isr(p, 0, written & ICR_MASK);
    usart_update_irq(p);
}

static uint32_t rdr_read(vup_periph *p, const struct vup_reg *reg,
                         uint32_t value)
{
    (void)reg;
    usart_set_isr(p, 0, ISR_RXNE);
    usart_rx_deliver(p);
    usart_update_irq(p);
    return value & DATA_MASK;
}

static void tdr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_usart *u = usart_of(p);
    (void)reg; (void)old; (void)value; (void)written;

    u->tx_pending = true;
    usart_set_isr(p, 0, ISR_TXE | ISR_TC);
    usart_tx(p);
    usart_update_irq(p);
}

/*
 * The register table.  RQR and ICR are write-only (read as 0, store
 * nothing: the hook acts on what was written); ISR and RDR are read-only.
 */
static const struct vup_reg usart_regs[] = {
    /* name    offset      reset      wmask        w1c  read      write */
    { .name = "CR1", .offset = USART_CR1, .reset = 0, .wmask = CR1_WMASK, .write = cr1_write },
    { .name = "CR2", .offset = USART_CR2, .reset = 0, .wmask = CR2_WMASK, .write = cr_write },
    { .name = "CR3", .offset = USART_CR3, .reset = 0, .wmask = CR3_WMASK, .write = cr_write },
    { .name = "BRR", .offset = USART_BRR, .reset = 0, .wmask = 0x0000ffff, .write = brr_write },
    { .name = "GTPR", .offset = USART_GTPR, .reset = 0, .wmask = 0x0000ffff },
    { .name = "RTOR", .offset = USART_RTOR, .reset = 0, .wmask = 0xffffffff },
    { .name = "RQR", .offset = USART_RQR, .reset = 0, .wmask = 0, .write = rqr_write },
    { .name = "ISR", .offset = USART_ISR, .reset = ISR_RESET, .wmask = 0 },
    { .name = "ICR", .offset = USART_ICR, .reset = 0, .wmask = 0, .write = icr_write },
    { .name = "RDR", .offset = USART_RDR, .reset = 0, .wmask = 0, .read = rdr_read },
    { .name = "TDR", .offset = USART_TDR, .reset = 0, .wmask = DATA_MASK, .write = tdr_write },
};

static void usart_reset(vup_periph *p)
{
    struct stm32l4_usart *u = usart_of(p);

    u->tx_pending = false;
    u->rx_head = u->rx_count = 0;
    u->irq_level = false;
    u->baud = 0;
    vup_irq_set(p, 0, false);
}

struct stm32l4_usart *stm32l4_usart_create(vup_dev *d,
                                           const struct stm32l4_periph_info *info,
                                           const struct stm32l4_opts *opts)
{
    struct stm32l4_usart *u = calloc(1, sizeof(*u));
    char name[VUP_CR_NAME_LEN];

    if (!u) {
        return NULL;
    }
    u->info = *info;
    u->irq = (struct vup_irq_desc){
        .name = info->name,
        .line = info->irq,
        .flags = VUP_CR_IRQ_LEVEL,
    };
    u->desc = (struct vup_periph_desc){
        .name = info->name,
        .base = info->base,
        .size = info->size,
        /* RDR reads have side effects: never direct-mapped. */
        .mmio_flags = opts->mmio_flags,
        .regs = usart_regs,
        .num_regs = sizeof(usart_regs) / sizeof(usart_regs[0]),
        .irqs = &u->irq,
        .num_irqs = 1,
        .reset = usart_reset,
    };
    snprintf(name, sizeof(name), "%s_ker", info->name);
    u->ker_clk = vup_dev_add_clock(d, name, VUP_CR_CLOCK_INPUT, 0);
    if (u->ker_clk < 0 ||
        vup_clock_notify(d, (unsigned)u->ker_clk, usart_clock_changed,
                         u) < 0) {
        free(u);
        return NULL;
    }
    u->p = vup_dev_add_periph(d, &u->desc, u);
    if (!u->p) {
        free(u);
        return NULL;
    }
    return u;
}

int stm32l4_usart_attach(struct stm32l4_usart *u, const char *spec)
{
    vup_chardev *c = vup_chardev_open(vup_periph_dev(u->p), spec, usart_rx, u);

    if (!c) {
        return -1;
    }
    if (u->chr) {
        vup_chardev_close(u->chr);
    }
    u->chr = c;
    return 0;
}

void stm32l4_usart_detach(struct stm32l4_usart *u)
{
    if (!u) {
        return;
    }
    if (u->rx_dropped || u->rx_overrun) {
        vup_log(VUP_LOG_INFO, "%s: %llu input bytes dropped (receiver off), "
                "%llu lost (FIFO full)", u->info.name,
                (unsigned long long)u->rx_dropped,
                (unsigned long long)u->rx_overrun);
    }
    if (u->chr) {
        vup_chardev_close(u->chr);
        u->chr = NULL;
    }
}

void stm32l4_usart_free(struct stm32l4_usart *u)
{
    free(u);
}
