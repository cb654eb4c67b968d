#!/usr/bin/env bash
# The clang static analyzer over rnr's own sources (lib/, src/, tools/):
# each file is analyzed with the flags CMake compiles it with (from
# compile_commands.json of a clang configuration in build-analyze/). Any
# finding fails the run and is printed with its path through the code.
#   usage: scripts/analyze.sh [BUILD_DIR [FILE...]]   (default build-analyze)
# With FILEs (paths in the tree) only those are analyzed: the whole tree
# takes minutes, one file seconds.
# A finding that is not a bug is fixed by making the code say what the
# analyzer could not see (an assert, a WARN_UNUSED contract), not by
# silencing the checker. scripts/analyze-known.txt lists findings present
# when the step was added and not yet triaged ("path: message [checker]",
# no line numbers): they are reported but do not fail the run; fixing one
# means deleting its line.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
dir=${1:-build-analyze}
shift $(($# > 0 ? 1 : 0))
CC=clang cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >/dev/null
python3 - "$dir/compile_commands.json" "$here" "$(nproc)" "$here/scripts/analyze-known.txt" "$@" <<'PY'
import concurrent.futures, json, os, re, shlex, subprocess, sys
db, root, jobs, known_file = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
only = {os.path.realpath(f) for f in sys.argv[5:]}
known = set()
if os.path.exists(known_file):
    for line in open(known_file):
        line = line.strip()
        if line and not line.startswith("#"):
            known.add(line)
units = []
for e in json.load(open(db)):
    f = e["file"]
    if not f.startswith(root + "/") or not f.endswith(".c"):
        continue
    if f[len(root) + 1:].split("/")[0] not in ("lib", "src", "tools"):
        continue
    if only and os.path.realpath(f) not in only:
        continue
    argv = shlex.split(e["command"]) if "command" in e else list(e["arguments"])
    out, skip = [], False
    for a in argv[1:]:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a in ("-c", f) or a.startswith("-fsanitize"):
            continue
        out.append(a)
    units.append((f, e["directory"], ["clang", "--analyze", "-Xanalyzer", "-analyzer-output=text",
                                      "-o", "/dev/null"] + out + [f]))

def run(u):
    f, cwd, cmd = u
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    return f, p.returncode, p.stderr

finding = re.compile(r"^(/[^:]+):\d+:\d+: (warning|error): (.*)$")
new, old = [], []
with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
    for f, rc, err in ex.map(run, units):
        heads = [m for m in map(finding.match, err.splitlines()) if m]
        fresh = [m for m in heads
                 if "%s: %s" % (os.path.relpath(m.group(1), root), m.group(3)) not in known]
        old += [m.group(0) for m in heads if m not in fresh]
        if fresh or (rc != 0 and not heads):
            new.append(f)
            sys.stdout.write(err)
for line in old:
    print("known (scripts/analyze-known.txt): " + line)
if only and not units:
    sys.exit("analyze: none of the given files is in %s" % db)
print("analyze: %d files, %d known findings, %d files with new findings"
      % (len(units), len(old), len(new)))
sys.exit(1 if new else 0)
PY
