"""Where a run's time goes, rule by rule: start-up (imports), JIT compilation, reading and writing, the work
itself, and waiting for a core.

    python benchmarks/profile_rules.py --run DIR --configfile config/quick.yaml --out FILE.md [--jobs-per-rule K]

``DIR`` is a checkout in which the Snakemake run has finished (its ``results/benchmarks/`` hold each job's
wall-clock and CPU seconds in the run). The script asks Snakemake for every job's shell command (a forced dry
run), then reruns up to K jobs of every rule alone, one after the other, each through ``--stage`` below, which
runs the stage in-process and times its phases:

- imports: the outermost ``import`` statements (``importlib._bootstrap._find_and_load``) and the interpreter's
  start-up (measured separately as ``python -c pass``), per job;
- JIT: JAX's compile events (tracing, lowering, XLA compilation or the persistent cache's load);
- I/O: Parquet, CSV and figure files read or written (pyarrow.parquet, pandas, matplotlib);
- work: the rest of the stage's wall-clock.

Each phase is exclusive (an import inside a read counts as import). A rule's phases come from its sampled jobs:
start-up times its number of jobs, the others scaled to all its jobs by their CPU seconds in the run (the
reference rule has a row per method); waiting is the run's wall-clock of the rule's jobs minus what they would
take alone. The jobs rerun alone still use both cores where they can (XLA's thread pool), as in the run. The rerun jobs rewrite their outputs in ``DIR`` (same bytes, newer
times): profile a copy of a run, not one you mean to continue.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

PHASES = ("imports", "jit", "io", "work")


class Phases:
    """Exclusive phase timers: entering a phase pauses the one it interrupts."""

    def __init__(self):
        self.total = dict.fromkeys(PHASES, 0.0)
        self.stack: list[tuple[str, float]] = []

    def enter(self, phase: str) -> None:
        now = time.perf_counter()
        if self.stack:
            outer, since = self.stack[-1]
            self.total[outer] += now - since
        self.stack.append((phase, now))

    def leave(self) -> None:
        now = time.perf_counter()
        phase, since = self.stack.pop()
        self.total[phase] += now - since
        if self.stack:
            self.stack[-1] = (self.stack[-1][0], now)

    def wrap(self, phase: str, function):
        def timed(*args, **kwargs):
            self.enter(phase)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        timed.__wrapped__ = function
        return timed


IO_FUNCTIONS = {  # module -> attributes whose calls read or write files
    "pyarrow.parquet": ("read_table", "write_table", "read_schema", "read_metadata", "ParquetFile"),
    "pandas": ("read_csv", "read_parquet"),
    "pandas.core.generic": ("NDFrame.to_csv",),
    "matplotlib.figure": ("Figure.savefig",),
}
JIT_EVENTS = ("/jax/core/compile/jaxpr_trace_duration", "/jax/core/compile/jaxpr_to_mlir_module_duration",
              "/jax/core/compile/backend_compile_duration")


def profile_stage(argv: list[str], out: Path) -> int:
    """Run ``python -m activa *argv`` in this process with its phases timed; write them to ``out`` (JSON)."""
    import _frozen_importlib as bootstrap

    phases = Phases()
    jit = {"s": 0.0, "events": 0}
    find_and_load = bootstrap._find_and_load
    depth = [0]

    def after_import(name: str) -> None:
        for module, attributes in IO_FUNCTIONS.items():
            if name == module:
                target = sys.modules[module]
                for attribute in attributes:
                    owner, _, attr = attribute.rpartition(".")
                    holder = getattr(target, owner) if owner else target
                    setattr(holder, attr, phases.wrap("io", getattr(holder, attr)))
        if name == "jax._src.monitoring":
            def listener(event: str, seconds: float, **kwargs) -> None:
                if event in JIT_EVENTS:
                    jit["s"] += seconds
                    jit["events"] += 1

            sys.modules[name].register_event_duration_secs_listener(listener)

    def timed_find_and_load(name, import_):
        depth[0] += 1
        if depth[0] == 1:
            phases.enter("imports")
        try:
            module = find_and_load(name, import_)
        finally:
            if depth[0] == 1:
                phases.leave()
            depth[0] -= 1
        after_import(name)
        return module

    bootstrap._find_and_load = timed_find_and_load
    wall0, cpu0 = time.perf_counter(), time.process_time()
    phases.enter("work")
    from activa.cli import main

    code = main(argv)
    phases.leave()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    total = dict(phases.total)
    total["jit"] = min(jit["s"], total["work"])  # the compile events happen inside the stage's work
    total["work"] -= total["jit"]
    out.write_text(json.dumps({"argv": argv, "code": code, "wall": wall, "cpu": cpu, **total,
                               "jit_events": jit["events"]}))
    return code


def job_commands(run: Path, configfiles: list[str]) -> list[dict]:
    """Every job of the run: rule, benchmark file, first output and shell command, from a forced dry run."""
    command = [sys.executable, "-m", "snakemake", "--forceall", "--dry-run", "--printshellcmds", "--cores", "1",
               *(x for c in configfiles for x in ("--configfile", c))]
    text = subprocess.run(command, cwd=run, capture_output=True, text=True, check=True).stdout
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \w+:\n)", text):
        head = re.match(r"(?:local)?rule (\w+):\n", block)
        bench = re.search(r"^\s+benchmark: (\S+)$", block, re.M)
        shell = re.search(r"^Shell command: (python -m activa .*)$", block, re.M)
        output = re.search(r"^\s+output: ([^,\n]+)", block, re.M)
        if head and bench and shell:
            jobs.append({"rule": head.group(1), "benchmark": bench.group(1), "shell": shell.group(1),
                         "output": output.group(1) if output else None})
    return jobs


def read_benchmark(path: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one job in the run (Snakemake's benchmark file)."""
    header, values = path.read_text().splitlines()[:2]
    row = dict(zip(header.split("\t"), values.split("\t")))
    return float(row["s"]), float(row["cpu_time"])


