#include "build_info.h"

#ifndef MM_COMMIT
#define MM_COMMIT ""
#endif

const char *mm_build_commit(void) { return MM_COMMIT; }
