// The fake engine's own test: lifecycle, options, links, byte-exact pulls, pushes and copies, the statuses of the
// CE rules it models, and a multi-threaded smoke test. Plain asserts; run by ctest and under the sanitizers.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "fake_llm_engine/fake_memory.h"
#include "llm_datadist.h"

using namespace llm_datadist;

namespace {
int g_failures = 0;

#define CHECK(condition)                                                          \
  do {                                                                            \
    if (!(condition)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #condition); \
      ++g_failures;                                                               \
    }                                                                             \
  } while (0)

#define CHECK_STATUS(expected, call)                                                                   \
  do {                                                                                                 \
    const Status actual_ = (call);                                                                     \
    if (actual_ != (expected)) {                                                                       \
      std::fprintf(stderr, "%s:%d: %s returned 0x%X, expected 0x%X\n", __FILE__, __LINE__, #call,     \
                   static_cast<unsigned>(actual_), static_cast<unsigned>(expected));                   \
      ++g_failures;                                                                                    \
    }                                                                                                  \
  } while (0)

using Options = std::map<AscendString, AscendString>;

constexpr uint64_t kPromptId = 1U;
constexpr uint64_t kDecoderId = 2U;
const char *const kPromptIp = "10.0.0.1";
const char *const kDecoderIp = "10.0.0.2";

Options Opts(std::vector<std::pair<const char *, const char *>> entries) {
  Options options;
  for (const auto &[key, value] : entries) {
    options[AscendString(key)] = AscendString(value);
  }
  return options;
}

std::string Listen(uint16_t port) { return std::string(kPromptIp) + ":" + std::to_string(port); }

ClusterInfo ToPrompt(uint16_t port, uint64_t remote_id = kPromptId) {
  ClusterInfo cluster;
  cluster.remote_cluster_id = remote_id;
  cluster.remote_role_type = static_cast<int32_t>(LlmRole::kPrompt);
  IpInfo local;
  local.ip = AscendString(kDecoderIp);
  IpInfo remote;
  remote.ip = AscendString(kPromptIp);
  remote.port = port;
  cluster.local_ip_infos.push_back(local);
  cluster.remote_ip_infos.push_back(remote);
  return cluster;
}

ClusterInfo ToDecoder(uint64_t decoder_id = kDecoderId) {
  ClusterInfo cluster;
  cluster.remote_cluster_id = decoder_id;
  IpInfo local;
  local.ip = AscendString(kPromptIp);
  IpInfo remote;
  remote.ip = AscendString(kDecoderIp);
  cluster.local_ip_infos.push_back(local);
  cluster.remote_ip_infos.push_back(remote);
  return cluster;
}

// The samples' cache: 4 int32 tensors of [8, 16], 512 bytes each, rows of 64 bytes.
CacheDesc SampleDesc(uint32_t num_tensors = 4U, std::vector<int64_t> shape = {8, 16}) {
  CacheDesc desc;
  desc.placement = CachePlacement::kDevice;
  desc.num_tensors = num_tensors;
  desc.data_type = DT_INT32;
  desc.shape = std::move(shape);
  return desc;
}

constexpr uint64_t kTensorBytes = 512U;
constexpr uint64_t kStride = 64U;

uint8_t *Tensor(const Cache &cache, size_t t) { return reinterpret_cast<uint8_t *>(cache.tensor_addrs[t]); }

void Fill(const Cache &cache, uint8_t seed, uint64_t bytes = kTensorBytes) {
  for (size_t t = 0; t < cache.tensor_addrs.size(); ++t) {
    for (uint64_t i = 0; i < bytes; ++i) {
      Tensor(cache, t)[i] = static_cast<uint8_t>(i * 31U + t * 7U + seed * 101U + 1U);
    }
  }
}

bool Same(const uint8_t *a, const uint8_t *b, uint64_t bytes) { return std::memcmp(a, b, bytes) == 0; }

/// A listening prompt and a decoder, initialized and (optionally) linked.
struct Pair {
  std::unique_ptr<LlmDataDist> prompt;
  std::unique_ptr<LlmDataDist> decoder;
  uint16_t port;
};

Pair MakePair(uint16_t port, bool link, const char *extra_key = nullptr, const char *extra_value = nullptr) {
  Pair pair{std::make_unique<LlmDataDist>(kPromptId, LlmRole::kPrompt),
            std::make_unique<LlmDataDist>(kDecoderId, LlmRole::kDecoder), port};
  const std::string listen = Listen(port);
  auto prompt_options = Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_LISTEN_IP_INFO, listen.c_str()}});
  auto decoder_options = Opts({{OPTION_DEVICE_ID, "0"}});
  if (extra_key != nullptr) {
    prompt_options[AscendString(extra_key)] = AscendString(extra_value);
    decoder_options[AscendString(extra_key)] = AscendString(extra_value);
  }
  CHECK_STATUS(LLM_SUCCESS, pair.prompt->Initialize(prompt_options));
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->Initialize(decoder_options));
  if (link) {
    std::vector<Status> rets;
    CHECK_STATUS(LLM_SUCCESS, pair.decoder->LinkLlmClusters({ToPrompt(port)}, rets, 1000));
    CHECK(rets == std::vector<Status>{LLM_SUCCESS});
  }
  return pair;
}

