/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vup-stm32l4: STM32L4x5 peripherals (USART1-3, RCC, TIM2/6/7, DMA1/2,
 * GPIOA-H, SYSCFG, EXTI) for QEMU's generic vfio-user MCU board, served on
 * one vfio-user socket, and optionally a control channel (--ctl) for the
 * outside world.  Each window sits at its STM32L475 address unless
 * --periph NAME@ADDR places it elsewhere (another STM32's memory map, in
 * QEMU's attach mode).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "stm32l4.h"

#define PROG "vup-stm32l4"

/* The STM32L475 memory map: one row per peripheral instance we can serve. */
static const struct stm32l4_periph_info stm32l4_periphs[] = {
    { "usart1", STM32L4_MODEL_USART, STM32L4_USART1_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_USART1_IRQ, 0 },
    { "usart2", STM32L4_MODEL_USART, STM32L4_USART2_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_USART2_IRQ, 0 },
    { "usart3", STM32L4_MODEL_USART, STM32L4_USART3_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_USART3_IRQ, 0 },
    { "rcc",    STM32L4_MODEL_RCC,   STM32L4_RCC_BASE,    STM32L4_PERIPH_SIZE,
      STM32L4_RCC_IRQ, 0 },
    { "tim2",   STM32L4_MODEL_TIM,   STM32L4_TIM2_BASE,   STM32L4_PERIPH_SIZE,
      STM32L4_TIM2_IRQ, STM32L4_TIM_GP32 },
    { "tim6",   STM32L4_MODEL_TIM,   STM32L4_TIM6_BASE,   STM32L4_PERIPH_SIZE,
      STM32L4_TIM6_IRQ, STM32L4_TIM_BASIC },
    { "tim7",   STM32L4_MODEL_TIM,   STM32L4_TIM7_BASE,   STM32L4_PERIPH_SIZE,
      STM32L4_TIM7_IRQ, STM32L4_TIM_BASIC },
    { "dma1",   STM32L4_MODEL_DMA,   STM32L4_DMA1_BASE,   STM32L4_PERIPH_SIZE,
      STM32L4_DMA1_IRQ, 0 },
    { "dma2",   STM32L4_MODEL_DMA,   STM32L4_DMA2_BASE,   STM32L4_PERIPH_SIZE,
      STM32L4_DMA2_IRQ, 0 },
    { "syscfg", STM32L4_MODEL_SYSCFG, STM32L4_SYSCFG_BASE, STM32L4_PERIPH_SIZE,
      STM32L4_NO_IRQ, 0 },
    { "exti",   STM32L4_MODEL_EXTI,  STM32L4_EXTI_BASE,   STM32L4_PERIPH_SIZE,
      STM32L4_EXTI0_IRQ, 0 },
#define GPIO_PORT(name, i) \
    { name, STM32L4_MODEL_GPIO, STM32L4_GPIOA_BASE + (i) * STM32L4_PERIPH_SIZE, \
      STM32L4_PERIPH_SIZE, STM32L4_NO_IRQ, i }
    GPIO_PORT("gpioa", 0), GPIO_PORT("gpiob", 1), GPIO_PORT("gpioc", 2),
    GPIO_PORT("gpiod", 3), GPIO_PORT("gpioe", 4), GPIO_PORT("gpiof", 5),
    GPIO_PORT("gpiog", 6), GPIO_PORT("gpioh", 7),
};
#define NUM_PERIPHS (sizeof(stm32l4_periphs) / sizeof(stm32l4_periphs[0]))
#define MAX_SERIALS 8

/*
 * The models, by kind: how main.c creates and frees an instance, whatever
 * its type.  A new model is one MODEL() line and one row below.
 */
struct model_ops {
    void *(*create)(vup_dev *d, const struct stm32l4_periph_info *info,
                    const struct stm32l4_opts *opts);
    void (*free)(void *m);
};

#define MODEL(type)                                                         \
    static void *create_##type(vup_dev *d,                                  \
                               const struct stm32l4_periph_info *info,      \
                               const struct stm32l4_opts *opts)             \
    {                                                                       \
        return stm32l4_##type##_create(d, info, opts);                      \
    }                                                                       \
    static void free_##type(void *m)                                        \
    {                                                                       \
        stm32l4_##type##_free(m);                                           \
    }
