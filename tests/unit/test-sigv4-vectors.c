/* test-sigv4-vectors.c: tessera-sigv4 held to AWS's own SigV4 test suite
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every case of ../shared/testdata/aws-sigv4/v4 (awslabs/aws-c-auth's suite):
 * request.txt and context.json in, the canonical requests, strings to sign,
 * signatures and signed requests of header and query signing compared byte
 * for byte with the files beside them.
 */

#define G_LOG_DOMAIN "test-sigv4-vectors"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "tessera-sigv4.h"

typedef struct
{
  char      *method;
  char      *target;      /* path and query, as written */
  char      *path;
  char      *query;
  char      *version;
  GPtrArray *header_lines; /* the raw lines, continuations folded in */
  GPtrArray *names;
  GPtrArray *values;
  char      *body;
} ParsedRequest;

static void
parsed_request_free (ParsedRequest *parsed)
{
  g_free (parsed->method);
  g_free (parsed->target);
  g_free (parsed->path);
  g_free (parsed->query);
  g_free (parsed->version);
  g_ptr_array_unref (parsed->header_lines);
  g_ptr_array_unref (parsed->names);
  g_ptr_array_unref (parsed->values);
  g_free (parsed->body);
  g_free (parsed);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ParsedRequest, parsed_request_free)

/* An HTTP/1.1 request as the suite writes it: the request target may hold
 * raw spaces and UTF-8, a header line that starts with whitespace continues
 * the previous value, and a body follows an empty line. */
static ParsedRequest *
parse_request (const char *text)
{
  g_autoptr(ParsedRequest) parsed = g_new0 (ParsedRequest, 1);
  const char *body = strstr (text, "\n\n");
  g_autofree char *head = body != NULL ? g_strndup (text, body - text) : g_strdup (text);
  g_auto(GStrv) lines = NULL;
  const char *first_space;
  const char *last_space;
  const char *question;

  parsed->header_lines = g_ptr_array_new_with_free_func (g_free);
  parsed->names = g_ptr_array_new_with_free_func (g_free);
  parsed->values = g_ptr_array_new_with_free_func (g_free);
  parsed->body = g_strdup (body != NULL ? body + 2 : "");

  /* A file whose last header line ends in a newline but has no body. */
  if (g_str_has_suffix (head, "\n"))
    head[strlen (head) - 1] = '\0';

  lines = g_strsplit (head, "\n", -1);
  g_assert_nonnull (lines[0]);

  first_space = strchr (lines[0], ' ');
  last_space = strrchr (lines[0], ' ');
  g_assert_nonnull (first_space);
  g_assert_true (last_space > first_space);
  parsed->method = g_strndup (lines[0], first_space - lines[0]);
  parsed->target = g_strndup (first_space + 1, last_space - first_space - 1);
  parsed->version = g_strdup (last_space + 1);

  question = strchr (parsed->target, '?');
  if (question != NULL)
    {
      parsed->path = g_strndup (parsed->target, question - parsed->target);
      parsed->query = g_strdup (question + 1);
    }
  else
    {
      parsed->path = g_strdup (parsed->target);
      parsed->query = g_strdup ("");
    }

  for (guint i = 1; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      if (line[0] == ' ' || line[0] == '\t')
        {
          char **raw = (char **) &g_ptr_array_index (parsed->header_lines,
                                                     parsed->header_lines->len - 1);
          char **value = (char **) &g_ptr_array_index (parsed->values, parsed->values->len - 1);
          char *joined;

          g_assert_cmpuint (parsed->values->len, >, 0);

          joined = g_strconcat (*raw, "\n", line, NULL);
          g_free (*raw);
          *raw = joined;

          joined = g_strconcat (*value, "\n", line, NULL);
          g_free (*value);
          *value = joined;
        }
      else
        {
          const char *colon = strchr (line, ':');

          g_assert_nonnull (colon);
          g_ptr_array_add (parsed->header_lines, g_strdup (line));
          g_ptr_array_add (parsed->names, g_strndup (line, colon - line));
          g_ptr_array_add (parsed->values, g_strdup (colon + 1));
        }
    }

  return g_steal_pointer (&parsed);
}

