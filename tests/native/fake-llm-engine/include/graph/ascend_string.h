/**
 * Stand-in for the toolkit's graph/ascend_string.h: the string type of the option map and of IpInfo, with the
 * members the toolkit declares (construction from text with or without a length, access, ordering, hashing).
 * An AscendString built from a null pointer is empty.
 */
#ifndef LLMDD_FAKE_GRAPH_ASCEND_STRING_H_
#define LLMDD_FAKE_GRAPH_ASCEND_STRING_H_

#include <cstddef>
#include <functional>
#include <string>

#include "graph/types.h"

namespace ge {
class LLMDD_FAKE_GE_API AscendString {
 public:
  AscendString() = default;
  ~AscendString() = default;
  AscendString(const char_t *const name);  // NOLINT(google-explicit-constructor): implicit, as in the toolkit
  AscendString(const char_t *const name, size_t length);

  /// The text, NUL-terminated; never null.
  const char_t *GetString() const;
  /// Bytes of text, without the terminator (embedded NULs count).
  size_t GetLength() const;
  /// Position of the first occurrence of the argument, or std::string::npos.
  size_t Find(const AscendString &ascend_string) const;
  size_t Hash() const;

  bool operator<(const AscendString &d) const;
  bool operator>(const AscendString &d) const;
  bool operator<=(const AscendString &d) const;
  bool operator>=(const AscendString &d) const;
  bool operator==(const AscendString &d) const;
  bool operator!=(const AscendString &d) const;
  bool operator==(const char_t *const d) const;
  bool operator!=(const char_t *const d) const;

 private:
  std::string text_;
};
}  // namespace ge

namespace std {
template <>
struct hash<ge::AscendString> {
  size_t operator()(const ge::AscendString &name) const { return name.Hash(); }
};
}  // namespace std

#endif  // LLMDD_FAKE_GRAPH_ASCEND_STRING_H_
