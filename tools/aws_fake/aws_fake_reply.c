/* aws_fake_reply.c - the replies of rnr-aws-fake: request headers, reply
 * bodies, and the error shape of each AWS protocol. The HTTP plumbing
 * (aws_fake.c) and the API handlers (aws_fake_api.c) both use it; it uses
 * neither, so the fake's files depend on each other one way only. */
#include "aws_fake_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *fake_header(const fake_request *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++)
        if (strcasecmp(r->headers[i].name, name) == 0)
            return r->headers[i].value;
    return NULL;
}

void fake_reply_set(fake_reply *rep, int status, const char *ctype, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (s) {
        va_start(ap, fmt);
        vsnprintf(s, (size_t)n + 1, fmt, ap);
        va_end(ap);
    } else {
        n = -1;
    }
    free(rep->body);
    rep->status = status;
    rep->content_type = ctype;
    rep->body = n >= 0 ? s : NULL;
    rep->len = n >= 0 ? (size_t)n : 0;
}

void fake_reply_json(fake_reply *rep, int status, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    fake_reply_set(rep, status, "application/x-amz-json-1.1", "%s", s ? s : "{}");
    free(s);
    json_decref(j);
}

void fake_json_error(fake_reply *rep, int status, const char *code, const char *msg)
{
    fake_reply_json(rep, status, json_pack("{s:s, s:s}", "__type", code, "message", msg));
}

void fake_query_error(fake_reply *rep, int status, const char *code, const char *msg)
{
    fake_reply_set(rep, status, "text/xml",
                   "<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
                   "<Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error>"
                   "<RequestId>fake</RequestId></ErrorResponse>",
                   code, msg);
}

void fake_s3_error(fake_reply *rep, int status, const char *code, const char *msg)
{
    fake_reply_set(rep, status, "application/xml",
                   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code>"
                   "<Message>%s</Message><RequestId>fake</RequestId></Error>",
                   code, msg);
}
