"""Baseline for bench_amqp: the producer cycle written the way the reference
Python producer does it - redis-py GET per product, pika BlockingConnection
with confirm_delivery() and one synchronous persistent basic_publish per new
product, then SET id message EX 604800 per product.
Usage: baseline_producer.py AMQP_URL REDIS_URL [PRODUCTS]   (run with /usr/bin/python3)"""
import json
import os
import sys
import time
from urllib.parse import urlparse

import pika
import redis


def main():
    amqp_url, redis_url = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
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
    print("baseline_producer products=%d seconds=%.3f rate=%.0f/s" % (n, dt, n / dt))
    channel.queue_delete(queue=queue)
    conn.close()


if __name__ == "__main__":
    main()
