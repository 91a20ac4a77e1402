/**
 * LLM-DataDist V1 interface, as specified for the .NET SDK.
 *
 * Written for this project in the shape of CANN's public llm_datadist.h: same namespace, constants, structs,
 * enums and class members, with the parameter types and defaults of the behavioural reference. The SDK
 * generator reads this file; pointing it at the header of an installed CANN toolkit works the same way.
 * The ge types come from the toolkit's headers, so this file compiles as C++17 wherever those are on the
 * include path; the generator takes DataType's values from the annotations file.
 */
#ifndef LLMDD_SPEC_LLM_DATADIST_H_
#define LLMDD_SPEC_LLM_DATADIST_H_

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>
// ge::Status, ge::AscendString and ge::DataType, as in CANN's own llm_datadist.h: the toolkit's include directory
// provides these headers on a real host; tests/native/fake-llm-engine/include provides them in CI.
#include "external/ge_common/api_error_codes.h"
#include "graph/ascend_string.h"
#include "graph/types.h"

#ifdef FUNC_VISIBILITY
#define ASCEND_FUNC_VISIBILITY __attribute__((visibility("default")))
#else
#define ASCEND_FUNC_VISIBILITY
#endif

namespace llm_datadist {
namespace {
constexpr uint8_t kDefaultTensorNumPerLayer = 2U;
}
using Status = ge::Status;
using AscendString = ge::AscendString;
using DataType = ge::DataType;

// Keys of the option map given to Initialize and SetRole.
constexpr const char OPTION_LISTEN_IP_INFO[] = "llm.ListenIpInfo";
constexpr const char OPTION_DEVICE_ID[] = "llm.DeviceId";
constexpr const char OPTION_SYNC_CACHE_WAIT_TIME[] = "llm.SyncKvCacheWaitTime";
constexpr const char OPTION_BUF_POOL_CFG[] = "llm.BufPoolCfg";
constexpr const char OPTION_ENABLE_SET_ROLE[] = "llm.EnableSwitchRole";
constexpr const char OPTION_LOCAL_COMM_RES[] = "llm.LocalCommRes";
constexpr const char OPTION_TRANSFER_BACKEND[] = "llm.TransferBackend";
constexpr const char OPTION_GLOBAL_RESOURCE_CONFIG[] = "llm.GlobalResourceConfig";

// Status codes: 0x5010B000 + n for the LLM engine module.
constexpr Status LLM_SUCCESS = 0x0U;
constexpr Status LLM_FAILED = 0xFFFFFFFFU;
constexpr Status LLM_WAIT_PROC_TIMEOUT = 0x5010B001U;
constexpr Status LLM_KV_CACHE_NOT_EXIST = 0x5010B002U;
constexpr Status LLM_REPEAT_REQUEST = 0x5010B003U;
constexpr Status LLM_REQUEST_ALREADY_COMPLETED = 0x5010B004U;
constexpr Status LLM_PARAM_INVALID = 0x5010B005U;
constexpr Status LLM_ENGINE_FINALIZED = 0x5010B006U;
constexpr Status LLM_NOT_YET_LINK = 0x5010B007U;
constexpr Status LLM_ALREADY_LINK = 0x5010B008U;
constexpr Status LLM_LINK_FAILED = 0x5010B009U;
constexpr Status LLM_UNLINK_FAILED = 0x5010B00AU;
constexpr Status LLM_NOTIFY_PROMPT_UNLINK_FAILED = 0x5010B00BU;
constexpr Status LLM_CLUSTER_NUM_EXCEED_LIMIT = 0x5010B00CU;
constexpr Status LLM_PROCESSING_LINK = 0x5010B00DU;
constexpr Status LLM_DEVICE_OUT_OF_MEMORY = 0x5010B00EU;
constexpr Status LLM_PREFIX_ALREADY_EXIST = 0x5010B00FU;
constexpr Status LLM_PREFIX_NOT_EXIST = 0x5010B010U;
constexpr Status LLM_SEQ_LEN_OVER_LIMIT = 0x5010B011U;
constexpr Status LLM_NO_FREE_BLOCK = 0x5010B012U;
constexpr Status LLM_BLOCKS_OUT_OF_MEMORY = 0x5010B013U;
constexpr Status LLM_CACHE_KEY_ALREADY_EXIST = 0x5010B014U;
constexpr Status LLM_CACHE_KEY_NOT_EXIST = 0x5010B015U;
constexpr Status LLM_BLOCK_POOL_FULL = 0x5010B016U;
constexpr Status LLM_CACHE_ID_ALREADY_EXIST = 0x5010B017U;
constexpr Status LLM_EXIST_LINK = 0x5010B018U;
constexpr Status LLM_FEATURE_NOT_ENABLED = 0x5010B019U;
constexpr Status LLM_TIMEOUT = 0x5010B01AU;
constexpr Status LLM_LINK_BUSY = 0x5010B01BU;
constexpr Status LLM_OUT_OF_MEMORY = 0x5010B01CU;

// Element types this interface accepts.
using ge::DT_FLOAT;
using ge::DT_FLOAT16;
using ge::DT_INT8;
using ge::DT_INT32;
using ge::DT_UINT8;
using ge::DT_INT16;
using ge::DT_UINT16;
using ge::DT_UINT32;
using ge::DT_INT64;
using ge::DT_UINT64;
using ge::DT_DOUBLE;
using ge::DT_BOOL;
using ge::DT_STRING;
using ge::DT_DUAL_SUB_INT8;
using ge::DT_DUAL_SUB_UINT8;
using ge::DT_COMPLEX64;
using ge::DT_COMPLEX128;
using ge::DT_QINT8;
using ge::DT_QINT16;
using ge::DT_QINT32;
using ge::DT_QUINT8;
using ge::DT_QUINT16;
using ge::DT_RESOURCE;
using ge::DT_STRING_REF;
using ge::DT_DUAL;
using ge::DT_VARIANT;
using ge::DT_BF16;
using ge::DT_UNDEFINED;
using ge::DT_INT4;
using ge::DT_UINT1;
using ge::DT_INT2;
using ge::DT_UINT2;
using ge::DT_COMPLEX32;
using ge::DT_HIFLOAT8;
using ge::DT_FLOAT8_E5M2;
using ge::DT_FLOAT8_E4M3FN;
using ge::DT_FLOAT8_E8M0;
using ge::DT_FLOAT6_E3M2;
using ge::DT_FLOAT6_E2M3;
using ge::DT_FLOAT4_E2M1;
using ge::DT_FLOAT4_E1M2;

/// An IPv4 endpoint: a device IP (CE) or a host IP (HX) with a port.
struct IpInfo {
  AscendString ip;
  uint16_t port = 0U;
  uint8_t reserved[128];
};

/// One peer to link to or unlink from.
struct ClusterInfo {
  uint64_t remote_cluster_id = 0U;
  int32_t remote_role_type = 0;
  std::vector<IpInfo> local_ip_infos;
  std::vector<IpInfo> remote_ip_infos;
  uint8_t reserved[128];
};

/// Role of an instance in a disaggregated deployment.
enum class LlmRole : int32_t { kPrompt = 1, kDecoder = 2, kMix = 3, kEnd };

/// Names a cache of a remote instance and a row in it.
struct CacheIndex {
  uint64_t cluster_id;
  int64_t cache_id;
  uint32_t batch_index;
  uint8_t reserved[128];
};

/// Where the memory of a cache lives.
enum class CachePlacement : uint32_t {
  kHost = 0U,
  kDevice = 1U,
};

/// Shape of a cache: num_tensors tensors of one shape and element type.
struct CacheDesc {
  CachePlacement placement = CachePlacement::kDevice;
  uint32_t num_tensors = 0U;
  DataType data_type = DT_UNDEFINED;
  std::vector<int64_t> shape;
  uint8_t reserved[128];
};

/// A cache: its id, one address per tensor, and its description.
struct Cache {
  int64_t cache_id = -1;
  std::vector<uintptr_t> tensor_addrs;
  CacheDesc cache_desc;
  uint8_t reserved[128];
};

/// Layer selection of a pull or push.
struct KvCacheExtParam {
  std::pair<int32_t, int32_t> src_layer_range = {-1, -1};
  std::pair<int32_t, int32_t> dst_layer_range{-1, -1};
  uint8_t tensor_num_per_layer = kDefaultTensorNumPerLayer;
  uint8_t reserved[127];
};

/// Options of RegisterKvCache (reserved).
struct RegisterCfg {
  uint8_t reserved[128] = {0};
};

class ASCEND_FUNC_VISIBILITY LlmDataDist {
 public:
  /**
   * @brief Creates an instance; nothing is validated until Initialize.
   * @param cluster_id id of this instance, unique among everything that links
   * @param role role of this instance
   */
  LlmDataDist(uint64_t cluster_id, LlmRole role);