Cache Allocate(LlmDataDist &engine, const CacheDesc &desc = SampleDesc()) {
  Cache cache;
  CHECK_STATUS(LLM_SUCCESS, engine.AllocateCache(desc, cache));
  return cache;
}

void TestLifecycle() {
  LlmDataDist engine(kDecoderId, LlmRole::kDecoder);
  Cache cache;
  std::vector<Status> rets;
  // Every call but Initialize/Finalize needs Initialize first; CE registration is never enabled.
  CHECK_STATUS(LLM_FAILED, engine.AllocateCache(SampleDesc(), cache));
  CHECK_STATUS(LLM_FAILED, engine.DeallocateCache(1));
  CHECK_STATUS(LLM_FAILED, engine.SetRole(LlmRole::kMix));
  CHECK_STATUS(LLM_FAILED, engine.LinkLlmClusters({ToPrompt(1)}, rets, 1000));
  CHECK_STATUS(LLM_FAILED, engine.PullKvCache({kPromptId, 1, 0}, cache));
  CHECK_STATUS(LLM_FAILED, engine.CopyKvCache(cache, cache));
  int64_t id = 0;
  CHECK_STATUS(LLM_FEATURE_NOT_ENABLED, engine.RegisterKvCache(SampleDesc(), {1U}, RegisterCfg{}, id));
  CHECK_STATUS(LLM_FEATURE_NOT_ENABLED, engine.UnregisterKvCache(1));
  engine.Finalize();  // a no-op before Initialize

  // Options (§7, §9.3): required device id, digits only, devices of this server, the Prompt's endpoint.
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize({}));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "1x"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "2147483648"}})));
  CHECK_STATUS(LLM_FAILED, engine.Initialize(Opts({{OPTION_DEVICE_ID, "99"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "99"}, {OPTION_SYNC_CACHE_WAIT_TIME, "x"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_BUF_POOL_CFG, "{}"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_BUF_POOL_CFG, "not json"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_BUF_POOL_CFG, "{\"buf_pool_size\": 0}"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_BUF_POOL_CFG, "{\"buf_pool_size\": \"1\"}"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_ENABLE_SET_ROLE, "2"}})));
  // A malformed endpoint is ignored off a Prompt (CE checks it for a Prompt only).
  CHECK_STATUS(LLM_SUCCESS, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0;1"}, {OPTION_LISTEN_IP_INFO, "nonsense"},
      {OPTION_BUF_POOL_CFG, "{\"buf_cfg\": [{\"total_size\": 2097152}], \"buf_pool_size\": 4096}"}})));
  CHECK_STATUS(LLM_SUCCESS, engine.Initialize(Opts({{OPTION_DEVICE_ID, "bad"}})));  // already initialized: ignored
  // Two devices: one address per tensor and device, device-major; ids count from 1.
  Cache two = Allocate(engine, SampleDesc(1U));
  CHECK(two.cache_id == 1 && two.tensor_addrs.size() == 2U);
  CHECK(two.tensor_addrs[0] % 512U == 0U && two.tensor_addrs[1] % 512U == 0U);
  // 1024 of the 4096-byte pool are used: 4 tensors on 2 devices (4096 bytes) do not fit.
  Cache next;
  CHECK_STATUS(LLM_DEVICE_OUT_OF_MEMORY, engine.AllocateCache(SampleDesc(4U), next));  // consumes id 2
  CHECK(Allocate(engine, SampleDesc(1U)).cache_id == 3);
  engine.Finalize();
  engine.Finalize();

  LlmDataDist prompt(kPromptId, LlmRole::kPrompt);
  CHECK_STATUS(LLM_PARAM_INVALID, prompt.Initialize(Opts({{OPTION_DEVICE_ID, "0"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, prompt.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_LISTEN_IP_INFO, "10.0.0.1"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, prompt.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_LISTEN_IP_INFO, "10.0.0.1:4294967296"}})));
  CHECK_STATUS(LLM_SUCCESS, prompt.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_LISTEN_IP_INFO, "10.0.0.1:27000"}})));
  // The endpoint is taken until the holder finalizes.
  LlmDataDist rival(3U, LlmRole::kPrompt);
  CHECK_STATUS(LLM_FAILED, rival.Initialize(Opts({{OPTION_DEVICE_ID, "1"}, {OPTION_LISTEN_IP_INFO, "10.0.0.1:27000"}})));
  prompt.Finalize();
  CHECK_STATUS(LLM_SUCCESS, rival.Initialize(Opts({{OPTION_DEVICE_ID, "1"}, {OPTION_LISTEN_IP_INFO, "10.0.0.1:27000"}})));

  // Re-Initialize: a fresh state whose cache ids restart at 1.
  CHECK_STATUS(LLM_SUCCESS, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}})));
  CHECK(Allocate(engine).cache_id == 1);
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, engine.DeallocateCache(7));
  CHECK_STATUS(LLM_SUCCESS, engine.DeallocateCache(1));
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, engine.DeallocateCache(1));
  // Invalid descriptions: no id for the first rules, an id consumed for the later ones (§9.8).
  CacheDesc host = SampleDesc();
  host.placement = CachePlacement::kHost;
  CHECK_STATUS(LLM_PARAM_INVALID, engine.AllocateCache(host, next));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.AllocateCache(SampleDesc(0U), next));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.AllocateCache(SampleDesc(4U, {}), next));      // id 2
  CHECK_STATUS(LLM_PARAM_INVALID, engine.AllocateCache(SampleDesc(4U, {8, 0}), next));  // id 3
  CacheDesc string_type = SampleDesc();
  string_type.data_type = DT_STRING;  // not in the device's size table
  CHECK_STATUS(LLM_PARAM_INVALID, engine.AllocateCache(string_type, next));  // id 4
  CacheDesc bogus_type = SampleDesc();
  const int32_t raw_type = 1000;
  std::memcpy(&bogus_type.data_type, &raw_type, sizeof(raw_type));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.AllocateCache(bogus_type, next));  // id 5
  CHECK(Allocate(engine).cache_id == 6);

  // Role rules: kEnd is not a role; SetRole needs llm.EnableSwitchRole.
  LlmDataDist no_role(9U, LlmRole::kEnd);
  CHECK_STATUS(LLM_PARAM_INVALID, no_role.Initialize(Opts({{OPTION_DEVICE_ID, "0"}})));
  CHECK_STATUS(LLM_FEATURE_NOT_ENABLED, engine.SetRole(LlmRole::kPrompt));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.SetRole(LlmRole::kEnd));
}

