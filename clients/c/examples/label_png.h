#ifndef LABEL_PNG_H
#define LABEL_PNG_H
#include <stdint.h>
/* Reads an 8- or 16-bit gray PNG label map into a malloc'ed uint32 array.
 * Returns 0 on success and fills width/height; prints the reason and returns -1 otherwise. */
int read_label_png(const char *path, uint32_t **labels, uint32_t *width, uint32_t *height);
#endif
