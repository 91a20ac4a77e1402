/**
 * Stand-in for the toolkit's external/ge_common/api_error_codes.h, the header llm_datadist.h includes:
 * ge::Status and, through graph/ascend_string.h, ge::AscendString and ge::DataType.
 */
#ifndef LLMDD_FAKE_GE_COMMON_API_ERROR_CODES_H_
#define LLMDD_FAKE_GE_COMMON_API_ERROR_CODES_H_

#include <cstdint>

#include "graph/ascend_string.h"
#include "graph/types.h"

namespace ge {
using Status = uint32_t;
}  // namespace ge

#endif  // LLMDD_FAKE_GE_COMMON_API_ERROR_CODES_H_
