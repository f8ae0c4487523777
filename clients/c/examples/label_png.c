#include "label_png.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

int read_label_png(const char *path, uint32_t **labels, uint32_t *width, uint32_t *height) {
    FILE *file = fopen(path, "rb");
    if (!file) { perror(path); return -1; }
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile rows_data = NULL;
    png_bytep *volatile rows = NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "%s: not a readable PNG\n", path);
        png_destroy_read_struct(&png, &info, NULL);
        free(rows_data); free(rows); fclose(file);
        return -1;
    }
    png_init_io(png, file);
    png_read_info(png, info);
    if (png_get_color_type(png, info) != PNG_COLOR_TYPE_GRAY) png_error(png, "not a gray label map");
    int depth = png_get_bit_depth(png, info);
    if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16) png_set_swap(png);
    png_read_update_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    rows_data = malloc(row_bytes * *height);
    rows = malloc(sizeof(png_bytep) * *height);
    if (!rows_data || !rows) png_error(png, "out of memory");
    for (uint32_t y = 0; y < *height; y++) rows[y] = rows_data + row_bytes * y;
    png_read_image(png, rows);
    *labels = malloc(sizeof(uint32_t) * (size_t)*width * *height);
    if (!*labels) png_error(png, "out of memory");
    for (size_t i = 0; i < (size_t)*width * *height; i++) {
        (*labels)[i] = depth == 16 ? ((uint16_t *)rows_data)[i] : rows_data[i];
    }
    png_destroy_read_struct(&png, &info, NULL);
    free(rows_data); free(rows); fclose(file);
    return 0;
}
