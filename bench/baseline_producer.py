"""Baselines for bench_amqp: the producer cycle in Python.

Default (label "reference"): what the reference producer does - redis-py GET
per product, a pika BlockingConnection WITHOUT publisher confirms and one
persistent basic_publish per new product, then SET id message EX 604800 per
product. Without confirms a publish returns once the frame is written, so
this is the faithful copy (and the faster of the two).

--confirm (label "confirming"): the same with channel.confirm_delivery(), so
each publish waits for the broker's ack, as rnr's producer does. It shows the
cost of the durability guarantee rnr keeps and the reference does not.

Usage: baseline_producer.py [--confirm] AMQP_URL REDIS_URL [PRODUCTS]
(run with /usr/bin/python3)"""
import json
import os
import sys
import time
from urllib.parse import urlparse

import pika
import redis


def main():
    args = sys.argv[1:]
    confirm = "--confirm" in args
    args = [a for a in args if a != "--confirm"]
    amqp_url, redis_url = args[0], args[1]
    n = int(args[2]) if len(args) > 2 else 5000
    label = "confirming" if confirm else "reference"
    run = "%d-%d" % (os.getpid(), int(time.time()))
    queue = "baseline-py-" + run
    products = []
    for i in range(n):
        pid = "base-%s-%06d" % (run, i)
        products.append({
            "rdf": "https://api.weather.gov/products/" + pid,
            "id": pid,
            "wmo_collective_id": "SRUS54",
            "issuing_office": "KFWR",
            "issuance_time": "2024-08-21T00:41:00+00:00",
            "product_code": "HML",
            "product_name": "Hydrologic Markup Language",
        })
    r = urlparse(redis_url)
    cache = redis.Redis(host=r.hostname, port=r.port or 6379, db=int(r.path.strip("/") or 0))
    conn = pika.BlockingConnection(pika.URLParameters(amqp_url))
    channel = conn.channel()
    channel.queue_declare(queue=queue, durable=True)
    if confirm:
        channel.confirm_delivery()

    t0 = time.monotonic()
    for product in products:
        if cache.get(product["id"]) is not None:
            continue
        body = json.dumps(product)
        channel.basic_publish(exchange="", routing_key=queue, body=body,
                              properties=pika.BasicProperties(delivery_mode=2))
        cache.set(product["id"], body, ex=604800)
    dt = time.monotonic() - t0
    print("baseline_producer mode=%s products=%d seconds=%.3f rate=%.0f/s" % (label, n, dt, n / dt))
    channel.queue_delete(queue=queue)
    conn.close()


if __name__ == "__main__":
    main()
