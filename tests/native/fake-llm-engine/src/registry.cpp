#include "registry.h"

#include <cstdlib>
#include <iterator>
#include <new>

#include "fake_llm_engine/fake_memory.h"

namespace llmdd_fake {
Registry &Registry::Get() {
  // Never destroyed: instances may be finalized from static destructors after this would have gone.
  static Registry *const registry = new Registry();
  return *registry;
}

bool Registry::Listen(const std::string &endpoint, const std::shared_ptr<Instance> &instance) {
  std::lock_guard<std::mutex> lock(listen_mutex_);
  auto found = listeners_.find(endpoint);
  if (found != listeners_.end()) {
    auto holder = found->second.lock();
    if (holder != nullptr && holder != instance) {
      return false;
    }
  }
  listeners_[endpoint] = instance;
  return true;
}

void Registry::StopListening(const std::string &endpoint, const Instance *instance) {
  std::lock_guard<std::mutex> lock(listen_mutex_);
  auto found = listeners_.find(endpoint);
  if (found == listeners_.end()) {
    return;
  }
  auto holder = found->second.lock();
  if (holder == nullptr || holder.get() == instance) {
    listeners_.erase(found);
  }
}

std::shared_ptr<Instance> Registry::ListenerAt(const std::string &endpoint) {
  std::lock_guard<std::mutex> lock(listen_mutex_);
  auto found = listeners_.find(endpoint);
  return found == listeners_.end() ? nullptr : found->second.lock();
}

void *Registry::Allocate(uint64_t bytes) {
  if (bytes == 0U || bytes > UINT64_MAX - kAlignment) {
    return nullptr;
  }
  const uint64_t rounded = (bytes + kAlignment - 1U) / kAlignment * kAlignment;
  if (rounded > static_cast<uint64_t>(SIZE_MAX)) {
    return nullptr;
  }
  void *memory = std::aligned_alloc(static_cast<size_t>(kAlignment), static_cast<size_t>(rounded));
  if (memory == nullptr) {
    return nullptr;
  }
  std::lock_guard<std::mutex> lock(memory_mutex_);
  try {
    allocations_[reinterpret_cast<uint64_t>(memory)] = bytes;
  } catch (...) {
    std::free(memory);
    return nullptr;
  }
  return memory;
}

bool Registry::Free(void *address) {
  if (address == nullptr) {
    return false;
  }
  {
    std::lock_guard<std::mutex> lock(memory_mutex_);
    if (allocations_.erase(reinterpret_cast<uint64_t>(address)) == 0U) {
      return false;
    }
    // Freed under the lock: a copy that resolved this range (holding the lock) has finished with it.
    std::free(address);
  }
  return true;
}

bool Registry::ContainsLocked(uint64_t address, uint64_t bytes) const {
  auto after = allocations_.upper_bound(address);
  if (after == allocations_.begin()) {
    return false;
  }
  const auto &[base, size] = *std::prev(after);
  const uint64_t offset = address - base;
  return offset <= size && bytes <= size - offset;
}

uint64_t Registry::NextLinkId() {
  std::lock_guard<std::mutex> lock(id_mutex_);
  return next_link_id_++;
}
}  // namespace llmdd_fake

extern "C" void *llmdd_fake_mem_alloc(uint64_t bytes) { return llmdd_fake::Registry::Get().Allocate(bytes); }

extern "C" void llmdd_fake_mem_free(void *address) { (void)llmdd_fake::Registry::Get().Free(address); }
