// Drives the shim's C ABI (llmdd_shim.h) over the fake engine: the prompt/decoder flow with byte checks, then
// hostile input that managed code could pass by mistake. Every call must come back with the expected status; a
// crash, a wrong status or (under the sanitizers) a memory or UB finding fails the run. Exit code: 0 when clean.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "llmdd_shim.h"

// c_header_check.c: the header compiles as C99 and C lays the structs out as C++ does.
extern "C" int llmdd_c_header_check(uint64_t cpp_cache_size, uint64_t cpp_cache_desc_offset);

namespace {

int g_failures = 0;
int g_checks = 0;

void Expect(uint32_t expected, uint32_t actual, const char* what, int line) {
  ++g_checks;
  if (expected != actual) {
    std::fprintf(stderr, "shim_driver.cpp:%d: %s returned 0x%08X, expected 0x%08X\n", line, what, actual, expected);
    ++g_failures;
  }
}

void Check(bool condition, const char* what, int line) {
  ++g_checks;
  if (!condition) {
    std::fprintf(stderr, "shim_driver.cpp:%d: check failed: %s\n", line, what);
    ++g_failures;
  }
}

#define EXPECT(expected, call) Expect((expected), (call), #call, __LINE__)
#define CHECK(condition) Check((condition), #condition, __LINE__)

constexpr uint32_t kOk = LLMDD_LLM_SUCCESS;
constexpr uint32_t kInvalid = LLMDD_LLM_PARAM_INVALID;
constexpr uint64_t kPromptId = 1;
constexpr uint64_t kDecoderId = 2;
constexpr uint64_t kTensors = 4;
constexpr uint64_t kTensorBytes = 512;  // int32 [8, 16]
constexpr uint64_t kRowBytes = 64;

llmdd_str Str(const char* text) { return llmdd_str{text, std::strlen(text)}; }

llmdd_option Option(const char* key, const char* value) { return llmdd_option{Str(key), Str(value)}; }

llmdd_kv_cache_ext_param AllLayers() { return llmdd_kv_cache_ext_param{-1, -1, -1, -1, 2}; }

/// A cache as the shim returns it: id and tensor addresses, plus the description it was allocated with.
struct LocalCache {
  int64_t id = -1;
  std::vector<uint64_t> addrs;
  std::vector<int64_t> shape{8, 16};
  llmdd_cache_desc desc{};

  LocalCache() { desc = llmdd_cache_desc{LLMDD_CACHE_PLACEMENT_DEVICE, kTensors, LLMDD_DATA_TYPE_INT32, shape.data(), shape.size()}; }

  llmdd_cache View() const { return llmdd_cache{id, addrs.data(), addrs.size(), desc}; }

  uint8_t* Tensor(size_t t) const { return reinterpret_cast<uint8_t*>(static_cast<uintptr_t>(addrs[t])); }

