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
 *   - The control channel sees the line as "<name>": what the model
 *     transmits (wait-serial), and input injected into the receive path
 *     above as if it came from the serial stream.
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

#include <vup/registerfields.h>

#include "stm32l4.h"

/* Registers and fields, RM0351 40.8 (names as there, e.g. CR1.DEAT[4:0]). */
REG32(CR1, 0x00)
    FIELD(CR1, UE, 0, 1)
    FIELD(CR1, UESM, 1, 1)
    FIELD(CR1, RE, 2, 1)
    FIELD(CR1, TE, 3, 1)
    FIELD(CR1, IDLEIE, 4, 1)
    FIELD(CR1, RXNEIE, 5, 1)
    FIELD(CR1, TCIE, 6, 1)
    FIELD(CR1, TXEIE, 7, 1)
    FIELD(CR1, PEIE, 8, 1)
    FIELD(CR1, PS, 9, 1)
    FIELD(CR1, PCE, 10, 1)
    FIELD(CR1, WAKE, 11, 1)
    FIELD(CR1, M0, 12, 1)
    FIELD(CR1, MME, 13, 1)
    FIELD(CR1, CMIE, 14, 1)
    FIELD(CR1, OVER8, 15, 1)
    FIELD(CR1, DEDT, 16, 5)
    FIELD(CR1, DEAT, 21, 5)
    FIELD(CR1, RTOIE, 26, 1)
    FIELD(CR1, EOBIE, 27, 1)
    FIELD(CR1, M1, 28, 1)
REG32(CR2, 0x04)
    FIELD(CR2, ADDM7, 4, 1)
    FIELD(CR2, LBDL, 5, 1)
    FIELD(CR2, LBDIE, 6, 1)
    FIELD(CR2, LBCL, 8, 1)
    FIELD(CR2, CPHA, 9, 1)
    FIELD(CR2, CPOL, 10, 1)
    FIELD(CR2, CLKEN, 11, 1)
    FIELD(CR2, STOP, 12, 2)
    FIELD(CR2, LINEN, 14, 1)
    FIELD(CR2, SWAP, 15, 1)
    FIELD(CR2, RXINV, 16, 1)
    FIELD(CR2, TXINV, 17, 1)
    FIELD(CR2, DATAINV, 18, 1)
    FIELD(CR2, MSBFIRST, 19, 1)
    FIELD(CR2, ABREN, 20, 1)
    FIELD(CR2, ABRMOD, 21, 2)
    FIELD(CR2, RTOEN, 23, 1)
    FIELD(CR2, ADD, 24, 8)
REG32(CR3, 0x08)
    FIELD(CR3, EIE, 0, 1)
    FIELD(CR3, IREN, 1, 1)
    FIELD(CR3, IRLP, 2, 1)
    FIELD(CR3, HDSEL, 3, 1)
    FIELD(CR3, NACK, 4, 1)
    FIELD(CR3, SCEN, 5, 1)
    FIELD(CR3, DMAR, 6, 1)
    FIELD(CR3, DMAT, 7, 1)
    FIELD(CR3, RTSE, 8, 1)
    FIELD(CR3, CTSE, 9, 1)
    FIELD(CR3, CTSIE, 10, 1)
    FIELD(CR3, ONEBIT, 11, 1)
    FIELD(CR3, OVRDIS, 12, 1)
    FIELD(CR3, DDRE, 13, 1)
    FIELD(CR3, DEM, 14, 1)
    FIELD(CR3, DEP, 15, 1)
    FIELD(CR3, SCARCNT, 17, 3)
    FIELD(CR3, WUS, 20, 2)
    FIELD(CR3, WUFIE, 22, 1)
    FIELD(CR3, UCESM, 23, 1)
    FIELD(CR3, TCBGTIE, 24, 1)
REG32(BRR, 0x0c)
    FIELD(BRR, BRR, 0, 16)
REG32(GTPR, 0x10)
    FIELD(GTPR, PSC, 0, 8)
    FIELD(GTPR, GT, 8, 8)
REG32(RTOR, 0x14)
    FIELD(RTOR, RTO, 0, 24)
    FIELD(RTOR, BLEN, 24, 8)
REG32(RQR, 0x18)
    FIELD(RQR, ABRRQ, 0, 1)
    FIELD(RQR, SBKRQ, 1, 1)
    FIELD(RQR, MMRQ, 2, 1)
    FIELD(RQR, RXFRQ, 3, 1)
    FIELD(RQR, TXFRQ, 4, 1)