static TesseraSigv4Request *
build_request (ParsedRequest *parsed)
{
  TesseraSigv4Request *request = tessera_sigv4_request_new (parsed->method, parsed->path,
                                                            parsed->query);

  for (guint i = 0; i < parsed->names->len; i++)
    tessera_sigv4_request_add_header (request,
                                      g_ptr_array_index (parsed->names, i),
                                      g_ptr_array_index (parsed->values, i));
  tessera_sigv4_request_set_payload (request, parsed->body, strlen (parsed->body));

  return request;
}

static char *
read_case_file (const char *dir,
                const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  char *contents = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  return contents;
}

/* Counted by main(), so the run reports how many whole cases passed. */
static guint cases_passed;
static guint expectations_checked;

static void
expect_file (const char *dir,
             const char *name,
             const char *actual)
{
  g_autofree char *expected = read_case_file (dir, name);

  if (expected == NULL)
    return;

  if (g_strcmp0 (expected, actual) != 0)
    g_test_message ("%s/%s differs:\n--- expected\n%s\n--- actual\n%s", dir, name, expected, actual);
  g_assert_cmpstr (actual, ==, expected);
  expectations_checked++;
}

static void
test_vector (gconstpointer data)
{
  const char *dir = data;
  g_autofree char *request_text = read_case_file (dir, "request.txt");
  g_autofree char *context_text = read_case_file (dir, "context.json");
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(ParsedRequest) parsed = NULL;
  g_autoptr(TesseraSigv4Request) request = NULL;
  g_autoptr(TesseraSigv4Result) header_result = NULL;
  g_autoptr(TesseraSigv4Result) query_result = NULL;
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) signed_request = NULL;
  TesseraSigv4Params params = { 0 };
  JsonObject *context;
  JsonObject *credentials;

  g_assert_nonnull (request_text);
  g_assert_nonnull (context_text);

  json_parser_load_from_data (parser, context_text, -1, &error);
  g_assert_no_error (error);
  context = json_node_get_object (json_parser_get_root (parser));
  credentials = json_object_get_object_member (context, "credentials");
  time = g_date_time_new_from_iso8601 (json_object_get_string_member (context, "timestamp"), NULL);
  g_assert_nonnull (time);

  params.access_key_id = json_object_get_string_member (credentials, "access_key_id");
  params.secret_access_key = json_object_get_string_member (credentials, "secret_access_key");
  params.session_token = json_object_get_string_member_with_default (credentials, "token", NULL);
  params.region = json_object_get_string_member (context, "region");
  params.service = json_object_get_string_member (context, "service");
  params.time = time;
  /* The suite's "normalize": false is S3's rule: no normalising, one encoding. */
  if (!json_object_get_boolean_member_with_default (context, "normalize", TRUE))
    params.flags |= TESSERA_SIGV4_S3_URI;
  if (json_object_get_boolean_member_with_default (context, "sign_body", FALSE))
    params.flags |= TESSERA_SIGV4_SIGN_BODY;
  if (json_object_get_boolean_member_with_default (context, "omit_session_token", FALSE))
    params.flags |= TESSERA_SIGV4_OMIT_SESSION_TOKEN;

  parsed = parse_request (request_text);
  request = build_request (parsed);

  /* Signing with headers. */
  header_result = tessera_sigv4_sign (request, &params);
  g_assert_nonnull (header_result);
  expect_file (dir, "header-canonical-request.txt", header_result->canonical_request);
  expect_file (dir, "header-string-to-sign.txt", header_result->string_to_sign);
  expect_file (dir, "header-signature.txt", header_result->signature);

  signed_request = g_string_new (NULL);
  g_string_append_printf (signed_request, "%s %s %s\n", parsed->method, parsed->target,
                          parsed->version);
  for (guint i = 0; i < parsed->header_lines->len; i++)
    g_string_append_printf (signed_request, "%s\n",
                            (char *) g_ptr_array_index (parsed->header_lines, i));
  if (header_result->security_token != NULL)
    g_string_append_printf (signed_request, "X-Amz-Security-Token:%s\n",
                            header_result->security_token);
  g_string_append_printf (signed_request, "X-Amz-Date:%s\n", header_result->amz_date);
  if (header_result->content_sha256 != NULL)
    g_string_append_printf (signed_request, "x-amz-content-sha256:%s\n",
                            header_result->content_sha256);
  g_string_append_printf (signed_request, "Authorization:%s\n\n%s",
                          header_result->authorization, parsed->body);
  expect_file (dir, "header-signed-request.txt", signed_request->str);

  /* Pre-signing, with the same request. */
  query_result = tessera_sigv4_presign (request, &params,
                                        json_object_get_int_member (context,
                                                                    "expiration_in_seconds"));
  g_assert_nonnull (query_result);
  g_assert_null (query_result->authorization);
  expect_file (dir, "query-canonical-request.txt", query_result->canonical_request);
  expect_file (dir, "query-string-to-sign.txt", query_result->string_to_sign);
  expect_file (dir, "query-signature.txt", query_result->signature);

  g_string_truncate (signed_request, 0);
  g_string_append_printf (signed_request, "%s %s?%s %s\n", parsed->method, parsed->path,
                          query_result->query, parsed->version);
  for (guint i = 0; i < parsed->header_lines->len; i++)
    g_string_append_printf (signed_request, "%s\n",
                            (char *) g_ptr_array_index (parsed->header_lines, i));
  g_string_append_printf (signed_request, "\n%s", parsed->body);
  expect_file (dir, "query-signed-request.txt", signed_request->str);

  if (!g_test_failed ())
    cases_passed++;
}

