// Placeholder members so the shim can link while the engine is written; replaced by the real engine.
#include "llm_datadist.h"

namespace llm_datadist {
class LlmDataDist::LlmDataDistImpl {};
LlmDataDist::LlmDataDist(uint64_t, LlmRole) : impl_(new LlmDataDistImpl()) {}
LlmDataDist::~LlmDataDist() = default;
Status LlmDataDist::Initialize(const std::map<AscendString, AscendString> &) { return LLM_FAILED; }
void LlmDataDist::Finalize() {}
Status LlmDataDist::SetRole(LlmRole, const std::map<AscendString, AscendString> &) { return LLM_FAILED; }
Status LlmDataDist::LinkLlmClusters(const std::vector<ClusterInfo> &, std::vector<Status> &, int32_t) { return LLM_FAILED; }
Status LlmDataDist::UnlinkLlmClusters(const std::vector<ClusterInfo> &, std::vector<Status> &, int32_t, bool) { return LLM_FAILED; }
Status LlmDataDist::AllocateCache(const CacheDesc &, Cache &) { return LLM_FAILED; }
Status LlmDataDist::DeallocateCache(int64_t) { return LLM_FAILED; }
Status LlmDataDist::PullKvCache(const CacheIndex &, const Cache &, uint32_t, int64_t, const KvCacheExtParam &) { return LLM_FAILED; }
Status LlmDataDist::PullKvBlocks(const CacheIndex &, const Cache &, const std::vector<uint64_t> &, const std::vector<uint64_t> &, const KvCacheExtParam &) { return LLM_FAILED; }
Status LlmDataDist::CopyKvCache(const Cache &, const Cache &, uint32_t, uint32_t, uint64_t, int64_t) { return LLM_FAILED; }
Status LlmDataDist::CopyKvBlocks(const Cache &, const Cache &, const std::vector<uint64_t> &, const std::vector<std::vector<uint64_t>> &) { return LLM_FAILED; }
Status LlmDataDist::PushKvCache(const Cache &, const CacheIndex &, uint32_t, int64_t, const KvCacheExtParam &) { return LLM_FAILED; }
Status LlmDataDist::PushKvBlocks(const Cache &, const CacheIndex &, const std::vector<uint64_t> &, const std::vector<uint64_t> &, const KvCacheExtParam &) { return LLM_FAILED; }
Status LlmDataDist::RegisterKvCache(const CacheDesc &, const std::vector<uint64_t> &, const RegisterCfg &, int64_t &) { return LLM_FEATURE_NOT_ENABLED; }
Status LlmDataDist::UnregisterKvCache(int64_t) { return LLM_FEATURE_NOT_ENABLED; }
}  // namespace llm_datadist
