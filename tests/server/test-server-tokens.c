/* test-server-tokens.c: bearer tokens, refresh, sign-out, JWKS, rate limits
 *
 * Forged tokens are made here with OpenSSL, as an attacker would: a token
 * signed by another RSA key, `alg:none`, and HS256 keyed with the server's
 * own public key (the classic algorithm-confusion attack).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-server-tokens"

#include "config.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "tessera-test-server.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM, OSSL_PARAM_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

#define REALM "Bearer realm=\"tessera\""

/* JWT pieces */

static char *
b64url_encode (const guint8 *data,
               gsize         length)
{
  char *text = g_base64_encode (data, length);
  char *end;

  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  if ((end = strchr (text, '=')) != NULL)
    *end = '\0';
  return text;
}

static guint8 *
b64url_decode (const char *text,
               gsize      *length)
{
  g_autoptr(GString) b64 = g_string_new (text);

  for (gsize i = 0; i < b64->len; i++)
    {
      if (b64->str[i] == '-')
        b64->str[i] = '+';
      else if (b64->str[i] == '_')
        b64->str[i] = '/';
    }
  while (b64->len % 4 != 0)
    g_string_append_c (b64, '=');
  return g_base64_decode (b64->str, length);
}

static JsonObject *
jwt_dup_header (const char *token)
{
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree guint8 *header = NULL;
  gsize length = 0;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  header = b64url_decode (parts[0], &length);
  g_assert_true (json_parser_load_from_data (parser, (const char *) header, length, NULL));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static char *
json_object_to_b64url (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  g_autofree char *text = json_to_string (node, FALSE);

  return b64url_encode ((const guint8 *) text, strlen (text));
}

/* "header.payload" of @token, with the header's alg set to @alg. */
static char *
signing_input_with_alg (const char *token,
                        const char *alg)
{
  g_autoptr(JsonObject) header = jwt_dup_header (token);
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree char *encoded = NULL;

  json_object_set_string_member (header, "alg", alg);
  encoded = json_object_to_b64url (header);
  return g_strconcat (encoded, ".", parts[1], NULL);
}

static char *
rs256_sign (EVP_PKEY   *key,
            const char *input)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  g_autofree guint8 *signature = NULL;
  size_t length = 0;

  g_assert_cmpint (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
  g_assert_cmpint (EVP_DigestSign (ctx, NULL, &length, (const guint8 *) input, strlen (input)),
                   ==, 1);
  signature = g_malloc (length);
  g_assert_cmpint (EVP_DigestSign (ctx, signature, &length, (const guint8 *) input,
                                   strlen (input)), ==, 1);
  return b64url_encode (signature, length);
}

static gboolean
rs256_verify (EVP_PKEY   *key,
              const char *token)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  const char *dot = strrchr (token, '.');
  g_autofree guint8 *signature = NULL;
  gsize length = 0;

  g_assert_nonnull (dot);
  signature = b64url_decode (dot + 1, &length);
  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
  return EVP_DigestVerify (ctx, signature, length, (const guint8 *) token, dot - token) == 1;
}

/* The RSA public key of the JWKS entry with @kid, built from its n and e. */
static EVP_PKEY *
jwks_key (TesseraTestServer *server,
          const char        *kid)
{
  g_autoptr(TesseraTestResponse) jwks = NULL;
  g_autoptr(OSSL_PARAM_BLD) bld = OSSL_PARAM_BLD_new ();
  g_autoptr(OSSL_PARAM) params = NULL;
  g_autoptr(EVP_PKEY_CTX) ctx = NULL;
  g_autoptr(BIGNUM) n = NULL;
  g_autoptr(BIGNUM) e = NULL;
  g_autofree guint8 *n_bytes = NULL;
  g_autofree guint8 *e_bytes = NULL;
  gsize n_len = 0, e_len = 0;
  EVP_PKEY *key = NULL;
  JsonObject *jwk = NULL;
  JsonArray *keys;

  jwks = tessera_test_server_request (server, "GET", "/.well-known/jwks.json", NULL, NULL);
  g_assert_cmpuint (jwks->status, ==, 200);
  keys = json_object_get_array_member (tessera_test_response_get_object (jwks), "keys");
  g_assert_nonnull (keys);
  for (guint i = 0; i < json_array_get_length (keys); i++)
    {
      JsonObject *candidate = json_array_get_object_element (keys, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (candidate, "kid", NULL),
                     kid) == 0)
        jwk = candidate;
    }
  g_assert_nonnull (jwk);
  g_assert_cmpstr (json_object_get_string_member (jwk, "kty"), ==, "RSA");
  g_assert_cmpstr (json_object_get_string_member_with_default (jwk, "alg", "RS256"), ==,
                   "RS256");
  g_assert_false (json_object_has_member (jwk, "d"));   /* never the private part */

  n_bytes = b64url_decode (json_object_get_string_member (jwk, "n"), &n_len);
  e_bytes = b64url_decode (json_object_get_string_member (jwk, "e"), &e_len);
  n = BN_bin2bn (n_bytes, n_len, NULL);
  e = BN_bin2bn (e_bytes, e_len, NULL);
  g_assert_cmpint (BN_num_bits (n), >=, 2048);

  OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, e);
  params = OSSL_PARAM_BLD_to_param (bld);
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  g_assert_cmpint (EVP_PKEY_fromdata_init (ctx), ==, 1);
  g_assert_cmpint (EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params), ==, 1);
  return key;
}

