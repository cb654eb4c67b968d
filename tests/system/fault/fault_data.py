"""fault_data.py - the fault suite's data set for the fixture NWS server.

  fault_data.py SAMPLE_NWS_DIR OUT_DIR PRODUCTS SITES

Writes OUT_DIR in the fixture server's layout (tools/fixture_server): PRODUCTS
HML products of SITES flooding gauges each, every gauge a copy of one of the
sample's routed gauges (RNRA1, RNRB1, RNRC1) under its own lid, plus two
products the poison scenario adds:
  poison-garbage  a product whose text is no HML: no sites, acked, no output
                  (it must not crash or wedge a worker),
  poison-sick     one site whose NWPS gauge the suite makes answer 500 on
                  every request (a transient failure that never heals: a
                  dead letter, of the product or of the site).
OUT_DIR/products.json lists the good products; products-poison.json lists
them and the poison ones. OUT_DIR/expected.txt lists the output keys the
good products must produce, one per line."""
import json
import os
import sys

src, dst, nprod, nsite = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(dst + "/products", exist_ok=True)
os.makedirs(dst + "/nwps/gauges", exist_ok=True)
MODELS = ["RNRA1", "RNRB1", "RNRC1"]
OUTPUT = "replace_and_route/%s/troute_output_202603141200.nc"


def read(path):
    with open(path) as f:
        return f.read()


sample = json.loads(read(src + "/products/7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10.json"))
text = sample["productText"]
start = text.rfind("<?xml", 0, text.index('id="RNRB1"'))
doc = text[start:text.index("</site>", start) + len("</site>")]


def gauge(lid, model):
    for suffix in (".json", ".forecast.json", ".observed.json"):
        f = src + "/nwps/gauges/" + model + suffix
        if os.path.exists(f):
            with open(dst + "/nwps/gauges/" + lid + suffix, "w") as out:
                out.write(read(f).replace(model, lid))


def product(pid, minute, lids, body_text=None):
    issued = "2026-03-14T%02d:%02d:00+00:00" % (10 + minute // 60, minute % 60)
    meta = {"@id": "{{BASE}}/products/" + pid, "id": pid, "wmoCollectiveId": "SRUS54",
            "issuingOffice": "KRNR", "issuanceTime": issued, "productCode": "HML",
            "productName": "AHPS XML"}
    full = dict(sample)
    full.update(meta)
    docs = "\n".join(doc.replace('id="RNRB1"', 'id="%s"' % lid) for lid in lids)
    full["productText"] = body_text if body_text is not None else \
        "452 \nSRUS54 KRNR 141005\nHMLRNR\n" + docs + "\n"
    with open(dst + "/products/" + pid + ".json", "w") as out:
        json.dump(full, out)
    return meta


good, expected = [], []
for p in range(nprod):
    lids = []
    for s in range(nsite):
        lid = "F%02d%02d" % (p, s)  # five characters, like an NWS lid
        gauge(lid, MODELS[(p * nsite + s) % 3])
        lids.append(lid)
        expected.append(OUTPUT % lid)
    good.append(product("f%07d-0000-4000-8000-%012d" % (p, p), p, lids))
gauge("SICK1", "RNRA1")
poison = [product("poison00-0000-4000-8000-garbage00000", 100, [], "this is no HML product\n"),
          product("poison00-0000-4000-8000-sick00000000", 101, ["SICK1"])]
for name, graph in (("products.json", good), ("products-poison.json", good + poison)):
    with open(dst + "/" + name, "w") as out:
        json.dump({"@context": sample["@context"], "@graph": graph}, out)
with open(dst + "/expected.txt", "w") as out:
    out.write("\n".join(sorted(expected)) + "\n")
