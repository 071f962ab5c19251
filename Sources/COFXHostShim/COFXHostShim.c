/* COFXHostShim: variadic host entries that forward to fixed-arity Swift callbacks (see header). */
#include "COFXHostShim.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_VALUES 4

static COFXHostCallbacks cb;

void COFXHost_install(const COFXHostCallbacks *callbacks) { cb = *callbacks; }

static OfxStatus getValues(OfxParamHandle param, int hasTime, OfxTime time, va_list ap, int zero, double scale)
{
    int kind = 0, count = 0;
    OfxStatus st = cb.paramValueKind(param, &kind, &count);
    if (st != kOfxStatOK) return st;
    if (kind == COFXValueNone || count < 1 || count > MAX_VALUES) return kOfxStatErrBadHandle;
    void *out[MAX_VALUES];
    for (int i = 0; i < count; i++) {
        out[i] = va_arg(ap, void *);
        if (!out[i]) {
            if (cb.problem) cb.problem("parameter get called with a NULL value pointer");
            return kOfxStatErrValue;
        }
    }
    st = cb.paramGet(param, hasTime, time, out, count);
    if (st != kOfxStatOK) return st;
    /* Derivative of a constant is zero; its integral is value × duration (the host has no keys). */
    if (zero || scale != 1.0) {
        for (int i = 0; i < count; i++) {
            if (kind == COFXValueDouble) *(double *)out[i] = zero ? 0.0 : *(double *)out[i] * scale;
            else if (kind == COFXValueInt) *(int *)out[i] = zero ? 0 : (int)(*(int *)out[i] * scale);
        }
    }
    return kOfxStatOK;
}

static OfxStatus setValues(OfxParamHandle param, int hasTime, OfxTime time, va_list ap)
{
    int kind = 0, count = 0;
    OfxStatus st = cb.paramValueKind(param, &kind, &count);
    if (st != kOfxStatOK) return st;
    if (kind == COFXValueNone || count < 1 || count > MAX_VALUES) return kOfxStatErrBadHandle;
    COFXValue values[MAX_VALUES];
    for (int i = 0; i < count; i++) {
        switch (kind) {
        case COFXValueInt: values[i].i = va_arg(ap, int); break;
        case COFXValueDouble: values[i].d = va_arg(ap, double); break;
        default: values[i].s = va_arg(ap, const char *); break;
        }
    }
    return cb.paramSet(param, hasTime, time, values, count);
}

OfxStatus COFXHost_paramGetValue(OfxParamHandle param, ...)
{
    va_list ap; va_start(ap, param);
    OfxStatus st = getValues(param, 0, 0, ap, 0, 1.0);
    va_end(ap); return st;
}

OfxStatus COFXHost_paramGetValueAtTime(OfxParamHandle param, OfxTime time, ...)
{
    va_list ap; va_start(ap, time);
    OfxStatus st = getValues(param, 1, time, ap, 0, 1.0);
    va_end(ap); return st;
}

OfxStatus COFXHost_paramGetDerivative(OfxParamHandle param, OfxTime time, ...)
{
    va_list ap; va_start(ap, time);
    OfxStatus st = getValues(param, 1, time, ap, 1, 1.0);
    va_end(ap); return st;
}

OfxStatus COFXHost_paramGetIntegral(OfxParamHandle param, OfxTime time1, OfxTime time2, ...)
{
    va_list ap; va_start(ap, time2);
    OfxStatus st = getValues(param, 1, time1, ap, 0, time2 - time1);
    va_end(ap); return st;
}

OfxStatus COFXHost_paramSetValue(OfxParamHandle param, ...)
{
    va_list ap; va_start(ap, param);
    OfxStatus st = setValues(param, 0, 0, ap);
    va_end(ap); return st;
}

OfxStatus COFXHost_paramSetValueAtTime(OfxParamHandle param, OfxTime time, ...)
{
    va_list ap; va_start(ap, time);
    OfxStatus st = setValues(param, 1, time, ap);
    va_end(ap); return st;
}

static OfxStatus formatted(void *handle, const char *type, const char *id, const char *format, va_list ap, int persistent)
{
    if (!format || !type) {
        if (cb.problem) cb.problem("message called with a NULL type or format");
        return kOfxStatErrValue;
    }
    char buffer[4096];
    vsnprintf(buffer, sizeof buffer, format, ap);
    return cb.message(handle, type, id ? id : "", buffer, persistent);
}

OfxStatus COFXHost_message(void *handle, const char *messageType, const char *messageId, const char *format, ...)
{
    va_list ap; va_start(ap, format);
    OfxStatus st = formatted(handle, messageType, messageId, format, ap, 0);
    va_end(ap); return st;
}

OfxStatus COFXHost_setPersistentMessage(void *handle, const char *messageType, const char *messageId, const char *format, ...)
{
    va_list ap; va_start(ap, format);
    OfxStatus st = formatted(handle, messageType, messageId, format, ap, 1);
    va_end(ap); return st;
}

void COFXHost_fillParameterSuite(OfxParameterSuiteV1 *s)
{
    s->paramGetValue = COFXHost_paramGetValue;
    s->paramGetValueAtTime = COFXHost_paramGetValueAtTime;
    s->paramGetDerivative = COFXHost_paramGetDerivative;
    s->paramGetIntegral = COFXHost_paramGetIntegral;
    s->paramSetValue = COFXHost_paramSetValue;
    s->paramSetValueAtTime = COFXHost_paramSetValueAtTime;
}

void COFXHost_fillMessageSuiteV1(OfxMessageSuiteV1 *s) { s->message = COFXHost_message; }

void COFXHost_fillMessageSuiteV2(OfxMessageSuiteV2 *s)
{
    s->message = COFXHost_message;
    s->setPersistentMessage = COFXHost_setPersistentMessage;
}