static char *
pem_public_key (EVP_PKEY *key)
{
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  char *data = NULL;
  long length;

  g_assert_cmpint (PEM_write_bio_PUBKEY (bio, key), ==, 1);
  length = BIO_get_mem_data (bio, &data);
  return g_strndup (data, length);
}

static char *
hs256_sign (const char *secret,
            gsize       secret_length,
            const char *input)
{
  g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secret,
                                      secret_length);
  guint8 digest[32];
  gsize length = sizeof digest;

  g_hmac_update (hmac, (const guchar *) input, -1);
  g_hmac_get_digest (hmac, digest, &length);
  return b64url_encode (digest, length);
}

/* Requests */

static void
assert_unauthorized (TesseraTestResponse *r)
{
  const char *challenge = tessera_test_response_get_header (r, "WWW-Authenticate");

  g_assert_cmpuint (r->status, ==, 401);
  g_assert_nonnull (challenge);
  g_assert_true (g_str_has_prefix (challenge, REALM));
  g_assert_nonnull (tessera_test_response_get_string (r, "message"));
  g_assert_cmpstr (tessera_test_response_get_header (r, "Access-Control-Allow-Origin"), ==,
                   "*");
}

static guint
images_status (TesseraTestServer *server,
               const char        *authorization)
{
  g_autoptr(TesseraTestResponse) r = tessera_test_server_request (server, "GET", "/images",
                                                                  authorization, NULL);
  if (r->status == 401)
    assert_unauthorized (r);
  return r->status;
}

static void
assert_token_refused (TesseraTestServer *server,
                      const char        *token)
{
  g_autofree char *bearer = g_strconcat ("Bearer ", token, NULL);

  g_assert_cmpuint (images_status (server, bearer), ==, 401);
  /* nor as a bare token */
  g_assert_cmpuint (images_status (server, token), ==, 401);
}

static char *
refresh_body (const char *refresh_token)
{
  return g_strdup_printf ("{\"refreshToken\":\"%s\"}", refresh_token);
}

/* Tests */

static void
test_missing (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  struct { const char *method, *path, *body; } routes[] = {
    { "GET", "/images", NULL },
    { "POST", "/images", "{}" },
    { "GET", "/images/00000000-0000-4000-8000-000000000000", NULL },
    { "PATCH", "/images/00000000-0000-4000-8000-000000000000", "{\"addTags\":[\"a\"]}" },
    { "DELETE", "/images/00000000-0000-4000-8000-000000000000", NULL },
    { "POST", "/images/00000000-0000-4000-8000-000000000000/restore", NULL },
    { "GET", "/tags", NULL },
    { "POST", "/signout", "{\"refreshToken\":\"x\"}" },
  };

  g_test_summary ("Every protected route without a token answers 401 with "
                  "WWW-Authenticate: Bearer realm=\"tessera\" and a JSON message");

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_autoptr(TesseraTestResponse) r =
        tessera_test_server_request (server, routes[i].method, routes[i].path, NULL,
                                     routes[i].body);
      g_test_message ("%s %s -> %u", routes[i].method, routes[i].path, r->status);
      assert_unauthorized (r);
    }
}

