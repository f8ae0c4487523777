#include "image_codecs.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

typedef struct {
    uint8_t *data;
    size_t length;
    size_t capacity;
    size_t offset;
    int writable;
} tiff_memory;

typedef struct {
    char *error;
    size_t error_capacity;
    int failed;
} tiff_report;

static void set_error(char *error, size_t capacity, const char *message) {
    if (error && capacity > 0) snprintf(error, capacity, "%s", message);
}

static int on_tiff_error(TIFF *tiff, void *user_data, const char *module, const char *format, va_list args) {
    (void)tiff;
    tiff_report *report = (tiff_report *)user_data;
    if (!report->failed && report->error && report->error_capacity > 0) {
        int used = snprintf(report->error, report->error_capacity, "%s: ", module ? module : "libtiff");
        if (used >= 0 && (size_t)used < report->error_capacity) {
            vsnprintf(report->error + used, report->error_capacity - (size_t)used, format, args);
        }
    }
    report->failed = 1;
    return 1;
}

static int on_tiff_warning(TIFF *tiff, void *user_data, const char *module, const char *format, va_list args) {
    (void)tiff; (void)user_data; (void)module; (void)format; (void)args;
    return 1;  // MoNuSeg files carry private tags libtiff warns about; not our concern.
}

static tmsize_t memory_read(thandle_t handle, void *buffer, tmsize_t size) {
    tiff_memory *memory = (tiff_memory *)handle;
    if (size < 0) return -1;
    size_t available = memory->offset < memory->length ? memory->length - memory->offset : 0;
    size_t count = (size_t)size < available ? (size_t)size : available;
    memcpy(buffer, memory->data + memory->offset, count);
    memory->offset += count;
    return (tmsize_t)count;
}

static tmsize_t memory_write(thandle_t handle, void *buffer, tmsize_t size) {
    tiff_memory *memory = (tiff_memory *)handle;
    if (!memory->writable || size < 0) return -1;
    size_t end = memory->offset + (size_t)size;
    if (end > memory->capacity) {
        size_t capacity = memory->capacity ? memory->capacity : 65536;
        while (capacity < end) capacity *= 2;
        uint8_t *grown = (uint8_t *)realloc(memory->data, capacity);
        if (!grown) return -1;
        memory->data = grown;
        memory->capacity = capacity;
    }
    if (memory->offset > memory->length) memset(memory->data + memory->length, 0, memory->offset - memory->length);
    memcpy(memory->data + memory->offset, buffer, (size_t)size);
    memory->offset = end;
    if (end > memory->length) memory->length = end;
    return size;
}

static toff_t memory_seek(thandle_t handle, toff_t offset, int whence) {
    tiff_memory *memory = (tiff_memory *)handle;
    int64_t base = whence == SEEK_CUR ? (int64_t)memory->offset : whence == SEEK_END ? (int64_t)memory->length : 0;
    int64_t target = base + (int64_t)offset;
    if (target < 0) return (toff_t)-1;
    memory->offset = (size_t)target;
    return (toff_t)target;
}

static int memory_close(thandle_t handle) { (void)handle; return 0; }
static toff_t memory_size(thandle_t handle) { return ((tiff_memory *)handle)->length; }
static int memory_map(thandle_t handle, void **base, toff_t *size) { (void)handle; (void)base; (void)size; return 0; }
static void memory_unmap(thandle_t handle, void *base, toff_t size) { (void)handle; (void)base; (void)size; }

static TIFF *open_memory(tiff_memory *memory, const char *mode, tiff_report *report) {
    TIFFOpenOptions *options = TIFFOpenOptionsAlloc();
    if (!options) return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(options, on_tiff_error, report);
    TIFFOpenOptionsSetWarningHandlerExtR(options, on_tiff_warning, report);
    TIFF *tiff = TIFFClientOpenExt("memory", mode, (thandle_t)memory, memory_read, memory_write, memory_seek,
                                   memory_close, memory_size, memory_map, memory_unmap, options);
    TIFFOpenOptionsFree(options);
    return tiff;
}