MODEL(usart)
MODEL(rcc)
MODEL(tim)
MODEL(gpio)
MODEL(dma)
MODEL(syscfg)
MODEL(exti)
#undef MODEL

static const struct model_ops model_ops[] = {
    [STM32L4_MODEL_USART]  = { create_usart,  free_usart },
    [STM32L4_MODEL_RCC]    = { create_rcc,    free_rcc },
    [STM32L4_MODEL_TIM]    = { create_tim,    free_tim },
    [STM32L4_MODEL_GPIO]   = { create_gpio,   free_gpio },
    [STM32L4_MODEL_DMA]    = { create_dma,    free_dma },
    [STM32L4_MODEL_SYSCFG] = { create_syscfg, free_syscfg },
    [STM32L4_MODEL_EXTI]   = { create_exti,   free_exti },
};

struct instance {
    const struct stm32l4_periph_info *info;   /* &placed */
    struct stm32l4_periph_info placed;        /* the row, at its address */
    void *model;                              /* from model_ops[].create */
};

/* The USART behind @in, or NULL: serial streams attach to those. */
static struct stm32l4_usart *instance_usart(const struct instance *in)
{
    return in->info && in->info->model == STM32L4_MODEL_USART ? in->model
                                                               : NULL;
}

struct serial_opt {
    const char *arg;         /* as given */
    const char *periph;      /* NULL: the first USART */
    const char *spec;
};

static void usage(FILE *f)
{
    fprintf(f,
"Usage: " PROG " --socket PATH [options]\n"
"Serve STM32L4x5 (STM32L475VG) peripherals to QEMU (-M vfio-user-mcu)\n"
"over a vfio-user socket.\n"
"\n"
"  -s, --socket PATH        vfio-user socket to listen on (required)\n"
"  -S, --serial [NAME=]SPEC serial stream of USART NAME (default: the first\n"
"                           USART); SPEC is stdio, null, pty, unix:PATH or\n"
"                           file:PATH; repeat for more USARTs (usart2=pty).\n"
"                           Without --serial the first USART is on stdio,\n"
"                           the others on null\n"
"  -p, --periph LIST        comma-separated peripherals (default usart1,rcc)\n"
"                           from: usart1, usart2, usart3, rcc, tim2, tim6,\n"
"                           tim7, dma1, dma2, gpioa .. gpioh, syscfg, exti.\n"
"                           NAME@ADDR places NAME's window at ADDR instead\n"
"                           of its STM32L475 address (gpioa@0x40020000: the\n"
"                           GPIOA of an STM32F4 board in QEMU's attach\n"
"                           mode); ADDR is a multiple of the window size\n"
"                           (0x400), and no window may overlap another one,\n"
"                           the flash, the SRAM or the Cortex-M private\n"
"                           peripheral bus (0xe0000000-0xe00fffff)\n"
"  -c, --ctl PATH           open the control channel on the Unix socket PATH:\n"
"                           newline-delimited JSON to list the peripherals,\n"
"                           set and read pins, inject serial input, set\n"
"                           values, wait for a pin or serial output in\n"
"                           virtual time (vup-ctl; docs/control-channel.md)\n"
"      --posted-writes      mark the windows' writes as posted (no reply)\n"
"      --no-fast-path       serve by messages only: no shared live part, no\n"
"                           register mirror, no shared-memory mailbox (for\n"
"                           comparison and debugging)\n"
"      --spin-us N          poll for the next request up to N us after one\n"
"                           before sleeping (default 50; 0: sleep at once)\n"
"      --spin-adaptive on|off\n"
"                           on (default): the poll shrinks while requests\n"
"                           come later than spin-us (the guest busy, the\n"
"                           host short of CPUs) and grows back while they\n"
"                           come within it; off: poll spin-us every time\n"
"  -v, --verbose            log protocol and model activity on stderr\n"
"  -h, --help               show this help and exit\n"
"  -V, --version            show the version and exit\n");
}

