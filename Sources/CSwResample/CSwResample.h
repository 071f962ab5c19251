// CSwResample: libswresample (and the libavutil option/channel-layout calls it needs), for
// resampling audio in the plugin without linking libavformat/libavcodec.
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <libswresample/swresample.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/samplefmt.h>
