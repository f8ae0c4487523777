#include "image_codecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <jerror.h>

typedef struct {
    struct jpeg_error_mgr manager;  // first, so libjpeg's pointer to it is a pointer to this
    jmp_buf jump;
    char *error;
    size_t error_capacity;
} jpeg_failure;

static void fail(jpeg_failure *failure, const char *message) {
    if (failure->error && failure->error_capacity > 0) snprintf(failure->error, failure->error_capacity, "%s", message);
    longjmp(failure->jump, 1);
}

static void on_jpeg_error(j_common_ptr info) {
    char message[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, message);
    fail((jpeg_failure *)info->err, message);
}

// libjpeg recovers from damaged data with a warning and carries on; a file that ends early
// would come out grey below the cut, so that one warning is an error here. Others (e.g.
// extraneous bytes some cameras write) leave a usable image and are ignored.
static void on_jpeg_message(j_common_ptr info, int level) {
    if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) {
        fail((jpeg_failure *)info->err, "JPEG data is truncated");
    }
}

int ann_jpeg_decode(const uint8_t *data, size_t length, ann_raster *out, char *error, size_t error_capacity) {
    memset(out, 0, sizeof(*out));
    if (length < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        if (error && error_capacity > 0) snprintf(error, error_capacity, "not a JPEG file (bad signature)");
        return ANN_ERROR;
    }
    struct jpeg_decompress_struct info;
    jpeg_failure failure = {.error = error, .error_capacity = error_capacity};
    info.err = jpeg_std_error(&failure.manager);
    failure.manager.error_exit = on_jpeg_error;
    failure.manager.emit_message = on_jpeg_message;
    uint8_t *volatile pixels = NULL;
    if (setjmp(failure.jump)) {
        free(pixels);
        jpeg_destroy_decompress(&info);
        return ANN_ERROR;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, data, (unsigned long)length);
    jpeg_read_header(&info, TRUE);
    if (info.image_width == 0 || info.image_height == 0 || info.image_width > ANN_MAX_DIMENSION ||
        info.image_height > ANN_MAX_DIMENSION || (uint64_t)info.image_width * info.image_height > ANN_MAX_PIXELS) {
        fail(&failure, "JPEG has an empty or too large size");
    }
    // Grey stays one channel; YCbCr and RGB come out as RGB. CMYK is refused by libjpeg with
    // its own message (it cannot convert it), which is the error the caller sees.
    info.out_color_space = info.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&info);
    size_t row_bytes = (size_t)info.output_width * (size_t)info.output_components;
    pixels = malloc(row_bytes * info.output_height);
    if (!pixels) fail(&failure, "out of memory decoding JPEG");
    while (info.output_scanline < info.output_height) {
        JSAMPROW row = pixels + row_bytes * info.output_scanline;
        jpeg_read_scanlines(&info, &row, 1);
    }
    jpeg_finish_decompress(&info);
    out->width = info.output_width;
    out->height = info.output_height;
    out->channels = (uint32_t)info.output_components;
    out->bit_depth = 8;
    out->pixels = pixels;
    out->byte_count = row_bytes * info.output_height;
    jpeg_destroy_decompress(&info);
    return ANN_OK;
}