int ann_tiff_decode(const uint8_t *data, size_t length, ann_raster *out, char *error, size_t error_capacity) {
    memset(out, 0, sizeof(*out));
    if (length < 8 || !((data[0] == 'I' && data[1] == 'I') || (data[0] == 'M' && data[1] == 'M'))) {
        set_error(error, error_capacity, "not a TIFF file (bad byte-order mark)");
        return ANN_ERROR;
    }
    tiff_report report = {.error = error, .error_capacity = error_capacity};
    tiff_memory memory = {.data = (uint8_t *)data, .length = length};
    TIFF *tiff = open_memory(&memory, "rm", &report);
    if (!tiff) {
        if (!report.failed) set_error(error, error_capacity, "libtiff could not open the data");
        return ANN_ERROR;
    }
    uint32_t width = 0, height = 0;
    uint16_t samples = 1, bits = 1, photometric = 0, planar = PLANARCONFIG_CONTIG;
    TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &width);
    TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &height);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &samples);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric);
    if (width == 0 || height == 0 || width > ANN_MAX_DIMENSION || height > ANN_MAX_DIMENSION ||
        (uint64_t)width * height > ANN_MAX_PIXELS) {
        TIFFClose(tiff);
        set_error(error, error_capacity, "TIFF has an empty or too large size");
        return ANN_ERROR;
    }
    int gray = samples == 1 && (photometric == PHOTOMETRIC_MINISBLACK) && (bits == 8 || bits == 16) &&
               planar == PLANARCONFIG_CONTIG;
    if (gray) {
        size_t row_bytes = (size_t)width * (bits / 8);
        uint8_t *pixels = (uint8_t *)malloc(row_bytes * height);
        if (!pixels) { TIFFClose(tiff); set_error(error, error_capacity, "out of memory decoding TIFF"); return ANN_ERROR; }
        if ((size_t)TIFFScanlineSize(tiff) != row_bytes) {
            free(pixels); TIFFClose(tiff);
            set_error(error, error_capacity, "unexpected TIFF scanline size");
            return ANN_ERROR;
        }
        for (uint32_t y = 0; y < height; y++) {
            if (TIFFReadScanline(tiff, pixels + row_bytes * y, y, 0) < 0 || report.failed) {
                free(pixels); TIFFClose(tiff);
                if (!report.failed) set_error(error, error_capacity, "TIFF data is truncated or corrupt");
                return ANN_ERROR;
            }
        }
        TIFFClose(tiff);
        out->width = width; out->height = height; out->channels = 1; out->bit_depth = bits;
        out->pixels = pixels; out->byte_count = row_bytes * height;
        return ANN_OK;
    }
    uint32_t *rgba = (uint32_t *)_TIFFmalloc((tmsize_t)((size_t)width * height * sizeof(uint32_t)));
    if (!rgba) { TIFFClose(tiff); set_error(error, error_capacity, "out of memory decoding TIFF"); return ANN_ERROR; }
    int ok = TIFFReadRGBAImageOriented(tiff, width, height, rgba, ORIENTATION_TOPLEFT, 0);
    uint16_t extra = 0;
    uint16_t *extra_types = NULL;
    TIFFGetFieldDefaulted(tiff, TIFFTAG_EXTRASAMPLES, &extra, &extra_types);
    TIFFClose(tiff);
    if (!ok || report.failed) {
        _TIFFfree(rgba);
        if (!report.failed) set_error(error, error_capacity, "TIFF data is truncated or corrupt");
        return ANN_ERROR;
    }
    uint32_t channels = extra > 0 ? 4 : 3;
    size_t count = (size_t)width * height;
    uint8_t *pixels = (uint8_t *)malloc(count * channels);
    if (!pixels) { _TIFFfree(rgba); set_error(error, error_capacity, "out of memory decoding TIFF"); return ANN_ERROR; }
    for (size_t i = 0; i < count; i++) {
        uint32_t value = rgba[i];
        pixels[i * channels + 0] = (uint8_t)TIFFGetR(value);
        pixels[i * channels + 1] = (uint8_t)TIFFGetG(value);
        pixels[i * channels + 2] = (uint8_t)TIFFGetB(value);
        if (channels == 4) pixels[i * channels + 3] = (uint8_t)TIFFGetA(value);
    }
    _TIFFfree(rgba);
    out->width = width; out->height = height; out->channels = channels; out->bit_depth = 8;
    out->pixels = pixels; out->byte_count = count * channels;
    return ANN_OK;
}

int ann_tiff_encode(const void *pixels, uint32_t width, uint32_t height, uint32_t channels,
                    uint32_t bit_depth, int compression, uint8_t **out, size_t *out_length,
                    char *error, size_t error_capacity) {
    *out = NULL;
    *out_length = 0;
    if (width == 0 || height == 0 || channels < 1 || channels > 4 || channels == 2 ||
        (bit_depth != 8 && bit_depth != 16) || (bit_depth == 16 && channels != 1)) {
        set_error(error, error_capacity, "TIFF encoder takes 8-bit gray/RGB/RGBA or 16-bit gray");
        return ANN_ERROR;
    }
    if (compression != ANN_TIFF_NONE && compression != ANN_TIFF_LZW && compression != ANN_TIFF_PACKBITS) {
        set_error(error, error_capacity, "TIFF compression must be none, LZW or PackBits");
        return ANN_ERROR;
    }
    tiff_report report = {.error = error, .error_capacity = error_capacity};
    tiff_memory memory = {.writable = 1};
    TIFF *tiff = open_memory(&memory, "wm", &report);
    if (!tiff) {
        free(memory.data);
        if (!report.failed) set_error(error, error_capacity, "libtiff could not open a writer");
        return ANN_ERROR;
    }
    TIFFSetField(tiff, TIFFTAG_IMAGEWIDTH, width);
    TIFFSetField(tiff, TIFFTAG_IMAGELENGTH, height);
    TIFFSetField(tiff, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)channels);
    TIFFSetField(tiff, TIFFTAG_BITSPERSAMPLE, (uint16_t)bit_depth);
    TIFFSetField(tiff, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tiff, TIFFTAG_PHOTOMETRIC, channels >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tiff, TIFFTAG_COMPRESSION, (uint16_t)compression);
    TIFFSetField(tiff, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(tiff, 0));
    if (channels == 4) {
        uint16_t alpha = EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(tiff, TIFFTAG_EXTRASAMPLES, 1, &alpha);
    }
    size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
    for (uint32_t y = 0; y < height && !report.failed; y++) {
        if (TIFFWriteScanline(tiff, (uint8_t *)pixels + row_bytes * y, y, 0) < 0) break;
    }
    int failed = report.failed;
    TIFFClose(tiff);
    if (failed || report.failed) {
        free(memory.data);
        return ANN_ERROR;
    }
    *out = memory.data;
    *out_length = memory.length;
    return ANN_OK;
}
