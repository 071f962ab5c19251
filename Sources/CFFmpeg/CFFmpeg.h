// CFFmpeg: FFmpeg demux/decode/encode/mux and scaling, for video files in the headless host.
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libswresample/swresample.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libavutil/channel_layout.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/pixdesc.h>
#include <errno.h>

// Macros Swift cannot import, as functions.
static inline int CFFmpeg_AVERROR_EOF(void) { return AVERROR_EOF; }
static inline int CFFmpeg_AVERROR_EAGAIN(void) { return AVERROR(EAGAIN); }
static inline int64_t CFFmpeg_NOPTS_VALUE(void) { return AV_NOPTS_VALUE; }
static inline int CFFmpeg_strerror(int code, char *buffer, size_t size) {
    return av_strerror(code, buffer, size);
}
