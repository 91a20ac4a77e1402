// The CE engine's parameter rules that need no instance state (reference §3, §4, §7, §9.10): option text,
// IP text, cache geometry and layer selection.
#ifndef LLMDD_FAKE_RULES_H_
#define LLMDD_FAKE_RULES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llm_datadist.h"

namespace llmdd_fake {
using llm_datadist::CacheDesc;
using llm_datadist::KvCacheExtParam;

/// The byte layout of a cache (§4.2): row r of a tensor is [r * stride, (r + 1) * stride).
struct Geometry {
  uint32_t num_tensors = 0U;
  uint64_t tensor_bytes = 0U;
  uint64_t rows = 0U;
  uint64_t stride = 0U;
  uint64_t Layers(uint8_t tensors_per_layer) const { return num_tensors / tensors_per_layer; }
};

/// Which size table applies (§3): the device function's narrower one (AllocateCache) or the host's (Copy).
enum class Sizing { kHost, kDevice };

/// Sizes a description; nullopt is LLM_PARAM_INVALID. check_rank: rank 1..31 required (Copy accepts a scalar).
std::optional<Geometry> Describe(const CacheDesc &desc, Sizing sizing, bool check_rank);

/// Decimal digits only, no sign, fits the type; the engines reject everything else.
bool ParseDigits(const std::string &text, uint64_t max, uint64_t &value);
/// llm.DeviceId: one id, or (CE) a ';'-separated list.
bool ParseDeviceIds(const std::string &text, std::vector<int32_t> &ids);
/// Dotted-quad IPv4 as the engines' parser accepts it.
bool IsIpv4(const std::string &text);
/// llm.ListenIpInfo (CE): ';'-separated "IPv4:port" entries, port up to 2^32 - 1; endpoints normalised "ip:port".
bool ParseListenList(const std::string &text, std::vector<std::string> &endpoints);
/// llm.BufPoolCfg: a JSON object with a positive int64 buf_pool_size, or with buf_cfg alone (bytes left unchanged).
bool ParseBufPoolSize(const std::string &text, int64_t &bytes);

/// The KvCacheExtParam check both engines run first (§9.10).
bool LayerParamValid(const KvCacheExtParam &ext, bool push);
/// A pull uses ranges only when both start at a real layer.
bool PullUsesRanges(const KvCacheExtParam &ext);

struct TensorPair {
  uint32_t source;
  uint32_t destination;
};
/// The tensors a pull pairs; nullopt when the counts differ or a range falls outside a cache.
std::optional<std::vector<TensorPair>> PullPairs(const KvCacheExtParam &ext, uint32_t source_tensors,
                                                 uint32_t destination_tensors);
}  // namespace llmdd_fake

#endif  // LLMDD_FAKE_RULES_H_