static void
test_malformed (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(TesseraTestUser) bob = tessera_test_server_new_user (server, "bob");
  g_auto(GStrv) parts = g_strsplit (alice->token, ".", -1);
  g_auto(GStrv) bob_parts = g_strsplit (bob->token, ".", -1);
  g_autofree char *flipped = g_strdup (alice->token);
  g_autofree char *swapped = g_strdup_printf ("%s.%s.%s", parts[0], bob_parts[1], parts[2]);
  g_autofree char *two_parts = g_strdup_printf ("%s.%s", parts[0], parts[1]);
  g_autofree char *basic = g_strdup_printf ("Basic %s", "YWxpY2U6cGFzc3dvcmQ=");
  g_autofree char *twice = g_strdup_printf ("Bearer Bearer %s", alice->token);
  const char *values[] = {
    "Bearer", "Bearer ", "Bearer abc", "Bearer a.b.c", "Bearer ...", "Bearer !!!.###.$$$",
    basic, twice,
  };
  gsize last = strlen (flipped) - 2;

  g_test_summary ("Malformed Authorization headers (empty, not a JWT, not base64url, "
                  "Basic, a flipped signature character, another user's payload under "
                  "this signature, a JWT missing its signature) all answer 401");

  /* change one character of the signature (not the last, whose low bits may be padding) */
  flipped[last] = flipped[last] == 'A' ? 'B' : 'A';

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    g_assert_cmpuint (images_status (server, values[i]), ==, 401);
  assert_token_refused (server, flipped);
  assert_token_refused (server, swapped);
  assert_token_refused (server, two_parts);

  /* and the real one still works */
  {
    g_autofree char *bearer = g_strconcat ("Bearer ", alice->token, NULL);
    g_assert_cmpuint (images_status (server, bearer), ==, 200);
  }
}

static void
test_bare_token (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");

  g_test_summary ("A bare token (no Bearer scheme) is accepted, as API Gateway's Cognito "
                  "authorizer accepts it");

  g_assert_cmpuint (images_status (server, alice->token), ==, 200);
}

static void
test_expired (void)
{
  g_autoptr(TesseraTestServer) server =
    tessera_test_server_new_started ("[tokens]\nid-token-lifetime=3\n");
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(JsonObject) claims = tessera_test_jwt_dup_payload (alice->token);
  g_autofree char *bearer = g_strconcat ("Bearer ", alice->token, NULL);

  g_test_summary ("With id-token-lifetime=3 a token works at once and answers 401 once "
                  "it has expired; exp - iat is the configured lifetime");

  g_assert_cmpint (json_object_get_int_member (claims, "exp") -
                   json_object_get_int_member (claims, "iat"), ==, 3);
  g_assert_cmpuint (images_status (server, bearer), ==, 200);
  g_usleep (4500 * 1000);
  g_assert_cmpuint (images_status (server, bearer), ==, 401);

  /* signing in again gives a working one */
  g_assert_cmpuint (tessera_test_server_sign_in (server, alice), ==, 201);
  g_assert_cmpuint (images_status (server, alice->token), ==, 200);
}

static void
test_wrong_key (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(EVP_PKEY) forger = EVP_RSA_gen (2048);
  g_autofree char *input = signing_input_with_alg (alice->token, "RS256");
  g_autofree char *signature = rs256_sign (forger, input);
  g_autofree char *forged = g_strconcat (input, ".", signature, NULL);

  g_test_summary ("The same header (kid included) and claims signed RS256 with another "
                  "RSA key answer 401");

  g_assert_nonnull (forger);
  assert_token_refused (server, forged);
}

static void
test_alg_none (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  const char *algs[] = { "none", "None", "NONE" };

  g_test_summary ("alg:none tokens (with and without the trailing dot, any case) answer 401");

  for (guint i = 0; i < G_N_ELEMENTS (algs); i++)
    {
      g_autofree char *input = signing_input_with_alg (alice->token, algs[i]);
      g_autofree char *unsigned_token = g_strconcat (input, ".", NULL);
      g_auto(GStrv) parts = g_strsplit (alice->token, ".", -1);
      g_autofree char *kept_signature = g_strconcat (input, ".", parts[2], NULL);

      assert_token_refused (server, unsigned_token);
      assert_token_refused (server, input);
      assert_token_refused (server, kept_signature);
    }
}

