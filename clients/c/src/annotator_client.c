#include "annotator_client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "annotator/v1/envelope.pb-c.h"
#include "annotator/v1/metrics.pb-c.h"
#include "annotator/v1/service.pb-c.h"

static const char PROTOCOL_TAG[] = "annotator/1";

struct ann_client {
    void *context;
    void *socket;
    char endpoint[256];
    int timeout_ms;
    uint64_t next_request_id;
    char last_error[512];
};

static ann_status fail(ann_client *client, ann_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(client->last_error, sizeof(client->last_error), format, args);
    va_end(args);
    return status;
}

static int64_t now_ms(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

const char *ann_status_name(ann_status status) {
    static const char *names[] = {"UNSPECIFIED", "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT",
                                  "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
                                  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
                                  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
    if ((int)status < 0 || (size_t)status >= sizeof(names) / sizeof(names[0])) return "UNKNOWN";
    return names[status];
}

ann_client *ann_client_connect(const char *endpoint, int timeout_ms) {
    if (!endpoint || strlen(endpoint) >= sizeof(((ann_client *)0)->endpoint)) return NULL;
    ann_client *client = calloc(1, sizeof(ann_client));
    if (!client) return NULL;
    client->context = zmq_ctx_new();
    client->socket = client->context ? zmq_socket(client->context, ZMQ_DEALER) : NULL;
    if (!client->socket) {
        if (client->context) zmq_ctx_term(client->context);
        free(client);
        return NULL;
    }
    int immediate = 1, linger = 1000;
    zmq_setsockopt(client->socket, ZMQ_IMMEDIATE, &immediate, sizeof(immediate));
    zmq_setsockopt(client->socket, ZMQ_LINGER, &linger, sizeof(linger));
    if (zmq_connect(client->socket, endpoint) != 0) {
        zmq_close(client->socket);
        zmq_ctx_term(client->context);
        free(client);
        return NULL;
    }
    snprintf(client->endpoint, sizeof(client->endpoint), "%s", endpoint);
    client->timeout_ms = timeout_ms > 0 ? timeout_ms : 30000;
    client->next_request_id = 1;
    return client;
}

void ann_client_close(ann_client *client) {
    if (!client) return;
    zmq_close(client->socket);
    zmq_ctx_term(client->context);
    free(client);
}

const char *ann_client_last_error(const ann_client *client) { return client ? client->last_error : "no client"; }

/* Sends one frame; with no connected service yet, retries until the deadline. */
static int send_frame(ann_client *client, const void *data, size_t length, int more, int64_t deadline) {
    for (;;) {
        if (zmq_send(client->socket, data, length, ZMQ_DONTWAIT | (more ? ZMQ_SNDMORE : 0)) >= 0) return 0;
        if (errno != EAGAIN || now_ms() >= deadline) return -1;
        struct timespec pause = {0, 2 * 1000000};
        nanosleep(&pause, NULL);
    }
}

typedef struct {
    zmq_msg_t parts[64];
    int count;
} received_message;

static void release_message(received_message *message) {
    for (int i = 0; i < message->count; i++) zmq_msg_close(&message->parts[i]);
    message->count = 0;
}

static int receive_message(ann_client *client, received_message *message, int64_t deadline) {
    message->count = 0;
    zmq_pollitem_t item = {.socket = client->socket, .events = ZMQ_POLLIN};
    int64_t remaining = deadline - now_ms();
    if (remaining <= 0 || zmq_poll(&item, 1, (long)remaining) <= 0) return -1;
    for (;;) {
        zmq_msg_t scratch;
        zmq_msg_t *part = message->count < 64 ? &message->parts[message->count] : &scratch;
        zmq_msg_init(part);
        if (zmq_msg_recv(part, client->socket, 0) < 0) {
            zmq_msg_close(part);
            release_message(message);
            return -1;
        }
        int more = zmq_msg_more(part);
        if (part == &scratch) zmq_msg_close(part); else message->count++;
        if (!more) return 0;
    }
}

ann_status ann_call(ann_client *client, const char *method, const uint8_t *body, size_t body_length,
                    const uint8_t *const *attachments, const size_t *attachment_lengths, size_t attachment_count,
                    uint8_t **reply, size_t *reply_length) {
    *reply = NULL;
    *reply_length = 0;
    client->last_error[0] = 0;
    int64_t deadline = now_ms() + client->timeout_ms;
    uint64_t request_id = client->next_request_id++;

    Annotator__V1__Header header = ANNOTATOR__V1__HEADER__INIT;
    header.method = (char *)method;
    header.request_id = request_id;
    header.timeout_ms = (uint32_t)client->timeout_ms;
    header.attempt = 1;
    header.attachment_count = (uint32_t)attachment_count;
    size_t header_length = annotator__v1__header__get_packed_size(&header);
    uint8_t *header_bytes = malloc(header_length ? header_length : 1);
    if (!header_bytes) return fail(client, ANN_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    annotator__v1__header__pack(&header, header_bytes);

    int failed = send_frame(client, PROTOCOL_TAG, strlen(PROTOCOL_TAG), 1, deadline) ||
                 send_frame(client, header_bytes, header_length, 1, deadline) ||
                 send_frame(client, body, body_length, attachment_count > 0, deadline);
    for (size_t i = 0; !failed && i < attachment_count; i++) {
        failed = send_frame(client, attachments[i], attachment_lengths[i], i + 1 < attachment_count, deadline);
    }
    free(header_bytes);
    if (failed) {
        return fail(client, ANN_STATUS_UNAVAILABLE, "cannot send %s to %s within %d ms; is the service running?",
                    method, client->endpoint, client->timeout_ms);
    }

    for (;;) {
        received_message message;
        if (receive_message(client, &message, deadline) != 0) {
            return fail(client, ANN_STATUS_DEADLINE_EXCEEDED, "no reply from %s to %s within %d ms", client->endpoint,
                        method, client->timeout_ms);
        }
        if (message.count < 3 || zmq_msg_size(&message.parts[0]) != strlen(PROTOCOL_TAG) ||
            memcmp(zmq_msg_data(&message.parts[0]), PROTOCOL_TAG, strlen(PROTOCOL_TAG)) != 0) {
            release_message(&message);
            return fail(client, ANN_STATUS_INTERNAL, "malformed reply from %s", client->endpoint);
        }
        Annotator__V1__Header *reply_header = annotator__v1__header__unpack(
            NULL, zmq_msg_size(&message.parts[1]), zmq_msg_data(&message.parts[1]));
        if (!reply_header) {
            release_message(&message);
            return fail(client, ANN_STATUS_INTERNAL, "reply header from %s does not decode", client->endpoint);
        }
        if (reply_header->request_id != request_id) {  // a late reply to an earlier call
            annotator__v1__header__free_unpacked(reply_header, NULL);
            release_message(&message);
            continue;
        }
        ann_status status = reply_header->status ? (ann_status)reply_header->status->code : ANN_STATUS_UNSPECIFIED;
        if (status != ANN_STATUS_OK) {
            const char *text = reply_header->status && reply_header->status->message ? reply_header->status->message : "";
            fail(client, status == ANN_STATUS_UNSPECIFIED ? ANN_STATUS_INTERNAL : status, "%s", text[0] ? text : ann_status_name(status));
            annotator__v1__header__free_unpacked(reply_header, NULL);
            release_message(&message);
            return status == ANN_STATUS_UNSPECIFIED ? ANN_STATUS_INTERNAL : status;
        }
        annotator__v1__header__free_unpacked(reply_header, NULL);
        size_t length = zmq_msg_size(&message.parts[2]);
        *reply = malloc(length ? length : 1);
        if (!*reply) {
            release_message(&message);
            return fail(client, ANN_STATUS_RESOURCE_EXHAUSTED, "out of memory");
        }
        memcpy(*reply, zmq_msg_data(&message.parts[2]), length);
        *reply_length = length;
        release_message(&message);
        return ANN_STATUS_OK;
    }
}

ann_status ann_health(ann_client *client, int *serving) {
    Annotator__V1__HealthRequest request = ANNOTATOR__V1__HEALTH_REQUEST__INIT;
    uint8_t body[16];
    size_t length = annotator__v1__health_request__pack(&request, body);
    uint8_t *reply;
    size_t reply_length;
    ann_status status = ann_call(client, "Health", body, length, NULL, NULL, 0, &reply, &reply_length);
    if (status != ANN_STATUS_OK) return status;
    Annotator__V1__HealthResponse *response = annotator__v1__health_response__unpack(NULL, reply_length, reply);
    free(reply);
    if (!response) return fail(client, ANN_STATUS_INTERNAL, "Health reply does not decode");
    if (serving) *serving = response->status == ANNOTATOR__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
    annotator__v1__health_response__free_unpacked(response, NULL);
    return ANN_STATUS_OK;
}

ann_status ann_info(ann_client *client, ann_service_info *info) {
    uint8_t *reply;
    size_t reply_length;
    ann_status status = ann_call(client, "Info", (const uint8_t *)"", 0, NULL, NULL, 0, &reply, &reply_length);
    if (status != ANN_STATUS_OK) return status;
    Annotator__V1__InfoResponse *response = annotator__v1__info_response__unpack(NULL, reply_length, reply);
    free(reply);
    if (!response) return fail(client, ANN_STATUS_INTERNAL, "Info reply does not decode");
    snprintf(info->service, sizeof(info->service), "%s", response->service ? response->service : "");
    snprintf(info->version, sizeof(info->version), "%s", response->version ? response->version : "");
    info->protocol_version = response->protocol_version;
    info->method_count = (uint32_t)response->n_methods;
    annotator__v1__info_response__free_unpacked(response, NULL);
    return ANN_STATUS_OK;
}

ann_status ann_metrics_evaluate(ann_client *client, const uint32_t *ground_truth, const uint32_t *prediction,
                                uint32_t width, uint32_t height, ann_scores *scores) {
    if (!ground_truth || !prediction || !scores || width == 0 || height == 0) {
        return fail(client, ANN_STATUS_INVALID_ARGUMENT, "ann_metrics_evaluate needs two maps and a positive size");
    }
    Annotator__V1__LabelMap gt = ANNOTATOR__V1__LABEL_MAP__INIT;
    Annotator__V1__LabelMap pred = ANNOTATOR__V1__LABEL_MAP__INIT;
    gt.width = pred.width = width;
    gt.height = pred.height = height;
    gt.attachment = 1;  /* the pixels travel as raw frames, not inside the body */
    pred.attachment = 2;
    Annotator__V1__MetricsPair pair = ANNOTATOR__V1__METRICS_PAIR__INIT;
    pair.name = "c-client";
    pair.ground_truth = &gt;
    pair.prediction = &pred;
    Annotator__V1__MetricsPair *pairs[1] = {&pair};
    Annotator__V1__EvaluateRequest request = ANNOTATOR__V1__EVALUATE_REQUEST__INIT;
    request.n_pairs = 1;
    request.pairs = pairs;
    size_t length = annotator__v1__evaluate_request__get_packed_size(&request);
    uint8_t *body = malloc(length);
    if (!body) return fail(client, ANN_STATUS_RESOURCE_EXHAUSTED, "out of memory");
    annotator__v1__evaluate_request__pack(&request, body);

    /* Labels are little-endian on the wire, as they are in memory on x86-64 and arm64. */
    size_t map_bytes = (size_t)width * height * sizeof(uint32_t);
    const uint8_t *attachments[2] = {(const uint8_t *)ground_truth, (const uint8_t *)prediction};
    size_t lengths[2] = {map_bytes, map_bytes};
    uint8_t *reply;
    size_t reply_length;
    ann_status status = ann_call(client, "Evaluate", body, length, attachments, lengths, 2, &reply, &reply_length);
    free(body);
    if (status != ANN_STATUS_OK) return status;
    Annotator__V1__EvaluateResponse *response = annotator__v1__evaluate_response__unpack(NULL, reply_length, reply);
    free(reply);
    if (!response || response->n_images != 1) {
        if (response) annotator__v1__evaluate_response__free_unpacked(response, NULL);
        return fail(client, ANN_STATUS_INTERNAL, "Evaluate reply does not decode");
    }
    const Annotator__V1__ImageScores *image = response->images[0];
    scores->dice1 = image->dice1;
    scores->dice2 = image->dice2;
    scores->aji = image->aji;
    scores->aji_plus = image->aji_plus;
    scores->dq = image->dq;
    scores->sq = image->sq;
    scores->pq = image->pq;
    scores->n_gt = image->n_gt;
    scores->n_pred = image->n_pred;
    scores->scored = image->scored;
    annotator__v1__evaluate_response__free_unpacked(response, NULL);
    return ANN_STATUS_OK;
}