void TestSetRole() {
  LlmDataDist engine(5U, LlmRole::kDecoder);
  CHECK_STATUS(LLM_SUCCESS, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_ENABLE_SET_ROLE, "1"}})));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.SetRole(LlmRole::kPrompt));  // a Prompt needs an endpoint
  CHECK_STATUS(LLM_PARAM_INVALID, engine.SetRole(LlmRole::kMix, Opts({{OPTION_LISTEN_IP_INFO, "x"}})));
  CHECK_STATUS(LLM_SUCCESS, engine.SetRole(LlmRole::kPrompt, Opts({{OPTION_LISTEN_IP_INFO, "10.0.0.1:27100"}})));
  // Now it listens: a decoder links to it, and a linked instance cannot switch.
  LlmDataDist decoder(6U, LlmRole::kDecoder);
  CHECK_STATUS(LLM_SUCCESS, decoder.Initialize(Opts({{OPTION_DEVICE_ID, "0"}})));
  std::vector<Status> rets;
  CHECK_STATUS(LLM_SUCCESS, decoder.LinkLlmClusters({ToPrompt(27100, 5U)}, rets, 1000));
  CHECK_STATUS(LLM_EXIST_LINK, engine.SetRole(LlmRole::kDecoder));
  CHECK_STATUS(LLM_SUCCESS, engine.UnlinkLlmClusters({ToDecoder(6U)}, rets, 1000));  // server-side teardown
  CHECK_STATUS(LLM_SUCCESS, engine.SetRole(LlmRole::kMix));  // stops listening
  CHECK_STATUS(LLM_SUCCESS, decoder.UnlinkLlmClusters({ToPrompt(27100, 5U)}, rets, 1000, true));
  CHECK_STATUS(LLM_LINK_FAILED, decoder.LinkLlmClusters({ToPrompt(27100, 5U)}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_LINK_FAILED});
}

