// CFuzzer has no code of its own: the header declares libFuzzer's driver, which
// `-sanitize=fuzzer` links in. This file only makes the C target buildable.
#include "CFuzzer.h"