static void
test_hs256_public_key (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(JsonObject) header = jwt_dup_header (alice->token);
  g_autoptr(EVP_PKEY) key = jwks_key (server, json_object_get_string_member (header, "kid"));
  g_autofree char *pem = pem_public_key (key);
  g_autofree char *input = signing_input_with_alg (alice->token, "HS256");
  g_autofree guint8 *der = NULL;
  int der_len;

  g_test_summary ("HS256 tokens keyed with the server's own public key (PEM, PEM without "
                  "its final newline, DER) answer 401: no algorithm confusion");

  {
    g_autofree char *signature = hs256_sign (pem, strlen (pem), input);
    g_autofree char *forged = g_strconcat (input, ".", signature, NULL);
    assert_token_refused (server, forged);
  }
  {
    g_autofree char *signature = hs256_sign (pem, strlen (pem) - 1, input);
    g_autofree char *forged = g_strconcat (input, ".", signature, NULL);
    assert_token_refused (server, forged);
  }

  der_len = i2d_PUBKEY (key, NULL);
  g_assert_cmpint (der_len, >, 0);
  der = g_malloc (der_len);
  {
    guint8 *p = der;
    g_assert_cmpint (i2d_PUBKEY (key, &p), ==, der_len);
  }
  {
    g_autofree char *signature = hs256_sign ((const char *) der, der_len, input);
    g_autofree char *forged = g_strconcat (input, ".", signature, NULL);
    assert_token_refused (server, forged);
  }
}

static void
test_claims_and_jwks (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(JsonObject) header = jwt_dup_header (alice->token);
  g_autoptr(JsonObject) claims = tessera_test_jwt_dup_payload (alice->token);
  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(TesseraTestResponse) jwks = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *other_payload = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_test_summary ("The token carries Cognito's claims and is RS256: verifying its signature "
                  "with OpenSSL against the JWKS key (n, e) succeeds, and fails once a claim "
                  "is changed; the JWKS needs no token and has CORS");

  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "RS256");
  g_assert_true (json_object_has_member (header, "kid"));

  g_assert_cmpstr (json_object_get_string_member (claims, "cognito:username"), ==, "alice");
  g_assert_true (g_uuid_string_is_valid (json_object_get_string_member (claims, "sub")));
  g_assert_true (json_object_has_member (claims, "token_use"));
  g_assert_true (json_object_has_member (claims, "aud"));
  g_assert_true (json_object_has_member (claims, "iss"));
  g_assert_cmpint (json_object_get_int_member (claims, "iat"), <=, now + 5);
  g_assert_cmpint (json_object_get_int_member (claims, "iat"), >=, now - 60);
  g_assert_cmpint (json_object_get_int_member (claims, "exp") -
                   json_object_get_int_member (claims, "iat"), ==, 3600);

  jwks = tessera_test_server_request (server, "GET", "/.well-known/jwks.json", NULL, NULL);
  g_assert_cmpuint (jwks->status, ==, 200);
  g_assert_cmpstr (tessera_test_response_get_header (jwks, "Access-Control-Allow-Origin"), ==,
                   "*");

  key = jwks_key (server, json_object_get_string_member (header, "kid"));
  g_assert_true (rs256_verify (key, alice->token));

  /* the same signature over different claims must not verify: the check can fail */
  parts = g_strsplit (alice->token, ".", -1);
  json_object_set_string_member (claims, "cognito:username", "mallory");
  other_payload = json_object_to_b64url (claims);
  tampered = g_strdup_printf ("%s.%s.%s", parts[0], other_payload, parts[2]);
  g_assert_false (rs256_verify (key, tampered));
  assert_token_refused (server, tampered);
}

