/* OmniEdit-OFX: the progress suite, versions 1 and 2 (ofx-abi.md §4.7). progressUpdate answers
 * kOfxStatReplyNo when the user asked to abort. */
#ifndef OMNIEDIT_OFX_PROGRESS_H
#define OMNIEDIT_OFX_PROGRESS_H
#include "ofxCore.h"

#define kOfxProgressSuite "OfxProgressSuite"

typedef struct OfxProgressSuiteV1 {
    OfxStatus (*progressStart)(void *effectInstance, const char *label);
    OfxStatus (*progressUpdate)(void *effectInstance, double progress);
    OfxStatus (*progressEnd)(void *effectInstance);
} OfxProgressSuiteV1;

typedef struct OfxProgressSuiteV2 {
    OfxStatus (*progressStart)(void *effectInstance, const char *message, const char *messageid);
    OfxStatus (*progressUpdate)(void *effectInstance, double progress);
    OfxStatus (*progressEnd)(void *effectInstance);
} OfxProgressSuiteV2;

#endif
