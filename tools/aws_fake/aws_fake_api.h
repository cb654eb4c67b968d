/* aws_fake_api.h - the API handlers of rnr-aws-fake (aws_fake_api.c),
 * called by the HTTP plumbing (aws_fake.c) once a request is verified. */
#ifndef RNR_AWS_FAKE_API_H
#define RNR_AWS_FAKE_API_H

#include "aws_fake_reply.h"

void fake_secrets(fake_state *st, const fake_request *r, fake_reply *rep);
void fake_ecs(fake_state *st, const fake_request *r, fake_reply *rep);
void fake_cloudwatch(fake_state *st, const fake_request *r, fake_reply *rep);
void fake_s3(fake_state *st, const fake_request *r, fake_reply *rep);

#endif
