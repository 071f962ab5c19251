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
