#include "rules.h"

#include <cctype>
#include <cstring>

namespace llmdd_fake {
namespace {
// Element bits per ge::DataType value (§3), 0 for none; the device flag is CE AllocateCache's own table.
struct ElementType {
  uint32_t bits;
  bool device;
};
constexpr ElementType kElementTypes[] = {
    {32, true},  {16, true},  {8, true},   {32, true},  {8, true},   {0, false},  {16, true},  {16, true},
    {32, true},  {64, true},  {64, true},  {64, true},  {8, true},   {128, false}, {8, false}, {8, false},
    {64, false}, {128, false}, {8, true},  {16, true},  {32, true},  {8, true},   {16, true},  {64, false},
    {128, false}, {40, true}, {64, false}, {16, true},  {0, false},  {4, true},   {1, true},   {2, true},
    {2, true},   {32, false}, {8, false},  {8, false},  {8, false},  {8, false},  {6, false},  {6, false},
    {4, false},  {4, false},
};
constexpr int32_t kElementTypeCount = static_cast<int32_t>(sizeof(kElementTypes) / sizeof(kElementTypes[0]));
constexpr size_t kRankLimit = 32U;

// ge::DataType has no fixed underlying type: read its bytes as an integer so an out-of-range value from a caller
// is a rejected type, never an invalid enum load.
int32_t RawDataType(const CacheDesc &desc) {
  static_assert(sizeof(desc.data_type) == sizeof(int32_t), "ge::DataType is passed as int32");
  int32_t raw = 0;
  std::memcpy(&raw, &desc.data_type, sizeof(raw));
  return raw;
}

std::vector<std::string> Split(const std::string &text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0U;
  for (;;) {
    const size_t at = text.find(separator, start);
    parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) {
      return parts;
    }
    start = at + 1U;
  }
}

// A small JSON reader: validates one value and, at the top level, picks the text of "buf_pool_size" and notes
// whether "buf_cfg" is there.
class Json {
 public:
  explicit Json(const std::string &text) : text_(text) {}

  bool HasTiers() const { return has_tiers_; }