void TestLinks() {
  Pair pair = MakePair(26000, false);
  std::vector<Status> rets{LLM_FAILED};
  // Pre-checks leave rets untouched.
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->LinkLlmClusters({ToPrompt(26000)}, rets, 0));
  ClusterInfo bad_ip = ToPrompt(26000);
  bad_ip.remote_ip_infos[0].ip = AscendString("10.0.0.256");
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->LinkLlmClusters({bad_ip}, rets, 1000));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.prompt->LinkLlmClusters({ToDecoder()}, rets, 1000));  // CE: Decoder only
  CHECK(rets == std::vector<Status>{LLM_FAILED});
  // Structural checks, then the 16-cluster limit.
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->LinkLlmClusters({}, rets, 1000));
  ClusterInfo two_locals = ToPrompt(26000);
  two_locals.local_ip_infos.push_back(two_locals.local_ip_infos[0]);
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->LinkLlmClusters({two_locals}, rets, 1000));
  std::vector<ClusterInfo> many;
  for (uint64_t i = 0; i < 17U; ++i) {
    many.push_back(ToPrompt(26000, 100U + i));
  }
  CHECK_STATUS(LLM_CLUSTER_NUM_EXCEED_LIMIT, pair.decoder->LinkLlmClusters(many, rets, 1000));
  CHECK(rets.empty());
  // Per cluster: linked, repeated in the call, nobody listening.
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->LinkLlmClusters({ToPrompt(26000), ToPrompt(26000)}, rets, 1000));
  CHECK((rets == std::vector<Status>{LLM_SUCCESS, LLM_REPEAT_REQUEST}));
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->LinkLlmClusters({ToPrompt(26000)}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_ALREADY_LINK});
  CHECK_STATUS(LLM_LINK_FAILED, pair.decoder->LinkLlmClusters({ToPrompt(26001, 50U)}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_LINK_FAILED});

  // Unlink: unknown, wrong IPs, then both sides.
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->UnlinkLlmClusters({ToPrompt(26000, 77U)}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_NOT_YET_LINK});
  ClusterInfo other_ip = ToPrompt(26000);
  other_ip.local_ip_infos[0].ip = AscendString("10.0.0.9");
  CHECK_STATUS(LLM_UNLINK_FAILED, pair.decoder->UnlinkLlmClusters({other_ip}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_PARAM_INVALID});
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->UnlinkLlmClusters({ToPrompt(26000)}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_SUCCESS});
  // A non-force unlink told the prompt: it holds no record either.
  CHECK_STATUS(LLM_SUCCESS, pair.prompt->UnlinkLlmClusters({ToDecoder()}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_NOT_YET_LINK});

  // Half-open: the prompt finalizes; the decoder's pull times out until it force-unlinks and links again.
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->LinkLlmClusters({ToPrompt(26000)}, rets, 1000));
  pair.prompt->Finalize();
  const std::string listen = Listen(26000);
  CHECK_STATUS(LLM_SUCCESS, pair.prompt->Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_LISTEN_IP_INFO, listen.c_str()}})));
  Cache src = Allocate(*pair.prompt);
  Cache dst = Allocate(*pair.decoder);
  CHECK_STATUS(LLM_WAIT_PROC_TIMEOUT, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst));
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->UnlinkLlmClusters({ToPrompt(26000)}, rets, 1000, true));
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->LinkLlmClusters({ToPrompt(26000)}, rets, 1000));
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst));
  // A destroyed peer: the same, and its endpoint is free again.
  pair.prompt.reset();
  CHECK_STATUS(LLM_WAIT_PROC_TIMEOUT, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst));
  CHECK_STATUS(LLM_UNLINK_FAILED, pair.decoder->UnlinkLlmClusters({ToPrompt(26000)}, rets, 1000));
  CHECK(rets == std::vector<Status>{LLM_NOTIFY_PROMPT_UNLINK_FAILED});
  CHECK_STATUS(LLM_NOT_YET_LINK, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst));
}

