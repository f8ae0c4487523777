/* Interactive-service calls of the C client. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotator/v1/interactive.pb-c.h"
#include "annotator_client.h"

/* Packs a protobuf-c message into a malloc'ed buffer. */
#define PACK(type, message, out, length)                                \
    do {                                                                \
        (length) = annotator__v1__##type##__get_packed_size(message);  \
        (out) = malloc((length) ? (length) : 1);                        \
        if (out) annotator__v1__##type##__pack(message, out);          \
    } while (0)

static ann_status out_of_memory(ann_client *client) {
    (void)client;
    return ANN_STATUS_RESOURCE_EXHAUSTED;
}

void ann_object_mask_free(ann_object_mask *mask) {
    if (!mask) return;
    free(mask->mask);
    memset(mask, 0, sizeof(*mask));
}

static ann_status read_object(ann_client *client, const uint8_t *reply, size_t length, ann_object_mask *mask) {
    Annotator__V1__ObjectMask *object = annotator__v1__object_mask__unpack(NULL, length, reply);
    if (!object) return ANN_STATUS_INTERNAL;
    if (mask) {
        memset(mask, 0, sizeof(*mask));
        mask->x = object->x;
        mask->y = object->y;
        mask->area = object->area;
        mask->click_count = object->click_count;
        mask->seconds = object->seconds;
        if (object->mask && object->mask->width > 0 && object->mask->height > 0 &&
            object->mask->labels.len == (size_t)object->mask->width * object->mask->height * 4) {
            size_t count = (size_t)object->mask->width * object->mask->height;
            mask->width = object->mask->width;
            mask->height = object->mask->height;
            mask->mask = malloc(count);
            if (!mask->mask) {
                annotator__v1__object_mask__free_unpacked(object, NULL);
                return out_of_memory(client);
            }
            const uint8_t *labels = object->mask->labels.data;
            for (size_t i = 0; i < count; i++) mask->mask[i] = labels[i * 4] != 0;  /* little-endian uint32 */
        }
    }
    annotator__v1__object_mask__free_unpacked(object, NULL);
    return ANN_STATUS_OK;
}

/* Sends a packed mutating call; on success reads the object (when `mask` is given) and
 * advances the session's sequence. Takes ownership of `body`. */
static ann_status mutate(ann_client *client, ann_session *session, const char *method, uint8_t *body, size_t length,
                         ann_object_mask *mask) {
    if (!body) return out_of_memory(client);
    uint8_t *reply;
    size_t reply_length;
    ann_status status = ann_call(client, method, body, length, NULL, NULL, 0, &reply, &reply_length);
    free(body);
    if (status != ANN_STATUS_OK) return status;
    status = mask ? read_object(client, reply, reply_length, mask) : ANN_STATUS_OK;
    free(reply);
    if (status == ANN_STATUS_OK) session->sequence++;
    return status;
}

ann_status ann_session_open(ann_client *client, const uint8_t *rgb, uint32_t width, uint32_t height,
                            ann_session *session) {
    memset(session, 0, sizeof(*session));
    Annotator__V1__Image image = ANNOTATOR__V1__IMAGE__INIT;
    image.encoding = ANNOTATOR__V1__IMAGE_ENCODING__IMAGE_ENCODING_RAW;
    image.width = width;
    image.height = height;
    image.channels = 3;
    image.pixel_type = ANNOTATOR__V1__PIXEL_TYPE__PIXEL_TYPE_UINT8;
    image.attachment = 1;  /* pixels travel as a raw frame */
    Annotator__V1__OpenSessionRequest request = ANNOTATOR__V1__OPEN_SESSION_REQUEST__INIT;
    request.image = &image;
    uint8_t *body;
    size_t length;
    PACK(open_session_request, &request, body, length);
    if (!body) return out_of_memory(client);
    const uint8_t *attachments[1] = {rgb};
    size_t lengths[1] = {(size_t)width * height * 3};
    uint8_t *reply;
    size_t reply_length;
    ann_status status = ann_call(client, "OpenSession", body, length, attachments, lengths, 1, &reply, &reply_length);
    free(body);
    if (status != ANN_STATUS_OK) return status;
    Annotator__V1__OpenSessionResponse *response = annotator__v1__open_session_response__unpack(NULL, reply_length, reply);
    free(reply);
    if (!response) return ANN_STATUS_INTERNAL;
    snprintf(session->id, sizeof(session->id), "%s", response->session_id ? response->session_id : "");
    session->width = response->width;
    session->height = response->height;
    annotator__v1__open_session_response__free_unpacked(response, NULL);
    return ANN_STATUS_OK;
}