  bool ParseDocument(std::optional<std::string> &pool_size) {
    SkipSpace();
    if (Peek() != '{' || !Object(true, pool_size)) {
      return false;
    }
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool has_tiers_ = false;
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }
  bool Literal(const char *word) {
    const size_t length = std::strlen(word);
    if (text_.compare(pos_, length, word) != 0) {
      return false;
    }
    pos_ += length;
    return true;
  }
  bool String(std::string *out) {
    if (Peek() != '"') {
      return false;
    }
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        return true;
      }
      if (static_cast<unsigned char>(c) < 0x20U) {
        return false;
      }
      if (c == '\\') {
        if (pos_ >= text_.size()) {
          return false;
        }
        const char escaped = text_[pos_++];
        if (escaped == 'u') {
          for (int i = 0; i < 4; ++i) {
            if (pos_ >= text_.size() || std::isxdigit(static_cast<unsigned char>(text_[pos_])) == 0) {
              return false;
            }
            ++pos_;
          }
        } else if (std::strchr("\"\\/bfnrt", escaped) == nullptr || escaped == '\0') {
          return false;
        }
        continue;  // keys the engine reads have no escapes; an escaped key never matches them
      }
      if (out != nullptr) {
        out->push_back(c);
      }
    }
    return false;
  }
  bool Number(std::string *out) {
    const size_t start = pos_;
    if (Peek() == '-') {
      ++pos_;
    }
    if (Peek() == '0') {
      ++pos_;
    } else if (Peek() >= '1' && Peek() <= '9') {
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
    } else {
      return false;
    }
    if (Peek() == '.') {
      ++pos_;
      if (!(Peek() >= '0' && Peek() <= '9')) return false;
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!(Peek() >= '0' && Peek() <= '9')) return false;
      while (Peek() >= '0' && Peek() <= '9') ++pos_;
    }
    if (out != nullptr) {
      *out = text_.substr(start, pos_ - start);
    }
    return true;
  }
  bool Value(int depth, std::string *number) {
    if (depth > 64) {
      return false;
    }
    SkipSpace();
    std::optional<std::string> unused;
    switch (Peek()) {
      case '{': return Object(false, unused, depth + 1);
      case '[': return Array(depth + 1);
      case '"': return String(nullptr);
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      default: return Number(number);
    }
  }
  bool Object(bool top, std::optional<std::string> &pool_size, int depth = 1) {
    ++pos_;  // '{'
    SkipSpace();
    if (Peek() == '}') {
      ++pos_;
      return true;
    }
    for (;;) {
      SkipSpace();
      std::string key;
      if (!String(&key)) return false;
      SkipSpace();
      if (Peek() != ':') return false;
      ++pos_;
      std::string number;
      SkipSpace();
      const bool is_number = Peek() == '-' || (Peek() >= '0' && Peek() <= '9');
      if (!Value(depth, &number)) return false;
      if (top && key == "buf_pool_size") {
        // The last duplicate wins, as a DOM reader keeps it; a non-number is kept as "not a number".
        pool_size = is_number ? number : std::string("x");
      }
      if (top && key == "buf_cfg") {
        has_tiers_ = true;
      }
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == '}') {
        ++pos_;
        return true;
      }
      return false;
    }
  }
  bool Array(int depth) {
    ++pos_;  // '['
    SkipSpace();
    if (Peek() == ']') {
      ++pos_;
      return true;
    }
    for (;;) {
      if (!Value(depth, nullptr)) return false;
      SkipSpace();
      if (Peek() == ',') {
        ++pos_;
        continue;
      }
      if (Peek() == ']') {
        ++pos_;
        return true;
      }
      return false;
    }
  }

  const std::string &text_;
  size_t pos_ = 0U;
};
}  // namespace

std::optional<Geometry> Describe(const CacheDesc &desc, Sizing sizing, bool check_rank) {
  if (check_rank && (desc.shape.empty() || desc.shape.size() >= kRankLimit)) {
    return std::nullopt;
  }
  const int32_t type = RawDataType(desc);
  if (type < 0 || type >= kElementTypeCount) {
    return std::nullopt;
  }
  const ElementType element = kElementTypes[type];
  if (element.bits == 0U || (sizing == Sizing::kDevice && !element.device)) {
    return std::nullopt;
  }
  uint64_t elements = 1U;
  for (const int64_t dim : desc.shape) {
    // Every dim > 0, and neither the element count nor the bit count may overflow int64.
    if (dim <= 0 || elements > static_cast<uint64_t>(INT64_MAX) / static_cast<uint64_t>(dim)) {
      return std::nullopt;
    }
    elements *= static_cast<uint64_t>(dim);
  }
  if (elements > static_cast<uint64_t>(INT64_MAX) / element.bits) {
    return std::nullopt;
  }
  Geometry geometry;
  geometry.num_tensors = desc.num_tensors;
  geometry.tensor_bytes = element.bits % 8U == 0U ? elements * (element.bits / 8U) : (elements * element.bits + 7U) / 8U;
  geometry.rows = desc.shape.empty() ? 1U : static_cast<uint64_t>(desc.shape[0]);
  geometry.stride = geometry.tensor_bytes / geometry.rows;
  return geometry;
}

bool ParseDigits(const std::string &text, uint64_t max, uint64_t &value) {
  if (text.empty() || text.size() > 20U) {
    return false;
  }
  uint64_t result = 0U;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (result > (max - digit) / 10U) {
      return false;
    }
    result = result * 10U + digit;
  }
  value = result;
  return true;
}

bool ParseDeviceIds(const std::string &text, std::vector<int32_t> &ids) {
  std::vector<int32_t> parsed;
  for (const auto &part : Split(text, ';')) {
    uint64_t id = 0U;
    if (!ParseDigits(part, static_cast<uint64_t>(INT32_MAX), id)) {
      return false;
    }
    parsed.push_back(static_cast<int32_t>(id));
  }
  ids = std::move(parsed);
  return true;
}