static void
test_restart_new_port (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(JsonObject) claims = tessera_test_jwt_dup_payload (alice->token);
  g_autoptr(TesseraTestResponse) before = NULL;
  g_autoptr(TesseraTestResponse) after = NULL;
  g_autoptr(TesseraTestResponse) refreshed = NULL;
  g_autofree char *old_url = NULL;
  g_autofree char *issuer = NULL;
  g_autofree char *body = NULL;

  g_test_summary ("Without a public URL the issuer is generated once and kept in the "
                  "configuration: a restart on another port (the app's \"This computer\" "
                  "mode) keeps the ID and refresh tokens valid");

  issuer = tessera_test_server_dup_config (server, "tokens", "issuer");
  g_assert_nonnull (issuer);
  g_assert_true (g_str_has_prefix (issuer, "urn:tessera:"));
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, issuer);

  before = tessera_test_server_call (server, "GET", "/images", alice->token, NULL);
  g_assert_cmpuint (before->status, ==, 200);

  old_url = g_strdup (tessera_test_server_get_url (server));
  tessera_test_server_restart_on_new_port (server);
  g_assert_cmpstr (tessera_test_server_get_url (server), !=, old_url);

  after = tessera_test_server_call (server, "GET", "/images", alice->token, NULL);
  g_assert_cmpuint (after->status, ==, 200);

  body = refresh_body (alice->refresh_token);
  refreshed = tessera_test_server_request (server, "POST", "/refresh", NULL, body);
  g_assert_cmpuint (refreshed->status, ==, 201);
  g_assert_nonnull (tessera_test_response_get_string (refreshed, "token"));
  g_clear_pointer (&claims, json_object_unref);
  claims = tessera_test_jwt_dup_payload (tessera_test_response_get_string (refreshed, "token"));
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, issuer);

  /* a public URL, when configured, is the issuer */
  tessera_test_server_stop (server);
  tessera_test_server_set_config (server, "server", "public-url", "http://gallery.example");
  g_assert_true (tessera_test_server_start (server, NULL));
  g_clear_pointer (&after, tessera_test_response_free);
  after = tessera_test_server_call (server, "GET", "/images", alice->token, NULL);
  g_assert_cmpuint (after->status, ==, 401);
  g_assert_cmpuint (tessera_test_server_sign_in (server, alice), ==, 201);
  g_clear_pointer (&claims, json_object_unref);
  claims = tessera_test_jwt_dup_payload (alice->token);
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, "http://gallery.example");
}

static void
test_refresh_rotation (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autofree char *first = g_strdup (alice->refresh_token);
  g_autofree char *body = refresh_body (first);
  g_autoptr(TesseraTestResponse) refreshed = NULL;
  g_autoptr(TesseraTestResponse) reused = NULL;
  g_autoptr(TesseraTestResponse) garbage = NULL;
  g_autoptr(JsonObject) claims = NULL;
  const char *token, *second;

  g_test_summary ("POST /refresh gives a new working token and a new refresh token; the "
                  "old refresh token is then refused (rotation), and so is garbage");

  refreshed = tessera_test_server_request (server, "POST", "/refresh", NULL, body);
  g_assert_cmpuint (refreshed->status, ==, 201);
  token = tessera_test_response_get_string (refreshed, "token");
  second = tessera_test_response_get_string (refreshed, "refreshToken");
  g_assert_nonnull (token);
  g_assert_nonnull (second);
  g_assert_cmpstr (second, !=, first);
  g_assert_cmpint (json_object_get_int_member (tessera_test_response_get_object (refreshed),
                                               "expiresIn"), ==, 3600);
  claims = tessera_test_jwt_dup_payload (token);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, alice->sub);
  g_assert_cmpuint (images_status (server, token), ==, 200);

  reused = tessera_test_server_request (server, "POST", "/refresh", NULL, body);
  g_assert_cmpuint (reused->status, ==, 401);
  g_assert_nonnull (tessera_test_response_get_string (reused, "message"));

  garbage = tessera_test_server_request (server, "POST", "/refresh", NULL,
                                         "{\"refreshToken\":\"not-a-refresh-token\"}");
  g_assert_cmpuint (garbage->status, ==, 401);
}

static void
test_signout_revokes (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(TesseraTestUser) bob = tessera_test_server_new_user (server, "bob");
  g_autofree char *body = refresh_body (alice->refresh_token);
  g_autofree char *bob_body = refresh_body (bob->refresh_token);
  g_autoptr(TesseraTestResponse) out = NULL;
  g_autoptr(TesseraTestResponse) after = NULL;
  g_autoptr(TesseraTestResponse) cross = NULL;
  g_autoptr(TesseraTestResponse) bob_refresh = NULL;

  g_test_summary ("POST /signout revokes the refresh token: /refresh then answers 401; "
                  "a user cannot sign out someone else's refresh token");

  /* Alice cannot revoke Bob's refresh token (checked below: it still works) */
  cross = tessera_test_server_call (server, "POST", "/signout", alice->token, bob_body);
  g_assert_cmpuint (cross->status, <, 500);

  out = tessera_test_server_call (server, "POST", "/signout", alice->token, body);
  g_assert_cmpuint (out->status, ==, 200);

  after = tessera_test_server_request (server, "POST", "/refresh", NULL, body);
  g_assert_cmpuint (after->status, ==, 401);

  bob_refresh = tessera_test_server_request (server, "POST", "/refresh", NULL, bob_body);
  g_assert_cmpuint (bob_refresh->status, ==, 201);
}

