/* timeutil.h - UTC time stamps: ISO 8601 parsing and formatting, clocks.
 *
 * Times are int64 seconds since the Unix epoch, always UTC. The NWS APIs
 * spell UTC as `Z`, `+00:00` and `-00:00`; the reference's ProcessedData
 * writes naive times that mean UTC. All of them parse here. */
#ifndef RNR_CORE_TIMEUTIL_H
#define RNR_CORE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Go's zero time `0001-01-01T00:00:00Z`, which NWPS uses for "no time". */
#define RNR_TIME_MISSING INT64_MIN

/* Parse `YYYY-MM-DD[T ]HH:MM[:SS[.fff]][Z|±HH:MM|±HHMM]`; a missing offset
 * means UTC. Year 1 parses to RNR_TIME_MISSING. Returns 0 or -1. */
int time_parse_iso(const char *s, int64_t *out);
/* strftime in UTC; returns 0, or -1 when the buffer is too small. */
int time_format(int64_t t, const char *fmt, char *buf, size_t n);
/* "2025-05-06T06:00:00Z" */
int time_format_iso(int64_t t, char *buf, size_t n);
int64_t time_from_civil(int y, int mon, int d, int h, int mi, int s);
int64_t time_now(void);
/* Wall clock and monotonic clock in milliseconds. */
int64_t time_now_ms(void);
int64_t time_mono_ms(void);
/* Monotonic seconds with sub-millisecond precision, for step durations. */
double time_mono_s(void);
void time_sleep_ms(int64_t ms);

#endif