bool IsIpv4(const std::string &text) {
  const auto parts = Split(text, '.');
  if (parts.size() != 4U) {
    return false;
  }
  for (const auto &part : parts) {
    uint64_t value = 0U;
    if (part.size() > 3U || !ParseDigits(part, 255U, value)) {
      return false;
    }
  }
  return true;
}

bool ParseListenList(const std::string &text, std::vector<std::string> &endpoints) {
  std::vector<std::string> parsed;
  for (const auto &part : Split(text, ';')) {
    const auto halves = Split(part, ':');
    uint64_t port = 0U;
    if (halves.size() != 2U || !IsIpv4(halves[0]) || !ParseDigits(halves[1], UINT32_MAX, port)) {
      return false;
    }
    parsed.push_back(halves[0] + ":" + std::to_string(port));
  }
  endpoints = std::move(parsed);
  return !endpoints.empty();
}

bool ParseBufPoolSize(const std::string &text, int64_t &bytes) {
  std::optional<std::string> pool_size;
  Json json(text);
  if (!json.ParseDocument(pool_size)) {
    return false;
  }
  if (!pool_size.has_value()) {
    // buf_cfg alone keeps the default pool (§7); the fake does not check the tiers (their statuses are unconfirmed).
    return json.HasTiers();
  }
  // An integer in int64 and above zero: no sign, fraction or exponent.
  uint64_t value = 0U;
  if (!ParseDigits(*pool_size, static_cast<uint64_t>(INT64_MAX), value) || value == 0U) {
    return false;
  }
  bytes = static_cast<int64_t>(value);
  return true;
}

bool LayerParamValid(const KvCacheExtParam &ext, bool push) {
  const auto well_formed = [](const std::pair<int32_t, int32_t> &range) {
    return range.first >= -1 && range.second >= -1 && range.first <= range.second;
  };
  bool ok = well_formed(ext.src_layer_range) && well_formed(ext.dst_layer_range) && ext.tensor_num_per_layer > 0U;
  if (push) {
    ok = ok && static_cast<int64_t>(ext.src_layer_range.second) - ext.src_layer_range.first ==
                   static_cast<int64_t>(ext.dst_layer_range.second) - ext.dst_layer_range.first;
  }
  return ok;
}

bool PullUsesRanges(const KvCacheExtParam &ext) {
  return ext.src_layer_range.first >= 0 && ext.dst_layer_range.first >= 0;
}

std::optional<std::vector<TensorPair>> PullPairs(const KvCacheExtParam &ext, uint32_t source_tensors,
                                                 uint32_t destination_tensors) {
  std::vector<TensorPair> pairs;
  if (!PullUsesRanges(ext)) {
    if (source_tensors != destination_tensors) {
      return std::nullopt;
    }
    for (uint32_t i = 0U; i < source_tensors; ++i) {
      pairs.push_back({i, i});
    }
    return pairs;
  }
  const int64_t n = ext.tensor_num_per_layer;
  const int64_t src_first = ext.src_layer_range.first * n;
  const int64_t src_count = (static_cast<int64_t>(ext.src_layer_range.second) - ext.src_layer_range.first + 1) * n;
  const int64_t dst_first = ext.dst_layer_range.first * n;
  const int64_t dst_count = (static_cast<int64_t>(ext.dst_layer_range.second) - ext.dst_layer_range.first + 1) * n;
  if (src_count != dst_count || src_first + src_count > source_tensors || dst_first + dst_count > destination_tensors) {
    return std::nullopt;
  }
  for (int64_t i = 0; i < src_count; ++i) {
    pairs.push_back({static_cast<uint32_t>(src_first + i), static_cast<uint32_t>(dst_first + i)});
  }
  return pairs;
}
}  // namespace llmdd_fake
