/* urlutil.h - percent-decoding shared by the backends that parse URLs
 * (sqlite://, file://, amqp:// query options). */
#ifndef RNR_ADAPTERS_URLUTIL_H
#define RNR_ADAPTERS_URLUTIL_H

#include <stddef.h>

/* Decode s[0..len) into a malloc'd string; NULL on a bad escape or on %00,
 * which could cut a C string short. */
char *url_percent_decode(const char *s, size_t len);

#endif
