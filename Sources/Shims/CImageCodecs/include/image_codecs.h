// Tiny C shim over libpng, libtiff and libjpeg: their error paths need setjmp (libpng,
// libjpeg) and C varargs callbacks (libtiff), which Swift cannot express. Every function reports
// failure as a return value with a message; none aborts on bad input.
#ifndef ANN_IMAGE_CODECS_H
#define ANN_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A decoded raster: interleaved channels, row-major, samples of `bit_depth` bits
/// (8 → uint8_t, 16 → host-endian uint16_t). `pixels` is malloc'ed; free with ann_free.
typedef struct ann_raster {
    uint32_t width;
    uint32_t height;
    uint32_t channels;   // 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA
    uint32_t bit_depth;  // 8 or 16
    void *pixels;
    size_t byte_count;
} ann_raster;

/// Limits applied while decoding, so a hostile header cannot allocate unbounded memory.
enum { ANN_MAX_DIMENSION = 1 << 16, ANN_MAX_PIXELS = 1 << 28 };

enum { ANN_OK = 0, ANN_ERROR = 1 };

int ann_png_decode(const uint8_t *data, size_t length, ann_raster *out, char *error, size_t error_capacity);

/// Encodes `pixels` (layout as ann_raster) as PNG. *out is malloc'ed; free with ann_free.
int ann_png_encode(const void *pixels, uint32_t width, uint32_t height, uint32_t channels,
                   uint32_t bit_depth, uint8_t **out, size_t *out_length,
                   char *error, size_t error_capacity);

/// Decodes the first directory of a TIFF: 8/16-bit gray read as is, everything else
/// (RGB in any compression libtiff knows, palette, YCbCr, ...) as 8-bit RGB or RGBA.
int ann_tiff_decode(const uint8_t *data, size_t length, ann_raster *out, char *error, size_t error_capacity);

enum { ANN_TIFF_NONE = 1, ANN_TIFF_LZW = 5, ANN_TIFF_PACKBITS = 32773 };

/// Encodes an 8-bit gray/RGB/RGBA or 16-bit gray raster as a TIFF with the given compression.
int ann_tiff_encode(const void *pixels, uint32_t width, uint32_t height, uint32_t channels,
                    uint32_t bit_depth, int compression, uint8_t **out, size_t *out_length,
                    char *error, size_t error_capacity);

/// Decodes a baseline or progressive JPEG: grey as one 8-bit channel, colour as 8-bit RGB.
/// Read-only: JPEG is lossy, so nothing here writes it.
int ann_jpeg_decode(const uint8_t *data, size_t length, ann_raster *out, char *error, size_t error_capacity);

void ann_free(void *pointer);

#ifdef __cplusplus
}
#endif
#endif
