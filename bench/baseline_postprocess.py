#!/usr/bin/env python3
"""baseline_postprocess.py - a reference-style post-processor, the baseline
for bench/run_postprocess.sh.

It does per run what the reference deployment's post-process Lambda does
(NGWPC rnr-aws, lambdas/postprocess), written here from a reading of it:
load the flowpath table once and index it by "wb-N" id; list the outputs;
for each output named troute_output_YYYYMMDDHHMM.nc in the 24 h window,
"download" it (a copy out of the file store, as the Lambda downloads to
/tmp), open it with xarray (netCDF4 engine), find the time of the file's
global peak flow with where/stack/dropna, select that time, pick the
file's flowpaths with isin, accumulate the miles upstream with iterrows,
extend one list per column; at the end build a DataFrame and write the
CSV, then "upload" it (a copy into the store). Like the reference it does
not convert the geometry to WKT (it writes the stored blob) and writes no
GeoJSON, so it does less than rnr does.

The hydrofabric is the GeoPackage rnr reads (the reference reads a
flowpaths.parquet export of the same table; Debian 12 has no pyarrow).

usage: baseline_postprocess.py STORE_DIR GPKG NOW_ISO [reps]
Prints the import time once and each run's time (ms) on lines
"import_ms N" and "run_ms N", then "rows N files N".
"""
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

t_import = time.monotonic()
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

IMPORT_MS = (time.monotonic() - t_import) * 1e3
NAME = re.compile(r"troute_output_(\d{12})\.nc$")


def name_time(name):
    m = NAME.search(name)
    if not m:
        return None
    s = m.group(1)
    try:
        return datetime(int(s[:4]), int(s[4:6]), int(s[6:8]), int(s[8:10]), int(s[10:12]))
    except ValueError:
        return None


def load_flowpaths(gpkg):
    con = sqlite3.connect(f"file:{gpkg}?mode=ro", uri=True)
    try:
        fp = pd.read_sql_query("SELECT * FROM flowpaths", con)
    finally:
        con.close()
    return fp.set_index("id")


def one_run(store, gpkg, now, scratch):
    cols = ["feature_id", "feature_id_str", "strm_order", "name", "state", "streamflow_cfs",
            "inherited_rfc_forecasts", "max_status", "reference_time", "update_time", "geom"]
    data = {c: [] for c in cols}
    since = now - timedelta(hours=24)
    stamp = now.strftime("%Y-%m-%d_%H:%M:%S")
    flowpaths = load_flowpaths(gpkg)
    files = 0
    out_root = os.path.join(store, "replace_and_route")
    for dirpath, _, names in sorted(os.walk(out_root)):
        for fname in sorted(names):
            t = name_time(fname)
            if not t or not since <= t <= now:
                continue
            files += 1
            local = os.path.join(scratch, fname)
            shutil.copyfile(os.path.join(dirpath, fname), local)
            ds = xr.open_dataset(local, engine="netcdf4")
            peak = ds.flow.max()
            where = ds.flow.where(ds.flow == peak).stack(flat_dim=["feature_id", "time"]).dropna("flat_dim")
            at = ds.sel(time=where.time.values[0])
            ids = [f"wb-{i}" for i in at.feature_id.values]
            fps = flowpaths.loc[flowpaths.index.isin(ids)]
            a = at.attrs
            n = len(ids)
            data["feature_id"].extend(at.feature_id.values)
            data["feature_id_str"].extend(ids)
            data["strm_order"].extend([a["stream_order"]] * n)
            data["name"].extend([a["name"]] * n)
            data["state"].extend([a["state"]] * n)
            data["max_status"].extend([a["max_status"]] * n)
            data["reference_time"].extend([a["file_reference_time"]] * n)
            data["update_time"].extend([stamp] * n)
            data["streamflow_cfs"].extend(at.flow.values * 35.3147)
            miles, upstream = 0.0, [0.0]
            for i, (_, row) in enumerate(fps.iterrows()):
                if i != len(fps) - 1:
                    miles += row["lengthkm"] * 0.621371
                    upstream.append(miles)
            data["inherited_rfc_forecasts"].extend(
                f"{a['max_status']} issued {a['file_reference_time']} at {a['rfc_location']} "
                f"({a['rfc_reach_id']} [order {a['stream_order']}]) {m} miles upstream" for m in upstream)
            data["geom"].extend(fps["geom"].values.tolist())
            ds.close()
            os.remove(local)
    rows = 0
    if files:
        name = f"output_inundation_{stamp}.csv"
        local = os.path.join(scratch, name)
        df = pd.DataFrame(data)
        df.to_csv(local, index=False)
        rows = len(df)
        dest = os.path.join(store, "baseline_postprocess")
        os.makedirs(dest, exist_ok=True)
        shutil.copyfile(local, os.path.join(dest, name))
        os.remove(local)
    return files, rows


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: baseline_postprocess.py STORE_DIR GPKG NOW_ISO [reps]")
    store, gpkg = sys.argv[1], sys.argv[2]
    now = datetime.strptime(sys.argv[3], "%Y-%m-%dT%H:%M:%SZ")
    reps = int(sys.argv[4]) if len(sys.argv) > 4 else 3
    print(f"import_ms {IMPORT_MS:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="rnr-baseline-pp-") as scratch:
        for _ in range(reps):
            t0 = time.monotonic()
            files, rows = one_run(store, gpkg, now, scratch)
            print(f"run_ms {(time.monotonic() - t0) * 1e3:.1f}", flush=True)
    print(f"rows {rows} files {files}")


if __name__ == "__main__":
    main()
