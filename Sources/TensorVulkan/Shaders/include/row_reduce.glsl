// Work-group reductions for the one-row-per-work-group shaders (local_size_x = 256).
shared float reduce_scratch[256];

float group_sum(float value) {
    reduce_scratch[gl_LocalInvocationID.x] = value;
    barrier();
    for (uint width = 128u; width > 0u; width >>= 1) {
        if (gl_LocalInvocationID.x < width) {
            reduce_scratch[gl_LocalInvocationID.x] += reduce_scratch[gl_LocalInvocationID.x + width];
        }
        barrier();
    }
    float total = reduce_scratch[0];
    barrier();
    return total;
}

float group_max(float value) {
    reduce_scratch[gl_LocalInvocationID.x] = value;
    barrier();
    for (uint width = 128u; width > 0u; width >>= 1) {
        if (gl_LocalInvocationID.x < width) {
            reduce_scratch[gl_LocalInvocationID.x] =
                max(reduce_scratch[gl_LocalInvocationID.x], reduce_scratch[gl_LocalInvocationID.x + width]);
        }
        barrier();
    }
    float total = reduce_scratch[0];
    barrier();
    return total;
}

// Row index of this work group on a 2-D grid (rows may exceed maxComputeWorkGroupCount[0]).
uint group_row() {
    return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}