ann_status ann_session_click(ann_client *client, ann_session *session, uint32_t x, uint32_t y, int positive,
                             ann_object_mask *mask) {
    Annotator__V1__Click click = ANNOTATOR__V1__CLICK__INIT;
    click.x = x;
    click.y = y;
    click.kind = positive ? ANNOTATOR__V1__CLICK_KIND__CLICK_KIND_POSITIVE : ANNOTATOR__V1__CLICK_KIND__CLICK_KIND_NEGATIVE;
    Annotator__V1__ClickRequest request = ANNOTATOR__V1__CLICK_REQUEST__INIT;
    request.session_id = session->id;
    request.click = &click;
    request.sequence = session->sequence + 1;
    uint8_t *body;
    size_t length;
    PACK(click_request, &request, body, length);
    return mutate(client, session, "Click", body, length, mask);
}

ann_status ann_session_undo(ann_client *client, ann_session *session, ann_object_mask *mask) {
    Annotator__V1__UndoRequest request = ANNOTATOR__V1__UNDO_REQUEST__INIT;
    request.session_id = session->id;
    request.sequence = session->sequence + 1;
    uint8_t *body;
    size_t length;
    PACK(undo_request, &request, body, length);
    return mutate(client, session, "Undo", body, length, mask);
}

ann_status ann_session_accept(ann_client *client, ann_session *session) {
    Annotator__V1__AcceptObjectRequest request = ANNOTATOR__V1__ACCEPT_OBJECT_REQUEST__INIT;
    request.session_id = session->id;
    request.sequence = session->sequence + 1;
    uint8_t *body;
    size_t length;
    PACK(accept_object_request, &request, body, length);
    return mutate(client, session, "AcceptObject", body, length, NULL);
}

ann_status ann_session_finish(ann_client *client, ann_session *session, uint32_t **labels, uint32_t *instance_count) {
    *labels = NULL;
    Annotator__V1__FinishRequest request = ANNOTATOR__V1__FINISH_REQUEST__INIT;
    request.session_id = session->id;
    uint8_t *body;
    size_t length;
    PACK(finish_request, &request, body, length);
    if (!body) return out_of_memory(client);
    uint8_t *reply;
    size_t reply_length;
    ann_status status = ann_call(client, "Finish", body, length, NULL, NULL, 0, &reply, &reply_length);
    free(body);
    if (status != ANN_STATUS_OK) return status;
    Annotator__V1__FinishResponse *response = annotator__v1__finish_response__unpack(NULL, reply_length, reply);
    free(reply);
    if (!response || !response->instances) {
        if (response) annotator__v1__finish_response__free_unpacked(response, NULL);
        return ANN_STATUS_INTERNAL;
    }
    size_t count = (size_t)response->instances->width * response->instances->height;
    if (response->instances->labels.len == count * 4) {
        *labels = malloc(count * sizeof(uint32_t) + 1);
        if (*labels) memcpy(*labels, response->instances->labels.data, count * sizeof(uint32_t));
    }
    if (instance_count) *instance_count = response->instance_count;
    annotator__v1__finish_response__free_unpacked(response, NULL);
    return *labels ? ANN_STATUS_OK : ANN_STATUS_INTERNAL;
}
