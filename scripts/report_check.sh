#!/usr/bin/env bash
# Browser check of `localist report` (issue 4, docs/report.md): installs Debian's chromium if it
# is missing, builds `localist` if needed, trains a tiny run, sweeps it (inference protocol),
# writes the report, loads it in headless chromium and takes a screenshot. Fails if the page logs
# anything to the console (it has no scripts, so any message is an error), if the DOM lacks the
# charts and heatmaps, or if the screenshot is blank.
#   scripts/report_check.sh [OUT_DIR]      (default build/report_check; BUILD=dir picks the build)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
OUT=${1:-$BUILD/report_check}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ! command -v chromium >/dev/null; then
  echo "report_check: installing chromium"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y chromium >/dev/null
fi
if [ ! -x "$BUILD/localist" ]; then
  "$ROOT/scripts/setup_python.sh"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$BUILD" --target localist -j2
fi
L="$BUILD/localist"

rm -rf "$OUT/run" "$OUT/sweep" "$OUT/report.html" "$OUT/report.png"
echo "report_check: training a tiny run in $OUT/run"
"$L" train --out "$OUT/run" --n-layer 2 --n-head 2 --n-embd 32 --block-size 48 --batch-size 8 \
  --max-steps 300 --warmup 20 --eval-interval 50 --eval-tokens 1000 --log-interval 10 \
  --synth-tokens 10000 --blocks segment --lambda 1 --device cpu >/dev/null
echo "report_check: sweeping it (inference protocol)"
"$L" sweep --protocol inference --checkpoint "$OUT/run" --out "$OUT/sweep" --lambdas 1:0:0.25 --max-tokens 2000 \
  --device cpu >/dev/null
"$L" report "$OUT/sweep" "$OUT/run" --out "$OUT/report.html"

CHROME=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --enable-logging=stderr --v=0)
PROFILE=$(mktemp -d)
trap 'rm -rf "$PROFILE"' EXIT
timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --screenshot="$OUT/report.png" \
  --window-size=1400,2400 "file://$OUT/report.html" >"$OUT/chromium.log" 2>&1
timeout 120 "${CHROME[@]}" --user-data-dir="$PROFILE" --dump-dom "file://$OUT/report.html" \
  >"$OUT/dom.html" 2>>"$OUT/chromium.log"

fail=0
if grep -E "CONSOLE|Uncaught|net::ERR_" "$OUT/chromium.log"; then
  echo "report_check: FAIL: console errors or failed loads (above; $OUT/chromium.log)"; fail=1
fi
svgs=$(grep -o '<svg' "$OUT/dom.html" | wc -l)
charts=$(grep -o 'class="chart"' "$OUT/dom.html" | wc -l)
maps=$(grep -o 'class="heatmap attn"' "$OUT/dom.html" | wc -l)
echo "report_check: DOM: $svgs svg elements, $charts line charts, $maps attention heatmaps"
# 5 sweep curves + 1 training chart; lambda 0 and 1 x 2 layers x 2 heads
if [ "$charts" -lt 6 ] || [ "$maps" -lt 8 ]; then
  echo "report_check: FAIL: expected at least 6 charts and 8 attention heatmaps in the DOM"; fail=1
fi
# The screenshot: decode the PNG (python3 stdlib) and count non-white pixels and colours.
python3 - "$OUT/report.png" <<'PY' || fail=1
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", 0
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, ink = bytearray(stride), set(), 0
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 4):  # every 4th pixel
        px = bytes(line[x:x + 3]); colours.add(px); ink += px != b"\xff\xff\xff"
    prev = line
share = ink / (h * (w // 4))
print(f"report_check: screenshot {w}x{h}: {len(colours)} colours, {100 * share:.1f}% non-white")
if len(colours) < 16 or share < 0.05:
    print("report_check: FAIL: the screenshot is blank"); sys.exit(1)
PY
[ "$fail" -eq 0 ] || exit 1
echo "report_check: OK: $OUT/report.html loads without console errors; screenshot $OUT/report.png"
