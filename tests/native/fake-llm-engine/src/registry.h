// The process-global registry of the fake engine: which instance listens on which endpoint, and which memory
// ranges are real (engine caches and harness allocations). Its mutex is always the innermost lock: code holding
// it never takes an instance's lock.
#ifndef LLMDD_FAKE_REGISTRY_H_
#define LLMDD_FAKE_REGISTRY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace llmdd_fake {
struct Instance;

class Registry {
 public:
  /// CE AllocateCache returns device addresses aligned to 512 bytes and accounts its pool in such units (§4.5, §9.8).
  static constexpr uint64_t kAlignment = 512U;

  static Registry &Get();

  /// Binds the endpoint to the instance; false when another live instance holds it.
  bool Listen(const std::string &endpoint, const std::shared_ptr<Instance> &instance);
  /// Releases the endpoint if this instance holds it.
  void StopListening(const std::string &endpoint, const Instance *instance);
  /// The live instance bound to the endpoint, or null.
  std::shared_ptr<Instance> ListenerAt(const std::string &endpoint);

  /// 512-byte aligned memory of at least bytes, recorded as known; null when bytes is 0 or memory is short.
  void *Allocate(uint64_t bytes);
  /// Forgets and frees memory from Allocate; false for an unknown pointer (then nothing happens).
  bool Free(void *address);

  /// Held while raw addresses are resolved and copied, so no known range is freed meanwhile.
  std::unique_lock<std::mutex> LockMemory() { return std::unique_lock<std::mutex>(memory_mutex_); }
  /// Whether [address, address + bytes) lies inside one known allocation; call with LockMemory held.
  bool ContainsLocked(uint64_t address, uint64_t bytes) const;

  /// A process-unique id for a new link, shared by its two records (to tell a live mirror from a stale one).
  uint64_t NextLinkId();

 private:
  Registry() = default;
  std::mutex listen_mutex_;
  std::map<std::string, std::weak_ptr<Instance>> listeners_;
  std::mutex memory_mutex_;
  std::map<uint64_t, uint64_t> allocations_;  // base address -> bytes
  std::mutex id_mutex_;
  uint64_t next_link_id_ = 1;
};
}  // namespace llmdd_fake

#endif  // LLMDD_FAKE_REGISTRY_H_
