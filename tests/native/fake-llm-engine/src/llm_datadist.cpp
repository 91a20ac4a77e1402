// The fake engine: llm_datadist::LlmDataDist following the CE profile of the behavioural reference (§5–§10) for
// the rules it models, with host memory standing in for device memory and an in-process registry standing in for
// the network. Every member is safe to call from many threads: each instance has a mutex; a call that touches a
// peer holds both instances' mutexes, taken in one global order; the registry's mutexes are innermost.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "llm_datadist.h"
#include "registry.h"
#include "rules.h"

namespace llmdd_fake {
using llm_datadist::Cache;
using llm_datadist::CacheIndex;
using llm_datadist::CachePlacement;
using llm_datadist::ClusterInfo;
using llm_datadist::LlmRole;
using llm_datadist::Status;

namespace {
// Devices of the one server a process models (an Atlas 800 A2 has 8 NPUs): llm.DeviceId must name one of them.
constexpr int32_t kDevicesPerServer = 8;
// CE's limits (§8) and the device pool used when llm.BufPoolCfg is absent.
constexpr size_t kClustersPerCallMax = 16U;
constexpr size_t kInitiatedLinksMax = 512U;
constexpr int64_t kPoolBytesDefault = int64_t{1} << 30;
// An H2D CopyKvBlocks stages through four device buffers of one block each (§9.14).
constexpr uint64_t kStagingBuffers = 4U;

uint64_t RoundUp(uint64_t value) {
  return (value + Registry::kAlignment - 1U) / Registry::kAlignment * Registry::kAlignment;
}

bool IsRole(LlmRole role) { return role == LlmRole::kPrompt || role == LlmRole::kDecoder || role == LlmRole::kMix; }

std::string Text(const ge::AscendString &text) { return std::string(text.GetString(), text.GetLength()); }

std::optional<std::string> Option(const std::map<ge::AscendString, ge::AscendString> &options, const char *key) {
  const auto found = options.find(ge::AscendString(key));
  if (found == options.end()) {
    return std::nullopt;
  }
  return Text(found->second);
}

std::vector<std::string> Ips(const std::vector<llm_datadist::IpInfo> &infos) {
  std::vector<std::string> ips;
  for (const auto &info : infos) {
    ips.push_back(Text(info.ip));
  }
  return ips;
}

std::string Endpoint(const llm_datadist::IpInfo &info) { return Text(info.ip) + ":" + std::to_string(info.port); }
}  // namespace

struct CacheEntry {
  CacheDesc desc;
  Geometry geometry;
  std::vector<void *> buffers;  // num_tensors per device, device-major
  uint64_t pooled_bytes = 0U;
};

struct LinkRecord {
  std::weak_ptr<Instance> peer;
  uint64_t link_id = 0U;  // both sides of one link share it; a peer record with another id is not our mirror
  bool is_client = false;
  std::vector<std::string> local_ips;
  std::vector<std::string> remote_ips;
};

/// One instance's state. Shared, so that a peer's record (a weak_ptr) can tell a destroyed instance from a live one.
struct Instance : std::enable_shared_from_this<Instance> {
  Instance(uint64_t id, LlmRole constructed_role) : cluster_id(id), role(constructed_role) {}

  const uint64_t cluster_id;
  std::mutex mutex;
  std::condition_variable link_operation_done;
  // Everything below is guarded by mutex.
  LlmRole role;
  bool initialized = false;
  std::vector<int32_t> devices;
  std::vector<std::string> listening;
  bool enable_switch_role = false;
  int64_t pool_bytes = kPoolBytesDefault;
  uint64_t pool_used = 0U;
  int64_t next_cache_id = 1;
  std::map<int64_t, CacheEntry> caches;
  std::map<uint64_t, LinkRecord> links;  // keyed by the peer's cluster id
  bool link_operation_running = false;

  bool StartListening(const std::vector<std::string> &endpoints) {
    auto &registry = Registry::Get();
    std::vector<std::string> bound;
    for (const auto &endpoint : endpoints) {
      if (!registry.Listen(endpoint, shared_from_this())) {
        for (const auto &done : bound) {
          registry.StopListening(done, this);
        }
        return false;
      }
      bound.push_back(endpoint);
    }
    listening = std::move(bound);
    return true;
  }

  void StopListening() {
    for (const auto &endpoint : listening) {
      Registry::Get().StopListening(endpoint, this);
    }
    listening.clear();
  }

  void Release(CacheEntry &cache) {
    for (void *buffer : cache.buffers) {
      (void)Registry::Get().Free(buffer);
    }
    cache.buffers.clear();
    pool_used -= cache.pooled_bytes;
  }

  void FinalizeLocked() {
    if (!initialized) {
      return;
    }
    links.clear();  // peers are not told: their records become half-open (§5.1)
    for (auto &entry : caches) {
      Release(entry.second);
    }
    caches.clear();
    StopListening();
    devices.clear();
    initialized = false;
  }

  /// Whether the peer still holds the other side of this record; call with both mutexes held.
  bool MirrorHeld(const LinkRecord &record, const Instance *peer) const {
    if (peer == nullptr || !peer->initialized) {
      return false;
    }
    const auto found = peer->links.find(cluster_id);
    return found != peer->links.end() && found->second.link_id == record.link_id;
  }
};

namespace {
/// Locks one instance, or two in a fixed global order (cluster id, then address), so two linked instances calling
/// each other never deadlock.
class PairLock {
 public:
  PairLock(Instance &self, Instance *peer) {
    if (peer == nullptr || peer == &self) {
      first_ = std::unique_lock<std::mutex>(self.mutex);
      return;
    }
    const bool self_first = std::make_tuple(self.cluster_id, reinterpret_cast<uintptr_t>(&self)) <
                            std::make_tuple(peer->cluster_id, reinterpret_cast<uintptr_t>(peer));
    Instance &a = self_first ? self : *peer;
    Instance &b = self_first ? *peer : self;
    first_ = std::unique_lock<std::mutex>(a.mutex);
    second_ = std::unique_lock<std::mutex>(b.mutex);
  }

