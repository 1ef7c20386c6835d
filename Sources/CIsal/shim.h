#include <isa-l.h>

// ISA-L's level buffer sizes and end states are macros and struct fields Swift reads awkwardly.
static inline uint32_t mm_isal_level_buf_size(int level) {
    switch (level) {
    case 0: return ISAL_DEF_LVL0_DEFAULT;
    case 1: return ISAL_DEF_LVL1_DEFAULT;
    case 2: return ISAL_DEF_LVL2_DEFAULT;
    default: return ISAL_DEF_LVL3_DEFAULT;
    }
}
static inline int mm_isal_deflate_ended(const struct isal_zstream *stream) {
    return stream->internal_state.state == ZSTATE_END;
}
static inline int mm_isal_inflate_ended(const struct inflate_state *state) {
    return state->block_state == ISAL_BLOCK_FINISH;
}
