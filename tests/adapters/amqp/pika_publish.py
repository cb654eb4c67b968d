"""Publish one HML product message the way the reference producer does:
pika BlockingConnection, a durable queue declared without arguments,
basic_publish on the default exchange with delivery_mode=2.
Usage: pika_publish.py AMQP_URL QUEUE PRODUCT_ID  (prints the body sent)."""
import json
import sys

import pika


def main():
    url, queue, pid = sys.argv[1], sys.argv[2], sys.argv[3]
    message = {
        "rdf": "https://api.weather.gov/products/" + pid,
        "id": pid,
        "wmo_collective_id": "SRUS54",
        "issuing_office": "KFWR",
        "issuance_time": "2024-08-21T00:41:00+00:00",
        "product_code": "HML",
        "product_name": "Hydrologic Markup Language",
    }
    body = json.dumps(message)
    conn = pika.BlockingConnection(pika.URLParameters(url))
    channel = conn.channel()
    channel.queue_declare(queue=queue, durable=True)
    channel.basic_publish(
        exchange="",
        routing_key=queue,
        body=body,
        properties=pika.BasicProperties(delivery_mode=2),
    )
    conn.close()
    sys.stdout.write(body)


if __name__ == "__main__":
    main()
