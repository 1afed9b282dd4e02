#!/usr/bin/env bash
# The wheels the GPU image lacks (jsonschema and the three of its dependencies the image does not have), at the
# lock's versions, into .whl/ (ignored by git; carried to the device machine, where gpu_run.sh installs them).
#   bash models/make/fetch_wheels.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
pins=$(for name in jsonschema jsonschema-specifications referencing rpds-py; do
    grep -E "^$name==" requirements/lock-cpu.txt | cut -d' ' -f1
done)
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl $pins
ls .whl
