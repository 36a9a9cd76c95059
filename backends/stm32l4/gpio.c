/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STM32L4x5 GPIO ports A..H (RM0351 chapter 8), one model for every port.
 *
 * Every register of RM0351 8.5 with its reset value per port, and the
 * pins as the control channel sees them ("gpioa.0" .. "gpioa.15": the
 * outside may drive each one, and its level is read):
 *   - a pin's level: a push-pull output drives ODR; an open-drain output
 *     drives 0 for ODR 0 and lets go for ODR 1; a pin nobody drives
 *     (input, alternate function, a released open-drain output) takes the
 *     level the outside drives (set-pin), else its pull-up or pull-down,
 *     else 0 (floating: silicon reads noise, we read 0).  Analog mode
 *     disables the pulls;
 *   - IDR follows the pins: their level, 0 in analog mode (RM0351 8.4.13:
 *     the Schmitt trigger is off);
 *   - BSRR sets (BS) and resets (BR) ODR bits, BS winning when both are
 *     written; BRR resets; both read as 0;
 *   - the LCKR key sequence (write LCKK=1 with LCK[15:0], LCKK=0 with the
 *     same LCK, LCKK=1 with the same LCK, then read LCKR) locks the
 *     configuration (MODER, OTYPER, OSPEEDR, PUPDR, AFRL, AFRH) of the
 *     pins set in LCK[15:0] until reset; LCKK then reads 1 and LCKR stays
 *     as it is.  Any other write in the sequence aborts it.
 *   - the pins' levels are also the OUT signal group named as the port
 *     ("gpioa", 16 lines, line i = pin i), updated once per change of any
 *     of them: SYSCFG's EXTI multiplexer takes it inside the backend, and
 *     QEMU routes it to IN groups of that name elsewhere.
 * Not modelled: alternate functions (AFRL/AFRH are stored; a pin in
 * alternate-function mode behaves as an input, no peripheral drives it),
 * the analog switches (ASCR is stored), output speed (OSPEEDR is stored),
 * wake-up, the 32-bit-access check of the lock sequence.  As the
 * other models, the port answers whatever its RCC AHB2ENR bit says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vup/registerfields.h>

#include "stm32l4.h"

#define NUM_PINS 16u

/* Registers, RM0351 8.5 (one field per pin, named as there). */
REG32(MODER, 0x00)
REG32(OTYPER, 0x04)
REG32(OSPEEDR, 0x08)
REG32(PUPDR, 0x0c)
REG32(IDR, 0x10)
REG32(ODR, 0x14)
REG32(BSRR, 0x18)
REG32(LCKR, 0x1c)
    FIELD(LCKR, LCK, 0, 16)
    FIELD(LCKR, LCKK, 16, 1)
REG32(AFRL, 0x20)
REG32(AFRH, 0x24)
REG32(BRR, 0x28)
REG32(ASCR, 0x2c)

enum { MODE_INPUT, MODE_OUTPUT, MODE_ALTERNATE, MODE_ANALOG };
enum { PULL_NONE, PULL_UP, PULL_DOWN };

/* The lock key sequence: the steps done so far. */
enum lock_step { LOCK_IDLE, LOCK_WROTE_1, LOCK_WROTE_0, LOCK_WROTE_1_AGAIN,
                 LOCK_ACTIVE };

struct stm32l4_gpio {
    struct stm32l4_periph_info info;
    struct vup_periph_desc desc;
    struct vup_reg regs[12];       /* gpio_regs with this port's resets */
    vup_periph *p;
    vup_pin *pin[NUM_PINS];
    vup_signal *levels;            /* OUT "<port>": the pins' levels */
    enum lock_step lock;
    uint32_t lock_key;             /* LCK[15:0] of the sequence */
};

