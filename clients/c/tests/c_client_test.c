/* c_client_test ENDPOINT FIXTURES_DIR — the C client against a running Swift metrics
 * service: health, info, every golden case to 1e-6, and error statuses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotator_client.h"
#include "label_png.h"

static int passed = 0, failed = 0;

static void check(int condition, const char *what) {
    if (condition) { passed++; } else { failed++; fprintf(stderr, "FAIL: %s\n", what); }
}

/* Reads "key": number from a small JSON file (the golden expected.json). */
static int json_number(const char *text, const char *key, double *value) {
    char pattern[64];
    snprintf(pattern, sizeof(pattern), "\"%s\":", key);
    const char *at = strstr(text, pattern);
    if (!at) return -1;
    *value = strtod(at + strlen(pattern), NULL);
    return 0;
}

static char *read_text(const char *path) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fseek(file, 0, SEEK_SET);
    char *text = malloc((size_t)size + 1);
    size_t got = fread(text, 1, (size_t)size, file);
    text[got] = 0;
    fclose(file);
    return text;
}

int main(int argc, char **argv) {
    if (argc != 3) { fprintf(stderr, "usage: %s ENDPOINT FIXTURES_DIR\n", argv[0]); return 2; }
    ann_client *client = ann_client_connect(argv[1], 20000);
    check(client != NULL, "connect");
    if (!client) return 1;

    int serving = 0;
    check(ann_health(client, &serving) == ANN_STATUS_OK && serving, "health is SERVING");
    ann_service_info info;
    check(ann_info(client, &info) == ANN_STATUS_OK && strcmp(info.service, "metrics") == 0 && info.protocol_version == 1,
          "info names the metrics service, protocol 1");

    const char *cases[] = {"perfect", "merge_two", "split_one", "iou_exactly_half", "low_iou", "fp_and_fn",
                           "shifted", "empty_prediction", "monuseg_crop_0", "monuseg_crop_1", "monuseg_crop_2",
                           "monuseg_full_0", "monuseg_full_1"};
    const char *keys[] = {"dice1", "dice2", "aji", "aji_plus", "dq", "sq", "pq"};
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char path[1024];
        uint32_t *gt, *pred, width, height, pw, ph;
        snprintf(path, sizeof(path), "%s/%s/gt.png", argv[2], cases[c]);
        if (read_label_png(path, &gt, &width, &height)) { check(0, path); continue; }
        snprintf(path, sizeof(path), "%s/%s/pred.png", argv[2], cases[c]);
        if (read_label_png(path, &pred, &pw, &ph)) { free(gt); check(0, path); continue; }
        snprintf(path, sizeof(path), "%s/%s/expected.json", argv[2], cases[c]);
        char *expected = read_text(path);
        ann_scores scores;
        ann_status status = ann_metrics_evaluate(client, gt, pred, width, height, &scores);
        char what[256];
        snprintf(what, sizeof(what), "%s: Evaluate returns OK (%s)", cases[c], ann_client_last_error(client));
        check(status == ANN_STATUS_OK && expected, what);
        if (status == ANN_STATUS_OK && expected) {
            double got[7] = {scores.dice1, scores.dice2, scores.aji, scores.aji_plus, scores.dq, scores.sq, scores.pq};
            for (int k = 0; k < 7; k++) {
                double want;
                snprintf(what, sizeof(what), "%s: %s matches the golden value", cases[c], keys[k]);
                check(json_number(expected, keys[k], &want) == 0 && fabs(got[k] - want) <= 1e-6, what);
            }
        }
        free(expected);
        free(gt);
        free(pred);
    }

    /* Bad input gets a status naming the problem, and the service keeps serving. */
    uint32_t small[4] = {0, 1, 1, 0};
    ann_scores scores;
    ann_status status = ann_metrics_evaluate(client, small, small, 2, 2, &scores);
    check(status == ANN_STATUS_OK && fabs(scores.dice1 - 1.0) < 1e-12, "2x2 identical maps score 1");
    uint8_t *reply;
    size_t reply_length;
    status = ann_call(client, "NoSuchMethod", (const uint8_t *)"", 0, NULL, NULL, 0, &reply, &reply_length);
    check(status == ANN_STATUS_UNIMPLEMENTED && strstr(ann_client_last_error(client), "NoSuchMethod"),
          "unknown method is UNIMPLEMENTED and named");
    const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x01, 0x02};
    status = ann_call(client, "Evaluate", garbage, sizeof(garbage), NULL, NULL, 0, &reply, &reply_length);
    check(status == ANN_STATUS_INVALID_ARGUMENT, "undecodable body is INVALID_ARGUMENT");
    check(ann_health(client, &serving) == ANN_STATUS_OK && serving, "still serving after bad input");
    ann_client_close(client);

    ann_client *nobody = ann_client_connect("ipc:///tmp/annotator-nobody-listens.sock", 300);
    check(nobody && ann_health(nobody, &serving) == ANN_STATUS_UNAVAILABLE, "no service is UNAVAILABLE");
    ann_client_close(nobody);

    printf("c-client: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
