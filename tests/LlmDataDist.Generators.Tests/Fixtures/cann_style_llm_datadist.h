/**
 * 测试夹具：按 CANN 工具包中 llm_datadist.h 的写法编写的头文件（为本项目手写，不是拷贝）。
 * Test fixture written for this project in the style of the header an installed CANN toolkit ships:
 * ge::DataType is not defined here (only imported with using-declarations), the comments are Chinese
 * Doxygen, the status codes are only the public ones, and the constructs the parser must handle all appear.
 */

#ifndef CANN_STYLE_LLM_DATADIST_H
#define CANN_STYLE_LLM_DATADIST_H

#include <cstdint>
#include <map>
#include <memory>
#include <vector>
#include "external/ge_common/ge_api_error_codes.h"

#ifdef FUNC_VISIBILITY
#define ASCEND_FUNC_VISIBILITY __attribute__((visibility("default")))
#else
#define ASCEND_FUNC_VISIBILITY
#endif

namespace llm_datadist {
namespace {
constexpr uint8_t kDefaultTensorNumPerLayer = 2U;
}  // namespace

using Status = ge::Status;
using AscendString = ge::AscendString;
using DataType = ge::DataType;

// 初始化与切换角色时使用的选项键
constexpr const char OPTION_LISTEN_IP_INFO[] = "llm.ListenIpInfo";
constexpr const char OPTION_DEVICE_ID[] = "llm.DeviceId";
constexpr const char OPTION_SYNC_CACHE_WAIT_TIME[] = "llm.SyncKvCacheWaitTime";
constexpr const char OPTION_BUF_POOL_CFG[] = "llm.BufPoolCfg";
constexpr const char OPTION_ENABLE_SET_ROLE[] = "llm.EnableSwitchRole";
constexpr const char OPTION_LOCAL_COMM_RES[] = "llm.LocalCommRes";
constexpr const char OPTION_TRANSFER_BACKEND[] = "llm.TransferBackend";

/* 对外公开的错误码 */
constexpr Status LLM_SUCCESS = 0x0U;
constexpr Status LLM_FAILED = 0xFFFFFFFFU;
constexpr Status LLM_WAIT_PROC_TIMEOUT = 0x5010B001U;
constexpr Status LLM_KV_CACHE_NOT_EXIST = 0x5010B002U;
constexpr Status LLM_PARAM_INVALID = 0x5010B005U;
constexpr Status LLM_NOT_YET_LINK = 0x5010B007U;
constexpr Status LLM_ALREADY_LINK = 0x5010B008U;
constexpr Status LLM_LINK_FAILED = 0x5010B009U;
constexpr Status LLM_UNLINK_FAILED = 0x5010B00AU;
constexpr Status LLM_NOTIFY_PROMPT_UNLINK_FAILED = 0x5010B00BU;
constexpr Status LLM_CLUSTER_NUM_EXCEED_LIMIT = 0x5010B00CU;
constexpr Status LLM_PROCESSING_LINK = 0x5010B00DU;
constexpr Status LLM_DEVICE_OUT_OF_MEMORY = 0x5010B00EU;
constexpr Status LLM_EXIST_LINK = 0x5010B018U;
constexpr Status LLM_FEATURE_NOT_ENABLED = 0x5010B019U;
constexpr Status LLM_TIMEOUT = 0x5010B01AU;
constexpr Status LLM_LINK_BUSY = 0x5010B01BU;
constexpr Status LLM_OUT_OF_MEMORY = 0x5010B01CU;

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

/// 网络地址：IP 与端口
struct IpInfo {
  AscendString ip;
  uint16_t port = 0U;
  uint8_t reserved[128];
};

/// 建链或断链的对端集群信息
struct ClusterInfo {
  uint64_t remote_cluster_id = 0U;
  int32_t remote_role_type = 0;
  std::vector<IpInfo> local_ip_infos;
  std::vector<IpInfo> remote_ip_infos;
  uint8_t reserved[128];
};

/// 集群角色
enum class LlmRole : int32_t {
  kPrompt = 1,
  kDecoder = 2,
  kMix = 3,
  kEnd
};

/// 远端缓存的索引
struct CacheIndex {
  uint64_t cluster_id;
  int64_t cache_id;
  uint32_t batch_index;
  uint8_t reserved[128];
};

/// 缓存所在的内存位置
enum class CachePlacement : uint32_t {
  kHost = 0U,
  kDevice = 1U,
};

/// 缓存描述
struct CacheDesc {
  CachePlacement placement = CachePlacement::kDevice;
  uint32_t num_tensors = 0U;
  DataType data_type = DT_UNDEFINED;
  std::vector<int64_t> shape;
  uint8_t reserved[128];
};

/// 缓存
struct Cache {
  int64_t cache_id = -1;
  std::vector<uintptr_t> tensor_addrs;
  CacheDesc cache_desc;
  uint8_t reserved[128];
};

/// 拉取或推送时的层范围参数
struct KvCacheExtParam {
  std::pair<int32_t, int32_t> src_layer_range = {-1, -1};
  std::pair<int32_t, int32_t> dst_layer_range{-1, -1};
  uint8_t tensor_num_per_layer = kDefaultTensorNumPerLayer;
  uint8_t reserved[127];
};

/// 注册缓存的配置（预留）
struct RegisterCfg {
  uint8_t reserved[128] = {0};
};

class ASCEND_FUNC_VISIBILITY LlmDataDist {
 public:
  /**
   * @brief 构造函数
   * @param [in] cluster_id 集群ID
   * @param [in] role 集群角色
   */
  LlmDataDist(uint64_t cluster_id, LlmRole role);

  /**
   * @brief 析构函数
   */
  ~LlmDataDist();

