#!/usr/bin/env bash
# Proves the native pieces build for aarch64: cross-compiles the fake engine, the shim and the shim driver with
# Debian's g++-aarch64-linux-gnu (installed with apt when missing), then checks the ELF headers say AArch64 and the
# shim exports exactly the llmdd_ functions that the generated header declares. When qemu-aarch64 is present (or
# LLMDD_CROSS_RUN=1 installs qemu-user), the aarch64 driver also runs, emulated, against the aarch64 shim and engine.
#
#   tests/native/cross-build-aarch64.sh [build-dir]      (default: artifacts/native-aarch64)
set -euo pipefail
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then $sudo_cmd apt-get update; apt_updated=1; fi
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${1:-$repo/artifacts/native-aarch64}"

if ! command -v aarch64-linux-gnu-g++ >/dev/null 2>&1; then
  echo "installing g++-aarch64-linux-gnu (apt)"
  apt_install g++-aarch64-linux-gnu
fi
for tool in cmake readelf; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 2; }
done

cmake -S "$here" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$here/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DLLMDD_FAKE_ENGINE_TESTS=OFF
cmake --build "$build" -j "$(nproc)"

fail=0
for artifact in lib/libllm_engine.so lib/libllmdd_shim.so bin/llmdd_shim_driver; do
  path="$build/$artifact"
  machine="$(readelf -h "$path" | sed -n 's/^ *Machine: *//p')"
  class="$(readelf -h "$path" | sed -n 's/^ *Class: *//p')"
  described=""
  if command -v file >/dev/null 2>&1; then described="$(file -b "$path" | cut -d, -f1-2) "; fi
  echo "$artifact: ${described}[readelf: $class, $machine]"
  if [ "$machine" != "AArch64" ] || [ "$class" != "ELF64" ]; then
    echo "  expected ELF64 AArch64" >&2
    fail=1
  fi
done

# The exports must be the header's functions, no more and no fewer.
declared="$(grep -oE '^LLMDD_API [a-z0-9_]+\*? (llmdd_[a-z0-9_]+)\(' "$repo/src/LlmDataDist.Ascend/native/generated/llmdd_shim.h" \
  | sed -E 's/.* (llmdd_[a-z0-9_]+)\(/\1/' | sort)"
exported="$(readelf --dyn-syms -W "$build/lib/libllmdd_shim.so" | awk '$4 == "FUNC" && $5 == "GLOBAL" && $7 != "UND" {print $8}' | sort)"
if [ "$declared" != "$exported" ]; then
  echo "exports differ from llmdd_shim.h:" >&2
  diff <(echo "$declared") <(echo "$exported") >&2 || true
  fail=1
else
  echo "libllmdd_shim.so exports the $(echo "$exported" | wc -l) functions of llmdd_shim.h and nothing else"
fi
needed="$(readelf -d "$build/lib/libllmdd_shim.so" | sed -n 's/.*NEEDED.*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
echo "libllmdd_shim.so needs: $needed"
case " $needed " in *" libllm_engine.so "*) ;; *) echo "the shim does not link libllm_engine.so" >&2; fail=1 ;; esac

if [ "${LLMDD_CROSS_RUN:-0}" = "1" ] && ! command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "installing qemu-user (apt)"
  apt_install qemu-user
fi
if command -v qemu-aarch64 >/dev/null 2>&1; then
  echo "running the aarch64 driver under qemu-aarch64"
  if ! qemu-aarch64 -L /usr/aarch64-linux-gnu "$build/bin/llmdd_shim_driver"; then
    echo "the aarch64 driver failed" >&2
    fail=1
  fi
else
  echo "qemu-aarch64 not installed: built and inspected, not run (LLMDD_CROSS_RUN=1 installs qemu-user)"
fi

if [ "$fail" -ne 0 ]; then
  echo "aarch64 cross build: FAILED" >&2
  exit 1
fi
echo "aarch64 cross build: OK"
