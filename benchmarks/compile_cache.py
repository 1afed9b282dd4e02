"""What JAX's persistent compilation cache saves: a stage command run twice against one empty cache folder.

    python benchmarks/compile_cache.py --run DIR --configfile config/quick.yaml --jobs predict/activa_gauss2 ...

For each named job of a finished run in ``DIR`` (its benchmark file's name under ``results/benchmarks/``, e.g.
``predict/activa_gauss8``, ``train/v1_gaussian``), the job's command (from Snakemake's dry run) runs alone twice
with ``JAX_COMPILATION_CACHE_DIR`` set to a new empty folder: the first process compiles and fills the cache, the
second loads from it. Prints wall, CPU and JIT seconds (``profile_rules.py``'s phases) of both processes, and
checks that both wrote the same first output (``compare_outputs.py``'s rule: a model file's parameters and
metadata without its lineage's times). The jobs rewrite their outputs in ``DIR`` (same bytes): use a copy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from compare_outputs import same_content
from profile_rules import job_commands, rerun_alone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--configfile", action="append", default=[])
    parser.add_argument("--jobs", nargs="+", required=True, help="e.g. predict/activa_gauss8 train/v1_gaussian")
    args = parser.parse_args()
    run = args.run.resolve()
    jobs = {job["benchmark"].removeprefix("results/benchmarks/").removesuffix(".tsv"): job
            for job in job_commands(run, args.configfile)}
    print("| job | first process: wall / CPU / JIT s | second process (cache filled) | outputs |")
    print("|---|---:|---:|---|")
    for name in args.jobs:
        job = jobs[name]
        cache = Path(tempfile.mkdtemp(prefix="activa-jax-cache-"))
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(cache)
        scratch = Path(tempfile.mkdtemp(prefix="activa-profile-"))
        output = run / job["output"]
        first = scratch / ("first" + output.suffix)
        results = [rerun_alone(run, job, scratch)]
        shutil.copy(output, first)
        results.append(rerun_alone(run, job, scratch))
        if first.read_bytes() == output.read_bytes():
            same = "same bytes"
        else:
            equal, how = same_content(first, output)
            same = f"equal ({how})" if equal else "DIFFER"
        print(f"| {name} | " + " | ".join(f"{r['process_wall']:.1f} / {r['process_cpu']:.1f} / {r['jit']:.1f}"
                                         for r in results) + f" | {same} |", flush=True)
        shutil.rmtree(cache)
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
