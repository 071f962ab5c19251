// Shared helpers of every compute shader of the Vulkan backend.
#extension GL_EXT_control_flow_attributes : enable

// Storage dtypes, as specialization-constant values (match VulkanDType in Swift).
#define DTYPE_F32 0u
#define DTYPE_F16 1u
#define DTYPE_BF16 2u

// Linear invocation index over a 2D grid of 1D work groups: large tensors need more groups than
// maxComputeWorkGroupCount[0] (65535 on most devices), so the host spreads them over y too.
uint linear_index(uint local_size) {
    return (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * local_size + gl_LocalInvocationID.x;
}

// Element i of a packed buffer of 32-bit words holding `dtype` values, widened to f32. f16 is two
// halves per word (unpackHalf2x16, low half first); bf16 is the top 16 bits of an f32.
float load_packed(uint word, uint i, uint dtype) {
    if (dtype == DTYPE_F32) {
        return uintBitsToFloat(word);
    }
    uint half_bits = (i & 1u) == 0u ? (word & 0xFFFFu) : (word >> 16);
    if (dtype == DTYPE_F16) {
        return unpackHalf2x16(half_bits).x;
    }
    return uintBitsToFloat(half_bits << 16);
}

// Word index holding element i of a packed buffer.
uint packed_word(uint i, uint dtype) {
    return dtype == DTYPE_F32 ? i : (i >> 1);
}

// f32 -> f16 bits, round to nearest even, overflow to inf, NaN kept quiet (matches HalfConversion).
uint f32_to_f16_bits(float value) {
    uint bits = floatBitsToUint(value);
    uint sign = (bits >> 16) & 0x8000u;
    int exponent = int((bits >> 23) & 0xFFu);
    uint mantissa = bits & 0x7FFFFFu;
    if (exponent == 0xFF) {
        return sign | 0x7C00u | (mantissa != 0u ? 0x200u : 0u);
    }
    int unbiased = exponent - 127;
    if (unbiased > 15) {
        return sign | 0x7C00u;
    }
    if (unbiased >= -14) {
        uint half_bits = (uint(unbiased + 15) << 10) | (mantissa >> 13);
        uint rest = mantissa & 0x1FFFu;
        if (rest > 0x1000u || (rest == 0x1000u && (half_bits & 1u) == 1u)) {
            half_bits += 1u;
        }
        return sign | half_bits;
    }
    if (unbiased < -25) {
        return sign;
    }
    uint full = mantissa | 0x800000u;
    uint shift = uint(-unbiased - 14 + 13);
    uint half_bits = full >> shift;
    uint rest = full & ((1u << shift) - 1u);
    uint halfway = 1u << (shift - 1u);
    if (rest > halfway || (rest == halfway && (half_bits & 1u) == 1u)) {
        half_bits += 1u;
    }
    return sign | half_bits;
}

// f32 -> bf16 bits, round to nearest even, NaN kept quiet.
uint f32_to_bf16_bits(float value) {
    uint bits = floatBitsToUint(value);
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {
        return ((bits >> 16) & 0xFFFFu) | 0x40u;
    }
    return (bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16;
}