 private:
  std::unique_lock<std::mutex> first_;
  std::unique_lock<std::mutex> second_;
};

}  // namespace
}  // namespace llmdd_fake

namespace llm_datadist {
using llmdd_fake::CacheEntry;
using llmdd_fake::Geometry;
using llmdd_fake::Instance;
using llmdd_fake::LinkRecord;
using llmdd_fake::PairLock;
using llmdd_fake::Registry;
using llmdd_fake::Endpoint;
using llmdd_fake::Ips;
using llmdd_fake::IsRole;
using llmdd_fake::Option;
using llmdd_fake::Text;

// Hidden: the exported class would otherwise export its nested implementation too.
class __attribute__((visibility("hidden"))) LlmDataDist::LlmDataDistImpl {
 public:
  LlmDataDistImpl(uint64_t cluster_id, LlmRole role) : self_(std::make_shared<Instance>(cluster_id, role)) {}
  ~LlmDataDistImpl() { Finalize(); }

  Status Initialize(const std::map<AscendString, AscendString> &options);
  void Finalize() {
    std::lock_guard<std::mutex> lock(self_->mutex);
    self_->FinalizeLocked();
  }
  Status SetRole(LlmRole role, const std::map<AscendString, AscendString> &options);
  Status Link(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets, int32_t timeout_in_millis);
  Status Unlink(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets, int32_t timeout_in_millis,
                bool force_flag);
  Status Allocate(const CacheDesc &cache_desc, Cache &cache);
  Status Deallocate(int64_t cache_id);
  Status Pull(const CacheIndex &src, const Cache &dst_cache, uint32_t batch_index, int64_t size,
              const KvCacheExtParam &ext, const std::vector<uint64_t> *src_blocks,
              const std::vector<uint64_t> *dst_blocks);
  Status Push(const Cache &src_cache, const CacheIndex &dst, uint32_t src_batch_index, int64_t size,
              const KvCacheExtParam &ext, const std::vector<uint64_t> *src_blocks,
              const std::vector<uint64_t> *dst_blocks);
  Status CopyCache(const Cache &src, const Cache &dst, uint32_t src_batch, uint32_t dst_batch, uint64_t offset,
                   int64_t size);
  Status CopyBlocks(const Cache &src, const Cache &dst, const std::vector<uint64_t> &src_blocks,
                    const std::vector<std::vector<uint64_t>> &dst_blocks_list);

 private:
  Status CommonLinkChecks(const std::vector<ClusterInfo> &clusters, int32_t timeout_in_millis) const;
  Status BeginLinkOperation(std::unique_lock<std::mutex> &lock, const std::vector<ClusterInfo> &clusters,
                            int32_t timeout_in_millis);
  void EndLinkOperation();
  Status LinkOne(const ClusterInfo &cluster);
  Status UnlinkOne(const ClusterInfo &cluster, bool force, std::set<uint64_t> &seen,
                   const std::map<uint64_t, LinkRecord> &linked_at_start);
  /// Runs body with this instance's mutex and, when a record for peer_id exists, the peer's, both held; body gets
  /// the peer (null when there is no record or the peer is gone).
  Status WithPeer(uint64_t peer_id, const std::function<Status(Instance *)> &body);
  bool DescribeForCopy(const Cache &cache, Geometry &geometry) const;

