# Cross-compiling for 64-bit Arm Linux (Atlas hosts are often aarch64) with Debian's g++-aarch64-linux-gnu.
# Override the prefix for another toolchain: -DLLMDD_CROSS_PREFIX=/opt/gcc-arm/bin/aarch64-none-linux-gnu-
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(LLMDD_CROSS_PREFIX "aarch64-linux-gnu-" CACHE STRING "Prefix of the cross compiler's tools")
set(CMAKE_C_COMPILER "${LLMDD_CROSS_PREFIX}gcc")
set(CMAKE_CXX_COMPILER "${LLMDD_CROSS_PREFIX}g++")

# Libraries and headers come from the target's sysroot; programs (cmake's own helpers) from the build host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