static void
test_report (void)
{
  g_test_message ("AWS SigV4 suite: %u cases passed, %u expected files matched",
                  cases_passed, expectations_checked);
  g_print ("# AWS SigV4 suite: %u cases passed, %u expected files matched\n",
           cases_passed, expectations_checked);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
test_suite_absent (void)
{
  g_test_skip ("TESSERA_SHARED_DIR/testdata/aws-sigv4/v4 is absent");
}

int
main (int   argc,
      char *argv[])
{
  const char *shared = g_getenv ("TESSERA_SHARED_DIR");
  g_autofree char *suite = NULL;
  g_autoptr(GPtrArray) cases = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_test_init (&argc, &argv, NULL);
  /* Go through every case even when one fails, so the report counts them. */
  g_test_set_nonfatal_assertions ();

  suite = g_build_filename (shared != NULL ? shared : "../shared", "testdata", "aws-sigv4", "v4",
                            NULL);
  dir = g_dir_open (suite, 0, NULL);

  if (dir == NULL)
    {
      g_test_add_func ("/sigv4/vectors/absent", test_suite_absent);
      return g_test_run ();
    }

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *case_dir = g_build_filename (suite, name, NULL);
      g_autofree char *request = g_build_filename (case_dir, "request.txt", NULL);

      if (g_file_test (request, G_FILE_TEST_EXISTS))
        g_ptr_array_add (cases, g_steal_pointer (&case_dir));
    }

  g_ptr_array_sort (cases, compare_paths);

  for (guint i = 0; i < cases->len; i++)
    {
      const char *case_dir = g_ptr_array_index (cases, i);
      g_autofree char *base = g_path_get_basename (case_dir);
      g_autofree char *path = g_strdup_printf ("/sigv4/vectors/%s", base);

      g_test_add_data_func (path, case_dir, test_vector);
    }

  g_test_add_func ("/sigv4/vectors/~report", test_report);

  return g_test_run ();
}
