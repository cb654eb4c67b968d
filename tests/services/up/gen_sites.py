#!/usr/bin/env python3
"""gen_sites.py SRC DST N - one HML product of N flooding sites for the
fixture server: every site a copy of the sample's RNRA1/RNRB1/RNRC1
(gauge record, stageflow forecast and observations) under the lid S01..SNN,
on the demo domain's reaches 91000001..3. Prints the product id."""
import json
import os
import sys

src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(dst + "/products", exist_ok=True)
os.makedirs(dst + "/nwps/gauges", exist_ok=True)
models = ["RNRA1", "RNRB1", "RNRC1"]


def read(p):
    with open(p) as f:
        return f.read()


sample = json.loads(read(src + "/products/7c2e41a9-53b8-4d0e-b6f1-2a94c3d85e10.json"))
text = sample["productText"]
start = text.rfind("<?xml", 0, text.index('id="RNRB1"'))
doc = text[start:text.index("</site>", start) + len("</site>")]
pid = "5173e000-0000-4000-8000-%012d" % n
docs = []
for s in range(1, n + 1):
    lid = "S%02d" % s
    model = models[(s - 1) % 3]
    for suffix in (".json", ".forecast.json", ".observed.json"):
        f = src + "/nwps/gauges/" + model + suffix
        if os.path.exists(f):
            with open(dst + "/nwps/gauges/" + lid + suffix, "w") as out:
                out.write(read(f).replace(model, lid))
    docs.append(doc.replace('id="RNRB1"', 'id="%s"' % lid))
meta = {"@id": "{{BASE}}/products/" + pid, "id": pid, "wmoCollectiveId": "SRUS54",
        "issuingOffice": "KRNR", "issuanceTime": "2026-03-14T10:00:00+00:00",
        "productCode": "HML", "productName": "AHPS XML"}
full = dict(sample)
full.update(meta)
full["productText"] = "452 \nSRUS54 KRNR 141000\nHMLRNR\n" + "\n".join(docs) + "\n"
with open(dst + "/products/" + pid + ".json", "w") as out:
    json.dump(full, out)
with open(dst + "/products.json", "w") as out:
    json.dump({"@context": sample["@context"], "@graph": [meta]}, out)
print(pid)
