/* interactive_click ENDPOINT IMAGE.png X Y — segments the nucleus at (X, Y) of an RGB PNG
 * with a running interactive service: one positive click, then accept and finish.
 * Prints the nucleus's bounding box and area as JSON. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>

#include "annotator_client.h"

static uint8_t *read_rgb_png(const char *path, uint32_t *width, uint32_t *height) {
    png_image image = {0};
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&image, path)) {
        fprintf(stderr, "%s: %s\n", path, image.message);
        return NULL;
    }
    image.format = PNG_FORMAT_RGB;
    uint8_t *pixels = malloc(PNG_IMAGE_SIZE(image));
    if (!pixels || !png_image_finish_read(&image, NULL, pixels, 0, NULL)) {
        fprintf(stderr, "%s: %s\n", path, image.message);
        free(pixels);
        return NULL;
    }
    *width = image.width;
    *height = image.height;
    return pixels;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s ENDPOINT IMAGE.png X Y\n", argv[0]);
        return 2;
    }
    uint32_t width, height;
    uint8_t *rgb = read_rgb_png(argv[2], &width, &height);
    if (!rgb) return 1;
    ann_client *client = ann_client_connect(argv[1], 20000);
    if (!client) { fprintf(stderr, "bad endpoint %s\n", argv[1]); return 1; }
    ann_session session;
    ann_object_mask mask;
    uint32_t *labels = NULL, count = 0;
    ann_status status = ann_session_open(client, rgb, width, height, &session);
    if (status == ANN_STATUS_OK)
        status = ann_session_click(client, &session, (uint32_t)atoi(argv[3]), (uint32_t)atoi(argv[4]), 1, &mask);
    if (status == ANN_STATUS_OK) {
        printf("{\"x\": %u, \"y\": %u, \"width\": %u, \"height\": %u, \"area\": %u, \"seconds\": %.4f}\n", mask.x, mask.y,
               mask.width, mask.height, mask.area, mask.seconds);
        ann_object_mask_free(&mask);
        status = ann_session_accept(client, &session);
        if (status == ANN_STATUS_FAILED_PRECONDITION) status = ANN_STATUS_OK;  /* empty object: nothing to keep */
    }
    if (status == ANN_STATUS_OK) status = ann_session_finish(client, &session, &labels, &count);
    if (status != ANN_STATUS_OK) fprintf(stderr, "%s: %s\n", ann_status_name(status), ann_client_last_error(client));
    free(labels);
    free(rgb);
    ann_client_close(client);
    return status == ANN_STATUS_OK ? 0 : 1;
}