  void Fill(uint8_t seed) const {
    for (size_t t = 0; t < addrs.size(); ++t) {
      for (uint64_t i = 0; i < kTensorBytes; ++i) {
        Tensor(t)[i] = static_cast<uint8_t>(i * 31U + t * 7U + seed * 101U + 1U);
      }
    }
  }
};

uint32_t Allocate(llmdd_instance* instance, LocalCache& cache) {
  uint64_t len = 0;
  cache.addrs.assign(kTensors, 0);
  const uint32_t status = llmdd_allocate_cache(instance, &cache.desc, &cache.id, cache.addrs.data(), cache.addrs.size(), &len);
  cache.addrs.resize(len <= kTensors ? len : kTensors);
  return status;
}

struct Endpoints {
  llmdd_ip_info local;
  llmdd_ip_info remote;
};

llmdd_cluster_info ToPrompt(Endpoints& e, uint16_t port) {
  e.local = llmdd_ip_info{Str("10.0.0.2"), 0};
  e.remote = llmdd_ip_info{Str("10.0.0.1"), port};
  return llmdd_cluster_info{kPromptId, 0, &e.local, 1, &e.remote, 1};
}

// ---- the flow --------------------------------------------------------------------------------------------

void Flow() {
  const uint16_t port = 26600;
  EXPECT(LLMDD_ABI_VERSION, llmdd_abi_version());
  CHECK(llmdd_spec_hash() == LLMDD_SPEC_HASH);

  llmdd_instance* prompt = nullptr;
  llmdd_instance* decoder = nullptr;
  EXPECT(kOk, llmdd_create(kPromptId, LLMDD_LLM_ROLE_PROMPT, &prompt));
  EXPECT(kOk, llmdd_create(kDecoderId, LLMDD_LLM_ROLE_DECODER, &decoder));
  CHECK(prompt != nullptr && decoder != nullptr);
  if (prompt == nullptr || decoder == nullptr) {
    return;
  }

  // Before Initialize every call is the engine's LLM_FAILED: the shim passes valid input through unchanged.
  LocalCache early;
  EXPECT(LLMDD_LLM_FAILED, Allocate(decoder, early));

  const std::string listen = "10.0.0.1:" + std::to_string(port);
  const llmdd_option prompt_options[] = {Option("llm.DeviceId", "0"), Option("llm.ListenIpInfo", listen.c_str())};
  const llmdd_option decoder_options[] = {Option("llm.DeviceId", "0")};
  EXPECT(kOk, llmdd_initialize(prompt, prompt_options, 2));
  EXPECT(kOk, llmdd_initialize(decoder, decoder_options, 1));

  Endpoints endpoints{};
  const llmdd_cluster_info cluster = ToPrompt(endpoints, port);
  uint32_t rets[4] = {0xDEAD, 0xDEAD, 0xDEAD, 0xDEAD};
  uint64_t rets_len = 99;
  EXPECT(kOk, llmdd_link_llm_clusters(decoder, &cluster, 1, rets, 4, &rets_len, 1000));
  CHECK(rets_len == 1 && rets[0] == kOk && rets[1] == 0xDEAD);

  // A second link: a zero-capacity buffer gets the engine's result count only, a one-entry buffer the result.
  rets_len = 99;
  EXPECT(kOk, llmdd_link_llm_clusters(decoder, &cluster, 1, nullptr, 0, &rets_len, 1000));
  CHECK(rets_len == 1);
  EXPECT(kOk, llmdd_link_llm_clusters(decoder, &cluster, 1, rets, 1, &rets_len, 1000));
  CHECK(rets_len == 1 && rets[0] == LLMDD_LLM_ALREADY_LINK);

  LocalCache src;
  LocalCache dst;
  EXPECT(kOk, Allocate(prompt, src));
  EXPECT(kOk, Allocate(decoder, dst));
  CHECK(src.id >= 0 && dst.id >= 0 && src.addrs.size() == kTensors && dst.addrs.size() == kTensors);
  if (src.addrs.size() != kTensors || dst.addrs.size() != kTensors) {
    return;
  }
  src.Fill(1);
  dst.Fill(2);

  // Row 3 of the prompt's cache into row 5 of the decoder's.
  const llmdd_cache dst_view = dst.View();
  const llmdd_kv_cache_ext_param all = AllLayers();
  llmdd_cache_index index{kPromptId, src.id, 3};
  EXPECT(kOk, llmdd_pull_kv_cache(decoder, &index, &dst_view, 5, -1, &all));
  for (size_t t = 0; t < kTensors; ++t) {
    CHECK(std::memcmp(dst.Tensor(t) + 5 * kRowBytes, src.Tensor(t) + 3 * kRowBytes, kRowBytes) == 0);
  }

  // Blocks 0..3 reversed.
  index.batch_index = 0;
  const uint64_t src_blocks[] = {0, 1, 2, 3};
  const uint64_t dst_blocks[] = {3, 2, 1, 0};
  EXPECT(kOk, llmdd_pull_kv_blocks(decoder, &index, &dst_view, src_blocks, 4, dst_blocks, 4, &all));
  for (size_t t = 0; t < kTensors; ++t) {
    for (uint64_t b = 0; b < 4; ++b) {
      CHECK(std::memcmp(dst.Tensor(t) + (3 - b) * kRowBytes, src.Tensor(t) + b * kRowBytes, kRowBytes) == 0);
    }
  }

  // Layer 1 (tensors 2 and 3) of the source into layer 0 of the destination, 16 bytes per tensor.
  const llmdd_kv_cache_ext_param layers{1, 1, 0, 0, 2};
  EXPECT(kOk, llmdd_pull_kv_cache(decoder, &index, &dst_view, 0, 16, &layers));
  CHECK(std::memcmp(dst.Tensor(0), src.Tensor(2), 16) == 0 && std::memcmp(dst.Tensor(1), src.Tensor(3), 16) == 0);

  // Push: row 6 of the prompt's cache into row 1 of the decoder's.
  src.Fill(3);
  const llmdd_cache src_view = src.View();
  const llmdd_cache_index to_decoder{kDecoderId, dst.id, 1};
  EXPECT(kOk, llmdd_push_kv_cache(prompt, &src_view, &to_decoder, 6, -1, &all));
  for (size_t t = 0; t < kTensors; ++t) {
    CHECK(std::memcmp(dst.Tensor(t) + kRowBytes, src.Tensor(t) + 6 * kRowBytes, kRowBytes) == 0);
  }

  // Local copy of blocks into two block lists (a vector of vectors).
  LocalCache copy;
  EXPECT(kOk, Allocate(decoder, copy));
  if (copy.addrs.size() == kTensors) {
    const llmdd_cache copy_view = copy.View();
    const uint64_t from[] = {0, 1};
    const uint64_t first[] = {6, 7};
    const uint64_t second[] = {2, 3};
    const llmdd_u64_span lists[] = {{first, 2}, {second, 2}};
    EXPECT(kOk, llmdd_copy_kv_blocks(decoder, &dst_view, &copy_view, from, 2, lists, 2));
    for (size_t t = 0; t < kTensors; ++t) {
      CHECK(std::memcmp(copy.Tensor(t) + 6 * kRowBytes, dst.Tensor(t), 2 * kRowBytes) == 0);
      CHECK(std::memcmp(copy.Tensor(t) + 2 * kRowBytes, dst.Tensor(t), 2 * kRowBytes) == 0);
    }
    EXPECT(kOk, llmdd_copy_kv_cache(decoder, &dst_view, &copy_view, 1, 4, 0, -1));
    for (size_t t = 0; t < kTensors; ++t) {
      CHECK(std::memcmp(copy.Tensor(t) + 4 * kRowBytes, dst.Tensor(t) + kRowBytes, kRowBytes) == 0);
    }
    EXPECT(kOk, llmdd_deallocate_cache(decoder, copy.id));
  }

  // CE has no RegisterKvCache: the engine's answer comes through, and the caller's id is left as it was.
  int64_t registered = -7;
  const uint64_t addrs[] = {dst.addrs[0]};
  const llmdd_register_cfg cfg{0};
  EXPECT(LLMDD_LLM_FEATURE_NOT_ENABLED, llmdd_register_kv_cache(decoder, &dst.desc, addrs, 1, &cfg, &registered));
  CHECK(registered == -7);
  EXPECT(LLMDD_LLM_FEATURE_NOT_ENABLED, llmdd_unregister_kv_cache(decoder, 12345));

  EXPECT(kOk, llmdd_deallocate_cache(decoder, dst.id));
  EXPECT(LLMDD_LLM_KV_CACHE_NOT_EXIST, llmdd_deallocate_cache(decoder, dst.id));
  EXPECT(kOk, llmdd_deallocate_cache(prompt, src.id));

  rets_len = 99;
  EXPECT(kOk, llmdd_unlink_llm_clusters(decoder, &cluster, 1, rets, 4, &rets_len, 1000, 0));
  CHECK(rets_len == 1 && rets[0] == kOk);

  EXPECT(kOk, llmdd_finalize(decoder));
  EXPECT(kOk, llmdd_finalize(decoder));  // twice: the engine's Finalize is idempotent
  EXPECT(LLMDD_LLM_FAILED, llmdd_deallocate_cache(decoder, 0));  // finalized: the engine's answer
  EXPECT(kOk, llmdd_initialize(decoder, decoder_options, 1));  // and it can start again
  EXPECT(kOk, llmdd_finalize(decoder));
  EXPECT(kOk, llmdd_finalize(prompt));
  llmdd_destroy(decoder);
  llmdd_destroy(prompt);
  llmdd_destroy(nullptr);
}

// ---- many threads, one instance ------------------------------------------------------------------------

// The shim takes no lock: eight threads pull through one decoder at once, each into its own cache, and every byte
// must arrive. Under the sanitizers this also checks that concurrent calls share nothing in the shim.
void Concurrent() {
  const uint16_t port = 26800;
  llmdd_instance* prompt = nullptr;
  llmdd_instance* decoder = nullptr;
  EXPECT(kOk, llmdd_create(kPromptId + 10, LLMDD_LLM_ROLE_PROMPT, &prompt));
  EXPECT(kOk, llmdd_create(kDecoderId + 10, LLMDD_LLM_ROLE_DECODER, &decoder));
  if (prompt == nullptr || decoder == nullptr) {
    return;
  }
  const std::string listen = "10.0.0.1:" + std::to_string(port);
  const llmdd_option prompt_options[] = {Option("llm.DeviceId", "0"), Option("llm.ListenIpInfo", listen.c_str())};
  const llmdd_option decoder_options[] = {Option("llm.DeviceId", "0")};
  EXPECT(kOk, llmdd_initialize(prompt, prompt_options, 2));
  EXPECT(kOk, llmdd_initialize(decoder, decoder_options, 1));
  Endpoints endpoints{};
  llmdd_cluster_info cluster = ToPrompt(endpoints, port);
  cluster.remote_cluster_id = kPromptId + 10;
  uint32_t ret = 0;
  uint64_t rets_len = 0;
  EXPECT(kOk, llmdd_link_llm_clusters(decoder, &cluster, 1, &ret, 1, &rets_len, 1000));
  LocalCache src;
  EXPECT(kOk, Allocate(prompt, src));
  if (src.addrs.size() == kTensors) {
    src.Fill(9);
    constexpr int kThreads = 8;
    constexpr int kPulls = 50;
    std::vector<LocalCache> dsts(kThreads);
    for (auto& dst : dsts) {
      EXPECT(kOk, Allocate(decoder, dst));
    }
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t]() {
        const llmdd_cache view = dsts[static_cast<size_t>(t)].View();
        const llmdd_kv_cache_ext_param all = AllLayers();
        const llmdd_cache_index index{kPromptId + 10, src.id, 0};
        for (int i = 0; i < kPulls; ++i) {
          const uint64_t from[] = {static_cast<uint64_t>((t + i) % 8)};
          const uint64_t to[] = {static_cast<uint64_t>(i % 8)};
          if (llmdd_pull_kv_blocks(decoder, &index, &view, from, 1, to, 1, &all) != kOk) {
            ++wrong;
          }
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    CHECK(wrong.load() == 0);
    // Each thread's last pull of block i % 8 came from block (t + i) % 8: check the final state of every cache.
    for (int t = 0; t < kThreads; ++t) {
      const LocalCache& dst = dsts[static_cast<size_t>(t)];
      for (int slot = 0; slot < 8 && dst.addrs.size() == kTensors; ++slot) {
        const int last = kPulls - 1 - ((kPulls - 1 - slot) % 8);
        const uint64_t from = static_cast<uint64_t>((t + last) % 8);
        CHECK(std::memcmp(dst.Tensor(0) + static_cast<uint64_t>(slot) * kRowBytes, src.Tensor(0) + from * kRowBytes, kRowBytes) == 0);
      }
    }
  }
  EXPECT(kOk, llmdd_unlink_llm_clusters(decoder, &cluster, 1, &ret, 1, &rets_len, 1000, 1));
  llmdd_destroy(decoder);  // the destructors finalize
  llmdd_destroy(prompt);
}

// ---- hostile input ---------------------------------------------------------------------------------------

void Hostile() {
  const uint64_t too_long = LLMDD_MAX_VECTOR_LEN + 1;
  llmdd_cache_desc desc{LLMDD_CACHE_PLACEMENT_DEVICE, kTensors, LLMDD_DATA_TYPE_INT32, nullptr, 0};
  const int64_t shape[] = {8, 16};
  desc.shape = shape;
  desc.shape_len = 2;
  const llmdd_cache cache{0, nullptr, 0, desc};
  const llmdd_cache_index index{kPromptId, 0, 0};
  const llmdd_kv_cache_ext_param all = AllLayers();
  const uint64_t blocks[] = {0};
  uint32_t rets[2] = {};
  uint64_t rets_len = 0;
  int64_t cache_id = 0;
  uint64_t addrs[4] = {};
  uint64_t addrs_len = 0;

  // Null instance: every entry point answers without touching anything.
  EXPECT(kInvalid, llmdd_initialize(nullptr, nullptr, 0));
  EXPECT(kInvalid, llmdd_finalize(nullptr));
  EXPECT(kInvalid, llmdd_set_role(nullptr, LLMDD_LLM_ROLE_MIX, nullptr, 0));
  EXPECT(kInvalid, llmdd_link_llm_clusters(nullptr, nullptr, 0, rets, 2, &rets_len, 1000));
  EXPECT(kInvalid, llmdd_unlink_llm_clusters(nullptr, nullptr, 0, rets, 2, &rets_len, 1000, 1));
  EXPECT(kInvalid, llmdd_allocate_cache(nullptr, &desc, &cache_id, addrs, 4, &addrs_len));
  EXPECT(kInvalid, llmdd_deallocate_cache(nullptr, 0));
  EXPECT(kInvalid, llmdd_pull_kv_cache(nullptr, &index, &cache, 0, -1, &all));
  EXPECT(kInvalid, llmdd_pull_kv_blocks(nullptr, &index, &cache, blocks, 1, blocks, 1, &all));
  EXPECT(kInvalid, llmdd_copy_kv_cache(nullptr, &cache, &cache, 0, 0, 0, -1));
  EXPECT(kInvalid, llmdd_copy_kv_blocks(nullptr, &cache, &cache, blocks, 1, nullptr, 0));
  EXPECT(kInvalid, llmdd_push_kv_cache(nullptr, &cache, &index, 0, -1, &all));
  EXPECT(kInvalid, llmdd_push_kv_blocks(nullptr, &cache, &index, blocks, 1, blocks, 1, &all));
  EXPECT(kInvalid, llmdd_register_kv_cache(nullptr, &desc, addrs, 1, nullptr, &cache_id));
  EXPECT(kInvalid, llmdd_unregister_kv_cache(nullptr, 0));
  EXPECT(kInvalid, llmdd_create(1, LLMDD_LLM_ROLE_PROMPT, nullptr));

  // An unknown role is the engine's to judge (the constructor never fails; Initialize rejects it).
  llmdd_instance* odd = nullptr;
  EXPECT(kOk, llmdd_create(9, 77, &odd));
  const llmdd_option device[] = {Option("llm.DeviceId", "0")};
  EXPECT(kInvalid, llmdd_initialize(odd, device, 1));
  llmdd_destroy(odd);

  llmdd_instance* decoder = nullptr;
  EXPECT(kOk, llmdd_create(kDecoderId, LLMDD_LLM_ROLE_DECODER, &decoder));
  if (decoder == nullptr) {
    return;
  }
  EXPECT(kOk, llmdd_initialize(decoder, device, 1));

  // Options: null with a length, too many, strings too long, NUL inside, null text with a length, a key twice.
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, nullptr, 1));
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, device, too_long));
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, device, UINT64_MAX));
  const std::string long_text(LLMDD_MAX_STRING_LEN + 1, 'a');
  const llmdd_option long_value[] = {{Str("llm.DeviceId"), {long_text.data(), long_text.size()}}};
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, long_value, 1));
  const llmdd_option huge_len[] = {{Str("llm.DeviceId"), {"0", UINT64_MAX}}};
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, huge_len, 1));
  const char with_nul[] = {'1', '0', '.', '0', '\0', '1', ':', '5'};
  const llmdd_option nul_inside[] = {{Str("llm.ListenIpInfo"), {with_nul, sizeof with_nul}}};
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, nul_inside, 1));
  const llmdd_option null_text[] = {{{nullptr, 3}, Str("0")}};
  EXPECT(kInvalid, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, null_text, 1));
  const llmdd_option twice[] = {Option("llm.DeviceId", "0"), Option("llm.DeviceId", "1")};
  EXPECT(kInvalid, llmdd_initialize(decoder, twice, 2));
  // A string of exactly the limit passes the shim: the engine answers (CE SetRole without llm.EnableSwitchRole=1).
  const std::string max_text(LLMDD_MAX_STRING_LEN, 'k');
  const llmdd_option at_limit[] = {{{max_text.data(), max_text.size()}, Str("1")}};
  EXPECT(LLMDD_LLM_FEATURE_NOT_ENABLED, llmdd_set_role(decoder, LLMDD_LLM_ROLE_DECODER, at_limit, 1));

  // Clusters: null list with a length, an over-long list, a huge nested length, a null nested list, a bad IP string.
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, nullptr, 1, rets, 2, &rets_len, 1000));
  Endpoints e{};
  llmdd_cluster_info cluster = ToPrompt(e, 26700);
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, too_long, rets, 2, &rets_len, 1000));
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, UINT64_MAX, rets, 2, &rets_len, 1000));
  cluster.remote_ip_infos_len = too_long;
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, 1, rets, 2, &rets_len, 1000));
  cluster = ToPrompt(e, 26700);
  cluster.local_ip_infos = nullptr;
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, 1, rets, 2, &rets_len, 1000));
  cluster = ToPrompt(e, 26700);
  e.remote.ip = llmdd_str{with_nul, sizeof with_nul};
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, 1, rets, 2, &rets_len, 1000));
  // Out buffers: null length pointer, null buffer with a capacity, capacity over the limit.
  cluster = ToPrompt(e, 26700);
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, 1, rets, 2, nullptr, 1000));
  EXPECT(kInvalid, llmdd_link_llm_clusters(decoder, &cluster, 1, nullptr, 2, &rets_len, 1000));
  EXPECT(kInvalid, llmdd_unlink_llm_clusters(decoder, &cluster, 1, rets, too_long, &rets_len, 1000, 0));
  // Nobody listens on 26700: the engine's per-cluster failure fits in a one-entry buffer... or is reported by length.
  rets_len = 0;
  const uint32_t no_peer = llmdd_link_llm_clusters(decoder, &cluster, 1, nullptr, 0, &rets_len, 100);
  CHECK(no_peer != kOk && rets_len <= 1);

  // Caches: null desc, null out pointers, shape too long, null shape with a length, unknown enum values.
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, nullptr, &cache_id, addrs, 4, &addrs_len));
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &desc, nullptr, addrs, 4, &addrs_len));
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &desc, &cache_id, addrs, 4, nullptr));
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &desc, &cache_id, nullptr, 4, &addrs_len));
  llmdd_cache_desc bad = desc;
  bad.shape_len = too_long;
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &bad, &cache_id, addrs, 4, &addrs_len));
  bad = desc;
  bad.shape = nullptr;
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &bad, &cache_id, addrs, 4, &addrs_len));
  bad = desc;
  bad.data_type = 1000;  // outside what ge::DataType can hold
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &bad, &cache_id, addrs, 4, &addrs_len));
  bad.data_type = -5;
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &bad, &cache_id, addrs, 4, &addrs_len));
  bad.data_type = 60;  // holdable, but no data type: the engine's rule
  EXPECT(kInvalid, llmdd_allocate_cache(decoder, &bad, &cache_id, addrs, 4, &addrs_len));
  bad = desc;
  bad.placement = 7;  // CachePlacement has a fixed underlying type: the engine judges it
  const uint32_t odd_placement = llmdd_allocate_cache(decoder, &bad, &cache_id, addrs, 4, &addrs_len);
  CHECK(odd_placement != kOk);
  // Out addresses too small: nothing written past the capacity, the full size reported.
  uint64_t one[2] = {0, 0xABCDEF};
  cache_id = -1;
  EXPECT(kOk, llmdd_allocate_cache(decoder, &desc, &cache_id, one, 1, &addrs_len));
  CHECK(addrs_len == kTensors && one[0] != 0 && one[1] == 0xABCDEF && cache_id >= 0);
  EXPECT(kOk, llmdd_deallocate_cache(decoder, cache_id));

  // Transfers: null structs, null block lists with lengths, over-long lists, nested spans with bad lengths.
  EXPECT(kInvalid, llmdd_pull_kv_cache(decoder, nullptr, &cache, 0, -1, &all));
  EXPECT(kInvalid, llmdd_pull_kv_cache(decoder, &index, nullptr, 0, -1, &all));
  EXPECT(kInvalid, llmdd_pull_kv_cache(decoder, &index, &cache, 0, -1, nullptr));
  EXPECT(kInvalid, llmdd_pull_kv_blocks(decoder, &index, &cache, nullptr, 1, blocks, 1, &all));
  EXPECT(kInvalid, llmdd_pull_kv_blocks(decoder, &index, &cache, blocks, too_long, blocks, 1, &all));
  EXPECT(kInvalid, llmdd_push_kv_blocks(decoder, &cache, &index, blocks, 1, nullptr, 1, &all));
  llmdd_cache bad_cache = cache;
  bad_cache.tensor_addrs_len = 3;  // null addresses with a length
  EXPECT(kInvalid, llmdd_copy_kv_cache(decoder, &bad_cache, &cache, 0, 0, 0, -1));
  bad_cache = cache;
  bad_cache.cache_desc.shape_len = UINT64_MAX;
  EXPECT(kInvalid, llmdd_push_kv_cache(decoder, &bad_cache, &index, 0, -1, &all));
  const llmdd_u64_span null_span[] = {{nullptr, 2}};
  EXPECT(kInvalid, llmdd_copy_kv_blocks(decoder, &cache, &cache, blocks, 1, null_span, 1));
  const llmdd_u64_span long_span[] = {{blocks, too_long}};
  EXPECT(kInvalid, llmdd_copy_kv_blocks(decoder, &cache, &cache, blocks, 1, long_span, 1));
  EXPECT(kInvalid, llmdd_copy_kv_blocks(decoder, &cache, &cache, blocks, 1, long_span, too_long));
  EXPECT(kInvalid, llmdd_copy_kv_blocks(decoder, &cache, &cache, blocks, 1, nullptr, 1));
  EXPECT(kInvalid, llmdd_register_kv_cache(decoder, &desc, addrs, 1, nullptr, &cache_id));
  const llmdd_register_cfg cfg{0};
  EXPECT(kInvalid, llmdd_register_kv_cache(decoder, &desc, addrs, 1, &cfg, nullptr));
  EXPECT(kInvalid, llmdd_register_kv_cache(decoder, &desc, nullptr, 1, &cfg, &cache_id));

  // Huge but legal lengths: a list at the limit is converted (64 MiB of copies by the shim), then judged by the engine.
  std::vector<uint64_t> many(LLMDD_MAX_VECTOR_LEN, 0);
  const uint32_t at_limit_blocks = llmdd_pull_kv_blocks(decoder, &index, &cache, many.data(), many.size(), blocks, 1, &all);
  CHECK(at_limit_blocks != kOk);

  EXPECT(kOk, llmdd_finalize(decoder));
  EXPECT(kOk, llmdd_finalize(decoder));
  llmdd_destroy(decoder);
}

}  // namespace

int main() {
  if (llmdd_c_header_check(sizeof(llmdd_cache), offsetof(llmdd_cache, cache_desc)) != 0) {
    std::fprintf(stderr, "the C translation unit saw a different ABI\n");
    ++g_failures;
  }
  Flow();
  Concurrent();
  Hostile();
  std::printf("shim driver: %d checks, %d failed\n", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