/* Reset values per port (RM0351 8.5.1, 8.5.3, 8.5.4): A, B, C..G, H. */
static const struct {
    uint32_t moder, ospeedr, pupdr;
} port_reset[STM32L4_NUM_GPIO_PORTS] = {
    { 0xabffffffu, 0x0c000000u, 0x64000000u },   /* PA13-15: SWD, JTDI */
    { 0xfffffebfu, 0x00000000u, 0x00000100u },   /* PB3, PB4: JTDO, NJTRST */
    { 0xffffffffu, 0, 0 },
    { 0xffffffffu, 0, 0 },
    { 0xffffffffu, 0, 0 },
    { 0xffffffffu, 0, 0 },
    { 0xffffffffu, 0, 0 },
    { 0x0000000fu, 0, 0 },   /* PH0, PH1 only on this part (as QEMU) */
};

static struct stm32l4_gpio *gpio_of(vup_periph *p)
{
    return vup_periph_opaque(p);
}

static unsigned field2(uint32_t reg, unsigned pin)
{
    return (reg >> (2 * pin)) & 0x3u;
}

static unsigned bit(uint32_t reg, unsigned pin)
{
    return (reg >> pin) & 0x1u;
}

/* Pin @i's level from the registers and what the outside drives. */
static bool pin_level(vup_periph *p, unsigned i, int driven)
{
    unsigned mode = field2(vup_reg_get(p, A_MODER), i);
    unsigned pull = field2(vup_reg_get(p, A_PUPDR), i);

    if (mode == MODE_OUTPUT) {
        bool open_drain = bit(vup_reg_get(p, A_OTYPER), i);
        bool od = bit(vup_reg_get(p, A_ODR), i);

        if (!open_drain || !od) {
            return od;
        }
        /* An open-drain output at 1 lets the line go: as an input. */
    }
    if (driven != VUP_PIN_RELEASED) {
        return driven;
    }
    if (mode == MODE_ANALOG) {
        return false;               /* no pulls in analog mode */
    }
    return pull == PULL_UP;
}

static const char *pin_mode(vup_periph *p, unsigned i)
{
    static const char *const input[] = {
        "input", "input pull-up", "input pull-down", "input",
    };
    static const char *const open_drain[] = {
        "output open-drain", "output open-drain pull-up",
        "output open-drain pull-down", "output open-drain",
    };
    static const char *const alternate[] = {
        "alternate function", "alternate function pull-up",
        "alternate function pull-down", "alternate function",
    };
    unsigned pull = field2(vup_reg_get(p, A_PUPDR), i);

    switch (field2(vup_reg_get(p, A_MODER), i)) {
    case MODE_INPUT:
        return input[pull];
    case MODE_OUTPUT:
        return bit(vup_reg_get(p, A_OTYPER), i) ? open_drain[pull]
                                                 : "output push-pull";
    case MODE_ALTERNATE:
        return alternate[pull];
    default:
        return "analog";
    }
}

/* Every pin's level and IDR, after anything that may change them. */
static void gpio_update(vup_periph *p)
{
    struct stm32l4_gpio *g = gpio_of(p);
    uint32_t moder = vup_reg_get(p, A_MODER);
    uint32_t idr = 0, levels = 0;

    for (unsigned i = 0; i < NUM_PINS; i++) {
        bool level = pin_level(p, i, vup_pin_driven(g->pin[i]));

        if (level) {
            levels |= 1u << i;
        }
        /* The input buffer is off in analog mode: IDR reads 0. */
        if (level && field2(moder, i) != MODE_ANALOG) {
            idr |= 1u << i;
        }
        vup_pin_set_mode(g->pin[i], pin_mode(p, i));
        vup_pin_set_level(g->pin[i], level);
    }
    vup_reg_set(p, A_IDR, idr);
    /* IDR first: a model the signal reaches may read it. */
    vup_signal_set_lines(g->levels, (1u << NUM_PINS) - 1, levels);
}

/* The set-pin of the control channel. */
static void gpio_drive(void *opaque, unsigned n, int level)
{
    struct stm32l4_gpio *g = opaque;

    (void)n;
    (void)level;                   /* vup_pin_driven() has it */
    gpio_update(g->p);
}