  /**
   * @brief Finalizes the instance if it is still initialized.
   */
  ~LlmDataDist();

  /**
   * @brief Initializes the instance; every other call needs it first.
   * @param options option keys (OPTION_*) and their values
   * @return LLM_SUCCESS, or the first rule that failed
   */
  Status Initialize(const std::map<AscendString, AscendString> &options);

  /**
   * @brief Drops every link and cache and stops listening; the instance may be initialized again.
   */
  void Finalize();

  /**
   * @brief Switches the role of an initialized instance that has no links.
   * @param role the new role
   * @param options OPTION_LISTEN_IP_INFO when the new role listens
   * @return LLM_SUCCESS, or the first rule that failed
   */
  Status SetRole(LlmRole role, const std::map<AscendString, AscendString> &options = {});

  /**
   * @brief Links this instance, as client, to the listening instances given.
   * @param [in] clusters the peers, with local and remote endpoints
   * @param [out] rets one status per cluster, in input order
   * @param [in] timeout_in_millis time allowed for the whole call, in milliseconds
   * @return LLM_SUCCESS, or why the call failed
   */
  Status LinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                         int32_t timeout_in_millis = 1000);

  /**
   * @brief Removes links to the given peers.
   * @param [in] clusters the peers
   * @param [out] rets one status per cluster, in input order
   * @param [in] timeout_in_millis time allowed for the whole call, in milliseconds
   * @param [in] force_flag remove the local side only, without telling the peer
   * @return LLM_SUCCESS, or why the call failed
   */
  Status UnlinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                           int32_t timeout_in_millis = 1000, bool force_flag = false);

  /**
   * @brief Allocates a cache in device memory.
   * @param [in] cache_desc what to allocate
   * @param [out] cache the allocated cache: id, tensor addresses and description
   * @return LLM_SUCCESS, or why the call failed
   */
  Status AllocateCache(const CacheDesc &cache_desc, Cache &cache);

  /**
   * @brief Frees a cache allocated by AllocateCache.
   * @param [in] cache_id id of the cache
   * @return LLM_SUCCESS, or LLM_KV_CACHE_NOT_EXIST for an unknown id
   */
  Status DeallocateCache(int64_t cache_id);

  /**
   * @brief Pulls one row of a remote cache into a row of a local cache.
   * @param [in] src_cache_index remote cluster, remote cache id and remote row
   * @param [in] dst_cache local destination cache (only its id is read)
   * @param [in] batch_index local destination row
   * @param [in] size bytes per tensor; -1 pulls one whole row
   * @param [in] ext_param layer selection
   * @return LLM_SUCCESS, or why the call failed
   */
  Status PullKvCache(const CacheIndex &src_cache_index, const Cache &dst_cache, uint32_t batch_index = 0U,
                     int64_t size = -1, const KvCacheExtParam &ext_param = {});

  /**
   * @brief Pulls blocks of a remote paged cache into blocks of a local cache.
   * @param [in] src_cache_index remote cluster and remote cache id; batch_index must be 0
   * @param [in] dst_cache local destination cache (only its id is read)
   * @param [in] src_blocks remote block indices
   * @param [in] dst_blocks local block indices, one per source block
   * @param [in] ext_param layer selection
   * @return LLM_SUCCESS, or why the call failed
   */
  Status PullKvBlocks(const CacheIndex &src_cache_index, const Cache &dst_cache,
                      const std::vector<uint64_t> &src_blocks, const std::vector<uint64_t> &dst_blocks,
                      const KvCacheExtParam &ext_param = {});

  /**
   * @brief Copies one row between two local caches.
   * @param src_cache source cache (addresses and description)
   * @param dst_cache destination cache (addresses and description)
   * @param src_batch_index source row
   * @param dst_batch_index destination row
   * @param offset byte offset inside the row
   * @param size bytes per tensor; -1 copies the rest of the row
   * @return LLM_SUCCESS, or why the call failed
   */
  Status CopyKvCache(const Cache &src_cache, const Cache &dst_cache, uint32_t src_batch_index = 0U,
                     uint32_t dst_batch_index = 0U, uint64_t offset = 0U, int64_t size = -1);

  /**
   * @brief Copies blocks of a local cache to one or several block lists of another.
   * @param src_cache source cache (addresses and description)
   * @param dst_cache destination cache (addresses and description)
   * @param src_blocks source block indices
   * @param dst_blocks_list destination block lists, each as long as src_blocks
   * @return LLM_SUCCESS, or why the call failed
   */
  Status CopyKvBlocks(const Cache &src_cache, const Cache &dst_cache, const std::vector<uint64_t> &src_blocks,
                      const std::vector<std::vector<uint64_t>> &dst_blocks_list);

  /**
   * @brief Pushes one row of a local cache into a row of a remote cache.
   * @param [in] src_cache local source cache: id, placement and num_tensors are read
   * @param [in] dst_cache_index remote cluster, remote cache id and remote row
   * @param [in] src_batch_index local source row
   * @param [in] size must be -1
   * @param [in] ext_param layer selection
   * @return LLM_SUCCESS, or why the call failed
   */
  Status PushKvCache(const Cache &src_cache, const CacheIndex &dst_cache_index, uint32_t src_batch_index = 0U,
                     int64_t size = -1, const KvCacheExtParam &ext_param = {});

  /**
   * @brief Pushes blocks of a local paged cache into blocks of a remote cache.
   * @param [in] src_cache local source cache: id, placement and num_tensors are read
   * @param [in] dst_cache_index remote cluster and remote cache id; batch_index must be 0
   * @param [in] src_blocks local block indices
   * @param [in] dst_blocks remote block indices, one per source block
   * @param [in] ext_param layer selection
   * @return LLM_SUCCESS, or why the call failed
   */
  Status PushKvBlocks(const Cache &src_cache, const CacheIndex &dst_cache_index,
                      const std::vector<uint64_t> &src_blocks, const std::vector<uint64_t> &dst_blocks,
                      const KvCacheExtParam &ext_param = {});

  /**
   * @brief Registers caller memory as a cache that peers can pull from and push to.
   * @param [in] cache_desc description of the memory
   * @param [in] addrs one address per tensor
   * @param [in] cfg registration options (reserved)
   * @param [out] cache_id id given to the registered cache
   * @return LLM_SUCCESS, or why the call failed
   */
  Status RegisterKvCache(const CacheDesc &cache_desc, const std::vector<uint64_t> &addrs, const RegisterCfg &cfg,
                         int64_t &cache_id);

  /**
   * @brief Forgets a registered cache; the memory stays the caller's.
   * @param [in] cache_id id of the cache
   * @return LLM_SUCCESS (also for an unknown id)
   */
  Status UnregisterKvCache(int64_t cache_id);

 private:
  class LlmDataDistImpl;
  std::unique_ptr<LlmDataDistImpl> impl_;
};
}  // namespace llm_datadist

#endif  // LLMDD_SPEC_LLM_DATADIST_H_
