/* OmniEdit-OFX: the memory suite (ofx-abi.md §4.4). */
#ifndef OMNIEDIT_OFX_MEMORY_H
#define OMNIEDIT_OFX_MEMORY_H
#include "ofxCore.h"

#define kOfxMemorySuite "OfxMemorySuite"

typedef struct OfxMemorySuiteV1 {
    OfxStatus (*memoryAlloc)(void *handle, size_t nBytes, void **allocatedData);
    OfxStatus (*memoryFree)(void *allocatedData);
} OfxMemorySuiteV1;

#endif
