#!/usr/bin/env bash
# The folders of src/localist form one-way layers along the data path (docs/design.md):
# a folder may include its own headers and those of folders before it in LAYERS, never after.
# Prints the folder include graph (edge and how many files make it) and fails, naming each
# offending file, on an upward include or an unknown folder. CI runs it (tests/scripts).
set -euo pipefail
cd "$(dirname "$0")/.."
LAYERS=(core data blocks model loss run hf metrics train recruit hierarchy report serve)
declare -A rank
for i in "${!LAYERS[@]}"; do rank[${LAYERS[$i]}]=$i; done
for dir in src/localist/*/; do
  d=$(basename "$dir")
  [[ -n "${rank[$d]+x}" ]] || { echo "check_layers: src/localist/$d is not in LAYERS (scripts/check_layers.sh)" >&2; exit 1; }
done
bad=0
edges=$(grep -o '#include "localist/[a-z_]*/' -r src/localist --include='*.h' --include='*.cpp' |
        sed -E 's|^src/localist/([a-z_]+)/([^:]*):#include "localist/([a-z_]+)/$|\1 \3 \1/\2|' |
        awk '$1 != $2')
while read -r from to file; do
  [[ -z "$from" ]] && continue
  if [[ -z "${rank[$to]+x}" ]]; then echo "check_layers: $file includes unknown folder $to" >&2; bad=1
  elif (( rank[$to] > rank[$from] )); then
    echo "check_layers: $file ($from) includes $to, a later layer: a cycle in the making" >&2; bad=1
  fi
done <<< "$edges"
echo "layers: ${LAYERS[*]}"
echo "folder include graph (files making each edge):"
awk '{print "  " $1 " -> " $2}' <<< "$edges" | sort | uniq -c | sort -k2,2 -k4,4 | awk '{print "  " $2 " " $3 " " $4 "  (" $1 ")"}'
(( bad == 0 )) && echo "check_layers: no upward include, no cycle"
exit $bad
