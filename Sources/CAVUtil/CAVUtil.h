// CAVUtil: libavutil: av_tx FFT for log-mel features.
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <libavutil/tx.h>
#include <libavutil/mem.h>