REG32(ISR, 0x1c)
    FIELD(ISR, PE, 0, 1)
    FIELD(ISR, FE, 1, 1)
    FIELD(ISR, NF, 2, 1)
    FIELD(ISR, ORE, 3, 1)
    FIELD(ISR, IDLE, 4, 1)
    FIELD(ISR, RXNE, 5, 1)
    FIELD(ISR, TC, 6, 1)
    FIELD(ISR, TXE, 7, 1)
    FIELD(ISR, LBDF, 8, 1)
    FIELD(ISR, CTSIF, 9, 1)
    FIELD(ISR, CTS, 10, 1)
    FIELD(ISR, RTOF, 11, 1)
    FIELD(ISR, EOBF, 12, 1)
    FIELD(ISR, ABRE, 14, 1)
    FIELD(ISR, ABRF, 15, 1)
    FIELD(ISR, BUSY, 16, 1)
    FIELD(ISR, CMF, 17, 1)
    FIELD(ISR, SBKF, 18, 1)
    FIELD(ISR, RWU, 19, 1)
    FIELD(ISR, WUF, 20, 1)
    FIELD(ISR, TEACK, 21, 1)
    FIELD(ISR, REACK, 22, 1)
    FIELD(ISR, TCBGT, 25, 1)
REG32(ICR, 0x20)                 /* clear flags: same bits as in ISR */
    FIELD(ICR, PECF, 0, 1)
    FIELD(ICR, FECF, 1, 1)
    FIELD(ICR, NCF, 2, 1)
    FIELD(ICR, ORECF, 3, 1)
    FIELD(ICR, IDLECF, 4, 1)
    FIELD(ICR, TCCF, 6, 1)
    FIELD(ICR, LBDCF, 8, 1)
    FIELD(ICR, CTSCF, 9, 1)
    FIELD(ICR, RTOCF, 11, 1)
    FIELD(ICR, EOBCF, 12, 1)
    FIELD(ICR, CMCF, 17, 1)
    FIELD(ICR, WUCF, 20, 1)
REG32(RDR, 0x24)
    FIELD(RDR, RDR, 0, 9)
REG32(TDR, 0x28)
    FIELD(TDR, TDR, 0, 9)

#define ISR_RESET   0x020000c0u  /* TCBGT, TC, TXE */

/* Serial input held while RXNE is set: plenty for anything typed or piped. */
#define RX_FIFO_SIZE 4096u

struct stm32l4_usart {
    struct stm32l4_periph_info info;
    struct vup_irq_desc irq;
    struct vup_periph_desc desc;
    vup_periph *p;
    vup_chardev *chr;
    vup_serial *serial;      /* the control channel's view of the line */
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
    uint32_t cr1 = vup_reg_get(p, A_CR1);
    uint32_t cr2 = vup_reg_get(p, A_CR2);
    uint32_t cr3 = vup_reg_get(p, A_CR3);
    uint32_t isr = vup_reg_get(p, A_ISR);
    bool level =
        ((isr & R_ISR_WUF_MASK) && (cr3 & R_CR3_WUFIE_MASK)) ||
        ((isr & R_ISR_CMF_MASK) && (cr1 & R_CR1_CMIE_MASK)) ||
        ((isr & R_ISR_ABRF_MASK) && (cr1 & R_CR1_RXNEIE_MASK)) ||
        ((isr & R_ISR_EOBF_MASK) && (cr1 & R_CR1_EOBIE_MASK)) ||
        ((isr & R_ISR_RTOF_MASK) && (cr1 & R_CR1_RTOIE_MASK)) ||
        ((isr & R_ISR_CTSIF_MASK) && (cr3 & R_CR3_CTSIE_MASK)) ||
        ((isr & R_ISR_LBDF_MASK) && (cr2 & R_CR2_LBDIE_MASK)) ||
        ((isr & R_ISR_TXE_MASK) && (cr1 & R_CR1_TXEIE_MASK)) ||
        ((isr & R_ISR_TC_MASK) && (cr1 & R_CR1_TCIE_MASK)) ||
        ((isr & R_ISR_RXNE_MASK) && (cr1 & R_CR1_RXNEIE_MASK)) ||
        ((isr & R_ISR_IDLE_MASK) && (cr1 & R_CR1_IDLEIE_MASK)) ||
        ((isr & R_ISR_ORE_MASK) &&
         ((cr1 & R_CR1_RXNEIE_MASK) || (cr3 & R_CR3_EIE_MASK))) ||
        ((isr & R_ISR_FE_MASK) && (cr3 & R_CR3_EIE_MASK)) ||
        ((isr & R_ISR_PE_MASK) && (cr1 & R_CR1_PEIE_MASK));

    if (level != u->irq_level) {
        u->irq_level = level;
        vup_irq_set(p, 0, level);
    }
}