void TestPullPushBytes() {
  Pair pair = MakePair(26100, true);
  Cache src = Allocate(*pair.prompt);
  Cache dst = Allocate(*pair.decoder);
  Fill(src, 1);
  Fill(dst, 2);
  std::vector<std::vector<uint8_t>> before;
  for (size_t t = 0; t < 4; ++t) {
    before.emplace_back(Tensor(dst, t), Tensor(dst, t) + kTensorBytes);
  }
  // Row 3 of every source tensor into row 5 of the destination; nothing else changes.
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->PullKvCache({kPromptId, src.cache_id, 3}, dst, 5));
  for (size_t t = 0; t < 4; ++t) {
    CHECK(Same(Tensor(dst, t) + 5 * kStride, Tensor(src, t) + 3 * kStride, kStride));
    CHECK(Same(Tensor(dst, t), before[t].data(), 5 * kStride));
    CHECK(Same(Tensor(dst, t) + 6 * kStride, before[t].data() + 6 * kStride, 2 * kStride));
  }
  // Layer 1 (tensors 2, 3) of the source into layer 0 (tensors 0, 1), 16 bytes per tensor.
  KvCacheExtParam layers;
  layers.src_layer_range = {1, 1};
  layers.dst_layer_range = {0, 0};
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst, 0, 16, layers));
  CHECK(Same(Tensor(dst, 0), Tensor(src, 2), 16) && Same(Tensor(dst, 1), Tensor(src, 3), 16));
  // Blocks reversed.
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->PullKvBlocks({kPromptId, src.cache_id, 0}, dst, {0, 1, 2, 3}, {3, 2, 1, 0}));
  for (size_t t = 0; t < 4; ++t) {
    for (uint64_t b = 0; b < 4; ++b) {
      CHECK(Same(Tensor(dst, t) + (3 - b) * kStride, Tensor(src, t) + b * kStride, kStride));
    }
  }
  // The pull rules, in CE order.
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst, 0, 0));
  KvCacheExtParam inverted;
  inverted.src_layer_range = {2, 1};
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst, 0, -1, inverted));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.prompt->PullKvCache({kDecoderId, dst.cache_id, 0}, src));  // Decoder only
  Cache unknown;
  unknown.cache_id = 99;
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, unknown));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst, 8));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst, 0, 65));
  CHECK_STATUS(LLM_NOT_YET_LINK, pair.decoder->PullKvCache({42U, src.cache_id, 0}, dst));
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, pair.decoder->PullKvCache({kPromptId, 99, 0}, dst));
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, pair.decoder->PullKvCache({kPromptId, src.cache_id, 8}, dst));  // remote row
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvBlocks({kPromptId, src.cache_id, 1}, dst, {0}, {0}));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvBlocks({kPromptId, src.cache_id, 0}, dst, {}, {}));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvBlocks({kPromptId, src.cache_id, 0}, dst, {0}, {8}));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvBlocks({kPromptId, src.cache_id, 0}, dst, {8}, {0}));
  Cache fewer = Allocate(*pair.decoder, SampleDesc(2U));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, fewer));  // counts differ

  // Push: row 6 of the prompt's cache into row 1 of the decoder's, every layer.
  Fill(src, 3);
  CHECK_STATUS(LLM_SUCCESS, pair.prompt->PushKvCache(src, {kDecoderId, dst.cache_id, 1}, 6));
  for (size_t t = 0; t < 4; ++t) {
    CHECK(Same(Tensor(dst, t) + kStride, Tensor(src, t) + 6 * kStride, kStride));
  }
  KvCacheExtParam one_layer;
  one_layer.src_layer_range = {0, 0};
  one_layer.dst_layer_range = {1, 1};
  CHECK_STATUS(LLM_SUCCESS, pair.prompt->PushKvBlocks(src, {kDecoderId, dst.cache_id, 0}, {5, 6, 7}, {5, 6, 7}, one_layer));
  CHECK(Same(Tensor(dst, 2) + 5 * kStride, Tensor(src, 0) + 5 * kStride, 3 * kStride));
  CHECK(Same(Tensor(dst, 3) + 5 * kStride, Tensor(src, 1) + 5 * kStride, 3 * kStride));
  CHECK_STATUS(LLM_PARAM_INVALID, pair.decoder->PushKvCache(dst, {kPromptId, src.cache_id, 0}));  // Prompt only
  CHECK_STATUS(LLM_PARAM_INVALID, pair.prompt->PushKvCache(src, {kDecoderId, dst.cache_id, 0}, 0, 64));
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, pair.prompt->PushKvCache(src, {kDecoderId, dst.cache_id, 8}));
  CHECK_STATUS(LLM_NOT_YET_LINK, pair.prompt->PushKvCache(src, {42U, dst.cache_id, 0}));
  // A push of every layer to a destination with fewer tensors fails at layer 1 after writing layer 0.
  Fill(src, 4);
  CHECK_STATUS(LLM_PARAM_INVALID, pair.prompt->PushKvCache(src, {kDecoderId, fewer.cache_id, 2}, 2));
  CHECK(Same(Tensor(fewer, 0) + 2 * kStride, Tensor(src, 0) + 2 * kStride, kStride));
  CHECK(Same(Tensor(fewer, 1) + 2 * kStride, Tensor(src, 1) + 2 * kStride, kStride));
  // A cache allocated after linking can be pulled at once (CE).
  Cache late = Allocate(*pair.prompt);
  Fill(late, 9);
  CHECK_STATUS(LLM_SUCCESS, pair.decoder->PullKvCache({kPromptId, late.cache_id, 7}, dst, 7));
  CHECK(Same(Tensor(dst, 0) + 7 * kStride, Tensor(late, 0) + 7 * kStride, kStride));
  // A deallocated source is gone for the peer too.
  CHECK_STATUS(LLM_SUCCESS, pair.prompt->DeallocateCache(late.cache_id));
  CHECK_STATUS(LLM_KV_CACHE_NOT_EXIST, pair.decoder->PullKvCache({kPromptId, late.cache_id, 7}, dst, 7));
}

