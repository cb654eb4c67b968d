"""The reference side of the wire, with pika (run with /usr/bin/python3).

publish URL QUEUE BODY_JSON   publish like the reference producer: durable
                              queue declared without arguments, default
                              exchange, delivery_mode=2, json.dumps body.
consume URL QUEUE IDLE_S      read every message the way the reference
                              worker does (manual ack) until the queue stays
                              empty IDLE_S seconds; print one JSON line per
                              message with the fields the reference worker
                              reads plus delivery_mode and the trace header.
count URL QUEUE               ready messages (passive declare), or -1 when
                              the queue does not exist."""
import json
import sys
import time

import pika

FIELDS = ("rdf", "id", "wmo_collective_id", "issuing_office", "issuance_time",
          "product_code", "product_name")


def publish(url, queue, body):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    ch.queue_declare(queue=queue, durable=True)
    ch.basic_publish(exchange="", routing_key=queue, body=json.dumps(json.loads(body)),
                     properties=pika.BasicProperties(delivery_mode=2))
    conn.close()


def consume(url, queue, idle):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    ch.queue_declare(queue=queue, durable=True)
    last = time.monotonic()
    while time.monotonic() - last < idle:
        method, props, body = ch.basic_get(queue=queue, auto_ack=False)
        if method is None:
            time.sleep(0.1)
            continue
        last = time.monotonic()
        msg = json.loads(body)
        out = {name: msg[name] for name in FIELDS}
        out["delivery_mode"] = props.delivery_mode
        out["trace"] = (props.headers or {}).get("X-Amzn-Trace-Id")
        print(json.dumps(out, sort_keys=True), flush=True)
        ch.basic_ack(method.delivery_tag)
    conn.close()


def count(url, queue):
    conn = pika.BlockingConnection(pika.URLParameters(url))
    ch = conn.channel()
    try:
        print(ch.queue_declare(queue=queue, passive=True).method.message_count)
    except pika.exceptions.ChannelClosedByBroker:
        print(-1)
    conn.close()


def main():
    cmd = sys.argv[1]
    if cmd == "publish":
        publish(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "consume":
        consume(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif cmd == "count":
        count(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: prod_pika.py publish|consume|count ...")


if __name__ == "__main__":
    main()