static void usart_set_isr(vup_periph *p, uint32_t set, uint32_t clear)
{
    vup_reg_set(p, A_ISR, (vup_reg_get(p, A_ISR) & ~clear) | set);
}

static bool usart_rx_enabled(vup_periph *p)
{
    uint32_t cr1 = vup_reg_get(p, A_CR1);
    return FIELD_EX32(cr1, CR1, UE) && FIELD_EX32(cr1, CR1, RE);
}

static bool usart_tx_enabled(vup_periph *p)
{
    uint32_t cr1 = vup_reg_get(p, A_CR1);
    return FIELD_EX32(cr1, CR1, UE) && FIELD_EX32(cr1, CR1, TE);
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
    uint32_t cr1 = vup_reg_get(p, A_CR1);
    uint32_t brr = vup_reg_get(p, A_BRR);
    uint64_t fck = vup_clock_get_hz(vup_periph_dev(p), (unsigned)u->ker_clk);
    bool over8 = cr1 & R_CR1_OVER8_MASK;
    uint32_t div = over8 ? (brr & 0xfff0u) | ((brr & 0x7u) << 1) : brr;
    uint64_t baud = 0, nominal;
    char exact[32] = "";

    if ((cr1 & R_CR1_UE_MASK) && fck && div >= 16) {
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

    if (u->rx_count == 0 || (vup_reg_get(p, A_ISR) & R_ISR_RXNE_MASK) ||
        !usart_rx_enabled(p)) {
        return;
    }
    vup_reg_set(p, A_RDR, u->rx_fifo[u->rx_head]);
    u->rx_head = (u->rx_head + 1) % RX_FIFO_SIZE;
    u->rx_count--;
    usart_set_isr(p, R_ISR_RXNE_MASK, 0);
}

/* Sends TDR if the transmitter is enabled; otherwise leaves it pending. */
static void usart_tx(vup_periph *p)
{
    struct stm32l4_usart *u = usart_of(p);

    if (!u->tx_pending || !usart_tx_enabled(p)) {
        return;
    }
    /* 8-bit words only: the low byte of TDR goes out. */
    uint8_t ch = (uint8_t)vup_reg_get(p, A_TDR);
    if (u->chr) {
        vup_chardev_write(u->chr, &ch, 1);
    }
    vup_serial_tx(u->serial, &ch, 1);
    u->tx_pending = false;
    usart_set_isr(p, R_ISR_TXE_MASK | R_ISR_TC_MASK, 0);
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
            if (!(vup_reg_get(p, A_CR3) & R_CR3_OVRDIS_MASK)) {
                usart_set_isr(p, R_ISR_ORE_MASK, 0);
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
    usart_set_isr(p, (value & R_CR1_TE_MASK) ? R_ISR_TEACK_MASK : 0,
                  (value & R_CR1_TE_MASK) ? 0 : R_ISR_TEACK_MASK);
    usart_set_isr(p, (value & R_CR1_RE_MASK) ? R_ISR_REACK_MASK : 0,
                  (value & R_CR1_RE_MASK) ? 0 : R_ISR_REACK_MASK);
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

    if (written & R_RQR_RXFRQ_MASK) {
        /* Discard the byte in RDR; the next held byte (if any) follows. */
        usart_set_isr(p, 0, R_ISR_RXNE_MASK);
        usart_rx_deliver(p);
    }
    if (written & R_RQR_TXFRQ_MASK) {
        /* Discard a pending TDR: TXE set. */
        u->tx_pending = false;
        usart_set_isr(p, R_ISR_TXE_MASK, 0);
    }
    usart_update_irq(p);
}

static void icr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old;
    /*
     * ICR's fields are write-only: @value holds what this write stored in
     * them, so value & written are the flags it clears (same bits in ISR).
     */
    usart_set_isr(p, 0, value & written);
    usart_update_irq(p);
}

static uint32_t rdr_read(vup_periph *p, const struct vup_reg *reg,
                         uint32_t value)
{
    (void)reg;
    usart_set_isr(p, 0, R_ISR_RXNE_MASK);
    usart_rx_deliver(p);
    usart_update_irq(p);
    return value;
}

static void tdr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    struct stm32l4_usart *u = usart_of(p);
    (void)reg; (void)old; (void)value; (void)written;

    u->tx_pending = true;
    usart_set_isr(p, 0, R_ISR_TXE_MASK | R_ISR_TC_MASK);
    usart_tx(p);
    usart_update_irq(p);
}

