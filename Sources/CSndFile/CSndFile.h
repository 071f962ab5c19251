// CSndFile: libsndfile, for reading and writing audio files.
// Only includes and static inline wrappers; no code of ours lives here.
#pragma once
#include <sndfile.h>
