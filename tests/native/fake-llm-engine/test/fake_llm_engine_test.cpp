#include "llm_datadist.h"
int main() {
  llm_datadist::LlmDataDist engine(1, llm_datadist::LlmRole::kDecoder);
  return 0;
}