/*
 * Field semantics, RM0351 40.8 and the STM32L475 SVD: control registers
 * read-write, RQR and ICR write-only (the hooks act on the write), ISR
 * and RDR read-only and set by hardware; reading RDR clears ISR.RXNE
 * (SVD readAction modifyExternal: rdr_read does it).  Every other bit is
 * reserved.
 */
#define HW_FLAG     (VUP_RO | VUP_HW)

static const struct vup_field cr1_fields[] = {
    VUP_FIELDS_OF(CR1, VUP_RW, UE, UESM, RE, TE, IDLEIE, RXNEIE, TCIE, TXEIE,
                  PEIE, PS, PCE, WAKE, M0, MME, CMIE, OVER8, DEDT, DEAT, RTOIE,
                  EOBIE, M1),
};
static const struct vup_field cr2_fields[] = {
    VUP_FIELDS_OF(CR2, VUP_RW, ADDM7, LBDL, LBDIE, LBCL, CPHA, CPOL, CLKEN,
                  STOP, LINEN, SWAP, RXINV, TXINV, DATAINV, MSBFIRST, ABREN,
                  ABRMOD, RTOEN, ADD),
};
static const struct vup_field cr3_fields[] = {
    VUP_FIELDS_OF(CR3, VUP_RW, EIE, IREN, IRLP, HDSEL, NACK, SCEN, DMAR, DMAT,
                  RTSE, CTSE, CTSIE, ONEBIT, OVRDIS, DDRE, DEM, DEP, SCARCNT,
                  WUS, WUFIE, UCESM, TCBGTIE),
};
static const struct vup_field brr_fields[] = {
    VUP_FIELD_OF(BRR, BRR, VUP_RW),
};
static const struct vup_field gtpr_fields[] = {
    VUP_FIELDS_OF(GTPR, VUP_RW, PSC, GT),
};
static const struct vup_field rtor_fields[] = {
    VUP_FIELDS_OF(RTOR, VUP_RW, RTO, BLEN),
};
static const struct vup_field rqr_fields[] = {
    VUP_FIELDS_OF(RQR, VUP_WO, ABRRQ, SBKRQ, MMRQ, RXFRQ, TXFRQ),
};
static const struct vup_field isr_fields[] = {
    VUP_FIELDS_OF(ISR, HW_FLAG, PE, FE, NF, ORE, IDLE, RXNE, TC, TXE, LBDF,
                  CTSIF, CTS, RTOF, EOBF, ABRE, ABRF, BUSY, CMF, SBKF, RWU,
                  WUF, TEACK, REACK, TCBGT),
};
static const struct vup_field icr_fields[] = {
    VUP_FIELDS_OF(ICR, VUP_WO, PECF, FECF, NCF, ORECF, IDLECF, TCCF, LBDCF,
                  CTSCF, RTOCF, EOBCF, CMCF, WUCF),
};
static const struct vup_field rdr_fields[] = {
    VUP_FIELD_OF(RDR, RDR, VUP_RO | VUP_RMODEXT | VUP_HW),
};
static const struct vup_field tdr_fields[] = {
    VUP_FIELD_OF(TDR, TDR, VUP_RW),
};

static const struct vup_reg usart_regs[] = {
    { VUP_REG_AT(CR1), VUP_FIELDS(cr1_fields), .write = cr1_write },
    { VUP_REG_AT(CR2), VUP_FIELDS(cr2_fields), .write = cr_write },
    { VUP_REG_AT(CR3), VUP_FIELDS(cr3_fields), .write = cr_write },
    { VUP_REG_AT(BRR), VUP_FIELDS(brr_fields), .write = brr_write },
    { VUP_REG_AT(GTPR), VUP_FIELDS(gtpr_fields) },
    { VUP_REG_AT(RTOR), VUP_FIELDS(rtor_fields) },
    { VUP_REG_AT(RQR), VUP_FIELDS(rqr_fields), .write = rqr_write },
    { VUP_REG_AT(ISR), .reset = ISR_RESET, VUP_FIELDS(isr_fields) },
    { VUP_REG_AT(ICR), VUP_FIELDS(icr_fields), .write = icr_write },
    { VUP_REG_AT(RDR), VUP_FIELDS(rdr_fields), .read = rdr_read },
    { VUP_REG_AT(TDR), VUP_FIELDS(tdr_fields), .write = tdr_write },
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
    stm32l4_periph_desc(&u->desc, &u->irq, info, opts, usart_regs,
                        sizeof(usart_regs) / sizeof(usart_regs[0]),
                        usart_reset);
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
    /* Injected input takes the path of the serial stream's. */
    u->serial = vup_periph_add_serial(u->p, NULL, usart_rx, u);
    if (!u->serial) {
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
