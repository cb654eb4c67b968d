"""trace_check.py - follow trace ids through one `rnr up --once` JSON log.

Usage: trace_check.py LOG PRODUCT_OK PRODUCT_DEAD SITE_DEAD

Every line must be one JSON record. The product that routes must have one
trace id, from the producer's publish record, on every worker record about
it (its own delivery and its failing site's follow-ups) and on the
post-process records of the outputs it made. Prints "name trace" lines for
the caller: ok=<trace of PRODUCT_OK>, dead=<trace of PRODUCT_DEAD>.
"""
import json
import sys


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def main():
    log, p_ok, p_dead, site_dead = sys.argv[1:5]
    recs = []
    with open(log, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                recs.append(json.loads(line))
            except ValueError:
                fail("line %d is not one JSON record: %r" % (n, line[:200]))
    published = {r["product"]: r.get("trace_id") for r in recs
                 if r.get("component") == "producer" and r.get("event") == "publish"}
    for p in (p_ok, p_dead):
        if not published.get(p, "").startswith("Root=1-"):
            fail("no publish record with a trace id for %s" % p)
    t_ok = published[p_ok]
    if t_ok == published[p_dead]:
        fail("two products share a trace id outside Lambda")

    worker = [r for r in recs if r.get("component") == "worker" and r.get("product") == p_ok]
    events = {r.get("event") for r in worker}
    for want in ("receive", "site", "routed", "stored", "ack", "site_retry"):
        if want not in events:
            fail("no worker %s record for %s (got %s)" % (want, p_ok, sorted(e for e in events if e)))
    for r in worker:
        if r.get("trace_id") != t_ok:
            fail("worker record without the product's trace id: %s" % json.dumps(r))
    # the failing site's follow-ups came back through <queue>.sites
    follow = [r for r in worker if r.get("queue") == "sites"]
    if not any(r.get("event") == "receive" and r.get("lid") == site_dead for r in follow):
        fail("no follow-up delivery of %s with the trace id" % site_dead)
    # every record carrying the trace is about this product
    for r in recs:
        if r.get("trace_id") == t_ok and r.get("component") == "worker" and r.get("product") != p_ok:
            fail("a record of another product carries its trace: %s" % json.dumps(r))

    pp = [r for r in recs if r.get("component") == "postprocess" and r.get("event") == "input"]
    mine = [r for r in pp if r.get("trace_id") == t_ok]
    if len(mine) != 2:
        fail("post-process read %d outputs of %s with its trace id, expected 2: %s"
             % (len(mine), p_ok, json.dumps(pp)))
    if sorted(r["lid"] for r in mine) != ["RNRA1", "RNRC1"]:
        fail("post-process inputs: %s" % json.dumps(mine))

    dead = [r for r in recs if r.get("event") == "dead_letter"]
    if not any(r.get("product") == p_dead and r.get("trace_id") == published[p_dead] for r in dead):
        fail("no dead_letter record of %s with its trace id" % p_dead)
    print("ok %s" % t_ok)
    print("dead %s" % published[p_dead])


if __name__ == "__main__":
    main()
