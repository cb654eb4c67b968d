/* url.h - URL text helpers every layer needs: masking credentials before
 * a URL is shown, and comparing origins.
 *
 * One masker lives here, below every other layer, so the log writer, the
 * error record, the HTTP client and the backends all hide the same things
 * the same way: the password of a userinfo (`user:***@host`) and the value
 * of a query parameter whose name looks secret (token, key, secret, sig,
 * password, credential, auth). */
#ifndef RNR_CORE_URL_H
#define RNR_CORE_URL_H

#include <stddef.h>

#include "core/error.h"

/* Copy url into buf (n bytes, always NUL-terminated when n > 0) with its
 * credentials replaced by "***". A NULL url gives "". */
void url_mask(const char *url, char *buf, size_t n);

/* Copy free text into buf with every URL in it (scheme://... up to white
 * space or a quote) masked as url_mask does. */
void url_mask_text(const char *text, char *buf, size_t n);

/* Whether text contains anything url_mask_text would change. */
int url_text_has_secret(const char *text);

/* The origin of an http(s) URL, "scheme://host:port", lower case, with the
 * default port made explicit and any userinfo dropped. Returns 0, or -1
 * when url is not an http(s) URL with a plain host (no backslash, space,
 * control character or percent sign in the authority). */
int url_origin(const char *url, char *buf, size_t n) RNR_WARN_UNUSED;

#endif