static void
test_signup_signin_errors (void)
{
  g_autoptr(TesseraTestServer) server = tessera_test_server_new_started (NULL);
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(TesseraTestResponse) again = NULL;
  g_autoptr(TesseraTestResponse) wrong = NULL;
  g_autoptr(TesseraTestResponse) unknown = NULL;

  g_test_summary ("Signing up a taken name answers 409; a wrong password and an unknown "
                  "user both answer 401 with the same message (no user enumeration)");

  again = tessera_test_server_request (server, "POST", "/signup", NULL,
                                       "{\"username\":\"alice\",\"password\":\"x-password-12\"}");
  g_assert_cmpuint (again->status, ==, 409);

  wrong = tessera_test_server_request (server, "POST", "/signin", NULL,
                                       "{\"username\":\"alice\",\"password\":\"wrong-password\"}");
  g_assert_cmpuint (wrong->status, ==, 401);
  unknown = tessera_test_server_request (server, "POST", "/signin", NULL,
                                         "{\"username\":\"nobody\",\"password\":\"wrong-pass\"}");
  g_assert_cmpuint (unknown->status, ==, 401);
  g_assert_cmpstr (tessera_test_response_get_string (wrong, "message"), ==,
                   tessera_test_response_get_string (unknown, "message"));
  g_assert_null (tessera_test_response_get_string (wrong, "token"));

  /* her password still works */
  g_assert_cmpuint (tessera_test_server_sign_in (server, alice), ==, 201);
}

static void
test_signin_rate_limit (void)
{
  g_autoptr(TesseraTestServer) server =
    tessera_test_server_new_started ("[signin]\nmax-failures=5\nwindow=300\n");
  g_autoptr(TesseraTestUser) alice = tessera_test_server_new_user (server, "alice");
  g_autoptr(TesseraTestUser) bob = tessera_test_server_new_user (server, "bob");
  g_autoptr(TesseraTestResponse) limited = NULL;
  const char *wrong = "{\"username\":\"alice\",\"password\":\"wrong-password\"}";
  const char *retry_after;

  g_test_summary ("After max-failures=5 wrong passwords the next sign-in answers 429 with "
                  "Retry-After, even with the right password; another user is not locked out");

  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(TesseraTestResponse) r = tessera_test_server_request (server, "POST", "/signin",
                                                                      NULL, wrong);
      g_assert_cmpuint (r->status, ==, 401);
    }

  limited = tessera_test_server_request (server, "POST", "/signin", NULL, wrong);
  g_assert_cmpuint (limited->status, ==, 429);
  g_assert_nonnull (tessera_test_response_get_string (limited, "message"));
  retry_after = tessera_test_response_get_header (limited, "Retry-After");
  g_assert_nonnull (retry_after);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), >, 0);
  g_assert_cmpint (g_ascii_strtoll (retry_after, NULL, 10), <=, 300);

  g_assert_cmpuint (tessera_test_server_sign_in (server, alice), ==, 429);

  g_assert_cmpuint (tessera_test_server_sign_in (server, bob), ==, 201);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/tokens/missing", test_missing);
  g_test_add_func ("/server/tokens/malformed", test_malformed);
  g_test_add_func ("/server/tokens/bare-token", test_bare_token);
  g_test_add_func ("/server/tokens/expired", test_expired);
  g_test_add_func ("/server/tokens/wrong-key", test_wrong_key);
  g_test_add_func ("/server/tokens/alg-none", test_alg_none);
  g_test_add_func ("/server/tokens/hs256-public-key", test_hs256_public_key);
  g_test_add_func ("/server/tokens/claims-and-jwks", test_claims_and_jwks);
  g_test_add_func ("/server/tokens/refresh-rotation", test_refresh_rotation);
  g_test_add_func ("/server/tokens/restart-new-port", test_restart_new_port);
  g_test_add_func ("/server/tokens/signout-revokes", test_signout_revokes);
  g_test_add_func ("/server/tokens/signup-signin-errors", test_signup_signin_errors);
  g_test_add_func ("/server/tokens/signin-rate-limit", test_signin_rate_limit);

  return g_test_run ();
}
