/* COpenFX: the module Swift imports for the OpenFX ABI. Besides the ABI headers it holds fixed-arity
 * inline wrappers for the variadic suite entries, which Swift cannot call (ofx-abi.md §11). */
#ifndef OMNIEDIT_COPENFX_H
#define OMNIEDIT_COPENFX_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr */
#endif
#include <dlfcn.h>
#include "ofxCore.h"
#include "ofxProperty.h"
#include "ofxParam.h"
#include "ofxImageEffect.h"
#include "ofxMemory.h"
#include "ofxMultiThread.h"
#include "ofxMessage.h"
#include "ofxProgress.h"
#include "ofxTimeLine.h"

static inline OfxStatus COpenFX_paramGetInt(const OfxParameterSuiteV1 *s, OfxParamHandle h, OfxTime t, int *v)
{ return s->paramGetValueAtTime(h, t, v); }
static inline OfxStatus COpenFX_paramGetDouble(const OfxParameterSuiteV1 *s, OfxParamHandle h, OfxTime t, double *v)
{ return s->paramGetValueAtTime(h, t, v); }
static inline OfxStatus COpenFX_paramGetString(const OfxParameterSuiteV1 *s, OfxParamHandle h, OfxTime t, const char **v)
{ return s->paramGetValueAtTime(h, t, v); }
static inline OfxStatus COpenFX_paramGetIntNow(const OfxParameterSuiteV1 *s, OfxParamHandle h, int *v)
{ return s->paramGetValue(h, v); }
static inline OfxStatus COpenFX_paramGetDoubleNow(const OfxParameterSuiteV1 *s, OfxParamHandle h, double *v)
{ return s->paramGetValue(h, v); }
static inline OfxStatus COpenFX_paramGetStringNow(const OfxParameterSuiteV1 *s, OfxParamHandle h, const char **v)
{ return s->paramGetValue(h, v); }
static inline OfxStatus COpenFX_paramSetInt(const OfxParameterSuiteV1 *s, OfxParamHandle h, int v)
{ return s->paramSetValue(h, v); }
static inline OfxStatus COpenFX_paramSetDouble(const OfxParameterSuiteV1 *s, OfxParamHandle h, double v)
{ return s->paramSetValue(h, v); }
static inline OfxStatus COpenFX_paramSetString(const OfxParameterSuiteV1 *s, OfxParamHandle h, const char *v)
{ return s->paramSetValue(h, v); }
/* Messages always pass user text through "%s" so a '%' in a file name cannot be read as a format. */
/* The message text is passed as the format itself, with every '%' already doubled by the caller, and no
   variadic arguments: Natron 2.5 forwards a message's variadic arguments wrongly (a "%s", text call arrives
   as garbage), and a format without conversions is printed the same by every host. */
static inline OfxStatus COpenFX_message(const OfxMessageSuiteV1 *s, void *h, const char *type, const char *id, const char *escapedText)
{ return s->message(h, type, id, escapedText); }
static inline OfxStatus COpenFX_setPersistentMessage(const OfxMessageSuiteV2 *s, void *h, const char *type, const char *id, const char *escapedText)
{ return s->setPersistentMessage(h, type, id, escapedText); }

/* Path of the shared object that contains `address` (a plugin finds its own bundle this way). */
static inline const char *COpenFX_binaryPath(const void *address)
{ Dl_info info; return dladdr(address, &info) ? info.dli_fname : NULL; }

#endif
