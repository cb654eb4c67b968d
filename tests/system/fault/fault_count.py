"""fault_count.py - one row of the fault suite's table, and its verdict.

  fault_count.py --scenario NAME --expected expected.txt --store DIR
                 --writes WRITES.jsonl --key-prefix /BUCKET/PREFIX/
                 --products N --published N --expect-dead N
                 --ready N --dead-letters DLQ.json [--strict]

expected  outputs the products must produce (expected.txt)
produced  of those, objects in the store (s3rver keeps each object as the
          file KEY._S3rver_object under DIR)
missing   expected - produced (lost unless dead-lettered: see below)
duplicated  second writes that made a different output: a key written twice
          with different bytes, an object that is not an expected output,
          or a product the producer published more than once
rewrite   identical second writes of a key (an interrupted delivery that
          was redone: at-least-once); a failure with --strict
dead      dead letters: product + site ones (a DLQ message whose body or
          headers name a lid is a site dead letter)
left      messages still ready in the queue after the workers stopped
lost      missing outputs of products that were neither dead-lettered nor left

Writes come from the S3 fault proxy's log (tools/s3_fault_proxy): every PUT
whose 2xx answer reached rnr. The row passes when lost, duplicated and left are 0
and dead equals --expect-dead. Prints the row; exit 1 when it fails."""
import argparse
import json
import os
import sys
from collections import defaultdict

ap = argparse.ArgumentParser()
for a in ("--scenario", "--expected", "--store", "--writes", "--key-prefix", "--dead-letters"):
    ap.add_argument(a, required=True)
for a in ("--products", "--published", "--expect-dead", "--ready"):
    ap.add_argument(a, type=int, required=True)
ap.add_argument("--strict", action="store_true")
ap.add_argument("--header", action="store_true")
o = ap.parse_args()

expected = [k for k in open(o.expected).read().split("\n") if k]
stored = set()
if os.path.isdir(o.store):
    for root, _, files in os.walk(o.store):
        for f in files:
            if f.endswith("._S3rver_object"):
                rel = os.path.relpath(os.path.join(root, f), o.store)
                stored.add(rel[: -len("._S3rver_object")])

writes = defaultdict(list)
if os.path.exists(o.writes):
    for line in open(o.writes):
        r = json.loads(line)
        if r["method"] == "PUT" and 200 <= r["status"] < 300 and r["key"].startswith(o.key_prefix):
            writes[r["key"][len(o.key_prefix):]].append(r["md5"])

want = set(expected)
produced = len(want & stored)
missing = len(want) - produced
extra = sorted(k for k in stored if k not in want and k.endswith(".nc"))
divergent = sorted(k for k, m in writes.items() if len(set(m)) > 1)
rewrites = sum(len(m) - len(set(m)) for m in writes.values())
republished = max(0, o.published - o.products)
dup = len(extra) + len(divergent) + republished

site_dead = product_dead = 0
try:
    dl = json.load(open(o.dead_letters))
except (OSError, ValueError):
    dl = []
for m in dl if isinstance(dl, list) else []:
    text = json.dumps(m.get("properties", {}).get("headers", {})) + " " + str(m.get("payload", ""))
    try:
        body = json.loads(m.get("payload", ""))
    except ValueError:
        body = None
    if (isinstance(body, dict) and "lid" in body) or '"lid' in text or "x-rnr-lid" in text:
        site_dead += 1
    else:
        product_dead += 1
dead = site_dead + product_dead
# Outputs of dead-lettered or still-queued work are accounted for, not lost:
# the poison scenario's products have no expected outputs, so here every
# missing output of a good product is lost.
lost = missing
ok = lost == 0 and dup == 0 and o.ready == 0 and dead == o.expect_dead and \
    (not o.strict or rewrites == 0)
fmt = "%-15s %8s %8s %10s %7s %9s %5s %4s %4s  %s"
if o.header:
    print(fmt % ("scenario", "expected", "produced", "duplicated", "rewrite", "dead(s/p)", "left", "lost",
                 "want", "verdict"))
print(fmt % (o.scenario, len(want), produced, dup, rewrites, "%d(%d/%d)" % (dead, site_dead, product_dead),
             o.ready, lost, "d=%d" % o.expect_dead, "ok" if ok else "FAIL"))
if not ok:
    if extra:
        print("  unexpected objects: %s" % ", ".join(extra[:5]), file=sys.stderr)
    if divergent:
        print("  keys written with different bytes: %s" % ", ".join(divergent[:5]), file=sys.stderr)
    if republished:
        print("  published %d messages for %d products" % (o.published, o.products), file=sys.stderr)
    if missing:
        print("  missing: %s" % ", ".join(sorted(want - stored)[:5]), file=sys.stderr)
sys.exit(0 if ok else 1)
