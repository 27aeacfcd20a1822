/* tessera-test-server.h: a real tessera-server for tests, and HTTP helpers
 *
 * Starts the real `tessera-server` binary on 127.0.0.1:0 with a fresh
 * temporary data directory, reads the one URL line it prints when ready,
 * and stops (SIGTERM), kills (SIGKILL) or restarts it on the same data
 * directory. The helpers talk to it over HTTP with libsoup, as any client
 * does. They assert on transport failures (the test fails), never on the
 * status: the test decides what status is right.
 *
 * The binary is found in $TESSERA_SERVER, or else at the path meson built.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A response as the tests look at it. */
typedef struct
{
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonNode           *json;    /* NULL when the body is not JSON */
} TesseraTestResponse;

void        tessera_test_response_free        (TesseraTestResponse *response);
const char *tessera_test_response_get_header  (TesseraTestResponse *response,
                                               const char          *name);
JsonObject *tessera_test_response_get_object  (TesseraTestResponse *response);
const char *tessera_test_response_get_string  (TesseraTestResponse *response,
                                               const char          *member);
char       *tessera_test_response_dup_text    (TesseraTestResponse *response);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraTestResponse, tessera_test_response_free)

/* A signed-in user. */
typedef struct
{
  char *username;
  char *password;
  char *sub;            /* from the token's claims */
  char *token;
  char *refresh_token;
} TesseraTestUser;

void tessera_test_user_free (TesseraTestUser *user);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TesseraTestUser, tessera_test_user_free)

#define TESSERA_TYPE_TEST_SERVER (tessera_test_server_get_type ())

G_DECLARE_FINAL_TYPE (TesseraTestServer, tessera_test_server, TESSERA, TEST_SERVER, GObject)

/* The tessera-server binary the tests run. */
const char          *tessera_test_server_binary         (void);

/* @config: GKeyFile text written to DATA_DIR/tessera-server.conf before the
 * first start, or NULL for the defaults. The data directory is removed when
 * the object is finalized (unless $TESSERA_TEST_KEEP_DATA is set). */
TesseraTestServer   *tessera_test_server_new            (const char         *config);
/* tessera_test_server_new() + start, asserting that it started. */
TesseraTestServer   *tessera_test_server_new_started    (const char         *config);

gboolean             tessera_test_server_start          (TesseraTestServer  *self,
                                                         GError            **error);
/* SIGTERM, wait; asserts a clean exit (status 0) within the timeout. */
void                 tessera_test_server_stop           (TesseraTestServer  *self);
/* SIGKILL, wait: a crash, as far as the data directory can tell. */
void                 tessera_test_server_kill           (TesseraTestServer  *self);
/* stop (or kill when @hard) then start on the same data directory and the
 * same port (tessera_test_server_start() always reuses the port of the
 * previous start). */
void                 tessera_test_server_restart        (TesseraTestServer  *self,
                                                         gboolean            hard);
/* stop, then start on the same data directory and a port other than the
 * previous one (the old port is held while the server starts), as the
 * desktop app's "This computer" mode does at each launch. */
void                 tessera_test_server_restart_on_new_port (TesseraTestServer *self);
gboolean             tessera_test_server_is_running     (TesseraTestServer  *self);
GPid                 tessera_test_server_get_pid        (TesseraTestServer  *self);
/* The peak resident set (VmHWM) of the running server, in KiB, or -1. */
gint64               tessera_test_server_get_peak_rss_kb (TesseraTestServer *self);

const char          *tessera_test_server_get_url        (TesseraTestServer  *self);
const char          *tessera_test_server_get_data_dir   (TesseraTestServer  *self);
char                *tessera_test_server_dup_config_path (TesseraTestServer *self);
/* A value from the configuration file as it is now (the server adds its
 * generated S3 keys there). */
char                *tessera_test_server_dup_config     (TesseraTestServer  *self,
                                                         const char         *group,
                                                         const char         *key);
/* Changes one value in the configuration file; takes effect at the next start. */
void                 tessera_test_server_set_config     (TesseraTestServer  *self,
                                                         const char         *group,
                                                         const char         *key,
                                                         const char         *value);

/* When TRUE, requests with a body send `Expect: 100-continue` (as curl does
 * for big bodies), so a server that refuses early is heard before the body
 * is sent. FALSE by default: a plain client just sends the body. */