def rerun_alone(run: Path, job: dict, scratch: Path) -> dict:
    """Rerun one job alone through ``--stage``; its phases, plus its wall and CPU seconds as a whole process."""
    out = scratch / (job["benchmark"].replace("/", "_") + ".json")
    shell = job["shell"].replace("python -m activa ",
                                 f"{shlex.quote(sys.executable)} {shlex.quote(str(Path(__file__).resolve()))} --stage {shlex.quote(str(out))} ", 1)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(["bash", "-c", shell], cwd=run, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    phases = json.loads(out.read_text())
    phases.update(process_wall=wall, process_cpu=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime))
    return phases


def interpreter_start() -> float:
    """Wall seconds of ``python -c pass`` (median of 5): the start-up before any import of the stage."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def pick(jobs: list[dict], k: int) -> list[dict]:
    """k jobs spread over the rule's range of CPU seconds in the run (all of them if it has at most k)."""
    if len(jobs) <= k:
        return jobs
    ordered = sorted(jobs, key=lambda job: job["run_cpu"])
    return [ordered[round(i * (len(ordered) - 1) / (k - 1))] for i in range(k)] if k > 1 else [ordered[-1]]


def main() -> None:
    if sys.argv[1:2] == ["--stage"]:  # one job, rerun by rerun_alone: --stage OUT.json <activa arguments>
        raise SystemExit(profile_stage(sys.argv[3:], Path(sys.argv[2])))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--run", type=Path, help="the checkout the run finished in")
    parser.add_argument("--configfile", action="append", default=[], help="the run's --configfile files")
    parser.add_argument("--jobs-per-rule", type=int, default=3)
    parser.add_argument("--rules", nargs="*", default=None, help="only these rules")
    parser.add_argument("--out", type=Path, help="the Markdown table; a .json beside it holds every job")
    args = parser.parse_args()
    if not (args.run and args.out):
        parser.error("expected --run DIR --out FILE [--configfile ...]")
    run = args.run.resolve()
    jobs = job_commands(run, args.configfile)
    by_rule: dict[str, list[dict]] = {}
    for job in jobs:
        bench = run / job["benchmark"]
        if not bench.exists():
            continue
        job["run_wall"], job["run_cpu"] = read_benchmark(bench)
        if args.rules is None or job["rule"] in args.rules:
            # the reference rule runs very different methods: a row per method (its benchmark folder)
            key = f"reference {Path(job['benchmark']).parent.name}" if job["rule"] == "reference" else job["rule"]
            by_rule.setdefault(key, []).append(job)
    start = interpreter_start()
    scratch = args.out.with_suffix(".jobs")
    scratch.mkdir(parents=True, exist_ok=True)
    rows, detail = [], []
    for rule, rule_jobs in sorted(by_rule.items()):
        sampled = pick(rule_jobs, args.jobs_per_rule)
        for job in sampled:
            print(f"{rule}: {job['benchmark']}", file=sys.stderr, flush=True)
            job["alone"] = rerun_alone(run, job, scratch)
            detail.append(job)
        # phases of the sampled jobs alone, scaled to all of the rule's jobs: start-up per job, the rest by the
        # jobs' CPU seconds in the run
        scale = sum(j["run_cpu"] for j in rule_jobs) / max(sum(j["run_cpu"] for j in sampled), 1e-9)
        per_job = len(rule_jobs) / len(sampled)
        alone = {p: scale * sum(j["alone"][p] for j in sampled) for p in PHASES}
        alone["imports"] = per_job * sum(j["alone"]["imports"] + start for j in sampled)
        alone_wall = alone["imports"] + scale * sum(j["alone"]["process_wall"] - j["alone"]["imports"] - start
                                                    for j in sampled)
        run_wall = sum(j["run_wall"] for j in rule_jobs)
        rows.append({"rule": rule, "jobs": len(rule_jobs), "sampled": len(sampled), "run_wall": run_wall,
                     "run_cpu": sum(j["run_cpu"] for j in rule_jobs), **alone,
                     "other": max(alone_wall - sum(alone.values()), 0.0), "alone_wall": alone_wall,
                     "waiting": run_wall - alone_wall})
    rows.sort(key=lambda r: -r["run_wall"])
    total = {k: sum(r[k] for r in rows) for k in ("jobs", "run_wall", "run_cpu", *PHASES, "other", "alone_wall",
                                                   "waiting")}
    lines = ["| rule | jobs (rerun alone) | run wall s | run CPU s | alone wall s | imports | JIT | I/O | work | "
             "waiting |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in [*rows, {"rule": "**all**", "sampled": sum(r["sampled"] for r in rows), **total}]:
        lines.append(f"| {r['rule']} | {r['jobs']} ({r['sampled']}) | {r['run_wall']:.0f} | {r['run_cpu']:.0f} | "
                     f"{r['alone_wall']:.0f} | " + " | ".join(f"{r[p]:.0f}" for p in PHASES) +
                     f" | {r['waiting']:.0f} |")
    args.out.write_text("\n".join(lines) + "\n")
    args.out.with_suffix(".json").write_text(json.dumps({"interpreter_start_s": start, "rules": rows,
                                                         "jobs": detail}, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