void TestCopies() {
  LlmDataDist engine(7U, LlmRole::kMix);
  CHECK_STATUS(LLM_SUCCESS, engine.Initialize(Opts({{OPTION_DEVICE_ID, "0"}, {OPTION_BUF_POOL_CFG, "{\"buf_pool_size\": 3072}"}})));
  Cache a = Allocate(engine, SampleDesc(1U, {4, 16}));
  Cache b = Allocate(engine, SampleDesc(1U, {4, 16}));
  Fill(a, 1, 256);
  Fill(b, 2, 256);
  // Row 0 of a into row 1 of b, then blocks {0, 2} into {1, 3} and {0, 2} of b.
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvCache(a, b, 0, 1));
  CHECK(Same(Tensor(b, 0) + kStride, Tensor(a, 0), kStride));
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvCache(a, b, 2, 3, 16, 8));
  CHECK(Same(Tensor(b, 0) + 3 * kStride + 16, Tensor(a, 0) + 2 * kStride + 16, 8));
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvBlocks(a, b, {0, 2}, {{1, 3}, {0, 2}}));
  CHECK(Same(Tensor(b, 0) + 1 * kStride, Tensor(a, 0), kStride) && Same(Tensor(b, 0) + 3 * kStride, Tensor(a, 0) + 2 * kStride, kStride));
  CHECK(Same(Tensor(b, 0), Tensor(a, 0), kStride) && Same(Tensor(b, 0) + 2 * kStride, Tensor(a, 0) + 2 * kStride, kStride));
  // Rules: offsets, sizes, rows, address counts, and addresses the engine does not know.
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvCache(a, b, 0, 1, 64));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvCache(a, b, 0, 1, 16, 49));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvCache(a, b, 4, 1));
  Cache bogus = a;
  bogus.tensor_addrs = {0x10};
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvCache(bogus, b, 0, 1));
  bogus.tensor_addrs = {a.tensor_addrs[0], a.tensor_addrs[0]};
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvCache(bogus, b, 0, 1));
  // A D2D block copy fails at its second list after the first one landed.
  Fill(b, 5, 256);
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvBlocks(a, b, {1}, {{0}, {9}}));
  CHECK(Same(Tensor(b, 0), Tensor(a, 0) + kStride, kStride));
  // Host memory from the fake allocator: D2H needs no staging, H2D needs four staging blocks from the pool.
  void *host_memory = llmdd_fake_mem_alloc(256);
  CHECK(host_memory != nullptr);
  Cache host;
  host.tensor_addrs = {reinterpret_cast<uintptr_t>(host_memory)};
  host.cache_desc = SampleDesc(1U, {4, 16});
  host.cache_desc.placement = CachePlacement::kHost;
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvBlocks(a, host, {3}, {{0}}));
  CHECK(Same(static_cast<uint8_t *>(host_memory), Tensor(a, 0) + 3 * kStride, kStride));
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvCache(host, a, 0, 0));  // host source
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvBlocks(host, b, {0}, {{2}}));  // 1024 of 3072 used: 4 x 512 staging fits
  Cache filler = Allocate(engine, SampleDesc(1U, {4, 16}));              // 1536 used: it no longer does
  CHECK_STATUS(LLM_DEVICE_OUT_OF_MEMORY, engine.CopyKvBlocks(host, b, {0}, {{2}}));
  CHECK_STATUS(LLM_SUCCESS, engine.DeallocateCache(filler.cache_id));
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvBlocks(host, b, {0}, {{2}}));
  llmdd_fake_mem_free(host_memory);
  CHECK_STATUS(LLM_PARAM_INVALID, engine.CopyKvBlocks(a, host, {3}, {{0}}));  // freed memory is unknown again
  // No tensors, no addresses: every check passes and nothing is copied.
  Cache empty;
  empty.cache_desc = SampleDesc(0U, {4, 16});
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvCache(empty, empty));
  CHECK_STATUS(LLM_SUCCESS, engine.CopyKvBlocks(empty, empty, {0}, {{1}}));
}

