/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Register offsets and bit fields by name, with the macro names and the
 * shape of generated constants that QEMU's register-field macros use, so a
 * model reads the same on both sides:
 *
 *     REG32(CR1, 0x00)              A_CR1 = 0x00 (byte offset), R_CR1 = 0
 *                                   (32-bit word index)
 *     FIELD(CR1, UE, 0, 1)          R_CR1_UE_SHIFT = 0, R_CR1_UE_LENGTH = 1,
 *                                   R_CR1_UE_MASK = 0x1
 *     FIELD_EX32(cr1, CR1, UE)      the field's value in cr1
 *     FIELD_DP32(cr1, CR1, UE, 1)   cr1 with the field replaced (the value is
 *                                   truncated to the field's width)
 *
 * REG8/REG16 and FIELD_EX8/16, FIELD_DP8/16 are the same for narrower
 * registers.  Everything is an enumeration constant or an inline function:
 * usable in constant expressions (case labels, static tables), no GNU
 * statement expressions.  A _MASK of a field that reaches bit 31 is above
 * INT_MAX; like QEMU, this relies on enumeration constants beyond int (a
 * common extension, standard in C23), which only -pedantic warns about.
 *
 * The register table (vup.h: struct vup_reg, struct vup_field) takes these
 * names through VUP_REG_AT() and VUP_FIELD_OF().  This header is
 * independent of vup.h.
 */
#ifndef VUP_REGISTERFIELDS_H
#define VUP_REGISTERFIELDS_H

#include <stdint.h>

/* Bits @shift .. @shift + @length - 1 set (@length >= 1, sum <= 32). */
#define VUP_MASK32(shift, length) \
    ((uint32_t)(UINT32_MAX >> (32 - (length))) << (shift))

static inline uint32_t vup_extract32(uint32_t value, unsigned shift,
                                     unsigned length)
{
    return (value >> shift) & (UINT32_MAX >> (32 - length));
}

static inline uint32_t vup_deposit32(uint32_t value, unsigned shift,
                                     unsigned length, uint32_t field)
{
    uint32_t mask = VUP_MASK32(shift, length);

    return (value & ~mask) | ((field << shift) & mask);
}

/* A register at byte offset @addr: A_reg (offset) and R_reg (index). */
#define REG8(reg, addr) \
    enum { A_##reg = (addr) }; \
    enum { R_##reg = (addr) };
#define REG16(reg, addr) \
    enum { A_##reg = (addr) }; \
    enum { R_##reg = (addr) / 2 };
#define REG32(reg, addr) \
    enum { A_##reg = (addr) }; \
    enum { R_##reg = (addr) / 4 };

/* Bits @shift .. @shift + @length - 1 of register @reg. */
#define FIELD(reg, field, shift, length) \
    enum { R_##reg##_##field##_SHIFT = (shift) }; \
    enum { R_##reg##_##field##_LENGTH = (length) }; \
    enum { R_##reg##_##field##_MASK = VUP_MASK32(shift, length) };

/* The value of @field of @reg in @storage. */
#define FIELD_EX32(storage, reg, field) \
    vup_extract32((storage), R_##reg##_##field##_SHIFT, \
                  R_##reg##_##field##_LENGTH)
#define FIELD_EX16(storage, reg, field) \
    ((uint16_t)FIELD_EX32((uint16_t)(storage), reg, field))
#define FIELD_EX8(storage, reg, field) \
    ((uint8_t)FIELD_EX32((uint8_t)(storage), reg, field))

/* @storage with @field of @reg set to @val (truncated to the field). */
#define FIELD_DP32(storage, reg, field, val) \
    vup_deposit32((storage), R_##reg##_##field##_SHIFT, \
                  R_##reg##_##field##_LENGTH, (uint32_t)(val))
#define FIELD_DP16(storage, reg, field, val) \
    ((uint16_t)FIELD_DP32((uint16_t)(storage), reg, field, val))
#define FIELD_DP8(storage, reg, field, val) \
    ((uint8_t)FIELD_DP32((uint8_t)(storage), reg, field, val))

#endif /* VUP_REGISTERFIELDS_H */
