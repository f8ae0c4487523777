/*
 * annotator_client.h — C client of the Efficient Dataset Annotator services.
 *
 * Lets other lab tools call the services over ZeroMQ (tcp:// or ipc://) with the
 * project's protobuf messages (annotator.v1, via protobuf-c). One client per thread:
 * an ann_client is not thread-safe.
 *
 * Every call returns an ann_status. ANN_STATUS_OK (1) means success; any other value is
 * the service's (or the transport's) status, and ann_client_last_error() names the
 * problem. The numbers are the wire's: gRPC's codes plus one.
 */
#ifndef ANNOTATOR_CLIENT_H
#define ANNOTATOR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ann_status {
    ANN_STATUS_UNSPECIFIED = 0,
    ANN_STATUS_OK = 1,
    ANN_STATUS_CANCELLED = 2,
    ANN_STATUS_UNKNOWN = 3,
    ANN_STATUS_INVALID_ARGUMENT = 4,
    ANN_STATUS_DEADLINE_EXCEEDED = 5,
    ANN_STATUS_NOT_FOUND = 6,
    ANN_STATUS_ALREADY_EXISTS = 7,
    ANN_STATUS_PERMISSION_DENIED = 8,
    ANN_STATUS_RESOURCE_EXHAUSTED = 9,
    ANN_STATUS_FAILED_PRECONDITION = 10,
    ANN_STATUS_ABORTED = 11,
    ANN_STATUS_OUT_OF_RANGE = 12,
    ANN_STATUS_UNIMPLEMENTED = 13,
    ANN_STATUS_INTERNAL = 14,
    ANN_STATUS_UNAVAILABLE = 15,
    ANN_STATUS_DATA_LOSS = 16,
    ANN_STATUS_UNAUTHENTICATED = 17
} ann_status;

typedef struct ann_client ann_client;

/* Connects to a service endpoint (tcp://HOST:PORT or ipc:///PATH). `timeout_ms` is the
 * deadline of each call (waiting for a connection included); 0 means 30 s.
 * Returns NULL only when the endpoint is malformed or memory runs out. */
ann_client *ann_client_connect(const char *endpoint, int timeout_ms);
void ann_client_close(ann_client *client);

/* The message of the last failed call ("" after a success). Valid until the next call. */
const char *ann_client_last_error(const ann_client *client);

/* "OK", "INVALID_ARGUMENT", ... */
const char *ann_status_name(ann_status status);

/* Health: *serving is set to 1 when the service is serving, 0 when it is draining. */
ann_status ann_health(ann_client *client, int *serving);

typedef struct ann_service_info {
    char service[64];
    char version[32];
    uint32_t protocol_version;
    uint32_t method_count;
} ann_service_info;

ann_status ann_info(ann_client *client, ann_service_info *info);

/* Scores of one image, as hover_net's stats_utils defines them. */
typedef struct ann_scores {
    double dice1, dice2, aji, aji_plus, dq, sq, pq;
    uint32_t n_gt, n_pred;
    int scored; /* 0 when the image has neither nuclei nor predictions */
} ann_scores;

/* Metrics service, Evaluate on one pair of instance label maps (row-major uint32,
 * 0 = background), both `width` × `height`. */
ann_status ann_metrics_evaluate(ann_client *client, const uint32_t *ground_truth, const uint32_t *prediction,
                                uint32_t width, uint32_t height, ann_scores *scores);

/* ---- Interactive segmentation (the interactive service) ---------------------------
 * A session holds one image; clicks shape the current object (nucleus); accept keeps it
 * and starts the next; finish returns every accepted nucleus as an instance map.
 * Mutating calls are numbered (ann_session.sequence); after a DEADLINE_EXCEEDED or
 * UNAVAILABLE, repeat the same call: the service applies it once. */
typedef struct ann_session {
    char id[64];
    uint64_t sequence; /* mutating calls applied so far */
    uint32_t width, height;
} ann_session;

/* The current object: a 0/1 mask over its bounding box at (x, y) in the image. */
typedef struct ann_object_mask {
    uint32_t x, y, width, height;
    uint8_t *mask; /* width*height bytes, malloc'ed; NULL when the object is empty */
    uint32_t area;
    uint32_t click_count;
    double seconds;
} ann_object_mask;

void ann_object_mask_free(ann_object_mask *mask);

/* Opens a session on an 8-bit RGB image (width*height*3 bytes, row-major). */
ann_status ann_session_open(ann_client *client, const uint8_t *rgb, uint32_t width, uint32_t height,
                            ann_session *session);
/* A positive (1) or negative (0) click at (x, y). */
ann_status ann_session_click(ann_client *client, ann_session *session, uint32_t x, uint32_t y, int positive,
                             ann_object_mask *mask);
ann_status ann_session_undo(ann_client *client, ann_session *session, ann_object_mask *mask);
/* Keeps the current object as an instance and starts a new one. */
ann_status ann_session_accept(ann_client *client, ann_session *session);
/* Returns the accepted instances as a width*height uint32 label map (malloc'ed, free())
 * and closes the session. */
ann_status ann_session_finish(ann_client *client, ann_session *session, uint32_t **labels, uint32_t *instance_count);

/* Lower level: sends `method` with a serialised request body and raw attachment frames,
 * and returns the reply body (malloc'ed, free with free()). For calls this header does
 * not wrap yet. */
ann_status ann_call(ann_client *client, const char *method, const uint8_t *body, size_t body_length,
                    const uint8_t *const *attachments, const size_t *attachment_lengths, size_t attachment_count,
                    uint8_t **reply, size_t *reply_length);

#ifdef __cplusplus
}
#endif
#endif