  std::shared_ptr<Instance> self_;
};

Status LlmDataDist::LlmDataDistImpl::Initialize(const std::map<AscendString, AscendString> &options) {
  Instance &s = *self_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (s.initialized) {
    return LLM_SUCCESS;  // options ignored, nothing changes (§5.1)
  }
  // §9.3 order: role, llm.DeviceId, the Prompt's llm.ListenIpInfo, llm.BufPoolCfg, then the engine's own options.
  if (!IsRole(s.role)) {
    return LLM_PARAM_INVALID;
  }
  std::vector<int32_t> devices;
  const auto device_text = Option(options, OPTION_DEVICE_ID);
  if (!device_text || !llmdd_fake::ParseDeviceIds(*device_text, devices)) {
    return LLM_PARAM_INVALID;
  }
  std::vector<std::string> listen;
  const auto listen_text = Option(options, OPTION_LISTEN_IP_INFO);
  if (s.role == LlmRole::kPrompt && (!listen_text || !llmdd_fake::ParseListenList(*listen_text, listen))) {
    return LLM_PARAM_INVALID;  // CE checks the endpoint for a Prompt only; other roles ignore it
  }
  int64_t pool_bytes = llmdd_fake::kPoolBytesDefault;
  if (const auto pool_text = Option(options, OPTION_BUF_POOL_CFG)) {
    if (!llmdd_fake::ParseBufPoolSize(*pool_text, pool_bytes)) {
      return LLM_PARAM_INVALID;
    }
  }
  bool switch_role = false;
  if (const auto switch_text = Option(options, OPTION_ENABLE_SET_ROLE)) {
    if (*switch_text != "0" && *switch_text != "1") {
      return LLM_PARAM_INVALID;
    }
    switch_role = *switch_text == "1";
  }
  if (const auto wait_text = Option(options, OPTION_SYNC_CACHE_WAIT_TIME)) {
    // The fake never waits for a device, so the value is only validated.
    uint64_t wait_ms = 0U;
    if (!llmdd_fake::ParseDigits(*wait_text, UINT64_MAX, wait_ms)) {
      return LLM_PARAM_INVALID;
    }
  }
  // Engine start-up: every device must exist on this server, and the listener must bind.
  for (const int32_t device : devices) {
    if (device >= llmdd_fake::kDevicesPerServer) {
      return LLM_FAILED;
    }
  }
  if (s.role == LlmRole::kPrompt && !s.StartListening(listen)) {
    return LLM_FAILED;
  }
  s.devices = std::move(devices);
  s.enable_switch_role = switch_role;
  s.pool_bytes = pool_bytes;
  s.pool_used = 0U;
  s.next_cache_id = 1;  // ids restart after a re-Initialize (§5.1)
  s.initialized = true;
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::SetRole(LlmRole role, const std::map<AscendString, AscendString> &options) {
  Instance &s = *self_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized) {
    return LLM_FAILED;
  }
  std::vector<std::string> listen;
  const auto listen_text = Option(options, OPTION_LISTEN_IP_INFO);
  if (!IsRole(role) || (listen_text && !llmdd_fake::ParseListenList(*listen_text, listen))) {
    return LLM_PARAM_INVALID;
  }
  if (!s.enable_switch_role || s.devices.size() > 1U) {
    return LLM_FEATURE_NOT_ENABLED;
  }
  if (role == LlmRole::kPrompt && listen.empty()) {
    return LLM_PARAM_INVALID;
  }
  if ((s.role == LlmRole::kPrompt || s.role == LlmRole::kDecoder) && !s.links.empty()) {
    return LLM_EXIST_LINK;
  }
  // The listener stops, and restarts on the new endpoint when the new role listens.
  s.StopListening();
  if (role == LlmRole::kPrompt && !s.StartListening(listen)) {
    return LLM_FAILED;
  }
  s.role = role;
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::CommonLinkChecks(const std::vector<ClusterInfo> &clusters,
                                                       int32_t timeout_in_millis) const {
  if (!self_->initialized) {
    return LLM_FAILED;
  }
  if (timeout_in_millis <= 0) {
    return LLM_PARAM_INVALID;
  }
  for (const auto &cluster : clusters) {
    for (const auto *list : {&cluster.remote_ip_infos, &cluster.local_ip_infos}) {
      for (const auto &info : *list) {
        if (!llmdd_fake::IsIpv4(Text(info.ip))) {
          return LLM_PARAM_INVALID;
        }
      }
    }
  }
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::BeginLinkOperation(std::unique_lock<std::mutex> &lock,
                                                         const std::vector<ClusterInfo> &clusters,
                                                         int32_t timeout_in_millis) {
  Instance &s = *self_;
  if (s.link_operation_running) {
    // CE waits timeout_in_millis *micro*seconds for the running Link/Unlink (a unit slip of the engine, kept).
    const bool free = s.link_operation_done.wait_for(lock, std::chrono::microseconds(timeout_in_millis),
                                                     [&s] { return !s.link_operation_running; });
    if (!free) {
      return LLM_PROCESSING_LINK;
    }
    if (!s.initialized) {
      return LLM_FAILED;  // finalized while waiting
    }
  }
  if (clusters.empty()) {
    return LLM_PARAM_INVALID;
  }
  const auto first_local = Ips(clusters[0].local_ip_infos);
  for (const auto &cluster : clusters) {
    if (cluster.local_ip_infos.empty() || cluster.remote_ip_infos.empty() ||
        cluster.local_ip_infos.size() != cluster.remote_ip_infos.size() ||
        cluster.local_ip_infos.size() != s.devices.size() || Ips(cluster.local_ip_infos) != first_local) {
      return LLM_PARAM_INVALID;
    }
  }
  if (clusters.size() > llmdd_fake::kClustersPerCallMax) {
    return LLM_CLUSTER_NUM_EXCEED_LIMIT;
  }
  s.link_operation_running = true;
  return LLM_SUCCESS;
}

void LlmDataDist::LlmDataDistImpl::EndLinkOperation() {
  {
    std::lock_guard<std::mutex> lock(self_->mutex);
    self_->link_operation_running = false;
  }
  self_->link_operation_done.notify_all();
}

Status LlmDataDist::LlmDataDistImpl::Link(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                                          int32_t timeout_in_millis) {
  Instance &s = *self_;
  std::vector<Status> plans;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    const Status pre = CommonLinkChecks(clusters, timeout_in_millis);
    if (pre != LLM_SUCCESS) {
      return pre;
    }
    if (s.role != LlmRole::kDecoder) {
      return LLM_PARAM_INVALID;  // CE: only a Decoder links, as client (rets untouched)
    }
    rets.clear();
    const Status begun = BeginLinkOperation(lock, clusters, timeout_in_millis);
    if (begun != LLM_SUCCESS) {
      return begun;
    }
    // Per-cluster checks against the records held when the call starts (§6.3 step 8).
    std::set<uint64_t> seen;
    size_t initiated = 0U;
    for (const auto &entry : s.links) {
      initiated += entry.second.is_client ? 1U : 0U;
    }
    const bool over_limit = clusters.size() + initiated > llmdd_fake::kInitiatedLinksMax;
    for (const auto &cluster : clusters) {
      if (s.links.count(cluster.remote_cluster_id) != 0U) {
        plans.push_back(LLM_ALREADY_LINK);
      } else if (!seen.insert(cluster.remote_cluster_id).second) {
        plans.push_back(LLM_REPEAT_REQUEST);
      } else if (over_limit) {
        plans.push_back(LLM_PARAM_INVALID);
      } else {
        plans.push_back(LLM_SUCCESS);
      }
    }
  }
  try {
    for (size_t i = 0; i < clusters.size(); ++i) {
      rets.push_back(plans[i] == LLM_SUCCESS ? LinkOne(clusters[i]) : plans[i]);
    }
  } catch (...) {
    EndLinkOperation();
    throw;
  }
  EndLinkOperation();
  // Doc≠code: SUCCESS unless a cluster failed to link; ALREADY_LINK / REPEAT_REQUEST / PARAM_INVALID do not count.
  const bool failed = std::any_of(rets.begin(), rets.end(), [](Status r) {
    return r == LLM_LINK_FAILED || r == LLM_WAIT_PROC_TIMEOUT || r == LLM_NOTIFY_PROMPT_UNLINK_FAILED;
  });
  return failed ? LLM_LINK_FAILED : LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::LinkOne(const ClusterInfo &cluster) {
  Instance &s = *self_;
  const std::string endpoint = Endpoint(cluster.remote_ip_infos[0]);
  const auto server = Registry::Get().ListenerAt(endpoint);
  if (server == nullptr) {
    return LLM_LINK_FAILED;
  }
  PairLock lock(s, server.get());
  const bool still_listening =
      std::find(server->listening.begin(), server->listening.end(), endpoint) != server->listening.end();
  if (!s.initialized || !server->initialized || !still_listening || server.get() == &s) {
    return LLM_LINK_FAILED;
  }
  const uint64_t link_id = Registry::Get().NextLinkId();
  LinkRecord server_side;
  server_side.peer = self_;
  server_side.link_id = link_id;
  server_side.is_client = false;
  for (const auto &listened : server->listening) {
    server_side.local_ips.push_back(listened.substr(0, listened.rfind(':')));
  }
  server_side.remote_ips = Ips(cluster.local_ip_infos);
  LinkRecord client_side;
  client_side.peer = server;
  client_side.link_id = link_id;
  client_side.is_client = true;
  client_side.local_ips = Ips(cluster.local_ip_infos);
  client_side.remote_ips = Ips(cluster.remote_ip_infos);
  // The server replaces any stale record of this client.
  server->links[s.cluster_id] = std::move(server_side);
  s.links[cluster.remote_cluster_id] = std::move(client_side);
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::Unlink(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                                            int32_t timeout_in_millis, bool force_flag) {
  Instance &s = *self_;
  std::map<uint64_t, LinkRecord> linked_at_start;
  {
    std::unique_lock<std::mutex> lock(s.mutex);
    const Status pre = CommonLinkChecks(clusters, timeout_in_millis);
    if (pre != LLM_SUCCESS) {
      return pre;
    }
    rets.clear();
    const Status begun = BeginLinkOperation(lock, clusters, timeout_in_millis);
    if (begun != LLM_SUCCESS) {
      return begun;
    }
    linked_at_start = s.links;
  }
  try {
    std::set<uint64_t> seen;
    for (const auto &cluster : clusters) {
      rets.push_back(UnlinkOne(cluster, force_flag, seen, linked_at_start));
    }
  } catch (...) {
    EndLinkOperation();
    throw;
  }
  EndLinkOperation();
  const bool all_fine = std::all_of(rets.begin(), rets.end(),
                                    [](Status r) { return r == LLM_SUCCESS || r == LLM_NOT_YET_LINK; });
  return all_fine ? LLM_SUCCESS : LLM_UNLINK_FAILED;
}

Status LlmDataDist::LlmDataDistImpl::UnlinkOne(const ClusterInfo &cluster, bool force, std::set<uint64_t> &seen,
                                               const std::map<uint64_t, LinkRecord> &linked_at_start) {
  // §6.4 per-cluster order, judged against the records held when the call started: unknown → NOT_YET_LINK,
  // IPs differ → PARAM_INVALID (client), duplicate → REPEAT_REQUEST. (A transfer never holds a link between
  // calls here, so LINK_BUSY does not arise.)
  Instance &s = *self_;
  const bool first = seen.insert(cluster.remote_cluster_id).second;
  const auto at_start = linked_at_start.find(cluster.remote_cluster_id);
  const LinkRecord *record = at_start == linked_at_start.end() ? nullptr : &at_start->second;
  const std::shared_ptr<Instance> peer = record == nullptr ? nullptr : record->peer.lock();
  PairLock lock(s, peer.get());
  // A Decoder unlinks as client; a Prompt tears down its server side (force ignored); Mix: whichever side it holds.
  const bool as_client =
      s.role == LlmRole::kDecoder || (s.role == LlmRole::kMix && record != nullptr && record->is_client);
  // The server side identifies its client by IP and id.
  if (record == nullptr || record->is_client != as_client ||
      (!as_client && Text(cluster.remote_ip_infos[0].ip) != record->remote_ips[0])) {
    return LLM_NOT_YET_LINK;
  }
  if (as_client &&
      (Ips(cluster.remote_ip_infos) != record->remote_ips || Ips(cluster.local_ip_infos) != record->local_ips)) {
    return LLM_PARAM_INVALID;
  }
  if (!first) {
    return LLM_REPEAT_REQUEST;
  }
  const auto held = s.links.find(cluster.remote_cluster_id);
  if (held == s.links.end() || held->second.link_id != record->link_id) {
    return LLM_NOT_YET_LINK;  // dropped since the call started
  }
  if (!as_client || force) {
    s.links.erase(held);  // local side only
    return LLM_SUCCESS;
  }
  // Non-force: the prompt is told and drops its side; if it no longer holds it, the local side goes anyway and the
  // prompt must unlink itself.
  const bool mirror_held = s.MirrorHeld(held->second, peer.get());
  s.links.erase(held);
  if (!mirror_held) {
    return LLM_NOTIFY_PROMPT_UNLINK_FAILED;
  }
  peer->links.erase(s.cluster_id);
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::WithPeer(uint64_t peer_id, const std::function<Status(Instance *)> &body) {
  Instance &s = *self_;
  for (;;) {
    std::shared_ptr<Instance> peer;
    {
      std::lock_guard<std::mutex> lock(s.mutex);
      const auto found = s.links.find(peer_id);
      if (found != s.links.end()) {
        peer = found->second.peer.lock();
      }
    }
    PairLock lock(s, peer.get());
    const auto found = s.links.find(peer_id);
    const std::shared_ptr<Instance> now = found == s.links.end() ? nullptr : found->second.peer.lock();
    if (now == peer) {
      return body(peer.get());
    }
    // The record changed between the two looks (relinked, unlinked): look again.
  }
}

Status LlmDataDist::LlmDataDistImpl::Allocate(const CacheDesc &cache_desc, Cache &cache) {
  Instance &s = *self_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized) {
    return LLM_FAILED;
  }
  if (cache_desc.num_tensors == 0U || cache_desc.placement != CachePlacement::kDevice) {
    return LLM_PARAM_INVALID;
  }
  // The id is consumed from here on: a later failure leaves a gap (§9.8).
  const int64_t id = s.next_cache_id++;
  const auto geometry = llmdd_fake::Describe(cache_desc, llmdd_fake::Sizing::kDevice, true);
  if (!geometry) {
    return LLM_PARAM_INVALID;
  }
  const uint64_t buffers = static_cast<uint64_t>(cache_desc.num_tensors) * s.devices.size();
  const uint64_t per_tensor = llmdd_fake::RoundUp(geometry->tensor_bytes);
  const uint64_t free_bytes = static_cast<uint64_t>(s.pool_bytes) - s.pool_used;
  if (per_tensor > free_bytes / buffers) {
    return LLM_DEVICE_OUT_OF_MEMORY;
  }
  CacheEntry entry;
  entry.desc = cache_desc;
  entry.geometry = *geometry;
  entry.buffers.reserve(buffers);
  for (uint64_t i = 0U; i < buffers; ++i) {
    void *buffer = Registry::Get().Allocate(geometry->tensor_bytes);
    if (buffer == nullptr) {
      s.Release(entry);  // partial allocations are released, as the device function does
      return LLM_DEVICE_OUT_OF_MEMORY;
    }
    entry.buffers.push_back(buffer);
  }
  entry.pooled_bytes = per_tensor * buffers;
  std::vector<uintptr_t> addresses;
  try {
    addresses.reserve(buffers);
    for (void *buffer : entry.buffers) {
      addresses.push_back(reinterpret_cast<uintptr_t>(buffer));
    }
    cache.tensor_addrs.reserve(cache.tensor_addrs.size() + buffers);
    s.pool_used += entry.pooled_bytes;
    s.caches.emplace(id, std::move(entry));
  } catch (...) {
    s.pool_used -= entry.pooled_bytes;
    s.Release(entry);
    throw;
  }
  cache.cache_id = id;
  // Appended, device-major, as the engine does (§9.8 step 9).
  cache.tensor_addrs.insert(cache.tensor_addrs.end(), addresses.begin(), addresses.end());
  cache.cache_desc = cache_desc;
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::Deallocate(int64_t cache_id) {
  Instance &s = *self_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized) {
    return LLM_FAILED;
  }
  // Doc≠code: the header comment promises SUCCESS for an unknown id; the engine returns KV_CACHE_NOT_EXIST.
  const auto found = s.caches.find(cache_id);
  if (found == s.caches.end()) {
    return LLM_KV_CACHE_NOT_EXIST;
  }
  s.Release(found->second);
  s.caches.erase(found);
  return LLM_SUCCESS;
}

namespace {
/// Copies bytes between two engine-owned tensors; the callers' checks keep every range inside its buffer, and this
/// re-checks so that a slip is a status, never a wild write.
bool CopyRange(const CacheEntry &from, uint64_t from_tensor, uint64_t from_offset, CacheEntry &to, uint64_t to_tensor,
               uint64_t to_offset, uint64_t bytes) {
  if (from_tensor >= from.buffers.size() || to_tensor >= to.buffers.size() ||
      from_offset > from.geometry.tensor_bytes || bytes > from.geometry.tensor_bytes - from_offset ||
      to_offset > to.geometry.tensor_bytes || bytes > to.geometry.tensor_bytes - to_offset) {
    return false;
  }
  std::memmove(static_cast<uint8_t *>(to.buffers[to_tensor]) + to_offset,
               static_cast<const uint8_t *>(from.buffers[from_tensor]) + from_offset, bytes);
  return true;
}

bool AnyAtOrAbove(const std::vector<uint64_t> &indices, uint64_t limit) {
  return std::any_of(indices.begin(), indices.end(), [limit](uint64_t i) { return i >= limit; });
}
}  // namespace

Status LlmDataDist::LlmDataDistImpl::Pull(const CacheIndex &src, const Cache &dst_cache, uint32_t batch_index,
                                          int64_t size, const KvCacheExtParam &ext,
                                          const std::vector<uint64_t> *src_blocks,
                                          const std::vector<uint64_t> *dst_blocks) {
  const bool blocks = src_blocks != nullptr;
  return WithPeer(src.cluster_id, [&](Instance *peer) -> Status {
    Instance &s = *self_;
    // §9.11 / §9.12, CE order: host checks, then the local cache, then the link, then the remote cache.
    if (!s.initialized) {
      return LLM_FAILED;
    }
    if (blocks ? src.batch_index != 0U : (size != -1 && size <= 0)) {
      return LLM_PARAM_INVALID;
    }
    if (!llmdd_fake::LayerParamValid(ext, false) || s.role != LlmRole::kDecoder) {
      return LLM_PARAM_INVALID;
    }
    if (blocks && (src_blocks->empty() || src_blocks->size() != dst_blocks->size())) {
      return LLM_PARAM_INVALID;
    }
    const auto local = s.caches.find(dst_cache.cache_id);
    if (local == s.caches.end()) {
      return LLM_KV_CACHE_NOT_EXIST;
    }
    CacheEntry &d = local->second;
    const uint64_t n = size > 0 ? static_cast<uint64_t>(size) : d.geometry.stride;
    if (blocks ? AnyAtOrAbove(*dst_blocks, d.geometry.rows) : (batch_index >= d.geometry.rows || n > d.geometry.stride)) {
      return LLM_PARAM_INVALID;
    }
    if (llmdd_fake::PullUsesRanges(ext)) {
      const int64_t per_layer = ext.tensor_num_per_layer;
      const int64_t dst_first = ext.dst_layer_range.first * per_layer;
      const int64_t dst_count =
          (static_cast<int64_t>(ext.dst_layer_range.second) - ext.dst_layer_range.first + 1) * per_layer;
      if (dst_first + dst_count > static_cast<int64_t>(d.desc.num_tensors)) {
        return LLM_PARAM_INVALID;
      }
    }
    const auto record = s.links.find(src.cluster_id);
    if (record == s.links.end()) {
      return LLM_NOT_YET_LINK;
    }
    if (!record->second.is_client) {
      return LLM_FAILED;  // CE pulls over a client record only
    }
    if (!s.MirrorHeld(record->second, peer)) {
      return LLM_WAIT_PROC_TIMEOUT;  // half-open: the peer finalized or dropped its side
    }
    const auto remote = peer->caches.find(src.cache_id);
    if (remote == peer->caches.end()) {
      return LLM_KV_CACHE_NOT_EXIST;
    }
    const CacheEntry &source = remote->second;
    const auto pairs = llmdd_fake::PullPairs(ext, source.desc.num_tensors, d.desc.num_tensors);
    if (!blocks) {
      // CE's remote side reports a row out of range as a missing cache (§9.11 step 9).
      if (src.batch_index >= source.geometry.rows) {
        return LLM_KV_CACHE_NOT_EXIST;
      }
      if (n > source.geometry.stride || !pairs) {
        return LLM_PARAM_INVALID;
      }
      for (const auto &pair : *pairs) {
        if (!CopyRange(source, pair.source, src.batch_index * source.geometry.stride, d, pair.destination,
                                   batch_index * d.geometry.stride, n)) {
          return LLM_PARAM_INVALID;
        }
      }
      return LLM_SUCCESS;
    }
    if (!pairs || AnyAtOrAbove(*src_blocks, source.geometry.rows) || source.geometry.stride != d.geometry.stride) {
      return LLM_PARAM_INVALID;
    }
    for (size_t j = 0; j < src_blocks->size(); ++j) {
      for (const auto &pair : *pairs) {
        if (!CopyRange(source, pair.source, (*src_blocks)[j] * source.geometry.stride, d, pair.destination,
                                   (*dst_blocks)[j] * d.geometry.stride, d.geometry.stride)) {
          return LLM_PARAM_INVALID;
        }
      }
    }
    return LLM_SUCCESS;
  });
}

Status LlmDataDist::LlmDataDistImpl::Push(const Cache &src_cache, const CacheIndex &dst, uint32_t src_batch_index,
                                          int64_t size, const KvCacheExtParam &ext,
                                          const std::vector<uint64_t> *src_blocks,
                                          const std::vector<uint64_t> *dst_blocks) {
  const bool blocks = src_blocks != nullptr;
  return WithPeer(dst.cluster_id, [&](Instance *peer) -> Status {
    Instance &s = *self_;
    // §9.15 / §9.16, CE order: per call, then per layer.
    if (!s.initialized) {
      return LLM_FAILED;
    }
    if (src_cache.cache_desc.placement != CachePlacement::kDevice) {
      return LLM_PARAM_INVALID;
    }
    if (blocks ? (src_blocks->empty() || src_blocks->size() != dst_blocks->size() || dst.batch_index != 0U)
               : size != -1) {
      return LLM_PARAM_INVALID;
    }
    const bool all_layers = ext.src_layer_range.first == -1;
    const uint64_t caller_tensors = src_cache.cache_desc.num_tensors;
    if (!llmdd_fake::LayerParamValid(ext, true) || (all_layers && caller_tensors == 0U)) {
      return LLM_PARAM_INVALID;
    }
    const uint64_t per_layer = ext.tensor_num_per_layer;
    // All layers: 0..Lmax from the caller's num_tensors (one more when not divisible, which then fails below).
    const uint64_t layer_count = all_layers
        ? caller_tensors / per_layer + (caller_tensors % per_layer == 0U ? 0U : 1U)
        : static_cast<uint64_t>(static_cast<int64_t>(ext.src_layer_range.second) - ext.src_layer_range.first + 1);
    // Layers go one at a time; a failure at layer k leaves layers before k written (a partial effect of the engine).
    for (uint64_t k = 0U; k < layer_count; ++k) {
      const uint64_t src_layer = all_layers ? k : static_cast<uint64_t>(ext.src_layer_range.first) + k;
      // An explicit source with a -1 destination makes the destination layer huge in the engine: it fails its bound.
      const uint64_t dst_layer = all_layers ? k
          : ext.dst_layer_range.first < 0 ? static_cast<uint64_t>(INT32_MAX)
                                          : static_cast<uint64_t>(ext.dst_layer_range.first) + k;
      if (s.devices.size() > 1U) {
        return LLM_FEATURE_NOT_ENABLED;
      }
      if (s.role != LlmRole::kPrompt) {
        return LLM_PARAM_INVALID;
      }
      const auto local = s.caches.find(src_cache.cache_id);
      if (local == s.caches.end()) {
        return LLM_KV_CACHE_NOT_EXIST;
      }
      const CacheEntry &source = local->second;
      const Geometry &sg = source.geometry;
      if (src_batch_index >= sg.rows || src_layer >= sg.Layers(ext.tensor_num_per_layer) ||
          dst_layer >= sg.Layers(ext.tensor_num_per_layer) || sg.num_tensors % per_layer != 0U ||
          (blocks && AnyAtOrAbove(*src_blocks, sg.rows))) {
        return LLM_PARAM_INVALID;
      }
      const auto record = s.links.find(dst.cluster_id);
      if (record == s.links.end()) {
        return LLM_NOT_YET_LINK;
      }
      if (!s.MirrorHeld(record->second, peer)) {
        return LLM_WAIT_PROC_TIMEOUT;  // half-open
      }
      const auto remote = peer->caches.find(dst.cache_id);
      if (remote == peer->caches.end()) {
        return LLM_KV_CACHE_NOT_EXIST;
      }
      CacheEntry &d = remote->second;
      const Geometry &dg = d.geometry;
      if (!blocks && dst.batch_index >= dg.rows) {
        return LLM_KV_CACHE_NOT_EXIST;  // CE's remote side calls an out-of-range row a missing cache
      }
      if (dst_layer >= dg.Layers(ext.tensor_num_per_layer) || dg.num_tensors % per_layer != 0U || sg.stride > dg.stride ||
          (blocks && (AnyAtOrAbove(*dst_blocks, dg.rows) || sg.stride != dg.stride))) {
        return LLM_PARAM_INVALID;
      }
      for (uint64_t i = 0U; i < per_layer; ++i) {
        const uint64_t from = src_layer * per_layer + i;
        const uint64_t to = dst_layer * per_layer + i;
        if (!blocks) {
          if (!CopyRange(source, from, src_batch_index * sg.stride, d, to, dst.batch_index * dg.stride,
                                     sg.stride)) {
            return LLM_PARAM_INVALID;
          }
          continue;
        }
        for (size_t j = 0; j < src_blocks->size(); ++j) {
          if (!CopyRange(source, from, (*src_blocks)[j] * sg.stride, d, to, (*dst_blocks)[j] * sg.stride,
                                     sg.stride)) {
            return LLM_PARAM_INVALID;
          }
        }
      }
    }
    return LLM_SUCCESS;
  });
}

bool LlmDataDist::LlmDataDistImpl::DescribeForCopy(const Cache &cache, Geometry &geometry) const {
  // Copy's descriptor check: the host size table, no rank rule, one address per tensor and device.
  const auto described = llmdd_fake::Describe(cache.cache_desc, llmdd_fake::Sizing::kHost, false);
  if (!described ||
      cache.tensor_addrs.size() != static_cast<uint64_t>(cache.cache_desc.num_tensors) * self_->devices.size()) {
    return false;
  }
  geometry = *described;
  return true;
}

Status LlmDataDist::LlmDataDistImpl::CopyCache(const Cache &src, const Cache &dst, uint32_t src_batch,
                                               uint32_t dst_batch, uint64_t offset, int64_t size) {
  Instance &s = *self_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized) {
    return LLM_FAILED;
  }
  if (src.cache_desc.placement == CachePlacement::kHost) {
    return LLM_PARAM_INVALID;  // H2D and H2H are not supported
  }
  Geometry sg;
  Geometry dg;
  if (!DescribeForCopy(src, sg) || !DescribeForCopy(dst, dg)) {
    return LLM_PARAM_INVALID;
  }
  if ((size != -1 && size <= 0) || src_batch >= sg.rows || dst_batch >= dg.rows) {
    return LLM_PARAM_INVALID;
  }
  if (offset > 0U && (offset >= sg.stride || offset >= dg.stride)) {
    return LLM_PARAM_INVALID;
  }
  const uint64_t n = size != -1 ? static_cast<uint64_t>(size) : sg.stride - offset;
  // UB→sim: the engine never checks that D has as many tensors as S.
  if (n > sg.stride - offset || n > dg.stride - offset || dg.num_tensors < sg.num_tensors) {
    return LLM_PARAM_INVALID;
  }
  auto &registry = Registry::Get();
  const auto memory = registry.LockMemory();
  struct Move {
    uint8_t *to;
    const uint8_t *from;
  };
  std::vector<Move> moves;
  for (size_t device = 0; device < s.devices.size(); ++device) {
    for (uint32_t t = 0; t < sg.num_tensors; ++t) {
      const uint64_t from = src.tensor_addrs[device * sg.num_tensors + t];
      const uint64_t to = dst.tensor_addrs[device * dg.num_tensors + t];
      const uint64_t from_offset = src_batch * sg.stride + offset;
      const uint64_t to_offset = dst_batch * dg.stride + offset;
      // Every range must lie in memory the engine knows; anything else would be a wild access.
      if (!registry.ContainsLocked(from, from_offset + n) || !registry.ContainsLocked(to, to_offset + n)) {
        return LLM_PARAM_INVALID;
      }
      moves.push_back({reinterpret_cast<uint8_t *>(to) + to_offset, reinterpret_cast<const uint8_t *>(from) + from_offset});
    }
  }
  for (const auto &move : moves) {
    std::memmove(move.to, move.from, n);
  }
  return LLM_SUCCESS;
}

Status LlmDataDist::LlmDataDistImpl::CopyBlocks(const Cache &src, const Cache &dst,
                                                const std::vector<uint64_t> &src_blocks,
                                                const std::vector<std::vector<uint64_t>> &dst_blocks_list) {
  Instance &s = *self_;
  std::lock_guard<std::mutex> lock(s.mutex);
  if (!s.initialized) {
    return LLM_FAILED;
  }
  Geometry sg;
  Geometry dg;
  if (src_blocks.empty() || dst_blocks_list.empty() || !DescribeForCopy(src, sg) || !DescribeForCopy(dst, dg) ||
      sg.stride != dg.stride) {
    return LLM_PARAM_INVALID;
  }
  const bool src_host = src.cache_desc.placement == CachePlacement::kHost;
  const bool dst_host = dst.cache_desc.placement == CachePlacement::kHost;
  if (src_host && dst_host) {
    return LLM_PARAM_INVALID;
  }
  const auto wrong_length = [&src_blocks](const std::vector<uint64_t> &list) { return list.size() != src_blocks.size(); };
  if (src_host != dst_host) {
    // H2D / D2H: every list and (UB→sim) every block index is checked before anything is copied.
    if (std::any_of(dst_blocks_list.begin(), dst_blocks_list.end(), wrong_length) || sg.num_tensors != dg.num_tensors ||
        AnyAtOrAbove(src_blocks, sg.rows) ||
        std::any_of(dst_blocks_list.begin(), dst_blocks_list.end(),
                    [&dg](const std::vector<uint64_t> &list) { return AnyAtOrAbove(list, dg.rows); })) {
      return LLM_PARAM_INVALID;
    }
    // H2D stages through device buffers taken from the pool; without room nothing is copied.
    if (src_host && s.pool_used + llmdd_fake::kStagingBuffers * llmdd_fake::RoundUp(sg.stride) >
                        static_cast<uint64_t>(s.pool_bytes)) {
      return LLM_DEVICE_OUT_OF_MEMORY;
    }
  } else if (dg.num_tensors < sg.num_tensors) {
    return LLM_PARAM_INVALID;  // UB→sim, checked before any copy
  }
  // D2D: lists run one after another and a bad list or block fails after the earlier copies landed (a partial
  // effect of the engine, kept).
  auto &registry = Registry::Get();
  const auto memory = registry.LockMemory();
  for (const auto &list : dst_blocks_list) {
    if (wrong_length(list)) {
      return LLM_PARAM_INVALID;
    }
    for (size_t device = 0; device < s.devices.size(); ++device) {
      for (uint32_t t = 0; t < sg.num_tensors; ++t) {
        for (size_t k = 0; k < src_blocks.size(); ++k) {
          if (src_blocks[k] >= sg.rows || list[k] >= dg.rows) {
            return LLM_PARAM_INVALID;
          }
          const uint64_t from = src.tensor_addrs[device * sg.num_tensors + t];
          const uint64_t to = dst.tensor_addrs[device * dg.num_tensors + t];
          const uint64_t from_offset = src_blocks[k] * sg.stride;
          const uint64_t to_offset = list[k] * dg.stride;
          if (!registry.ContainsLocked(from, from_offset + sg.stride) || !registry.ContainsLocked(to, to_offset + sg.stride)) {
            return LLM_PARAM_INVALID;
          }
          std::memmove(reinterpret_cast<uint8_t *>(to) + to_offset, reinterpret_cast<const uint8_t *>(from) + from_offset,
                       sg.stride);
        }
      }
    }
  }
  return LLM_SUCCESS;
}

// ---- the public class: every member forwards to the implementation ------------------------------------------------

LlmDataDist::LlmDataDist(uint64_t cluster_id, LlmRole role) {
  // The constructor never fails observably: without an implementation every later call is LLM_FAILED (§9.1).
  try {
    impl_.reset(new LlmDataDistImpl(cluster_id, role));
  } catch (const std::bad_alloc &) {
    impl_.reset();
  }
}

LlmDataDist::~LlmDataDist() = default;  // the implementation finalizes implicitly (§9.2)

Status LlmDataDist::Initialize(const std::map<AscendString, AscendString> &options) {
  return impl_ ? impl_->Initialize(options) : LLM_FAILED;
}

void LlmDataDist::Finalize() {
  if (impl_) {
    impl_->Finalize();
  }
}

Status LlmDataDist::SetRole(LlmRole role, const std::map<AscendString, AscendString> &options) {
  return impl_ ? impl_->SetRole(role, options) : LLM_FAILED;
}

Status LlmDataDist::LinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                                    int32_t timeout_in_millis) {
  return impl_ ? impl_->Link(clusters, rets, timeout_in_millis) : LLM_FAILED;
}

Status LlmDataDist::UnlinkLlmClusters(const std::vector<ClusterInfo> &clusters, std::vector<Status> &rets,
                                      int32_t timeout_in_millis, bool force_flag) {
  return impl_ ? impl_->Unlink(clusters, rets, timeout_in_millis, force_flag) : LLM_FAILED;
}

Status LlmDataDist::AllocateCache(const CacheDesc &cache_desc, Cache &cache) {
  return impl_ ? impl_->Allocate(cache_desc, cache) : LLM_FAILED;
}

Status LlmDataDist::DeallocateCache(int64_t cache_id) { return impl_ ? impl_->Deallocate(cache_id) : LLM_FAILED; }

Status LlmDataDist::PullKvCache(const CacheIndex &src_cache_index, const Cache &dst_cache, uint32_t batch_index,
                                int64_t size, const KvCacheExtParam &ext_param) {
  return impl_ ? impl_->Pull(src_cache_index, dst_cache, batch_index, size, ext_param, nullptr, nullptr) : LLM_FAILED;
}

Status LlmDataDist::PullKvBlocks(const CacheIndex &src_cache_index, const Cache &dst_cache,
                                 const std::vector<uint64_t> &src_blocks, const std::vector<uint64_t> &dst_blocks,
                                 const KvCacheExtParam &ext_param) {
  return impl_ ? impl_->Pull(src_cache_index, dst_cache, 0U, -1, ext_param, &src_blocks, &dst_blocks) : LLM_FAILED;
}

Status LlmDataDist::CopyKvCache(const Cache &src_cache, const Cache &dst_cache, uint32_t src_batch_index,
                                uint32_t dst_batch_index, uint64_t offset, int64_t size) {
  return impl_ ? impl_->CopyCache(src_cache, dst_cache, src_batch_index, dst_batch_index, offset, size) : LLM_FAILED;
}

Status LlmDataDist::CopyKvBlocks(const Cache &src_cache, const Cache &dst_cache, const std::vector<uint64_t> &src_blocks,
                                 const std::vector<std::vector<uint64_t>> &dst_blocks_list) {
  return impl_ ? impl_->CopyBlocks(src_cache, dst_cache, src_blocks, dst_blocks_list) : LLM_FAILED;
}

Status LlmDataDist::PushKvCache(const Cache &src_cache, const CacheIndex &dst_cache_index, uint32_t src_batch_index,
                                int64_t size, const KvCacheExtParam &ext_param) {
  return impl_ ? impl_->Push(src_cache, dst_cache_index, src_batch_index, size, ext_param, nullptr, nullptr)
               : LLM_FAILED;
}

Status LlmDataDist::PushKvBlocks(const Cache &src_cache, const CacheIndex &dst_cache_index,
                                 const std::vector<uint64_t> &src_blocks, const std::vector<uint64_t> &dst_blocks,
                                 const KvCacheExtParam &ext_param) {
  return impl_ ? impl_->Push(src_cache, dst_cache_index, 0U, -1, ext_param, &src_blocks, &dst_blocks) : LLM_FAILED;
}

// CE does not support registration: both members answer FEATURE_NOT_ENABLED, even before Initialize (§9.17-9.18).
Status LlmDataDist::RegisterKvCache(const CacheDesc &, const std::vector<uint64_t> &, const RegisterCfg &, int64_t &) {
  return LLM_FEATURE_NOT_ENABLED;
}

Status LlmDataDist::UnregisterKvCache(int64_t) { return LLM_FEATURE_NOT_ENABLED; }
}  // namespace llm_datadist