/* ---- register hooks -------------------------------------------------- */

/* The bits of the configuration register at @offset that LCKR locks. */
static uint32_t locked_bits(vup_periph *p, uint32_t offset)
{
    struct stm32l4_gpio *g = gpio_of(p);
    uint32_t pins = g->lock == LOCK_ACTIVE ? g->lock_key : 0;
    uint32_t mask = 0;

    for (unsigned i = 0; i < NUM_PINS; i++) {
        if (!(pins & (1u << i))) {
            continue;
        }
        switch (offset) {
        case A_OTYPER:
            mask |= 1u << i;
            break;
        case A_AFRL:
            mask |= i < 8 ? 0xfu << (4 * i) : 0;
            break;
        case A_AFRH:
            mask |= i >= 8 ? 0xfu << (4 * (i - 8)) : 0;
            break;
        default:                    /* MODER, OSPEEDR, PUPDR */
            mask |= 0x3u << (2 * i);
            break;
        }
    }
    return mask;
}

/* MODER, OTYPER, OSPEEDR, PUPDR, AFRL, AFRH: locked bits keep their value. */
static void config_write(vup_periph *p, const struct vup_reg *reg,
                         uint32_t old, uint32_t value, uint32_t written)
{
    uint32_t locked = locked_bits(p, reg->offset);

    (void)written;
    if (locked) {
        vup_reg_set(p, reg->offset, (value & ~locked) | (old & locked));
    }
    gpio_update(p);
}

static void odr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value; (void)written;
    gpio_update(p);
}

/* BS0..15 set, BR0..15 reset; a pin with both written is set. */
static void bsrr_write(vup_periph *p, const struct vup_reg *reg,
                       uint32_t old, uint32_t value, uint32_t written)
{
    uint32_t odr = vup_reg_get(p, A_ODR);

    (void)reg; (void)old; (void)value;
    odr &= ~(written >> 16);
    odr |= written & 0xffffu;
    vup_reg_set(p, A_ODR, odr);
    /* Write-only: nothing of it stays. */
    vup_reg_set(p, A_BSRR, 0);
    gpio_update(p);
}

static void brr_write(vup_periph *p, const struct vup_reg *reg, uint32_t old,
                      uint32_t value, uint32_t written)
{
    (void)reg; (void)old; (void)value;
    vup_reg_set(p, A_ODR, vup_reg_get(p, A_ODR) & ~(written & 0xffffu));
    vup_reg_set(p, A_BRR, 0);
    gpio_update(p);
}

/*
 * The lock key sequence (RM0351 8.4.8): each write is the next step or,
 * with LCKK=1, the start of a new sequence; anything else aborts.  LCKK
 * reads whether the lock is active; once it is, LCKR does not change.
 */
static void lckr_write(vup_periph *p, const struct vup_reg *reg,
                       uint32_t old, uint32_t value, uint32_t written)
{
    struct stm32l4_gpio *g = gpio_of(p);
    bool lckk = FIELD_EX32(written, LCKR, LCKK);
    uint32_t key = FIELD_EX32(written, LCKR, LCK);

    (void)value;
    if (g->lock == LOCK_ACTIVE) {
        vup_reg_set(p, reg->offset, old);
        return;
    }
    if (g->lock == LOCK_WROTE_1 && !lckk && key == g->lock_key) {
        g->lock = LOCK_WROTE_0;
    } else if (g->lock == LOCK_WROTE_0 && lckk && key == g->lock_key) {
        g->lock = LOCK_WROTE_1_AGAIN;
    } else if (lckk) {
        g->lock = LOCK_WROTE_1;
        g->lock_key = key;
    } else {
        g->lock = LOCK_IDLE;
    }
    /* LCK[15:0] read back as written; LCKK is the lock's state (0). */
    vup_reg_set(p, reg->offset, FIELD_DP32(key, LCKR, LCKK, 0));
}

