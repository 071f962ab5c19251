/* COFXHostShim: the C half of the headless host. Swift can neither define nor call C variadic
 * functions, so the variadic suite entries (parameter get/set, messages) live here: they unpack the
 * variadic arguments and call fixed-arity Swift callbacks installed with COFXHost_install. */
#ifndef COFXHOSTSHIM_H
#define COFXHOSTSHIM_H
#include "../../../include/ofxCore.h"
#include "../../../include/ofxParam.h"
#include "../../../include/ofxMessage.h"

/* What a parameter's variadic values are: `count` values of one C type. */
enum { COFXValueInt = 0, COFXValueDouble = 1, COFXValueString = 2, COFXValueNone = 3 };

typedef union COFXValue {
    int i;
    double d;
    const char *s;
} COFXValue;

typedef struct COFXHostCallbacks {
    /* The value type and count of a parameter, or a non-OK status for a bad handle. */
    OfxStatus (*paramValueKind)(OfxParamHandle param, int *kind, int *count);
    /* Reads `count` values into `out` (which holds the caller's int*, double* or const char** pointers). */
    OfxStatus (*paramGet)(OfxParamHandle param, int hasTime, OfxTime time, void **out, int count);
    /* Sets `count` values. */
    OfxStatus (*paramSet)(OfxParamHandle param, int hasTime, OfxTime time, const COFXValue *values, int count);
    /* A formatted message; persistent = 1 for setPersistentMessage. */
    OfxStatus (*message)(void *handle, const char *type, const char *messageId, const char *text, int persistent);
    /* Reports a plugin misuse the shim detected (e.g. a NULL format). */
    void (*problem)(const char *text);
} COFXHostCallbacks;

/* Installs the Swift callbacks; must be called once before any plugin is loaded. */
void COFXHost_install(const COFXHostCallbacks *callbacks);

OfxStatus COFXHost_paramGetValue(OfxParamHandle param, ...);
OfxStatus COFXHost_paramGetValueAtTime(OfxParamHandle param, OfxTime time, ...);
OfxStatus COFXHost_paramGetDerivative(OfxParamHandle param, OfxTime time, ...);
OfxStatus COFXHost_paramGetIntegral(OfxParamHandle param, OfxTime time1, OfxTime time2, ...);
OfxStatus COFXHost_paramSetValue(OfxParamHandle param, ...);
OfxStatus COFXHost_paramSetValueAtTime(OfxParamHandle param, OfxTime time, ...);
OfxStatus COFXHost_message(void *handle, const char *messageType, const char *messageId, const char *format, ...);
OfxStatus COFXHost_setPersistentMessage(void *handle, const char *messageType, const char *messageId, const char *format, ...);

/* Swift cannot take the address of a variadic C function: these store the entries above into the
 * variadic fields of suite tables built in Swift. */
void COFXHost_fillParameterSuite(OfxParameterSuiteV1 *suite);
void COFXHost_fillMessageSuiteV1(OfxMessageSuiteV1 *suite);
void COFXHost_fillMessageSuiteV2(OfxMessageSuiteV2 *suite);

#endif
