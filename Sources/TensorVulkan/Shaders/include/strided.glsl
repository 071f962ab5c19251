// Strided addressing shared by the copy-like shaders. A "meta" buffer holds, from `base`:
// rank, then shape[rank], then one strides[rank] block per operand (element strides).

// Element offset of row-major linear index `i` of `shape` under operand `operand`'s strides.
uint strided_offset(uint i, uint base, uint operand) {
    uint rank = meta[base];
    uint offset = 0u;
    for (uint k = rank; k > 0u; --k) {
        uint axis = k - 1u;
        uint size = meta[base + 1u + axis];
        uint index = i % size;
        i /= size;
        offset += index * meta[base + 1u + rank * (operand + 1u) + axis];
    }
    return offset;
}