/* The read that completes the sequence activates the lock. */
static uint32_t lckr_read(vup_periph *p, const struct vup_reg *reg,
                          uint32_t value)
{
    struct stm32l4_gpio *g = gpio_of(p);

    if (g->lock == LOCK_WROTE_1_AGAIN) {
        g->lock = LOCK_ACTIVE;
        value = FIELD_DP32(g->lock_key, LCKR, LCKK, 1);
        vup_reg_set(p, reg->offset, value);
        vup_log(VUP_LOG_DEBUG, "%s: configuration of pins 0x%04x locked",
                g->info.name, g->lock_key);
    }
    return value;
}

/*
 * Field semantics, RM0351 8.5: one field per pin (MODE0..MODE15 and so
 * on), read-write but for IDR (read-only, follows the pins) and BSRR/BRR
 * (write-only, read as 0).  Bits 31:16 of the 16-pin registers are
 * reserved.
 */
#define PINS_0_7(X, ...)  X(0, __VA_ARGS__) X(1, __VA_ARGS__) \
    X(2, __VA_ARGS__) X(3, __VA_ARGS__) X(4, __VA_ARGS__) X(5, __VA_ARGS__) \
    X(6, __VA_ARGS__) X(7, __VA_ARGS__)
#define PINS_8_15(X, ...) X(8, __VA_ARGS__) X(9, __VA_ARGS__) \
    X(10, __VA_ARGS__) X(11, __VA_ARGS__) X(12, __VA_ARGS__) \
    X(13, __VA_ARGS__) X(14, __VA_ARGS__) X(15, __VA_ARGS__)
#define PINS(X, ...) PINS_0_7(X, __VA_ARGS__) PINS_8_15(X, __VA_ARGS__)