static const struct stm32l4_periph_info *find_periph(const char *name,
                                                     size_t len)
{
    for (size_t i = 0; i < NUM_PERIPHS; i++) {
        if (strlen(stm32l4_periphs[i].name) == len &&
            strncmp(stm32l4_periphs[i].name, name, len) == 0) {
            return &stm32l4_periphs[i];
        }
    }
    return NULL;
}

static void list_periphs(FILE *f)
{
    fprintf(f, "known peripherals:");
    for (size_t i = 0; i < NUM_PERIPHS; i++) {
        fprintf(f, " %s", stm32l4_periphs[i].name);
    }
    fprintf(f, "\n");
}

/* What no window may overlap: the memories the device describes, the PPB. */
static const struct {
    const char *name;
    uint64_t base, size;
} reserved_ranges[] = {
    { "flash", STM32L4_FLASH_BASE, STM32L4_FLASH_SIZE },
    { "sram1", STM32L4_SRAM1_BASE, STM32L4_SRAM1_SIZE },
    { "sram2", STM32L4_SRAM2_BASE, STM32L4_SRAM2_SIZE },
    { "the Cortex-M private peripheral bus", 0xe0000000u, 0x100000u },
};

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
                           uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

/*
 * ADDR of NAME@ADDR (@len bytes at @s): C syntax (0x..., decimal), a
 * multiple of @size, the window inside the 32-bit address space.  Returns
 * false after saying why.
 */
