#!/usr/bin/env bash
# One command from a fresh clone to the main result: install packages, fetch the default corpus
# (King James Bible), build, and run `ntpsep analyze` on it (report in ./ntpsep-out/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
corpora/fetch.sh default
swift build -c release --product ntpsep
bin=$(swift build -c release --show-bin-path)/ntpsep
"$bin" analyze "$@"