/* A field of @width bits for pin @n, named @prefix and the pin number. */
#define PIN_FIELD(n, prefix, width, sem) \
    VUP_FIELD(#prefix #n, (width) * (n), width, sem),
/* AFRH's fields are AFSEL8..15 from bit 0. */
#define AFRH_FIELD(n, sem) VUP_FIELD("AFSEL" #n, 4 * ((n) - 8), 4, sem),
#define BR_FIELD(n, sem) VUP_FIELD("BR" #n, 16 + (n), 1, sem),

static const struct vup_field moder_fields[] = { PINS(PIN_FIELD, MODE, 2,
                                                      VUP_RW) };
static const struct vup_field otyper_fields[] = { PINS(PIN_FIELD, OT, 1,
                                                       VUP_RW) };
static const struct vup_field ospeedr_fields[] = { PINS(PIN_FIELD, OSPEED,
                                                        2, VUP_RW) };
static const struct vup_field pupdr_fields[] = { PINS(PIN_FIELD, PUPD, 2,
                                                      VUP_RW) };
static const struct vup_field idr_fields[] = { PINS(PIN_FIELD, ID, 1,
                                                    VUP_RO | VUP_HW) };
static const struct vup_field odr_fields[] = { PINS(PIN_FIELD, OD, 1,
                                                    VUP_RW) };
static const struct vup_field bsrr_fields[] = {
    PINS(PIN_FIELD, BS, 1, VUP_WO)
    PINS(BR_FIELD, VUP_WO)
};
static const struct vup_field lckr_fields[] = {
    VUP_FIELDS_OF(LCKR, VUP_RW, LCK, LCKK),
};
static const struct vup_field afrl_fields[] = { PINS_0_7(PIN_FIELD, AFSEL,
                                                         4, VUP_RW) };
static const struct vup_field afrh_fields[] = { PINS_8_15(AFRH_FIELD,
                                                          VUP_RW) };
static const struct vup_field brr_fields[] = { PINS(PIN_FIELD, BR, 1,
                                                    VUP_WO) };
static const struct vup_field ascr_fields[] = { PINS(PIN_FIELD, ASC, 1,
                                                     VUP_RW) };

/* The reset values of MODER, OSPEEDR and PUPDR are the port's (create). */
static const struct vup_reg gpio_regs[] = {
    { VUP_REG_AT(MODER), VUP_FIELDS(moder_fields), .write = config_write },
    { VUP_REG_AT(OTYPER), VUP_FIELDS(otyper_fields), .write = config_write },
    { VUP_REG_AT(OSPEEDR), VUP_FIELDS(ospeedr_fields),
      .write = config_write },
    { VUP_REG_AT(PUPDR), VUP_FIELDS(pupdr_fields), .write = config_write },
    { VUP_REG_AT(IDR), VUP_FIELDS(idr_fields) },
    { VUP_REG_AT(ODR), VUP_FIELDS(odr_fields), .write = odr_write },
    { VUP_REG_AT(BSRR), VUP_FIELDS(bsrr_fields), .write = bsrr_write },
    { VUP_REG_AT(LCKR), VUP_FIELDS(lckr_fields), .read = lckr_read,
      .write = lckr_write },
    { VUP_REG_AT(AFRL), VUP_FIELDS(afrl_fields), .write = config_write },
    { VUP_REG_AT(AFRH), VUP_FIELDS(afrh_fields), .write = config_write },
    { VUP_REG_AT(BRR), VUP_FIELDS(brr_fields), .write = brr_write },
    { VUP_REG_AT(ASCR), VUP_FIELDS(ascr_fields) },
};

_Static_assert(sizeof(gpio_regs) == sizeof(((struct stm32l4_gpio *)0)->regs),
               "struct stm32l4_gpio holds a copy of gpio_regs");

static void gpio_reset(vup_periph *p)
{
    struct stm32l4_gpio *g = gpio_of(p);

    g->lock = LOCK_IDLE;
    g->lock_key = 0;
    /* What the outside drives is the board's: it stays. */
    gpio_update(p);
}

struct stm32l4_gpio *stm32l4_gpio_create(vup_dev *d,
                                         const struct stm32l4_periph_info *info,
                                         const struct stm32l4_opts *opts)
{
    struct stm32l4_gpio *g;
    struct vup_irq_desc no_irq;   /* unused: the port has no line */

    if (info->variant >= STM32L4_NUM_GPIO_PORTS) {
        return NULL;
    }
    g = calloc(1, sizeof(*g));
    if (!g) {
        return NULL;
    }
    g->info = *info;
    memcpy(g->regs, gpio_regs, sizeof(gpio_regs));
    for (size_t i = 0; i < sizeof(g->regs) / sizeof(g->regs[0]); i++) {
        if (g->regs[i].offset == A_MODER) {
            g->regs[i].reset = port_reset[info->variant].moder;
        } else if (g->regs[i].offset == A_OSPEEDR) {
            g->regs[i].reset = port_reset[info->variant].ospeedr;
        } else if (g->regs[i].offset == A_PUPDR) {
            g->regs[i].reset = port_reset[info->variant].pupdr;
        }
    }
    /* Pins interrupt through SYSCFG and EXTI: the port has no line. */
    stm32l4_periph_desc(&g->desc, &no_irq, info, opts, g->regs,
                        sizeof(g->regs) / sizeof(g->regs[0]), gpio_reset);
    g->p = vup_dev_add_periph(d, &g->desc, g);
    if (!g->p) {
        free(g);
        return NULL;
    }
    g->levels = vup_periph_add_signal(g->p, info->name, NUM_PINS,
                                      VUP_SIGNAL_OUT, NULL, NULL);
    if (!g->levels) {
        free(g);
        return NULL;
    }
    for (unsigned i = 0; i < NUM_PINS; i++) {
        char name[4];

        snprintf(name, sizeof(name), "%u", i);
        g->pin[i] = vup_periph_add_pin(g->p, name, i,
                                       VUP_PIN_IN | VUP_PIN_OUT, gpio_drive,
                                       g);
        if (!g->pin[i]) {
            /* The window stays in the device, which is not served now. */
            free(g);
            return NULL;
        }
    }
    gpio_update(g->p);
    return g;
}

void stm32l4_gpio_free(struct stm32l4_gpio *g)
{
    free(g);
}
