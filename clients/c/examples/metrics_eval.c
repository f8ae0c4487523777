/* metrics_eval ENDPOINT GT.png PRED.png — scores a predicted label map with a running
 * metrics service and prints the scores as JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "annotator_client.h"
#include "label_png.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s ENDPOINT GT.png PRED.png\n", argv[0]);
        return 2;
    }
    uint32_t *gt, *pred, width, height, pred_width, pred_height;
    if (read_label_png(argv[2], &gt, &width, &height) || read_label_png(argv[3], &pred, &pred_width, &pred_height)) return 1;
    ann_client *client = ann_client_connect(argv[1], 10000);
    if (!client) { fprintf(stderr, "bad endpoint %s\n", argv[1]); return 1; }
    ann_scores scores;
    ann_status status = ann_metrics_evaluate(client, gt, pred, width, height, &scores);
    if (status != ANN_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", ann_status_name(status), ann_client_last_error(client));
        ann_client_close(client);
        return 1;
    }
    printf("{\"dice1\": %.9f, \"dice2\": %.9f, \"aji\": %.9f, \"aji_plus\": %.9f, \"dq\": %.9f, \"sq\": %.9f, "
           "\"pq\": %.9f, \"n_gt\": %u, \"n_pred\": %u}\n",
           scores.dice1, scores.dice2, scores.aji, scores.aji_plus, scores.dq, scores.sq, scores.pq, scores.n_gt,
           scores.n_pred);
    ann_client_close(client);
    free(gt);
    free(pred);
    return 0;
}
