"""Consume one message the way the reference worker reads it (pika, manual
ack) and print what it found, one "name=value" line per field.
Usage: pika_consume.py AMQP_URL QUEUE TIMEOUT_S"""
import json
import sys
import time

import pika

FIELDS = ("rdf", "id", "wmo_collective_id", "issuing_office", "issuance_time",
          "product_code", "product_name")


def main():
    url, queue, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    channel.queue_declare(queue=queue, durable=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        method, props, body = channel.basic_get(queue=queue, auto_ack=False)
        if method is None:
            time.sleep(0.1)
            continue
        message = json.loads(body)
        for name in FIELDS:
            print("%s=%s" % (name, message[name]))
        print("delivery_mode=%s" % props.delivery_mode)
        print("content_type=%s" % props.content_type)
        print("trace=%s" % (props.headers or {}).get("X-Amzn-Trace-Id"))
        channel.basic_ack(method.delivery_tag)
        conn.close()
        return 0
    conn.close()
    print("no message")
    return 1


if __name__ == "__main__":
    sys.exit(main())
