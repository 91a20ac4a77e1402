// The fake ge::AscendString: a value string with the toolkit's interface.
#include "graph/ascend_string.h"

#include <cstring>

namespace ge {
AscendString::AscendString(const char_t *const name) : text_(name == nullptr ? "" : name) {}

AscendString::AscendString(const char_t *const name, size_t length)
    : text_(name == nullptr ? std::string() : std::string(name, length)) {}

const char_t *AscendString::GetString() const { return text_.c_str(); }

size_t AscendString::GetLength() const { return text_.size(); }

size_t AscendString::Find(const AscendString &ascend_string) const { return text_.find(ascend_string.text_); }

size_t AscendString::Hash() const { return std::hash<std::string>{}(text_); }

bool AscendString::operator<(const AscendString &d) const { return text_ < d.text_; }
bool AscendString::operator>(const AscendString &d) const { return text_ > d.text_; }
bool AscendString::operator<=(const AscendString &d) const { return text_ <= d.text_; }
bool AscendString::operator>=(const AscendString &d) const { return text_ >= d.text_; }
bool AscendString::operator==(const AscendString &d) const { return text_ == d.text_; }
bool AscendString::operator!=(const AscendString &d) const { return text_ != d.text_; }
bool AscendString::operator==(const char_t *const d) const { return text_ == (d == nullptr ? "" : d); }
bool AscendString::operator!=(const char_t *const d) const { return !(*this == d); }
}  // namespace ge
