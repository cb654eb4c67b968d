/* url.c - masking credentials in URLs and free text; URL origins. */
#include "core/url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Query parameter names whose values are credentials (AWS presigned URLs
 * carry X-Amz-Signature/X-Amz-Credential; APIs take api_key, token). */
static int name_looks_secret(const char *name, size_t n)
{
    static const char *const words[] = {"token",    "key",        "secret", "sig",
                                        "password", "credential", "auth"};
    char low[64];
    if (n >= sizeof low)
        n = sizeof low - 1;
    for (size_t i = 0; i < n; i++)
        low[i] = (char)tolower((unsigned char)name[i]);
    low[n] = '\0';
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strstr(low, words[i]))
            return 1;
    return 0;
}

/* Output cursor that never overruns and always leaves room for the NUL. */
typedef struct outbuf {
    char *p;
    size_t n, o;
} outbuf;

static void put(outbuf *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len && b->o + 1 < b->n; i++)
        b->p[b->o++] = s[i];
}

/* The span of a URL's userinfo password: [*pw, *at) is what to hide.
 * Returns 0 when the URL has none. len bounds the URL (free text). */
static int find_password(const char *url, size_t len, size_t *pw, size_t *at)
{
    const char *sep = strstr(url, "://");
    if (!sep || (size_t)(sep - url) + 3 > len)
        return 0;
    size_t a = (size_t)(sep - url) + 3, end = a;
    while (end < len && !strchr("/?#", url[end]))
        end++;
    size_t last_at = 0, colon = 0;
    for (size_t i = a; i < end; i++)
        if (url[i] == '@')
            last_at = i; /* the last '@' of the authority ends the userinfo */
    if (!last_at)
        return 0;
    for (size_t i = a; i < last_at && !colon; i++)
        if (url[i] == ':')
            colon = i;
    if (!colon)
        return 0;
    *pw = colon + 1;
    *at = last_at;
    return 1;
}

/* Mask url[0..len) into b. */
static void mask_span(outbuf *b, const char *url, size_t len)
{
    size_t pw = 0, at = 0, i = 0;
    if (find_password(url, len, &pw, &at)) {
        put(b, url, pw);
        put(b, "***", 3);
        i = at;
    }
    const char *q = memchr(url + i, '?', len - i);
    size_t head = q ? (size_t)(q - url) + 1 : len;
    put(b, url + i, head - i);
    i = head;
    while (q && i < len) {
        size_t plen = 0, nlen;
        while (i + plen < len && url[i + plen] != '&' && url[i + plen] != '#')
            plen++;
        for (nlen = 0; nlen < plen && url[i + nlen] != '='; nlen++)
            ;
        int secret = nlen < plen && name_looks_secret(url + i, nlen);
        put(b, url + i, secret ? nlen + 1 : plen);
        if (secret)
            put(b, "***", 3);
        i += plen;
        if (i < len && url[i] == '&') {
            put(b, "&", 1);
            i++;
        } else {
            put(b, url + i, len - i); /* the fragment, as it is */
            break;
        }
    }
}

void url_mask(const char *url, char *buf, size_t n)
{
    if (n == 0)
        return;
    outbuf b = {buf, n, 0};
    if (url)
        mask_span(&b, url, strlen(url));
    buf[b.o] = '\0';
}

/* Where the URL starting at text[i] ("scheme://") begins and ends, or 0. */
static int url_at(const char *text, size_t i, size_t *start, size_t *end)
{
    if (strncmp(text + i, "://", 3) != 0)
        return 0;
    size_t s = i;
    while (s > 0 && (isalnum((unsigned char)text[s - 1]) || strchr("+-.", text[s - 1])))
        s--;
    if (s == i)
        return 0;
    size_t e = i + 3;
    while (text[e] && !isspace((unsigned char)text[e]) && !strchr("\"'<>`", text[e]))
        e++;
    *start = s;
    *end = e;
    return 1;
}

void url_mask_text(const char *text, char *buf, size_t n)
{
    if (n == 0)
        return;
    outbuf b = {buf, n, 0};
    size_t done = 0, s, e;
    for (size_t i = 0; text && text[i]; i++) {
        if (!url_at(text, i, &s, &e))
            continue;
        put(&b, text + done, s - done);
        mask_span(&b, text + s, e - s);
        done = i = e;
        if (!text[i])
            break;
    }
    if (text)
        put(&b, text + done, strlen(text + done));
    buf[b.o] = '\0';
}

int url_text_has_secret(const char *text)
{
    size_t s, e, pw, at;
    for (size_t i = 0; text && text[i]; i++) {
        if (!url_at(text, i, &s, &e))
            continue;
        if (find_password(text + s, e - s, &pw, &at))
            return 1;
        const char *q = memchr(text + s, '?', e - s);
        if (q)
            return 1; /* a query may hold a secret: let the masker decide */
        i = e - 1;
    }
    return 0;
}

static int strncasecmp_prefix(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

int url_origin(const char *url, char *buf, size_t n)
{
    int https;
    if (strncasecmp_prefix(url, "https://"))
        https = 1;
    else if (strncasecmp_prefix(url, "http://"))
        https = 0;
    else
        return -1;
    const char *a = url + (https ? 8 : 7);
    size_t end = strcspn(a, "/?#");
    const char *host = a;
    for (size_t i = 0; i < end; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= 0x20 || c >= 0x7f || c == '\\' || c == '%')
            return -1;
        if (c == '@')
            host = a + i + 1;
    }
    size_t hlen = end - (size_t)(host - a), plen = 0;
    const char *port = NULL;
    const char *colon = host[0] == '[' ? memchr(host, ']', hlen) : host;
    if (!colon)
        return -1;
    colon = memchr(colon, ':', hlen - (size_t)(colon - host));
    if (colon) {
        port = colon + 1;
        plen = hlen - (size_t)(port - host);
        hlen = (size_t)(colon - host);
        if (plen == 0 || plen > 5 || strspn(port, "0123456789") < plen)
            return -1;
    }
    if (hlen == 0)
        return -1;
    char h[256];
    if (hlen >= sizeof h)
        return -1;
    for (size_t i = 0; i < hlen; i++)
        h[i] = (char)tolower((unsigned char)host[i]);
    h[hlen] = '\0';
    long p = port ? strtol(port, NULL, 10) : (https ? 443 : 80);
    if (p < 1 || p > 65535)
        return -1;
    int w = snprintf(buf, n, "%s://%s:%ld", https ? "https" : "http", h, p);
    return w < 0 || (size_t)w >= n ? -1 : 0;
}
