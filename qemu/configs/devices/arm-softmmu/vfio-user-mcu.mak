# Trimmed arm-softmmu device set for vfio-user MCU work (used with
# --without-default-devices --with-devices-arm=vfio-user-mcu):
# the generic vfio-user MCU board, plus the reference boards that tests and
# benchmarks compare against.

# The generic board with external (vfio-user) peripherals.
CONFIG_VFIO_USER_MCU=y

# In-process reference: STM32L4x5 with QEMU's own RCC/USART/GPIO models.
CONFIG_B_L475E_IOT01A=y
# the SoC maps placeholders for what it does not model
CONFIG_UNIMP=y

# Upstream reference: vfio-user-pci on the virt board.
CONFIG_ARM_VIRT=y
CONFIG_VFIO_PCI=y
CONFIG_VFIO_USER=y
# virt selects ACPI_CXL, whose code links against CXL host and type-3 memory
# device code (upstream 10.2 has no stubs when they are off).
CONFIG_PXB=y
CONFIG_CXL=y
CONFIG_CXL_MEM_DEVICE=y
CONFIG_PCIE_PORT=y
CONFIG_VFIO_USER_PCI=y

# Backends attached to existing boards (-M b-l475e-iot01a,vfio-user=...,
# -M netduinoplus2,vfio-user=...): the helper, and other STM32 and nRF51
# boards to show the mode on a second SoC.
CONFIG_VFIO_USER_ATTACH=y
CONFIG_NETDUINOPLUS2=y
CONFIG_OLIMEX_STM32_H405=y
CONFIG_STM32VLDISCOVERY=y
CONFIG_MICROBIT=y
