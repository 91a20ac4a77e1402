/* Compiled as C99: proves llmdd_shim.h is a C header, and that C sees the ABI the C++ driver sees. */
#include <stddef.h>

#include "llmdd_shim.h"

int llmdd_c_header_check(uint64_t cpp_cache_size, uint64_t cpp_cache_desc_offset);

/* The C++ driver passes its own view of the nested struct layout; C must agree. */
int llmdd_c_header_check(uint64_t cpp_cache_size, uint64_t cpp_cache_desc_offset) {
  llmdd_str text = {"x", 1};
  llmdd_cache cache;
  cache.cache_id = -1;
  cache.cache_desc.shape_len = 0;
  (void)text;
  (void)cache;
  if (llmdd_abi_version() != LLMDD_ABI_VERSION || llmdd_spec_hash() != LLMDD_SPEC_HASH) {
    return 1;
  }
  return sizeof(llmdd_cache) == cpp_cache_size && offsetof(llmdd_cache, cache_desc) == cpp_cache_desc_offset ? 0 : 1;
}
