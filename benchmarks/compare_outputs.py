"""Are two runs' outputs the same? Every file of ``results/`` byte for byte, and where bytes differ, what differs.

    python benchmarks/compare_outputs.py BEFORE/results AFTER/results [--out FILE.md]

Files that hold the time of the run are compared without it, each named: a PDF's creation date (matplotlib writes
it), a training log's ``time`` and ``steps_per_s`` columns, a model file's lineage entries ``date`` and
``compile_s``, ``train_s``, ``wall_s`` (and ``flops_per_step``, XLA's count for the compiled chunk, reported beside), the training-cost
table's seconds and rate columns. Benchmarks and logs are skipped. Prints one line per class of file and every
file that differs in anything else; exits 1 if one does.
"""

from __future__ import annotations

import argparse
import filecmp
import io
import re
import sys
from pathlib import Path

SKIPPED = ("benchmarks", "logs")
TIMES_OF_RUN = {"date", "compile_s", "train_s", "wall_s", "flops_per_step"}  # lineage: when and how fast it trained
LOG_TIMES = ("time", "steps_per_s")


def pdf_without_date(path: Path) -> bytes:
    return re.sub(rb"/CreationDate \(D:[^)]*\)", b"", path.read_bytes())


def model_content(path: Path):
    """(parameters as bytes, metadata without the lineage's times) of a model file."""
    import numpy as np
    from activa.model import checkpoint
    import jax

    tree, meta = checkpoint.load(path)
    params = [(jax.tree_util.keystr(p), np.asarray(v).tobytes()) for p, v in jax.tree_util.tree_leaves_with_path(tree)]
    meta = dict(meta)
    meta["lineage"] = [{k: v for k, v in run.items() if k not in TIMES_OF_RUN} for run in meta.get("lineage", [])]
    return params, meta


def csv_without(path: Path, columns) -> str:
    import pandas as pd

    frame = pd.read_csv(path)
    return frame.drop(columns=[c for c in columns if c in frame.columns]).to_csv(index=False)


def training_cost_without_times(path: Path) -> str:
    """The training-cost table (CSV or Markdown) without its columns of seconds and rates."""
    if path.suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(path)
        keep = [c for c in frame.columns if not re.search(r"(second|_s$|per_s|rate|time)", c)]
        return frame[keep].to_csv(index=False)
    lines = path.read_text().splitlines()
    table = [i for i, line in enumerate(lines) if line.startswith("|")]
    if not table:
        return path.read_text()
    header = [c.strip() for c in lines[table[0]].strip("|").split("|")]
    drop = {i for i, c in enumerate(header) if re.search(r"(second|min|/s|rate|time|\bs\b)", c, re.I)}
    out = []
    for i, line in enumerate(lines):
        if i in table:
            cells = line.strip().strip("|").split("|")
            line = "|".join(c for j, c in enumerate(cells) if j not in drop)
        out.append(line)
    return "\n".join(out)


def same_content(a: Path, b: Path) -> tuple[bool, str]:
    """(equal?, how compared) for two files that differ in bytes."""
    if a.suffix == ".pdf":
        return pdf_without_date(a) == pdf_without_date(b), "PDF without its creation date"
    if a.suffix == ".msgpack":
        return model_content(a) == model_content(b), "model: parameters and metadata, lineage without " + \
            ", ".join(sorted(TIMES_OF_RUN))
    if a.name == "train_log.csv":
        return csv_without(a, LOG_TIMES) == csv_without(b, LOG_TIMES), "training log without " + ", ".join(LOG_TIMES)
    if a.parent.name == "tables" and a.stem == "training_cost":
        return training_cost_without_times(a) == training_cost_without_times(b), "training cost without its times"
    return False, "bytes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--out", type=Path, help="also write the report here (Markdown)")
    args = parser.parse_args()

    def files(root: Path) -> set[str]:
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                and p.relative_to(root).parts[0] not in SKIPPED}

    before, after = files(args.before), files(args.after)
    lines = [f"# {args.before} against {args.after}", ""]
    for name, only in (("before", before - after), ("after", after - before)):
        if only:
            lines.append(f"- only {name}: {', '.join(sorted(only))}")
    identical, explained, differ = [], {}, []
    for rel in sorted(before & after):
        a, b = args.before / rel, args.after / rel
        if filecmp.cmp(a, b, shallow=False):
            identical.append(rel)
            continue
        equal, how = same_content(a, b)
        (explained.setdefault(how, []).append(rel) if equal else differ.append(rel))
    lines.append(f"- {len(identical)} files byte-identical")
    for how, rels in explained.items():
        lines.append(f"- {len(rels)} files equal as {how}: {', '.join(rels)}")
    lines.append(f"- {len(differ)} files differ" + (": " + ", ".join(differ) if differ else ""))
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text)
    sys.exit(1 if differ or before ^ after else 0)


if __name__ == "__main__":
    main()
