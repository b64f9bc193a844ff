// OpenBLAS's CBLAS interface (Debian: libopenblas-dev, header under /usr/include/x86_64-linux-gnu).
#include <cblas.h>
