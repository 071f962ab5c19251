/* A tiny OpenFX plugin used to prove ofx-host is a generic host: "Invert" (id org.omniedit.test.Invert)
 * blends each pixel with its inverse by the parameter `amount`. The choice parameter `misbehave`
 * makes it break the rules on purpose, so tests can check the host notices. Plain C, our headers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ofxCore.h"
#include "ofxImageEffect.h"
#include "ofxMessage.h"
#include "ofxParam.h"
#include "ofxProperty.h"

static OfxHost *host;
static const OfxPropertySuiteV1 *props;
static const OfxImageEffectSuiteV1 *fx;
static const OfxParameterSuiteV1 *params;
static const OfxMessageSuiteV2 *messages;

enum { BEHAVE_OK, IGNORE_ROW_BYTES, LEAK_IMAGE, WRITE_OUTSIDE_WINDOW, BAD_HANDLE, FAIL_RENDER, SLOW };

static void setHost(OfxHost *h) { host = h; }

static OfxStatus load(void)
{
    props = host->fetchSuite(host->host, kOfxPropertySuite, 1);
    fx = host->fetchSuite(host->host, kOfxImageEffectSuite, 1);
    params = host->fetchSuite(host->host, kOfxParameterSuite, 1);
    messages = host->fetchSuite(host->host, kOfxMessageSuite, 2);
    return props && fx && params ? kOfxStatOK : kOfxStatErrMissingHostFeature;
}

static OfxStatus describe(OfxImageEffectHandle effect)
{
    OfxPropertySetHandle p;
    fx->getPropertySet(effect, &p);
    props->propSetString(p, kOfxPropLabel, 0, "Invert");
    props->propSetString(p, kOfxImageEffectPluginPropGrouping, 0, "Test");
    props->propSetString(p, kOfxImageEffectPropSupportedContexts, 0, kOfxImageEffectContextFilter);
    props->propSetString(p, kOfxImageEffectPropSupportedPixelDepths, 0, kOfxBitDepthByte);
    props->propSetString(p, kOfxImageEffectPropSupportedPixelDepths, 1, kOfxBitDepthShort);
    props->propSetString(p, kOfxImageEffectPropSupportedPixelDepths, 2, kOfxBitDepthFloat);
    return kOfxStatOK;
}

static OfxStatus describeInContext(OfxImageEffectHandle effect)
{
    OfxPropertySetHandle clip, param;
    const char *components[2] = {kOfxImageComponentRGBA, kOfxImageComponentRGB};
    fx->clipDefine(effect, kOfxImageEffectSimpleSourceClipName, &clip);
    props->propSetStringN(clip, kOfxImageEffectPropSupportedComponents, 2, components);
    fx->clipDefine(effect, kOfxImageEffectOutputClipName, &clip);
    props->propSetStringN(clip, kOfxImageEffectPropSupportedComponents, 2, components);
    OfxParamSetHandle set;
    fx->getParamSet(effect, &set);
    params->paramDefine(set, kOfxParamTypeDouble, "amount", &param);
    props->propSetString(param, kOfxPropLabel, 0, "Amount");
    props->propSetString(param, kOfxParamPropHint, 0, "1 = inverted, 0 = unchanged");
    props->propSetDouble(param, kOfxParamPropDefault, 0, 1.0);
    props->propSetDouble(param, kOfxParamPropMin, 0, 0.0);
    props->propSetDouble(param, kOfxParamPropMax, 0, 1.0);
    params->paramDefine(set, kOfxParamTypeChoice, "misbehave", &param);
    const char *options[7] = {"none", "ignore row bytes", "leak image", "write outside window", "bad handle", "fail render",
                              "slow"};
    for (int i = 0; i < 7; i++) props->propSetString(param, kOfxParamPropChoiceOption, i, options[i]);
    props->propSetInt(param, kOfxParamPropDefault, 0, 0);
    return kOfxStatOK;
}

static double sample(const void *row, int x, int c, int n, const char *depth)
{
    if (!strcmp(depth, kOfxBitDepthByte)) return ((const unsigned char *)row)[x * n + c] / 255.0;
    if (!strcmp(depth, kOfxBitDepthShort)) return ((const unsigned short *)row)[x * n + c] / 65535.0;
    return ((const float *)row)[x * n + c];
}

static void store(void *row, int x, int c, int n, const char *depth, double v)
{
    if (!strcmp(depth, kOfxBitDepthByte)) ((unsigned char *)row)[x * n + c] = (unsigned char)(v * 255.0 + 0.5);
    else if (!strcmp(depth, kOfxBitDepthShort)) ((unsigned short *)row)[x * n + c] = (unsigned short)(v * 65535.0 + 0.5);
    else ((float *)row)[x * n + c] = (float)v;
}

static OfxStatus render(OfxImageEffectHandle effect, OfxPropertySetHandle inArgs)
{
    double time; int window[4];
    props->propGetDouble(inArgs, kOfxPropTime, 0, &time);
    props->propGetIntN(inArgs, kOfxImageEffectPropRenderWindow, 4, window);
    OfxParamSetHandle set; OfxParamHandle amountParam, misbehaveParam;
    fx->getParamSet(effect, &set);
    params->paramGetHandle(set, "amount", &amountParam, NULL);
    params->paramGetHandle(set, "misbehave", &misbehaveParam, NULL);
    double amount = 1; int misbehave = 0;
    params->paramGetValueAtTime(amountParam, time, &amount);
    params->paramGetValueAtTime(misbehaveParam, time, &misbehave);

    if (misbehave == FAIL_RENDER) {
        messages->setPersistentMessage(effect, kOfxMessageError, "", "Invert: failing on purpose at frame %d", (int)time);
        return kOfxStatFailed;
    }
    /* SLOW: a quarter of a second a frame, so a test can signal the host in the middle of a render. */
    if (misbehave == SLOW) usleep(250000);
    if (misbehave == BAD_HANDLE) {
        OfxPropertySetHandle junk = (OfxPropertySetHandle)(uintptr_t)0x1234;
        int v;
        props->propGetInt(junk, kOfxPropTime, 0, &v);
    }

    OfxImageClipHandle source, output;
    OfxPropertySetHandle src, dst;
    fx->clipGetHandle(effect, kOfxImageEffectSimpleSourceClipName, &source, NULL);
    fx->clipGetHandle(effect, kOfxImageEffectOutputClipName, &output, NULL);
    if (fx->clipGetImage(source, time, NULL, &src) != kOfxStatOK) return kOfxStatFailed;
    if (fx->clipGetImage(output, time, NULL, &dst) != kOfxStatOK) { fx->clipReleaseImage(src); return kOfxStatFailed; }

    void *sdata, *ddata; int sbounds[4], dbounds[4], srow, drow;
    char *depth, *comps;
    props->propGetPointer(src, kOfxImagePropData, 0, &sdata);
    props->propGetIntN(src, kOfxImagePropBounds, 4, sbounds);
    props->propGetInt(src, kOfxImagePropRowBytes, 0, &srow);
    props->propGetPointer(dst, kOfxImagePropData, 0, &ddata);
    props->propGetIntN(dst, kOfxImagePropBounds, 4, dbounds);
    props->propGetInt(dst, kOfxImagePropRowBytes, 0, &drow);
    props->propGetString(dst, kOfxImageEffectPropPixelDepth, 0, &depth);
    char depthCopy[64]; strncpy(depthCopy, depth, sizeof depthCopy - 1); depthCopy[63] = 0;
    props->propGetString(dst, kOfxImageEffectPropComponents, 0, &comps);
    int n = strcmp(comps, kOfxImageComponentRGB) ? 4 : 3;
    int bytes = !strcmp(depthCopy, kOfxBitDepthByte) ? 1 : !strcmp(depthCopy, kOfxBitDepthShort) ? 2 : 4;

    int x2 = window[2];
    /* WRITE_OUTSIDE_WINDOW: also write the row below the window. */
    int y1 = misbehave == WRITE_OUTSIDE_WINDOW ? window[1] - 1 : window[1];
    for (int y = y1; y < window[3]; y++) {
        /* IGNORE_ROW_BYTES: assume tightly packed rows. */
        long dstride = misbehave == IGNORE_ROW_BYTES ? (long)(dbounds[2] - dbounds[0]) * n * bytes : drow;
        const char *srowp = (const char *)sdata + (long)(y - sbounds[1]) * srow - (long)sbounds[0] * n * bytes;
        char *drowp = (char *)ddata + (long)(y - dbounds[1]) * dstride - (long)dbounds[0] * n * bytes;
        for (int x = window[0]; x < x2; x++)
            for (int c = 0; c < n; c++) {
                double v = y < sbounds[1] ? 0.5 : sample(srowp, x, c, n, depthCopy);
                store(drowp, x, c, n, depthCopy, c == 3 ? v : amount * (1 - v) + (1 - amount) * v);
            }
    }
    if (misbehave != LEAK_IMAGE) fx->clipReleaseImage(src);
    fx->clipReleaseImage(dst);
    return kOfxStatOK;
}

static OfxStatus mainEntry(const char *action, const void *handle, OfxPropertySetHandle inArgs, OfxPropertySetHandle outArgs)
{
    (void)outArgs;
    OfxImageEffectHandle effect = (OfxImageEffectHandle)handle;
    if (!strcmp(action, kOfxActionLoad)) return load();
    if (!strcmp(action, kOfxActionDescribe)) return describe(effect);
    if (!strcmp(action, kOfxImageEffectActionDescribeInContext)) return describeInContext(effect);
    if (!strcmp(action, kOfxActionCreateInstance)) return kOfxStatOK;
    if (!strcmp(action, kOfxActionDestroyInstance)) return kOfxStatOK;
    if (!strcmp(action, kOfxImageEffectActionRender)) return render(effect, inArgs);
    return kOfxStatReplyDefault;
}

static OfxPlugin plugin = {kOfxImageEffectPluginApi, 1, "org.omniedit.test.Invert", 1, 0, setHost, mainEntry};

OfxExport int OfxGetNumberOfPlugins(void) { return 1; }
OfxExport OfxPlugin *OfxGetPlugin(int nth) { return nth == 0 ? &plugin : NULL; }
