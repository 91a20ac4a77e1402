/**
 * Device memory of the fake engine, for test harnesses: the stand-in for aclrtMalloc / aclrtMallocHost / aclrtFree.
 * Host memory stands in for device memory. Every pointer the engine is given (CopyKvCache and CopyKvBlocks take
 * raw tensor addresses) must lie inside memory the engine knows: a cache it allocated, or memory from
 * llmdd_fake_mem_alloc. Anything else is LLM_PARAM_INVALID instead of a wild write.
 */
#ifndef LLMDD_FAKE_LLM_ENGINE_FAKE_MEMORY_H_
#define LLMDD_FAKE_LLM_ENGINE_FAKE_MEMORY_H_

#include <stdint.h>

#if defined(__GNUC__)
#define LLMDD_FAKE_MEMORY_API __attribute__((visibility("default")))
#else
#define LLMDD_FAKE_MEMORY_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Allocates bytes (> 0), 512-byte aligned, contents unspecified; NULL when bytes is 0 or memory is short. */
LLMDD_FAKE_MEMORY_API void *llmdd_fake_mem_alloc(uint64_t bytes);

/** Frees memory from llmdd_fake_mem_alloc; NULL and unknown pointers are ignored. */
LLMDD_FAKE_MEMORY_API void llmdd_fake_mem_free(void *address);

#ifdef __cplusplus
}
#endif

#endif  // LLMDD_FAKE_LLM_ENGINE_FAKE_MEMORY_H_