void                 tessera_test_server_set_expect_continue (TesseraTestServer *self,
                                                              gboolean           expect);

/* @path_or_url: "/images?limit=2" (relative to the server) or a full URL.
 * @authorization: the whole Authorization header value, or NULL for none.
 * @json_body: request body sent as application/json, or NULL. */
TesseraTestResponse *tessera_test_server_request        (TesseraTestServer  *self,
                                                         const char         *method,
                                                         const char         *path_or_url,
                                                         const char         *authorization,
                                                         const char         *json_body);
/* The same with a bearer @token ("Bearer <token>"), or no header when NULL. */
TesseraTestResponse *tessera_test_server_call           (TesseraTestServer  *self,
                                                         const char         *method,
                                                         const char         *path_or_url,
                                                         const char         *token,
                                                         const char         *json_body);
/* Full control: @headers is a NULL-terminated name, value, ... list. */
TesseraTestResponse *tessera_test_server_request_raw    (TesseraTestServer  *self,
                                                         const char         *method,
                                                         const char         *path_or_url,
                                                         const char * const *headers,
                                                         const char         *content_type,
                                                         GBytes             *body);

/* Signs up (asserting 201) and signs in (asserting 201). */
TesseraTestUser     *tessera_test_server_new_user       (TesseraTestServer  *self,
                                                         const char         *username);
/* Signs in again; replaces @user's tokens. Returns the status. */
guint                tessera_test_server_sign_in        (TesseraTestServer  *self,
                                                         TesseraTestUser    *user);

/* Posts a multipart/form-data form: every member of @form_fields in order
 * (strings), then `file` last with @filename, @content_type and @data. */
TesseraTestResponse *tessera_test_server_post_form      (TesseraTestServer  *self,
                                                         const char         *upload_url,
                                                         JsonObject         *form_fields,
                                                         const char         *filename,
                                                         const char         *content_type,
                                                         GBytes             *data);

/* POST /images with the file's name, type, size and sha256 (asserting
 * 201), then the form (asserting 204). Returns the image id. @form_out, when not NULL, receives the POST /images object. */
char                *tessera_test_server_upload         (TesseraTestServer  *self,
                                                         TesseraTestUser    *user,
                                                         const char         *filename,
                                                         const char         *content_type,
                                                         GBytes             *data,
                                                         JsonObject        **form_out);
/* Polls GET /images/{id} until its status is @status or the image reaches a
 * final status (`ready` or `failed`) or @timeout_s passes. Returns the last
 * image seen (NULL if it never answered 200); the caller checks the status. */
JsonObject          *tessera_test_server_wait_for_status (TesseraTestServer *self,
                                                         TesseraTestUser    *user,
                                                         const char         *image_id,
                                                         const char         *status,
                                                         guint               timeout_s);

/* Every regular file under DATA_DIR/@subdir (the whole data directory when
 * @subdir is NULL) whose path contains @needle, or whose content equals
 * @content, when they are not NULL. (transfer full): paths */
GPtrArray           *tessera_test_server_find_files     (TesseraTestServer  *self,
                                                         const char         *subdir,
                                                         const char         *needle,
                                                         GBytes             *content);
/* tessera_test_server_find_files() under DATA_DIR/objects. */
GPtrArray           *tessera_test_server_find_objects   (TesseraTestServer  *self,
                                                         const char         *needle,
                                                         GBytes             *content);

/* Real images made with libvips: noise, so two calls never match. */
GBytes              *tessera_test_make_jpeg             (int                 width,
                                                         int                 height);
GBytes              *tessera_test_make_png              (int                 width,
                                                         int                 height);
/* Decodes @data with libvips and returns its size; FALSE when it is not an image. */
gboolean             tessera_test_image_size            (GBytes             *data,
                                                         int                *width,
                                                         int                *height);
/* GET @url (a pre-signed URL) and return its body, asserting 200. */
GBytes              *tessera_test_server_fetch          (TesseraTestServer  *self,
                                                         const char         *url);

/* An ISO 8601 time as µs since the epoch, or -1 when @text is not one. */
gint64               tessera_test_parse_time            (const char         *text);
/* The JSON payload of a JWT, or NULL. */
JsonObject          *tessera_test_jwt_dup_payload       (const char         *token);
/* The image ids of a `{"images":[...]}` listing, in order. */
GStrv                tessera_test_listing_ids           (TesseraTestResponse *response);

G_END_DECLS