  /**
   * @brief 初始化LLM-DataDist
   * @param [in] options 初始化选项
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status Initialize(const std::map<AscendString, AscendString> &options);

  /**
   * @brief 释放LLM-DataDist的资源
   */
  void Finalize();

  /**
   * @brief 切换角色
   * @param [in] role 新角色
   * @param [in] options 切换角色时的选项
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status SetRole(LlmRole role, const std::map<AscendString, AscendString> &options = {});

  /**
   * @brief 与远端集群建链
   * @param [in] clusters 远端集群信息
   * @param [out] rets 每个集群的建链结果
   * @param [in] timeout_in_millis 超时时间（毫秒）
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status LinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                         int32_t timeout_in_millis = 1000);

  /**
   * @brief 与远端集群断链
   * @param [in] clusters 远端集群信息
   * @param [out] rets 每个集群的断链结果
   * @param [in] timeout_in_millis 超时时间（毫秒）
   * @param [in] force_flag 是否强制断链
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status UnlinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                           int32_t timeout_in_millis = 1000, bool force_flag = false);

  /**
   * @brief 申请缓存
   * @param [in] cache_desc 缓存描述
   * @param [out] cache 申请到的缓存
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status AllocateCache(const CacheDesc &cache_desc, Cache &cache);

  /**
   * @brief 释放缓存
   * @param [in] cache_id 缓存ID
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status DeallocateCache(int64_t cache_id);

  /**
   * @brief 从远端拉取缓存
   * @param [in] src_cache_index 远端缓存索引
   * @param [in] dst_cache 本地目的缓存
   * @param [in] batch_index 本地目的批次
   * @param [in] size 每个张量拉取的字节数，-1 表示整批
   * @param [in] ext_param 扩展参数
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status PullKvCache(const CacheIndex &src_cache_index, const Cache &dst_cache, uint32_t batch_index = 0U,
                     int64_t size = -1, const KvCacheExtParam &ext_param = {});

  /**
   * @brief 从远端按块拉取缓存
   * @param [in] src_cache_index 远端缓存索引
   * @param [in] dst_cache 本地目的缓存
   * @param [in] src_blocks 远端块索引
   * @param [in] dst_blocks 本地块索引
   * @param [in] ext_param 扩展参数
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status PullKvBlocks(const CacheIndex &src_cache_index, const Cache &dst_cache,
                      const std::vector<uint64_t> &src_blocks, const std::vector<uint64_t> &dst_blocks,
                      const KvCacheExtParam &ext_param = {});

  /**
   * @brief 本地缓存之间拷贝
   * @param [in] src_cache 源缓存
   * @param [in] dst_cache 目的缓存
   * @param [in] src_batch_index 源批次
   * @param [in] dst_batch_index 目的批次
   * @param [in] offset 批次内偏移
   * @param [in] size 拷贝字节数，-1 表示剩余部分
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status CopyKvCache(const Cache &src_cache, const Cache &dst_cache, uint32_t src_batch_index = 0U,
                     uint32_t dst_batch_index = 0U, uint64_t offset = 0U, int64_t size = -1);

  /**
   * @brief 本地缓存之间按块拷贝
   * @param [in] src_cache 源缓存
   * @param [in] dst_cache 目的缓存
   * @param [in] src_blocks 源块索引
   * @param [in] dst_blocks_list 目的块索引列表
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status CopyKvBlocks(const Cache &src_cache, const Cache &dst_cache, const std::vector<uint64_t> &src_blocks,
                      const std::vector<std::vector<uint64_t>> &dst_blocks_list);

  /**
   * @brief 向远端推送缓存
   * @param [in] src_cache 本地源缓存
   * @param [in] dst_cache_index 远端缓存索引
   * @param [in] src_batch_index 本地源批次
   * @param [in] size 必须为 -1
   * @param [in] ext_param 扩展参数
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status PushKvCache(const Cache &src_cache, const CacheIndex &dst_cache_index, uint32_t src_batch_index = 0U,
                     int64_t size = -1, const KvCacheExtParam &ext_param = {});

  /**
   * @brief 向远端按块推送缓存
   * @param [in] src_cache 本地源缓存
   * @param [in] dst_cache_index 远端缓存索引
   * @param [in] src_blocks 本地块索引
   * @param [in] dst_blocks 远端块索引
   * @param [in] ext_param 扩展参数
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status PushKvBlocks(const Cache &src_cache, const CacheIndex &dst_cache_index,
                      const std::vector<uint64_t> &src_blocks, const std::vector<uint64_t> &dst_blocks,
                      const KvCacheExtParam &ext_param = {});

  /**
   * @brief 注册用户内存为缓存
   * @param [in] cache_desc 缓存描述
   * @param [in] addrs 每个张量的地址
   * @param [in] cfg 注册配置
   * @param [out] cache_id 注册后的缓存ID
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status RegisterKvCache(const CacheDesc &cache_desc, const std::vector<uint64_t> &addrs, const RegisterCfg &cfg,
                         int64_t &cache_id);

  /**
   * @brief 解注册缓存
   * @param [in] cache_id 缓存ID
   * @return 成功返回LLM_SUCCESS，失败返回错误码
   */
  Status UnregisterKvCache(int64_t cache_id);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};
}  // namespace llm_datadist

namespace llm_datadist::detail {
/* 内部使用的传输方向，普通 C 枚举，不属于对外接口 */
enum TransferDirection {
  TRANSFER_PULL = 0,
  TRANSFER_PUSH = 0x1U,
  TRANSFER_COPY
};
constexpr int32_t kMaxClustersPerCall = 16;
}  // namespace llm_datadist::detail

#endif  // CANN_STYLE_LLM_DATADIST_H