static bool parse_addr(const char *item, size_t item_len, const char *s,
                       size_t len, uint32_t size, uint32_t *out)
{
    char buf[32], *end;
    unsigned long long v;

    if (len == 0 || len >= sizeof(buf) || s[0] == '-' || s[0] == '+') {
        fprintf(stderr, PROG ": --periph %.*s: '%.*s' is not an address "
                "(0x40020000 or 1073872896)\n", (int)item_len, item,
                (int)len, s);
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoull(buf, &end, 0);
    if (errno || *end || end == buf) {
        fprintf(stderr, PROG ": --periph %.*s: '%s' is not an address "
                "(0x40020000 or 1073872896)\n", (int)item_len, item, buf);
        return false;
    }
    if (v % size) {
        fprintf(stderr, PROG ": --periph %.*s: 0x%llx is not aligned: the "
                "window (0x%x bytes) must start at a multiple of 0x%x\n",
                (int)item_len, item, v, (unsigned)size, (unsigned)size);
        return false;
    }
    if (v > 0x100000000ull - size) {
        fprintf(stderr, PROG ": --periph %.*s: 0x%llx + 0x%x is beyond the "
                "32-bit address space\n", (int)item_len, item, v,
                (unsigned)size);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

/*
 * Parses LIST (NAME or NAME@ADDR, comma-separated) into @out (in the order
 * given); returns the count or -1 after saying why.
 */
static int parse_periphs(const char *list, struct instance *out)
{
    int n = 0;
    const char *s = list;

    for (;;) {
        size_t len = strcspn(s, ",");
        const char *at = memchr(s, '@', len);
        size_t name_len = at ? (size_t)(at - s) : len;
        const struct stm32l4_periph_info *info = find_periph(s, name_len);
        struct instance *inst = &out[n];

        if (!info) {
            fprintf(stderr, PROG ": --periph: unknown peripheral '%.*s'\n",
                    (int)name_len, s);
            list_periphs(stderr);
            return -1;
        }
        for (int i = 0; i < n; i++) {
            if (strcmp(out[i].info->name, info->name) == 0) {
                fprintf(stderr, PROG ": --periph: '%s' given twice\n",
                        info->name);
                return -1;
            }
        }
        inst->placed = *info;
        inst->info = &inst->placed;
        if (at && !parse_addr(s, len, at + 1, len - name_len - 1,
                              info->size, &inst->placed.base)) {
            return -1;
        }
        n++;
        if (s[len] == '\0') {
            break;
        }
        s += len + 1;
    }

    /* Where they are now, no two windows may share an address. */
    for (int i = 0; i < n; i++) {
        const struct stm32l4_periph_info *a = out[i].info;

        for (int j = 0; j < i; j++) {
            const struct stm32l4_periph_info *b = out[j].info;

            if (ranges_overlap(a->base, a->size, b->base, b->size)) {
                fprintf(stderr, PROG ": --periph: %s at 0x%08x-0x%08x "
                        "overlaps %s at 0x%08x-0x%08x\n", a->name,
                        (unsigned)a->base, (unsigned)(a->base + a->size - 1),
                        b->name, (unsigned)b->base,
                        (unsigned)(b->base + b->size - 1));
                return -1;
            }
        }
        for (size_t r = 0; r < sizeof(reserved_ranges) /
                               sizeof(reserved_ranges[0]); r++) {
            if (ranges_overlap(a->base, a->size, reserved_ranges[r].base,
                               reserved_ranges[r].size)) {
                fprintf(stderr, PROG ": --periph: %s at 0x%08x-0x%08x "
                        "overlaps %s at 0x%08llx-0x%08llx\n", a->name,
                        (unsigned)a->base, (unsigned)(a->base + a->size - 1),
                        reserved_ranges[r].name,
                        (unsigned long long)reserved_ranges[r].base,
                        (unsigned long long)(reserved_ranges[r].base +
                                             reserved_ranges[r].size - 1));
                return -1;
            }
        }
    }
    return n;
}

/* "usart2=pty" names a USART; "unix:/x=y" does not. */
static void parse_serial(const char *arg, struct serial_opt *o)
{
    const char *eq = strchr(arg, '=');

    o->arg = arg;
    o->periph = NULL;
    o->spec = arg;
    if (eq && find_periph(arg, (size_t)(eq - arg))) {
        o->periph = arg;
        o->spec = eq + 1;
    }
}

static void on_signal(void *opaque, int fd, uint32_t events)
{
    vup_dev *d = opaque;
    struct signalfd_siginfo si;
    (void)events;

    if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        vup_log(VUP_LOG_INFO, "%s, shutting down", strsignal((int)si.ssi_signo));
    }
    vup_dev_stop(d);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "socket",        required_argument, NULL, 's' },
        { "serial",        required_argument, NULL, 'S' },
        { "periph",        required_argument, NULL, 'p' },
        { "ctl",           required_argument, NULL, 'c' },
        { "posted-writes", no_argument,       NULL, 'P' },
        { "no-fast-path",  no_argument,       NULL, 'F' },
        { "spin-us",       required_argument, NULL, 'U' },
        { "spin-adaptive", required_argument, NULL, 'A' },
        { "verbose",       no_argument,       NULL, 'v' },
        { "help",          no_argument,       NULL, 'h' },
        { "version",       no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    const char *socket_path = NULL;
    const char *ctl_path = NULL;
    const char *periph_list = "usart1,rcc";
    struct serial_opt serials[MAX_SERIALS];
    int num_serials = 0;
    struct stm32l4_opts opts = { .mmio_flags = 0 };
    bool verbose = false;
    bool fast_path = true;
    long spin_us = -1;
    bool spin_adaptive = true;
    struct instance inst[NUM_PERIPHS];
    int num_inst;
    int opt, ret = EXIT_FAILURE, sfd = -1;
    vup_dev *d = NULL;
    sigset_t sigs;

    memset(inst, 0, sizeof(inst));
    while ((opt = getopt_long(argc, argv, "s:S:p:c:vhV", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            socket_path = optarg;
            break;
        case 'S':
            if (num_serials == MAX_SERIALS) {
                fprintf(stderr, PROG ": --serial '%s': too many (max %d)\n",
                        optarg, MAX_SERIALS);
                return EXIT_FAILURE;
            }
            parse_serial(optarg, &serials[num_serials++]);
            break;
        case 'p':
            periph_list = optarg;
            break;
        case 'c':
            ctl_path = optarg;
            break;
        case 'P':
            opts.mmio_flags |= VUP_CR_MMIO_POSTED_WRITES;
            break;
        case 'F':
            fast_path = false;
            break;
        case 'U': {
            char *end;

            spin_us = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end || spin_us < 0 || spin_us > 1000000) {
                fprintf(stderr, PROG ": --spin-us '%s': not 0..1000000\n",
                        optarg);
                return EXIT_FAILURE;
            }
            break;
        }
        case 'A':
            if (strcmp(optarg, "on") && strcmp(optarg, "off")) {
                fprintf(stderr, PROG ": --spin-adaptive '%s': not on or off\n",
                        optarg);
                return EXIT_FAILURE;
            }
            spin_adaptive = !strcmp(optarg, "on");
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        case 'V':
            printf(PROG " %s\n", VUP_VERSION_STRING);
            return EXIT_SUCCESS;
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return EXIT_FAILURE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        fprintf(stderr, "Try '" PROG " --help'.\n");
        return EXIT_FAILURE;
    }
    if (!socket_path) {
        fprintf(stderr, PROG ": --socket PATH is required\n");
        fprintf(stderr, "Try '" PROG " --help'.\n");
        return EXIT_FAILURE;
    }
    num_inst = parse_periphs(periph_list, inst);
    if (num_inst < 0) {
        return EXIT_FAILURE;
    }

    /*
     * Which spec goes to which USART: named ones first, then each unnamed
     * one to the first USART (in --periph order) that has none yet.
     */
    const char *serial_spec[NUM_PERIPHS] = { NULL };
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < num_serials; i++) {
            const struct serial_opt *so = &serials[i];
            int target = -1;

            if ((pass == 0) != (so->periph != NULL)) {
                continue;
            }
            for (int j = 0; j < num_inst && target < 0; j++) {
                const char *name = inst[j].info->name;

                if (inst[j].info->model != STM32L4_MODEL_USART) {
                    continue;
                }
                if (so->periph ? (strncmp(so->periph, name, strlen(name)) == 0
                                  && so->periph[strlen(name)] == '=')
                               : serial_spec[j] == NULL) {
                    target = j;
                }
            }
            if (target < 0) {
                fprintf(stderr, PROG ": --serial %s: no %s in --periph %s\n",
                        so->arg, so->periph ? "such USART" : "USART left",
                        periph_list);
                return EXIT_FAILURE;
            }
            if (serial_spec[target]) {
                fprintf(stderr, PROG ": --serial %s: %s already has a serial "
                        "stream\n", so->arg, inst[target].info->name);
                return EXIT_FAILURE;
            }
            serial_spec[target] = so->spec;
        }
    }
    /*
     * Default: the first USART on stdio (unless stdio went to another one),
     * the others on null.
     */
    bool stdio_taken = false, first_usart = true;
    for (int j = 0; j < num_inst; j++) {
        if (serial_spec[j] && strcmp(serial_spec[j], "stdio") == 0) {
            stdio_taken = true;
        }
    }
    for (int j = 0; j < num_inst; j++) {
        if (inst[j].info->model != STM32L4_MODEL_USART) {
            continue;
        }
        if (!serial_spec[j]) {
            serial_spec[j] = (first_usart && !stdio_taken) ? "stdio" : "null";
        }
        first_usart = false;
    }

    /* Info by default: clock and baud-rate changes are worth seeing. */
    if (verbose) {
        vup_log_set_level(VUP_LOG_DEBUG);
    } else if (!getenv("VUP_LOG")) {
        vup_log_set_level(VUP_LOG_INFO);
    }

    /* SIGINT/SIGTERM come through the device loop, so shutdown is clean. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 ||
        (sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
        fprintf(stderr, PROG ": signalfd: %s\n", strerror(errno));
        return EXIT_FAILURE;
    }
    signal(SIGPIPE, SIG_IGN);

    d = vup_dev_new("stm32l4");
    if (!d) {
        fprintf(stderr, PROG ": cannot create the device\n");
        goto out;
    }

    for (int j = 0; j < num_inst; j++) {
        const struct stm32l4_periph_info *info = inst[j].info;

        inst[j].model = model_ops[info->model].create(d, info, &opts);
        if (!inst[j].model) {
            fprintf(stderr, PROG ": --periph %s: %s\n", info->name,
                    vup_dev_error(d));
            goto out;
        }
    }

    if (vup_dev_add_memory(d, VUP_CR_MEMORY_FLASH, STM32L4_FLASH_BASE,
                           STM32L4_FLASH_SIZE, "flash") < 0 ||
        vup_dev_add_memory(d, VUP_CR_MEMORY_RAM, STM32L4_SRAM1_BASE,
                           STM32L4_SRAM1_SIZE, "sram1") < 0 ||
        vup_dev_add_memory(d, VUP_CR_MEMORY_RAM, STM32L4_SRAM2_BASE,
                           STM32L4_SRAM2_SIZE, "sram2") < 0 ||
        vup_dev_set_cpu(d, STM32L4_CPU_TYPE, STM32L4_NUM_IRQ) < 0) {
        fprintf(stderr, PROG ": board hints: %s\n", vup_dev_error(d));
        goto out;
    }

    if (vup_dev_watch_fd(d, sfd, POLLIN, on_signal, d) < 0) {
        fprintf(stderr, PROG ": watching signals: %s\n", vup_dev_error(d));
        goto out;
    }

    /* Before listening: its waits need the VIRTUAL_TIME capability. */
    if (ctl_path && vup_dev_ctl_listen(d, ctl_path) < 0) {
        fprintf(stderr, PROG ": --ctl %s: %s\n", ctl_path, vup_dev_error(d));
        goto out;
    }

    vup_dev_set_fast_path(d, fast_path);
    if (spin_us >= 0) {
        vup_dev_set_spin_us(d, (unsigned)spin_us);
    }
    vup_dev_set_spin_adaptive(d, spin_adaptive);
    if (vup_dev_listen(d, socket_path) < 0) {
        fprintf(stderr, PROG ": --socket %s: %s\n", socket_path,
                vup_dev_error(d));
        goto out;
    }

    for (int j = 0; j < num_inst; j++) {
        if (instance_usart(&inst[j]) &&
            stm32l4_usart_attach(instance_usart(&inst[j]),
                                 serial_spec[j]) < 0) {
            fprintf(stderr, PROG ": --serial %s (%s): %s\n", serial_spec[j],
                    inst[j].info->name, vup_dev_error(d));
            goto out_unlink;
        }
    }

    {
        char line[1024];
        int len = snprintf(line, sizeof(line), PROG ": listening on %s:",
                           socket_path);
        for (int j = 0; j < num_inst && len < (int)sizeof(line); j++) {
            const struct stm32l4_periph_info *info = inst[j].info;
            char irq[16] = "";

            if (info->irq != STM32L4_NO_IRQ) {
                snprintf(irq, sizeof(irq), "/irq%u", (unsigned)info->irq);
            }
            len += snprintf(line + len, sizeof(line) - (size_t)len,
                            " %s@0x%08x%s%s%s", info->name,
                            (unsigned)info->base, irq,
                            serial_spec[j] ? "=" : "",
                            serial_spec[j] ? serial_spec[j] : "");
        }
        if (ctl_path && len < (int)sizeof(line)) {
            snprintf(line + len, sizeof(line) - (size_t)len, " ctl=%s",
                     ctl_path);
        }
        fprintf(stderr, "%s\n", line);
    }

    if (vup_dev_run(d) < 0) {
        fprintf(stderr, PROG ": %s\n", vup_dev_error(d));
    } else {
        ret = EXIT_SUCCESS;
    }

out_unlink:
    unlink(socket_path);
out:
    for (int j = 0; j < num_inst; j++) {
        stm32l4_usart_detach(instance_usart(&inst[j]));
    }
    if (d && sfd >= 0) {
        vup_dev_unwatch_fd(d, sfd);
    }
    if (d) {
        vup_dev_free(d);
    }
    for (int j = 0; j < num_inst; j++) {
        if (inst[j].model) {
            model_ops[inst[j].info->model].free(inst[j].model);
        }
    }
    if (sfd >= 0) {
        close(sfd);
    }
    return ret;
}
