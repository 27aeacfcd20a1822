/* test-local-user-pool.c: the local user pool against a real SQLite database
 * in a temporary directory and real RSA keys; tokens are checked, and forged,
 * with OpenSSL directly rather than with the library that made them.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "test-local-user-pool"

#include "config.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "tessera-error.h"
#include "tessera-local-user-pool.h"
#include "tessera-util.h"

#define PASSWORD "correct horse battery"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

typedef struct
{
  char                 *dir;
  char                 *key_path;
  TesseraLocalDb       *db;
  TesseraLocalUserPool *pool;
} Fixture;

static void
init_settings (TesseraLocalUserPoolSettings *settings)
{
  tessera_local_user_pool_settings_init_defaults (settings);
  g_free (settings->issuer);
  settings->issuer = g_strdup ("http://127.0.0.1:8080");
}

static TesseraLocalUserPool *
new_pool (Fixture                            *fixture,
          const TesseraLocalUserPoolSettings *settings)
{
  g_autoptr(GError) error = NULL;
  TesseraLocalUserPool *pool;

  pool = tessera_local_user_pool_new (fixture->db, fixture->key_path, settings, &error);
  g_assert_no_error (error);
  g_assert_true (TESSERA_IS_USER_POOL (pool));

  return pool;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;

  fixture->dir = g_dir_make_tmp ("tessera-auth-XXXXXX", &error);
  g_assert_no_error (error);
  /* A directory that does not exist yet: the pool makes it. */
  fixture->key_path = g_build_filename (fixture->dir, "keys", "signing-key.pem", NULL);

  db_path = g_build_filename (fixture->dir, "tessera.db", NULL);
  fixture->db = tessera_local_db_open (db_path, &error);
  g_assert_no_error (error);

  init_settings (&settings);
  fixture->pool = new_pool (fixture, &settings);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->pool);
  g_clear_object (&fixture->db);
  remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->key_path, g_free);
}

/* Helpers */

static void
sign_up (TesseraLocalUserPool *pool,
         const char           *username)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (tessera_user_pool_sign_up (TESSERA_USER_POOL (pool), username, PASSWORD, &error));
  g_assert_no_error (error);
}

static TesseraTokens *
sign_in (TesseraLocalUserPool *pool,
         const char           *username,
         const char           *password,
         const char           *source_ip,
         gint64               *retry_after,
         GError              **error)
{
  return tessera_user_pool_initiate_auth (TESSERA_USER_POOL (pool), username, password,
                                          source_ip, retry_after, error);
}

static TesseraTokens *
sign_in_ok (TesseraLocalUserPool *pool,
            const char           *username)
{
  g_autoptr(GError) error = NULL;
  TesseraTokens *tokens = sign_in (pool, username, PASSWORD, "192.0.2.1", NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (tokens);

  return tokens;
}

static char *
verify_ok (TesseraLocalUserPool *pool,
           const char           *token)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *username = NULL;
  char *sub = NULL;

  g_assert_true (tessera_local_user_pool_verify (pool, token, &sub, &username, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_id_is_valid (sub));

  return sub;
}

static void
assert_verify_fails (TesseraLocalUserPool *pool,
                     const char           *token,
                     const char           *reason)
{
  g_autoptr(GError) error = NULL;
  char *sub = NULL;
  char *username = NULL;

  g_assert_false (tessera_local_user_pool_verify (pool, token, &sub, &username, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  g_assert_cmpuint (tessera_error_to_http_status (error), ==, 401);
  if (reason != NULL)
    g_assert_cmpstr (error->message, ==, reason);
  g_assert_null (sub);
  g_assert_null (username);
}

static JsonObject *
parse_object (const char *text,
              gssize      length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, length, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));

  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static JsonObject *
decode_part (const char *token,
             guint       index)
{
  g_auto(GStrv) parts = g_strsplit (token, ".", -1);
  g_autofree guint8 *bytes = NULL;
  gsize length = 0;

  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  bytes = tessera_base64url_decode (parts[index], &length);
  g_assert_nonnull (bytes);

  return parse_object ((const char *) bytes, length);
}

static char *
b64 (const char *text)
{
  return tessera_base64url_encode ((const guint8 *) text, strlen (text));
}

static char *
dup_kid (TesseraLocalUserPool *pool)
{
  g_autofree char *jwks = tessera_user_pool_dup_jwks (TESSERA_USER_POOL (pool), NULL);
  g_autoptr(JsonObject) set = parse_object (jwks, -1);
  JsonObject *key = json_array_get_object_element (json_object_get_array_member (set, "keys"), 0);

  return g_strdup (json_object_get_string_member (key, "kid"));
}

/* An RSA public key rebuilt from nothing but the JWKS's n and e, as any
 * other verifier would. */
static EVP_PKEY *
public_key_from_jwks (const char *jwks)
{
  g_autoptr(JsonObject) set = parse_object (jwks, -1);
  JsonArray *keys = json_object_get_array_member (set, "keys");
  JsonObject *key;
  g_autofree guint8 *n_bytes = NULL;
  g_autofree guint8 *e_bytes = NULL;
  gsize n_len = 0;
  gsize e_len = 0;
  OSSL_PARAM_BLD *bld;
  OSSL_PARAM *params;
  EVP_PKEY_CTX *ctx;
  BIGNUM *n;
  BIGNUM *e;
  EVP_PKEY *pkey = NULL;

  g_assert_cmpuint (json_array_get_length (keys), ==, 1);
  key = json_array_get_object_element (keys, 0);
  g_assert_cmpstr (json_object_get_string_member (key, "kty"), ==, "RSA");
  g_assert_cmpstr (json_object_get_string_member (key, "alg"), ==, "RS256");
  g_assert_cmpstr (json_object_get_string_member (key, "use"), ==, "sig");
  g_assert_nonnull (json_object_get_string_member (key, "kid"));

  n_bytes = tessera_base64url_decode (json_object_get_string_member (key, "n"), &n_len);
  e_bytes = tessera_base64url_decode (json_object_get_string_member (key, "e"), &e_len);
  g_assert_nonnull (n_bytes);
  g_assert_nonnull (e_bytes);
  /* Big-endian, no leading zero byte: a 2048-bit modulus is 256 bytes. */
  g_assert_cmpuint (n_len, ==, 256);
  g_assert_cmphex (n_bytes[0] & 0x80, ==, 0x80);

  n = BN_bin2bn (n_bytes, n_len, NULL);
  e = BN_bin2bn (e_bytes, e_len, NULL);
  bld = OSSL_PARAM_BLD_new ();
  OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_N, n);
  OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_RSA_E, e);
  params = OSSL_PARAM_BLD_to_param (bld);
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
  g_assert_cmpint (EVP_PKEY_fromdata_init (ctx), ==, 1);
  g_assert_cmpint (EVP_PKEY_fromdata (ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), ==, 1);

  EVP_PKEY_CTX_free (ctx);
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (bld);
  BN_free (n);
  BN_free (e);

  return pkey;
}

