// libFuzzer's entry for programs that keep their own main (compiler-rt, linked by -sanitize=fuzzer).
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's loop (flags from argv) calling `callback` once per input.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
