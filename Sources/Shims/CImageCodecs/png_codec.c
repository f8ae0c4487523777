#include "image_codecs.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    jmp_buf jump;
    char *error;
    size_t error_capacity;
} png_failure;

typedef struct {
    const uint8_t *data;
    size_t length;
    size_t offset;
} png_source;

typedef struct {
    uint8_t *data;
    size_t length;
    size_t capacity;
    int failed;
} png_sink;

static void set_error(char *error, size_t capacity, const char *message) {
    if (error && capacity > 0) {
        snprintf(error, capacity, "%s", message);
    }
}

static void on_png_error(png_structp png, png_const_charp message) {
    png_failure *failure = (png_failure *)png_get_error_ptr(png);
    set_error(failure->error, failure->error_capacity, message);
    longjmp(failure->jump, 1);
}

static void on_png_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

static void read_from_memory(png_structp png, png_bytep target, png_size_t count) {
    png_source *source = (png_source *)png_get_io_ptr(png);
    if (count > source->length - source->offset) {
        png_error(png, "PNG data is truncated");
    }
    memcpy(target, source->data + source->offset, count);
    source->offset += count;
}

int ann_png_decode(const uint8_t *data, size_t length, ann_raster *out, char *error, size_t error_capacity) {
    memset(out, 0, sizeof(*out));
    if (length < 8 || png_sig_cmp(data, 0, 8) != 0) {
        set_error(error, error_capacity, "not a PNG file (bad signature)");
        return ANN_ERROR;
    }
    png_failure failure = {.error = error, .error_capacity = error_capacity};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
    if (!png) {
        set_error(error, error_capacity, "libpng could not allocate a reader");
        return ANN_ERROR;
    }
    png_infop info = png_create_info_struct(png);
    png_bytep *rows = NULL;
    void *volatile pixels = NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        set_error(error, error_capacity, "libpng could not allocate an info struct");
        return ANN_ERROR;
    }
    if (setjmp(failure.jump)) {
        free(rows);
        free(pixels);
        png_destroy_read_struct(&png, &info, NULL);
        return ANN_ERROR;
    }
    png_source source = {.data = data, .length = length, .offset = 0};
    png_set_read_fn(png, &source, read_from_memory);
    png_set_user_limits(png, ANN_MAX_DIMENSION, ANN_MAX_DIMENSION);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if ((uint64_t)width * height > ANN_MAX_PIXELS) {
        png_error(png, "PNG is too large");
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_swap(png);  // PNG is big-endian; hand out host order
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    uint32_t channels = png_get_channels(png, info);
    uint32_t depth = png_get_bit_depth(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (row_bytes != (size_t)width * channels * (depth / 8)) {
        png_error(png, "unexpected PNG row layout");
    }
    pixels = malloc(row_bytes * height);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory decoding PNG");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = (png_bytep)pixels + row_bytes * y;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);

    out->width = width;
    out->height = height;
    out->channels = channels;
    out->bit_depth = depth;
    out->pixels = pixels;
    out->byte_count = row_bytes * height;
    return ANN_OK;
}

static void write_to_memory(png_structp png, png_bytep source, png_size_t count) {
    png_sink *sink = (png_sink *)png_get_io_ptr(png);
    if (sink->length + count > sink->capacity) {
        size_t capacity = sink->capacity ? sink->capacity : 65536;
        while (capacity < sink->length + count) capacity *= 2;
        uint8_t *grown = (uint8_t *)realloc(sink->data, capacity);
        if (!grown) png_error(png, "out of memory encoding PNG");
        sink->data = grown;
        sink->capacity = capacity;
    }
    memcpy(sink->data + sink->length, source, count);
    sink->length += count;
}

static void flush_memory(png_structp png) { (void)png; }

int ann_png_encode(const void *pixels, uint32_t width, uint32_t height, uint32_t channels,
                   uint32_t bit_depth, uint8_t **out, size_t *out_length,
                   char *error, size_t error_capacity) {
    *out = NULL;
    *out_length = 0;
    if (width == 0 || height == 0 || channels < 1 || channels > 4 || (bit_depth != 8 && bit_depth != 16)) {
        set_error(error, error_capacity, "PNG encoder needs width, height > 0, 1-4 channels and 8 or 16 bits");
        return ANN_ERROR;
    }
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_COLOR_TYPE_RGB,
                                       PNG_COLOR_TYPE_RGBA};
    png_failure failure = {.error = error, .error_capacity = error_capacity};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &failure, on_png_error, on_png_warning);
    if (!png) {
        set_error(error, error_capacity, "libpng could not allocate a writer");
        return ANN_ERROR;
    }
    png_infop info = png_create_info_struct(png);
    png_sink sink = {0};
    png_bytep *rows = NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        set_error(error, error_capacity, "libpng could not allocate an info struct");
        return ANN_ERROR;
    }
    if (setjmp(failure.jump)) {
        free(rows);
        free(sink.data);
        png_destroy_write_struct(&png, &info);
        return ANN_ERROR;
    }
    png_set_write_fn(png, &sink, write_to_memory, flush_memory);
    // Label maps compress well at level 1; higher levels cost time for a few percent.
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, width, height, (int)bit_depth, color_types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (bit_depth == 16) png_set_swap(png);
    size_t row_bytes = (size_t)width * channels * (bit_depth / 8);
    rows = (png_bytep *)malloc(sizeof(png_bytep) * height);
    if (!rows) png_error(png, "out of memory encoding PNG");
    for (uint32_t y = 0; y < height; y++) rows[y] = (png_bytep)pixels + row_bytes * y;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    free(rows);
    png_destroy_write_struct(&png, &info);
    *out = sink.data;
    *out_length = sink.length;
    return ANN_OK;
}

void ann_free(void *pointer) { free(pointer); }