static gboolean
rs256_verify (EVP_PKEY   *pkey,
              const char *token)
{
  g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  g_autofree guint8 *signature = NULL;
  const char *last_dot = strrchr (token, '.');
  gsize signature_len = 0;

  g_assert_nonnull (last_dot);
  signature = tessera_base64url_decode (last_dot + 1, &signature_len);
  g_assert_nonnull (signature);

  g_assert_cmpint (EVP_DigestVerifyInit (ctx, NULL, EVP_sha256 (), NULL, pkey), ==, 1);
  return EVP_DigestVerify (ctx, signature, signature_len,
                           (const guint8 *) token, last_dot - token) == 1;
}

static EVP_PKEY *
read_private_key (const char *path)
{
  g_autofree char *pem = NULL;
  g_autoptr(BIO) bio = NULL;
  gsize length = 0;

  g_assert_true (g_file_get_contents (path, &pem, &length, NULL));
  bio = BIO_new_mem_buf (pem, length);
  return PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
}

/* Makes header.payload.signature by hand: RS256 with @key, HS256 with
 * @secret, or no signature at all for "none". */
static char *
forge (const char   *header_json,
       const char   *claims_json,
       const char   *alg,
       EVP_PKEY     *key,
       const guint8 *secret,
       gsize         secret_len)
{
  g_autofree char *header = b64 (header_json);
  g_autofree char *claims = b64 (claims_json);
  g_autofree char *input = g_strdup_printf ("%s.%s", header, claims);
  g_autofree char *signature = NULL;

  if (g_str_equal (alg, "RS256"))
    {
      g_autoptr(EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
      guint8 sig[512];
      gsize sig_len = sizeof sig;

      g_assert_cmpint (EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key), ==, 1);
      g_assert_cmpint (EVP_DigestSign (ctx, sig, &sig_len, (const guint8 *) input, strlen (input)), ==, 1);
      signature = tessera_base64url_encode (sig, sig_len);
    }
  else if (g_str_equal (alg, "HS256"))
    {
      g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, secret, secret_len);
      guint8 mac[32];
      gsize mac_len = sizeof mac;

      g_hmac_update (hmac, (const guint8 *) input, strlen (input));
      g_hmac_get_digest (hmac, mac, &mac_len);
      signature = tessera_base64url_encode (mac, mac_len);
    }
  else
    signature = g_strdup ("");

  return g_strdup_printf ("%s.%s", input, signature);
}