/// 16 threads pull concurrently over one link while the prompt pushes to the decoder (the two instances lock each
/// other in opposite roles), others allocate and free, and a third instance links and unlinks: bytes must be exact
/// and nothing may deadlock.
void TestThreads() {
  constexpr int kPullers = 16;
  constexpr int kRounds = 200;
  Pair pair = MakePair(26200, true);
  Cache src = Allocate(*pair.prompt);
  Fill(src, 11);
  std::vector<Cache> pull_targets;
  std::vector<Cache> push_sources;
  std::vector<Cache> push_targets;
  for (int i = 0; i < kPullers; ++i) {
    pull_targets.push_back(Allocate(*pair.decoder));
    push_sources.push_back(Allocate(*pair.prompt));
    push_targets.push_back(Allocate(*pair.decoder));
    Fill(push_sources.back(), static_cast<uint8_t>(i));
  }
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kPullers; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        const uint32_t row = static_cast<uint32_t>((round + i) % 8);
        if (pair.decoder->PullKvCache({kPromptId, src.cache_id, row}, pull_targets[i], row) != LLM_SUCCESS ||
            !Same(Tensor(pull_targets[i], 3) + row * kStride, Tensor(src, 3) + row * kStride, kStride)) {
          ++errors;
        }
        if (pair.decoder->PullKvBlocks({kPromptId, src.cache_id, 0}, pull_targets[i], {row}, {7 - row}) != LLM_SUCCESS ||
            !Same(Tensor(pull_targets[i], 0) + (7 - row) * kStride, Tensor(src, 0) + row * kStride, kStride)) {
          ++errors;
        }
        if (pair.prompt->PushKvCache(push_sources[i], {kDecoderId, push_targets[i].cache_id, row}, row) != LLM_SUCCESS ||
            !Same(Tensor(push_targets[i], 1) + row * kStride, Tensor(push_sources[i], 1) + row * kStride, kStride)) {
          ++errors;
        }
      }
    });
  }
  threads.emplace_back([&] {
    for (int round = 0; round < kRounds; ++round) {
      Cache scratch;
      if (pair.decoder->AllocateCache(SampleDesc(), scratch) != LLM_SUCCESS ||
          pair.prompt->CopyKvCache(src, scratch, 2, 2) != LLM_SUCCESS ||  // reads the prompt's cache, writes the decoder's
          !Same(Tensor(scratch, 2) + 2 * kStride, Tensor(src, 2) + 2 * kStride, kStride) ||
          pair.decoder->DeallocateCache(scratch.cache_id) != LLM_SUCCESS) {
        ++errors;
      }
    }
  });
  threads.emplace_back([&] {
    LlmDataDist third(3U, LlmRole::kDecoder);
    if (third.Initialize(Opts({{OPTION_DEVICE_ID, "1"}})) != LLM_SUCCESS) {
      ++errors;
    }
    for (int round = 0; round < kRounds / 4; ++round) {
      std::vector<Status> rets;
      if (third.LinkLlmClusters({ToPrompt(26200)}, rets, 1000) != LLM_SUCCESS ||
          third.UnlinkLlmClusters({ToPrompt(26200)}, rets, 1000) != LLM_SUCCESS) {
        ++errors;
      }
    }
  });
  // Concurrent Link/Unlink on one instance: each either runs or reports the operation already in progress.
  threads.emplace_back([&] {
    LlmDataDist fourth(4U, LlmRole::kDecoder);
    if (fourth.Initialize(Opts({{OPTION_DEVICE_ID, "2"}})) != LLM_SUCCESS) {
      ++errors;
    }
    std::vector<std::thread> racers;
    for (int r = 0; r < 4; ++r) {
      racers.emplace_back([&] {
        for (int round = 0; round < kRounds / 4; ++round) {
          std::vector<Status> rets;
          const Status link = fourth.LinkLlmClusters({ToPrompt(26200)}, rets, 1000);
          const Status unlink = fourth.UnlinkLlmClusters({ToPrompt(26200)}, rets, 1000, true);
          if ((link != LLM_SUCCESS && link != LLM_PROCESSING_LINK) ||
              (unlink != LLM_SUCCESS && unlink != LLM_PROCESSING_LINK)) {
            ++errors;
          }
        }
      });
    }
    for (auto &racer : racers) {
      racer.join();
    }
  });
  for (auto &thread : threads) {
    thread.join();
  }
  CHECK(errors.load() == 0);
}

