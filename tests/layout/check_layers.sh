#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The house's layering, checked from the includes (README "Layout"): a file in one area may
# include headers of its own area and of the areas below it, never of an area above it or
# beside it; and no two modules (a header with its .cpp) include each other.
#
# usage: check_layers.sh SOURCE_DIR
set -euo pipefail
root=${1:?usage: check_layers.sh SOURCE_DIR}
cd "$root"

# Areas from the bottom up; areas on one line are beside each other (neither includes the other).
rank() {
    case $1 in
    base) echo 0 ;;
    http | net) echo 1 ;;
    config) echo 2 ;;
    balance | cluster) echo 3 ;;
    runtime) echo 4 ;;
    proxy | admin) echo 5 ;;
    server) echo 6 ;;
    *) echo "" ;;
    esac
}

failures=0
fail() { echo "layout: $*" >&2; failures=$((failures + 1)); }

declare -A module_includes  # "area/module" -> space-separated "area/module" it includes
for file in $(find src include/switchboard -name '*.cpp' -o -name '*.h' | sort); do
    case $file in
    src/main.cpp) continue ;;
    src/*) rel=${file#src/} ;;
    include/switchboard/*) rel=${file#include/switchboard/} ;;
    esac
    area=${rel%%/*}
    [[ $rel == */* ]] || { fail "$file is in no area folder"; continue; }
    [[ -n $(rank "$area") ]] || { fail "$file: unknown area '$area' (add it to $0)"; continue; }
    module=${rel%.*}
    while read -r included; do
        [[ -n $included ]] || continue
        to_area=${included%%/*}
        to_rank=$(rank "$to_area")
        [[ -n $to_rank ]] || { fail "$file includes switchboard/$included: unknown area"; continue; }
        if [[ $to_area != "$area" ]] && ((to_rank >= $(rank "$area"))); then
            fail "$file ($area) includes switchboard/$included ($to_area): not below it"
        fi
        module_includes[$module]+=" ${included%.h}"
    done < <(sed -n 's|^#include "switchboard/\(.*\)"$|\1|p' "$file")
done

for module in "${!module_includes[@]}"; do
    for other in ${module_includes[$module]}; do
        [[ $other != "$module" ]] || continue
        if [[ " ${module_includes[$other]:-} " == *" $module "* && $module < $other ]]; then
            fail "$module and $other include each other"
        fi
    done
done

if ((failures > 0)); then
    echo "layout: $failures problem(s)" >&2
    exit 1
fi
echo "layout: every include runs down or within its area; no two modules include each other"