static char *
claims_json (const char *sub,
             const char *token_use,
             const char *iss,
             const char *aud,
             gint64      iat,
             gint64      exp)
{
  return g_strdup_printf ("{\"sub\":\"%s\",\"cognito:username\":\"alice\",\"token_use\":\"%s\","
                          "\"iss\":\"%s\",\"aud\":\"%s\",\"iat\":%" G_GINT64_FORMAT ","
                          "\"exp\":%" G_GINT64_FORMAT ",\"auth_time\":%" G_GINT64_FORMAT "}",
                          sub, token_use, iss, aud, iat, exp, iat);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Tests */

static void
test_sign_up_and_in (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(TesseraTokens) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *sub_again = NULL;
  g_autofree char *username = NULL;

  sign_up (fixture->pool, "Alice");

  /* Names are case-insensitive, as Cognito's are by default. */
  tokens = sign_in_ok (fixture->pool, "aLICE");
  g_assert_cmpint (tokens->expires_in, ==, 3600);
  g_assert_cmpuint (strlen (tokens->refresh_token), ==, 43);

  g_assert_true (tessera_local_user_pool_verify (fixture->pool, tokens->token, &sub, &username, &error));
  g_assert_no_error (error);
  g_assert_true (tessera_id_is_valid (sub));
  g_assert_cmpstr (username, ==, "alice");

  /* Each sign-in is a new session with its own refresh token, same user. */
  again = sign_in_ok (fixture->pool, "alice");
  g_assert_cmpstr (again->refresh_token, !=, tokens->refresh_token);
  sub_again = verify_ok (fixture->pool, again->token);
  g_assert_cmpstr (sub_again, ==, sub);
}

static void
test_wrong_password (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) wrong_password = NULL;
  g_autoptr(GError) unknown_user = NULL;
  g_autoptr(GError) invalid_name = NULL;
  gint64 retry_after = -1;

  sign_up (fixture->pool, "alice");

  g_assert_null (sign_in (fixture->pool, "alice", "not the password", NULL, &retry_after, &wrong_password));
  g_assert_null (sign_in (fixture->pool, "mallory", PASSWORD, NULL, &retry_after, &unknown_user));
  g_assert_null (sign_in (fixture->pool, " bad\tname", PASSWORD, NULL, &retry_after, &invalid_name));

  /* One answer for all three: the pool does not tell which names exist. */
  g_assert_error (wrong_password, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  g_assert_error (unknown_user, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  g_assert_error (invalid_name, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (wrong_password->message, ==, unknown_user->message);
  g_assert_cmpstr (wrong_password->message, ==, invalid_name->message);
  g_assert_cmpint (retry_after, ==, 0);
}

static void
test_unknown_user_costs_a_hash (Fixture       *fixture,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 start;
  gint64 unknown_us;
  gint64 known_us;

  sign_up (fixture->pool, "alice");

  /* An unknown name must not answer measurably faster than a wrong
   * password: both verify an Argon2id hash (tens of milliseconds). */
  start = g_get_monotonic_time ();
  g_assert_null (sign_in (fixture->pool, "nobody", PASSWORD, NULL, NULL, &error));
  unknown_us = g_get_monotonic_time () - start;
  g_clear_error (&error);

  start = g_get_monotonic_time ();
  g_assert_null (sign_in (fixture->pool, "alice", "wrong password", NULL, NULL, &error));
  known_us = g_get_monotonic_time () - start;

  g_test_message ("unknown user: %" G_GINT64_FORMAT " us, wrong password: %" G_GINT64_FORMAT " us",
                  unknown_us, known_us);
  g_assert_cmpint (unknown_us, >, known_us / 2);
  g_assert_cmpint (unknown_us, >, 5000);
}

static void
assert_sign_up_fails (TesseraLocalUserPool *pool,
                      const char           *username,
                      const char           *password,
                      gint                  code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (tessera_user_pool_sign_up (TESSERA_USER_POOL (pool), username, password, &error));
  g_assert_error (error, TESSERA_ERROR, code);
  g_test_message ("refused: %s", error->message);
}

static void
test_duplicate (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  sign_up (fixture->pool, "Bob");
  assert_sign_up_fails (fixture->pool, "Bob", PASSWORD, TESSERA_ERROR_CONFLICT);
  assert_sign_up_fails (fixture->pool, "bob", "another password", TESSERA_ERROR_CONFLICT);
  assert_sign_up_fails (fixture->pool, "BOB", PASSWORD, TESSERA_ERROR_CONFLICT);

  /* Full case folding, and the composed and decomposed forms of a letter. */
  sign_up (fixture->pool, "Stra\xc3\x9f" "e");
  assert_sign_up_fails (fixture->pool, "STRASSE", PASSWORD, TESSERA_ERROR_CONFLICT);
  sign_up (fixture->pool, "Ren\xc3\xa9");
  assert_sign_up_fails (fixture->pool, "RENE\xcc\x81", PASSWORD, TESSERA_ERROR_CONFLICT);

  g_assert_false (tessera_user_pool_sign_up (TESSERA_USER_POOL (fixture->pool), "bob", PASSWORD, &error));
  g_assert_cmpstr (error->message, ==, "User already exists");
  g_assert_cmpuint (tessera_error_to_http_status (error), ==, 409);

  /* The first account is untouched by the attempts. */
  g_autoptr(TesseraTokens) tokens = sign_in_ok (fixture->pool, "bob");
  g_autoptr(TesseraTokens) tokens2 = sign_in_ok (fixture->pool, "STRASSE");
  g_autoptr(TesseraTokens) tokens3 = sign_in_ok (fixture->pool, "rene\xcc\x81");
}

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *long_name = g_strnfill (129, 'a');
  g_autofree char *max_name = g_strnfill (128, 'a');
  g_autofree char *long_password = g_strnfill (257, 'p');
  g_autofree char *max_password = g_strnfill (256, 'p');

  assert_sign_up_fails (fixture->pool, "carol", "short77", TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "carol", "", TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "carol", long_password, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "carol", "pass\xff\xfeword", TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, long_name, PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, " carol", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "carol\n", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "carol\xc2\xa0", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "car\tol", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "car\x7fol", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "car\xe2\x80\x8bol", PASSWORD, TESSERA_ERROR_INVALID);
  assert_sign_up_fails (fixture->pool, "car\xc0\xafol", PASSWORD, TESSERA_ERROR_INVALID);

  /* Nothing was created by the refusals. */
  {
    g_autoptr(GError) error = NULL;

    g_assert_null (sign_in (fixture->pool, "carol", "short77", NULL, NULL, &error));
    g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  }

  /* The limits themselves are allowed; so are spaces inside a name, and the
   * minimum counts characters, not bytes. */
  sign_up (fixture->pool, max_name);
  g_assert_true (tessera_user_pool_sign_up (TESSERA_USER_POOL (fixture->pool), "carol", max_password, NULL));
  sign_up (fixture->pool, "Carol Ann");
  g_assert_true (tessera_user_pool_sign_up (TESSERA_USER_POOL (fixture->pool), "\xe5\xbc\xb5\xe4\xb8\x89",
                                            "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL));
  assert_sign_up_fails (fixture->pool, "dan", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
                        TESSERA_ERROR_INVALID);

  {
    g_autoptr(TesseraTokens) tokens = NULL;
    g_autoptr(GError) error = NULL;

    tokens = sign_in (fixture->pool, "CAROL", max_password, NULL, NULL, &error);
    g_assert_no_error (error);
  }
}

static void
test_claims (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(JsonObject) header = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *kid = dup_kid (fixture->pool);
  g_autofree char *sub = NULL;
  gint64 before = now_s ();
  gint64 iat;

  sign_up (fixture->pool, "Alice");
  tokens = sign_in_ok (fixture->pool, "alice");
  sub = verify_ok (fixture->pool, tokens->token);

  header = decode_part (tokens->token, 0);
  g_assert_cmpstr (json_object_get_string_member (header, "alg"), ==, "RS256");
  g_assert_cmpstr (json_object_get_string_member (header, "kid"), ==, kid);
  g_assert_cmpstr (json_object_get_string_member (header, "typ"), ==, "JWT");

  claims = decode_part (tokens->token, 1);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, sub);
  g_assert_cmpstr (json_object_get_string_member (claims, "cognito:username"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (claims, "token_use"), ==, "id");
  g_assert_cmpstr (json_object_get_string_member (claims, "aud"), ==, "tessera");
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, "http://127.0.0.1:8080");
  g_assert_false (json_object_get_boolean_member (claims, "email_verified"));
  iat = json_object_get_int_member (claims, "iat");
  g_assert_cmpint (iat, >=, before);
  g_assert_cmpint (iat, <=, now_s ());
  g_assert_cmpint (json_object_get_int_member (claims, "exp"), ==, iat + 3600);
  g_assert_cmpint (json_object_get_int_member (claims, "auth_time"), >=, before);
  g_assert_cmpint (json_object_get_int_member (claims, "auth_time"), <=, iat);
  /* Never anything secret in a token anyone can read. */
  g_assert_false (json_object_has_member (claims, "password"));
  g_assert_null (strstr (tokens->token, tokens->refresh_token));
}

static void
test_jwks_verifies_independently (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(EVP_PKEY) pkey = NULL;
  g_autofree char *jwks = NULL;
  g_autofree char *tampered = NULL;
  g_autofree char *payload = NULL;
  g_auto(GStrv) parts = NULL;

  sign_up (fixture->pool, "alice");
  tokens = sign_in_ok (fixture->pool, "alice");

  jwks = tessera_user_pool_dup_jwks (TESSERA_USER_POOL (fixture->pool), NULL);
  pkey = public_key_from_jwks (jwks);
  g_assert_true (rs256_verify (pkey, tokens->token));

  /* The same signature over another payload does not verify, for OpenSSL
   * and for the pool. */
  parts = g_strsplit (tokens->token, ".", -1);
  payload = b64 ("{\"sub\":\"00000000-0000-4000-8000-000000000000\",\"token_use\":\"id\"}");
  tampered = g_strdup_printf ("%s.%s.%s", parts[0], payload, parts[2]);
  g_assert_false (rs256_verify (pkey, tampered));
  assert_verify_fails (fixture->pool, tampered, "Invalid token signature");
}

static void
test_verify_rejects (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(EVP_PKEY) our_key = read_private_key (fixture->key_path);
  g_autoptr(EVP_PKEY) other_key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  g_autoptr(EVP_PKEY) public_key = NULL;
  g_autoptr(BIO) bio = BIO_new (BIO_s_mem ());
  g_autofree char *kid = dup_kid (fixture->pool);
  g_autofree char *jwks = NULL;
  g_autofree char *header = NULL;
  g_autofree char *good = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *token = NULL;
  g_autofree char *claims = NULL;
  const char *iss = "http://127.0.0.1:8080";
  char *public_pem = NULL;
  long public_pem_len;
  gint64 now = now_s ();

  g_assert_nonnull (our_key);
  g_assert_nonnull (other_key);

  sign_up (fixture->pool, "alice");
  tokens = sign_in_ok (fixture->pool, "alice");
  sub = verify_ok (fixture->pool, tokens->token);

  header = g_strdup_printf ("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);

  /* The forging itself works: a well-made token verifies. */
  claims = claims_json (sub, "id", iss, "tessera", now, now + 600);
  good = forge (header, claims, "RS256", our_key, NULL, 0);
  g_free (verify_ok (fixture->pool, good));

#define REJECTS(claims_expr, reason) \
  G_STMT_START { \
    g_autofree char *c_ = (claims_expr); \
    g_autofree char *t_ = forge (header, c_, "RS256", our_key, NULL, 0); \
    assert_verify_fails (fixture->pool, t_, reason); \
  } G_STMT_END

  REJECTS (claims_json (sub, "id", iss, "tessera", now - 7200, now - 3600), "Token expired");
  REJECTS (claims_json (sub, "id", iss, "tessera", now - 3600, now), "Token expired");
  REJECTS (claims_json (sub, "id", iss, "tessera", now + 3600, now + 7200), "Token not yet valid");
  REJECTS (claims_json (sub, "access", iss, "tessera", now, now + 600), "Invalid token use");
  REJECTS (claims_json (sub, "ID", iss, "tessera", now, now + 600), "Invalid token use");
  REJECTS (claims_json (sub, "id", "http://evil.example", "tessera", now, now + 600), "Invalid token issuer");
  REJECTS (claims_json (sub, "id", iss, "another-client", now, now + 600), "Invalid token audience");
  REJECTS (claims_json ("not-a-uuid", "id", iss, "tessera", now, now + 600), "Malformed token");
  REJECTS (g_strdup_printf ("{\"sub\":\"%s\",\"cognito:username\":\"alice\",\"token_use\":\"id\","
                            "\"iss\":\"%s\",\"aud\":\"tessera\",\"iat\":%" G_GINT64_FORMAT ","
                            "\"exp\":\"9999999999\"}", sub, iss, now),
           "Malformed token");
  REJECTS (g_strdup_printf ("{\"sub\":\"%s\",\"cognito:username\":\"alice\",\"token_use\":\"id\","
                            "\"iss\":\"%s\",\"aud\":\"tessera\",\"iat\":%" G_GINT64_FORMAT "}",
                            sub, iss, now),
           "Malformed token");
#undef REJECTS

  /* Signed by another key, even one claiming our kid. */
  token = forge (header, claims, "RS256", other_key, NULL, 0);
  assert_verify_fails (fixture->pool, token, "Invalid token signature");
  g_clear_pointer (&token, g_free);

  /* alg "none", in the spellings that have fooled libraries, with and
   * without a signature. */
  {
    const char *nones[] = { "none", "None", "NONE", "nOnE" };

    for (guint i = 0; i < G_N_ELEMENTS (nones); i++)
      {
        g_autofree char *h = g_strdup_printf ("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", nones[i], kid);
        g_autofree char *unsigned_token = forge (h, claims, "none", NULL, NULL, 0);
        g_autofree char *resigned = NULL;
        g_auto(GStrv) parts = g_strsplit (good, ".", -1);

        g_assert_true (g_str_has_suffix (unsigned_token, "."));
        assert_verify_fails (fixture->pool, unsigned_token, NULL);
        /* none, with our real signature left on */
        resigned = g_strdup_printf ("%s%s", unsigned_token, parts[2]);
        assert_verify_fails (fixture->pool, resigned, NULL);
      }
  }

  /* HS256 keyed with our public key, as published: the classic confusion.
   * The attacker builds the PEM from the JWKS exactly as the server would. */
  jwks = tessera_user_pool_dup_jwks (TESSERA_USER_POOL (fixture->pool), NULL);
  public_key = public_key_from_jwks (jwks);
  g_assert_cmpint (PEM_write_bio_PUBKEY (bio, public_key), ==, 1);
  public_pem_len = BIO_get_mem_data (bio, &public_pem);
  {
    const char *hs_algs[] = { "HS256", "HS384", "HS512", "RS384", "ES256", "PS256", "" };

    for (guint i = 0; i < G_N_ELEMENTS (hs_algs); i++)
      {
        g_autofree char *h = g_strdup_printf ("{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}", hs_algs[i], kid);
        g_autofree char *forged = forge (h, claims, "HS256", NULL, (const guint8 *) public_pem, public_pem_len);

        assert_verify_fails (fixture->pool, forged, "Invalid token algorithm");
      }
  }
  /* No alg at all, or not a string. */
  {
    g_autofree char *h1 = g_strdup_printf ("{\"typ\":\"JWT\",\"kid\":\"%s\"}", kid);
    g_autofree char *h2 = g_strdup_printf ("{\"alg\":[\"RS256\"],\"kid\":\"%s\"}", kid);
    g_autofree char *t1 = forge (h1, claims, "RS256", our_key, NULL, 0);
    g_autofree char *t2 = forge (h2, claims, "RS256", our_key, NULL, 0);

    assert_verify_fails (fixture->pool, t1, "Invalid token algorithm");
    assert_verify_fails (fixture->pool, t2, "Invalid token algorithm");
  }
  /* Someone else's kid. */
  {
    g_autofree char *h = g_strdup ("{\"alg\":\"RS256\",\"typ\":\"JWT\",\"kid\":\"someone-else\"}");
    g_autofree char *t = forge (h, claims, "RS256", our_key, NULL, 0);

    assert_verify_fails (fixture->pool, t, "Invalid token signature");
  }

  /* Malformed strings. */
  {
    g_autofree char *huge = g_strnfill (100000, 'a');
    g_autofree char *extra = g_strdup_printf ("%s.", good);
    g_autofree char *spliced = g_strdup_printf ("%sx", good);
    g_autofree char *bad_json = NULL;
    g_autofree char *not_b64 = g_strdup (good);
    const char *garbage[] = {
      "", ".", "..", "...", "abc", "a.b", "a.b.c", "a.b.c.d", "Bearer x.y.z",
      "eyJhbGciOiJSUzI1NiJ9..", "e30.e30.", "\xff\xfe.\x01.\x02",
    };

    for (guint i = 0; i < G_N_ELEMENTS (garbage); i++)
      assert_verify_fails (fixture->pool, garbage[i], NULL);
    assert_verify_fails (fixture->pool, huge, "Malformed token");
    assert_verify_fails (fixture->pool, extra, "Malformed token");
    assert_verify_fails (fixture->pool, spliced, NULL);

    not_b64[3] = '*';
    assert_verify_fails (fixture->pool, not_b64, "Malformed token");

    bad_json = forge (header, "{\"sub\":", "RS256", our_key, NULL, 0);
    assert_verify_fails (fixture->pool, bad_json, "Malformed token");
  }

  /* The real token still verifies after all that. */
  g_free (verify_ok (fixture->pool, tokens->token));
}

static void
test_other_issuer (Fixture       *fixture,
                   gconstpointer  data)
{
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(TesseraLocalUserPool) other = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(TesseraTokens) other_tokens = NULL;

  /* Same key and users, another issuer and audience. */
  tessera_local_user_pool_settings_init_defaults (&settings);
  g_free (settings.client_id);
  settings.client_id = g_strdup ("another-client");
  other = new_pool (fixture, &settings);

  sign_up (fixture->pool, "alice");
  tokens = sign_in_ok (fixture->pool, "alice");
  other_tokens = sign_in_ok (other, "alice");

  assert_verify_fails (other, tokens->token, "Invalid token issuer");
  assert_verify_fails (fixture->pool, other_tokens->token, "Invalid token issuer");
}

static void
test_key_file (Fixture       *fixture,
               gconstpointer  data)
{
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(TesseraLocalUserPool) reopened = NULL;
  g_autoptr(TesseraLocalUserPool) refused = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDir) dir = NULL;
  g_autofree char *key_dir = g_path_get_dirname (fixture->key_path);
  g_autofree char *jwks = NULL;
  g_autofree char *jwks_again = NULL;
  g_autofree char *sub = NULL;
  g_autofree char *pem = NULL;
  g_autofree char *pem_again = NULL;
  g_autofree char *garbage_path = NULL;
  struct stat st;

  g_assert_cmpint (g_stat (fixture->key_path, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  g_assert_cmpint (g_stat (key_dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 077, ==, 0);

  /* Only the key itself is left in its directory, no temporary file. */
  dir = g_dir_open (key_dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (dir), ==, "signing-key.pem");
  g_assert_null (g_dir_read_name (dir));

  g_assert_true (g_file_get_contents (fixture->key_path, &pem, NULL, NULL));
  g_assert_true (g_str_has_prefix (pem, "-----BEGIN PRIVATE KEY-----"));

  sign_up (fixture->pool, "alice");
  tokens = sign_in_ok (fixture->pool, "alice");
  jwks = tessera_user_pool_dup_jwks (TESSERA_USER_POOL (fixture->pool), NULL);

  /* A restart loads the same key: same JWKS, old tokens still good. */
  g_clear_object (&fixture->pool);
  init_settings (&settings);
  reopened = new_pool (fixture, &settings);
  jwks_again = tessera_user_pool_dup_jwks (TESSERA_USER_POOL (reopened), NULL);
  g_assert_cmpstr (jwks_again, ==, jwks);
  sub = verify_ok (reopened, tokens->token);
  g_assert_true (g_file_get_contents (fixture->key_path, &pem_again, NULL, NULL));
  g_assert_cmpstr (pem_again, ==, pem);

  /* A key others can read is refused, not used. */
  g_assert_cmpint (g_chmod (fixture->key_path, 0644), ==, 0);
  refused = tessera_local_user_pool_new (fixture->db, fixture->key_path, &settings, &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* So is a file that is not a key, and it is not overwritten. */
  garbage_path = g_build_filename (fixture->dir, "garbage.pem", NULL);
  g_assert_true (g_file_set_contents_full (garbage_path, "not a key", -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, NULL));
  refused = tessera_local_user_pool_new (fixture->db, garbage_path, &settings, &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_pointer (&pem, g_free);
  g_assert_true (g_file_get_contents (garbage_path, &pem, NULL, NULL));
  g_assert_cmpstr (pem, ==, "not a key");

  /* A new key path is a new key, with another kid. */
  {
    g_autoptr(TesseraLocalUserPool) fresh = NULL;
    g_autofree char *fresh_path = g_build_filename (fixture->dir, "fresh.pem", NULL);
    g_autofree char *kid1 = dup_kid (reopened);
    g_autofree char *kid2 = NULL;

    fresh = tessera_local_user_pool_new (fixture->db, fresh_path, &settings, &error);
    g_assert_no_error (error);
    kid2 = dup_kid (fresh);
    g_assert_cmpstr (kid1, !=, kid2);
    assert_verify_fails (fresh, tokens->token, "Invalid token signature");
  }
}

typedef struct
{
  Fixture    *fixture;
  const char *key_path;
  char       *jwks;
} KeyRaceData;

static gpointer
start_pool (gpointer user_data)
{
  KeyRaceData *data = user_data;
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(TesseraLocalUserPool) pool = NULL;
  g_autoptr(GError) error = NULL;

  init_settings (&settings);
  pool = tessera_local_user_pool_new (data->fixture->db, data->key_path, &settings, &error);
  g_assert_no_error (error);
  data->jwks = tessera_user_pool_dup_jwks (TESSERA_USER_POOL (pool), NULL);

  return NULL;
}

static void
test_key_race (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *key_path = g_build_filename (fixture->dir, "raced", "key.pem", NULL);
  KeyRaceData races[4];
  GThread *threads[G_N_ELEMENTS (races)];

  /* Several first starts at once: each makes a key, one wins, and all of
   * them end up using the winner's. */
  for (guint i = 0; i < G_N_ELEMENTS (races); i++)
    {
      races[i] = (KeyRaceData) { fixture, key_path, NULL };
      threads[i] = g_thread_new ("start", start_pool, &races[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (races); i++)
    g_thread_join (threads[i]);

  for (guint i = 1; i < G_N_ELEMENTS (races); i++)
    g_assert_cmpstr (races[i].jwks, ==, races[0].jwks);
  for (guint i = 0; i < G_N_ELEMENTS (races); i++)
    g_free (races[i].jwks);
}

static guint
count_refresh_rows (Fixture    *fixture,
                    const char *token_hash)
{
  g_autoptr(TesseraLocalConn) conn = tessera_local_db_acquire (fixture->db);
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt;
  guint count;

  if (token_hash != NULL)
    {
      stmt = tessera_local_conn_prepare (conn, "SELECT count(*) FROM refresh_tokens WHERE token_hash = ?", &error);
      g_assert_no_error (error);
      sqlite3_bind_text (stmt, 1, token_hash, -1, SQLITE_TRANSIENT);
    }
  else
    {
      stmt = tessera_local_conn_prepare (conn, "SELECT count(*) FROM refresh_tokens", &error);
      g_assert_no_error (error);
    }
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int (stmt, 0);
  sqlite3_reset (stmt);

  return count;
}

static void
assert_refresh_fails (TesseraLocalUserPool *pool,
                      const char           *refresh_token,
                      const char           *reason)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;

  tokens = tessera_user_pool_refresh (TESSERA_USER_POOL (pool), refresh_token, &error);
  g_assert_null (tokens);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  if (reason != NULL)
    g_assert_cmpstr (error->message, ==, reason);
}

static void
test_refresh_rotation (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(TesseraTokens) first = NULL;
  g_autoptr(TesseraTokens) second = NULL;
  g_autoptr(TesseraTokens) third = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims1 = NULL;
  g_autoptr(JsonObject) claims2 = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *sub1 = NULL;
  g_autofree char *sub2 = NULL;

  sign_up (fixture->pool, "alice");
  first = sign_in_ok (fixture->pool, "alice");
  sub1 = verify_ok (fixture->pool, first->token);

  /* Stored only as its SHA-256. */
  hash = tessera_sha256_hex (first->refresh_token, -1);
  g_assert_cmpuint (count_refresh_rows (fixture, hash), ==, 1);
  g_assert_cmpuint (count_refresh_rows (fixture, first->refresh_token), ==, 0);

  second = tessera_user_pool_refresh (TESSERA_USER_POOL (fixture->pool), first->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (second);
  g_assert_cmpstr (second->refresh_token, !=, first->refresh_token);
  g_assert_cmpint (second->expires_in, ==, 3600);
  sub2 = verify_ok (fixture->pool, second->token);
  g_assert_cmpstr (sub2, ==, sub1);

  /* The session's sign-in time carries over, as Cognito's auth_time does. */
  claims1 = decode_part (first->token, 1);
  claims2 = decode_part (second->token, 1);
  g_assert_cmpint (json_object_get_int_member (claims2, "auth_time"), ==,
                   json_object_get_int_member (claims1, "auth_time"));

  /* The old one is spent; the new one works, once. */
  g_assert_cmpuint (count_refresh_rows (fixture, hash), ==, 0);
  assert_refresh_fails (fixture->pool, first->refresh_token, "Invalid refresh token");
  third = tessera_user_pool_refresh (TESSERA_USER_POOL (fixture->pool), second->refresh_token, &error);
  g_assert_no_error (error);
  assert_refresh_fails (fixture->pool, second->refresh_token, "Invalid refresh token");
  g_assert_cmpuint (count_refresh_rows (fixture, NULL), ==, 1);

  /* Not tokens at all. */
  assert_refresh_fails (fixture->pool, "", "Invalid refresh token");
  assert_refresh_fails (fixture->pool, "short", "Invalid refresh token");
  assert_refresh_fails (fixture->pool, "a.b.c", "Invalid refresh token");
  assert_refresh_fails (fixture->pool, first->token, "Invalid refresh token");
  {
    g_autofree char *unknown = tessera_random_token (32);

    assert_refresh_fails (fixture->pool, unknown, "Invalid refresh token");
  }
}

typedef struct
{
  TesseraLocalUserPool *pool;
  const char           *refresh_token;
  guint                 succeeded;
} RaceData;

static gpointer
race_refresh (gpointer user_data)
{
  RaceData *race = user_data;
  g_autoptr(TesseraTokens) tokens = NULL;

  tokens = tessera_user_pool_refresh (TESSERA_USER_POOL (race->pool), race->refresh_token, NULL);
  if (tokens != NULL)
    g_atomic_int_inc (&race->succeeded);

  return NULL;
}

static void
test_refresh_race (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(TesseraTokens) tokens = NULL;
  RaceData race = { fixture->pool, NULL, 0 };
  GThread *threads[6];

  sign_up (fixture->pool, "alice");
  tokens = sign_in_ok (fixture->pool, "alice");
  race.refresh_token = tokens->refresh_token;

  /* One refresh token, spent from many threads at once: exactly one wins. */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("refresh", race_refresh, &race);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  g_assert_cmpuint (race.succeeded, ==, 1);
  g_assert_cmpuint (count_refresh_rows (fixture, NULL), ==, 1);
}

static void
test_revoke (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(TesseraTokens) alice = NULL;
  g_autoptr(TesseraTokens) bob = NULL;
  g_autoptr(TesseraTokens) bob2 = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *alice_sub = NULL;
  g_autofree char *bob_sub = NULL;
  g_autofree char *unknown = tessera_random_token (32);
  TesseraUserPool *pool = TESSERA_USER_POOL (fixture->pool);

  sign_up (fixture->pool, "alice");
  sign_up (fixture->pool, "bob");
  alice = sign_in_ok (fixture->pool, "alice");
  bob = sign_in_ok (fixture->pool, "bob");
  alice_sub = verify_ok (fixture->pool, alice->token);
  bob_sub = verify_ok (fixture->pool, bob->token);

  /* Alice cannot revoke Bob's token, and is not told so. */
  g_assert_true (tessera_user_pool_revoke (pool, alice_sub, bob->refresh_token, &error));
  g_assert_no_error (error);
  bob2 = tessera_user_pool_refresh (pool, bob->refresh_token, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bob2);

  /* Unknown or malformed tokens: success, nothing happens. */
  g_assert_true (tessera_user_pool_revoke (pool, alice_sub, unknown, &error));
  g_assert_true (tessera_user_pool_revoke (pool, alice_sub, "garbage", &error));
  g_assert_no_error (error);

  /* Her own: gone. */
  g_assert_true (tessera_user_pool_revoke (pool, alice_sub, alice->refresh_token, &error));
  g_assert_no_error (error);
  assert_refresh_fails (fixture->pool, alice->refresh_token, "Invalid refresh token");

  /* Bob's current session still works. */
  g_assert_true (tessera_user_pool_revoke (pool, alice_sub, bob2->refresh_token, &error));
  {
    g_autoptr(TesseraTokens) bob3 = tessera_user_pool_refresh (pool, bob2->refresh_token, &error);

    g_assert_no_error (error);
    g_assert_nonnull (bob3);
  }
}

static void
test_expiry (Fixture       *fixture,
             gconstpointer  data)
{
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(TesseraLocalUserPool) pool = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(TesseraTokens) fresh = NULL;

  init_settings (&settings);
  settings.id_token_lifetime = 1;
  settings.refresh_token_lifetime = 1;
  pool = new_pool (fixture, &settings);

  sign_up (pool, "alice");
  tokens = sign_in_ok (pool, "alice");
  g_assert_cmpint (tokens->expires_in, ==, 1);

  g_usleep (2100 * 1000);

  assert_verify_fails (pool, tokens->token, "Token expired");
  assert_refresh_fails (pool, tokens->refresh_token, "Refresh token expired");
  /* An expired token is deleted when it is presented. */
  assert_refresh_fails (pool, tokens->refresh_token, "Invalid refresh token");

  /* A new sign-in clears the user's expired rows and works again. */
  fresh = sign_in_ok (pool, "alice");
  g_free (verify_ok (pool, fresh->token));
  g_assert_cmpuint (count_refresh_rows (fixture, NULL), ==, 1);
}

static void
assert_rate_limited (TesseraLocalUserPool *pool,
                     const char           *username,
                     const char           *password,
                     const char           *source_ip,
                     gint64                max_retry_after)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;
  gint64 retry_after = 0;

  tokens = sign_in (pool, username, password, source_ip, &retry_after, &error);
  g_assert_null (tokens);
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_RATE_LIMITED);
  g_assert_cmpuint (tessera_error_to_http_status (error), ==, 429);
  g_assert_cmpint (retry_after, >=, 1);
  g_assert_cmpint (retry_after, <=, max_retry_after);
}

static void
assert_wrong_password (TesseraLocalUserPool *pool,
                       const char           *username,
                       const char           *source_ip)
{
  g_autoptr(GError) error = NULL;
  gint64 retry_after = -1;

  g_assert_null (sign_in (pool, username, "wrong password", source_ip, &retry_after, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED);
  g_assert_cmpint (retry_after, ==, 0);
}

static void
test_rate_limit (Fixture       *fixture,
                 gconstpointer  data)
{
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(TesseraLocalUserPool) pool = NULL;

  init_settings (&settings);
  settings.max_failures = 3;
  settings.max_failures_per_address = 6;
  settings.failure_window = 600;
  pool = new_pool (fixture, &settings);

  sign_up (pool, "carol");
  sign_up (pool, "dave");
  sign_up (pool, "erin");

  /* Three failures for carol, from different addresses. */
  assert_wrong_password (pool, "carol", "198.51.100.1");
  assert_wrong_password (pool, "CAROL", "198.51.100.2");
  assert_wrong_password (pool, "carol", "198.51.100.3");

  /* The fourth is refused even with the right password, which is never
   * looked at. */
  assert_rate_limited (pool, "carol", PASSWORD, "198.51.100.4", 600);
  assert_rate_limited (pool, "Carol", PASSWORD, NULL, 600);

  /* Dave, from the same addresses, is not affected. */
  {
    g_autoptr(TesseraTokens) tokens = sign_in (pool, "dave", PASSWORD, "198.51.100.1", NULL, NULL);

    g_assert_nonnull (tokens);
  }

  /* A success clears the name's failures: erin fails twice, signs in, and
   * then has three failures to spend again. */
  assert_wrong_password (pool, "erin", "203.0.113.9");
  assert_wrong_password (pool, "erin", "203.0.113.9");
  tessera_tokens_free (sign_in_ok (pool, "erin"));
  assert_wrong_password (pool, "erin", "203.0.113.10");
  assert_wrong_password (pool, "erin", "203.0.113.10");
  assert_wrong_password (pool, "erin", "203.0.113.10");
  assert_rate_limited (pool, "erin", PASSWORD, "203.0.113.10", 600);

  /* One address trying many names: six failures across six names, then
   * even a good name with the right password is refused from there, but not
   * from elsewhere. */
  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *name = g_strdup_printf ("guess%u", i);

      assert_wrong_password (pool, name, "192.0.2.66");
    }
  assert_rate_limited (pool, "dave", PASSWORD, "192.0.2.66", 600);
  {
    g_autoptr(TesseraTokens) tokens = sign_in (pool, "dave", PASSWORD, "192.0.2.67", NULL, NULL);

    g_assert_nonnull (tokens);
  }

}

static void
test_rate_limit_expires (Fixture       *fixture,
                         gconstpointer  data)
{
  g_auto(TesseraLocalUserPoolSettings) settings = { 0 };
  g_autoptr(TesseraLocalUserPool) pool = NULL;
  g_autoptr(TesseraTokens) tokens = NULL;
  g_autoptr(GError) error = NULL;
  gint64 retry_after = 0;

  init_settings (&settings);
  settings.max_failures = 2;
  settings.failure_window = 4;
  pool = new_pool (fixture, &settings);
  sign_up (pool, "carol");

  assert_wrong_password (pool, "carol", NULL);
  assert_wrong_password (pool, "carol", NULL);
  g_assert_null (sign_in (pool, "carol", PASSWORD, NULL, &retry_after, &error));
  g_assert_error (error, TESSERA_ERROR, TESSERA_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry_after, >=, 1);
  g_assert_cmpint (retry_after, <=, 4);
  g_clear_error (&error);

  /* After retry_after, carol gets in again. */
  g_usleep (retry_after * G_USEC_PER_SEC + 100 * 1000);
  tokens = sign_in (pool, "carol", PASSWORD, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (tokens);
}

typedef struct
{
  TesseraLocalUserPool *pool;
  guint                 unauthorized;
  guint                 rate_limited;
  guint                 signed_in;
  guint                 verified;
} GuessData;

static gpointer
guess (gpointer user_data)
{
  GuessData *data = user_data;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TesseraTokens) tokens = NULL;

      tokens = sign_in (data->pool, "target", "wrong password", NULL, NULL, &error);
      g_assert_null (tokens);
      if (g_error_matches (error, TESSERA_ERROR, TESSERA_ERROR_UNAUTHORIZED))
        g_atomic_int_inc (&data->unauthorized);
      else if (g_error_matches (error, TESSERA_ERROR, TESSERA_ERROR_RATE_LIMITED))
        g_atomic_int_inc (&data->rate_limited);
    }

  return NULL;
}

static gpointer
use (gpointer user_data)
{
  GuessData *data = user_data;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TesseraTokens) tokens = NULL;
      g_autoptr(TesseraTokens) refreshed = NULL;

      tokens = sign_in (data->pool, "busy", PASSWORD, NULL, NULL, NULL);
      if (tokens == NULL)
        continue;
      g_atomic_int_inc (&data->signed_in);
      refreshed = tessera_user_pool_refresh (TESSERA_USER_POOL (data->pool), tokens->refresh_token, NULL);
      if (refreshed != NULL
          && tessera_local_user_pool_verify (data->pool, refreshed->token, NULL, NULL, NULL))
        g_atomic_int_inc (&data->verified);
    }

  return NULL;
}

static void
test_threads (Fixture       *fixture,
              gconstpointer  data)
{
  GuessData guesses = { fixture->pool, 0, 0, 0, 0 };
  GThread *threads[8];

  sign_up (fixture->pool, "target");
  sign_up (fixture->pool, "busy");

  /* Four threads guess target's password three times each while four
   * others sign in, refresh and verify as busy. */
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("user", i % 2 ? guess : use, &guesses);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);

  /* Exactly the limit of guesses reached the password, even in parallel. */
  g_assert_cmpuint (guesses.unauthorized, ==, 5);
  g_assert_cmpuint (guesses.rate_limited, ==, 7);
  g_assert_cmpuint (guesses.signed_in, ==, 12);
  g_assert_cmpuint (guesses.verified, ==, 12);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/local-user-pool/sign-up-and-in", test_sign_up_and_in);
  ADD ("/local-user-pool/wrong-password", test_wrong_password);
  ADD ("/local-user-pool/unknown-user-costs-a-hash", test_unknown_user_costs_a_hash);
  ADD ("/local-user-pool/duplicate", test_duplicate);
  ADD ("/local-user-pool/bad-input", test_bad_input);
  ADD ("/local-user-pool/claims", test_claims);
  ADD ("/local-user-pool/jwks-verifies-independently", test_jwks_verifies_independently);
  ADD ("/local-user-pool/verify-rejects", test_verify_rejects);
  ADD ("/local-user-pool/other-issuer", test_other_issuer);
  ADD ("/local-user-pool/key-file", test_key_file);
  ADD ("/local-user-pool/key-race", test_key_race);
  ADD ("/local-user-pool/refresh-rotation", test_refresh_rotation);
  ADD ("/local-user-pool/refresh-race", test_refresh_race);
  ADD ("/local-user-pool/revoke", test_revoke);
  ADD ("/local-user-pool/expiry", test_expiry);
  ADD ("/local-user-pool/rate-limit", test_rate_limit);
  ADD ("/local-user-pool/rate-limit-expires", test_rate_limit_expires);
  ADD ("/local-user-pool/threads", test_threads);

#undef ADD

  return g_test_run ();
}