/// Instances destroyed while their peers keep calling: no call may crash, every status is one the rules allow.
void TestDestroyWhileInUse() {
  Pair pair = MakePair(26300, true);
  Cache dst = Allocate(*pair.decoder);
  Cache src = Allocate(*pair.prompt);
  std::atomic<bool> stop{false};
  std::atomic<int> unexpected{0};
  std::thread puller([&] {
    while (!stop.load()) {
      const Status status = pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst);
      if (status != LLM_SUCCESS && status != LLM_WAIT_PROC_TIMEOUT) {
        ++unexpected;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  pair.prompt.reset();  // the peer goes away mid-stream
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  stop = true;
  puller.join();
  CHECK(unexpected.load() == 0);
  CHECK_STATUS(LLM_WAIT_PROC_TIMEOUT, pair.decoder->PullKvCache({kPromptId, src.cache_id, 0}, dst));
}
/// Seeded random arguments, edge values included, for every transfer and copy on a linked pair: each call answers
/// a status the CE rules list and never touches memory outside a buffer (the sanitizer runs check the latter).
void TestRandomArguments() {
  constexpr uint32_t kSeed = 20261128U;
  std::mt19937_64 random(kSeed);
  Pair pair = MakePair(26400, true);
  std::vector<Cache> prompt_caches{Allocate(*pair.prompt), Allocate(*pair.prompt, SampleDesc(2U, {4, 32}))};
  std::vector<Cache> decoder_caches{Allocate(*pair.decoder), Allocate(*pair.decoder, SampleDesc(6U, {8, 16}))};
  const auto pick = [&random](const auto &values) { return values[random() % values.size()]; };
  const std::vector<int64_t> ids{-1, 0, 1, 2, 3, 99};
  const std::vector<uint32_t> rows{0U, 1U, 7U, 8U, 9U, UINT32_MAX};
  const std::vector<int64_t> sizes{-1, -5, 0, 1, 63, 64, 65, INT64_MAX};
  const std::vector<int32_t> layers{-2, -1, 0, 1, 2, INT32_MAX};
  const std::vector<uint8_t> per_layer{0U, 1U, 2U, 3U, 255U};
  const std::vector<uint64_t> blocks{0U, 1U, 3U, 7U, 8U, UINT64_MAX};
  const std::vector<uint64_t> offsets{0U, 1U, 16U, 63U, 64U, UINT64_MAX};
  const std::vector<Status> allowed{LLM_SUCCESS, LLM_FAILED, LLM_PARAM_INVALID, LLM_KV_CACHE_NOT_EXIST,
                                    LLM_NOT_YET_LINK, LLM_FEATURE_NOT_ENABLED, LLM_DEVICE_OUT_OF_MEMORY};
  const auto random_blocks = [&] {
    std::vector<uint64_t> list(random() % 4U);
    for (auto &block : list) {
      block = pick(blocks);
    }
    return list;
  };
  const auto random_cache = [&](const std::vector<Cache> &caches) {
    Cache cache = pick(caches);
    switch (random() % 8U) {
      case 0: cache.cache_id = pick(ids); break;
      case 1: cache.tensor_addrs.push_back(cache.tensor_addrs[0] + 8U); break;
      case 2: cache.tensor_addrs[0] += pick(offsets); break;
      case 3: cache.cache_desc.shape = {static_cast<int64_t>(pick(rows)), 16}; break;
      default: break;
    }
    return cache;
  };
  int unexpected = 0;
  std::map<Status, int> seen;
  for (int call = 0; call < 4000; ++call) {
    // Half the calls keep the defaults, so draws get past the first checks often enough to move bytes.
    KvCacheExtParam ext;
    const bool plain = random() % 2U == 0U;
    if (!plain) {
      ext.src_layer_range = {pick(layers), pick(layers)};
      ext.dst_layer_range = {pick(layers), pick(layers)};
      ext.tensor_num_per_layer = pick(per_layer);
    }
    const int64_t size = plain ? -1 : pick(sizes);
    const CacheIndex remote{pick(std::vector<uint64_t>{kPromptId, kDecoderId, kPromptId, kDecoderId, 42U}),
                            pick(std::vector<int64_t>{1, 2, 1, 2, 99}), random() % 2U == 0U ? 0U : pick(rows)};
    Status status = LLM_SUCCESS;
    switch (random() % 6U) {
      case 0: status = pair.decoder->PullKvCache(remote, random_cache(decoder_caches), pick(rows), size, ext); break;
      case 1: status = pair.decoder->PullKvBlocks(remote, random_cache(decoder_caches), random_blocks(), random_blocks(), ext); break;
      case 2: status = pair.prompt->PushKvCache(random_cache(prompt_caches), remote, pick(rows), size, ext); break;
      case 3: status = pair.prompt->PushKvBlocks(random_cache(prompt_caches), remote, random_blocks(), random_blocks(), ext); break;
      case 4:
        status = pair.decoder->CopyKvCache(random_cache(decoder_caches), random_cache(decoder_caches), pick(rows), pick(rows),
                                           plain ? 0U : pick(offsets), size);
        break;
      default:
        status = pair.decoder->CopyKvBlocks(random_cache(decoder_caches), random_cache(decoder_caches), random_blocks(),
                                            {random_blocks(), random_blocks()});
        break;
    }
    ++seen[status];
    if (std::find(allowed.begin(), allowed.end(), status) == allowed.end()) {
      std::fprintf(stderr, "seed %u, call %d: unexpected status 0x%X\n", kSeed, call, static_cast<unsigned>(status));
      ++unexpected;
    }
  }
  CHECK(unexpected == 0);
  // The draw reaches the copies and the main rejections, not only the first check.
  for (const Status status : {LLM_SUCCESS, LLM_PARAM_INVALID, LLM_KV_CACHE_NOT_EXIST, LLM_NOT_YET_LINK}) {
    CHECK(seen[status] > 0);
  }
  for (const auto &[status, count] : seen) {
    std::printf("random arguments: status 0x%X x %d\n", static_cast<unsigned>(status), count);
  }
}
}  // namespace

int main() {
  TestLifecycle();
  TestSetRole();
  TestLinks();
  TestPullPushBytes();
  TestCopies();
  TestThreads();
  TestDestroyWhileInUse();
  TestRandomArguments();
  if (g_failures != 0) {
    std::fprintf(stderr, "%d check(s) failed\n", g_failures);
    return EXIT_FAILURE;
  }
  std::printf("fake_llm_engine_test: all checks passed\n");
  return EXIT_SUCCESS;
}
