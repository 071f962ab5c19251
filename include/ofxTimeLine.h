/* OmniEdit-OFX: the timeline suite (ofx-abi.md §4.8). */
#ifndef OMNIEDIT_OFX_TIMELINE_H
#define OMNIEDIT_OFX_TIMELINE_H
#include "ofxCore.h"

#define kOfxTimeLineSuite "OfxTimeLineSuite"

typedef struct OfxTimeLineSuiteV1 {
    OfxStatus (*getTime)(void *instance, double *time);
    OfxStatus (*gotoTime)(void *instance, double time);
    OfxStatus (*getTimeBounds)(void *instance, double *firstTime, double *lastTime);
} OfxTimeLineSuiteV1;

#endif
