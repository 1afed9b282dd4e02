"""Choose each shipped model's inference setting on its validation split, as the pipeline does, and re-ship it.

    python models/make/select_inference.py [--variants gauss2 ...] [--to models] [--config config/config.yaml]
                                           [--networks resources/grn] [--work DIR]

For every shipped model (or the ``--variants``): the validation split of its training family is simulated by the
``simulate`` stage (paper-scale config: 300 SCMs from their own seed stream; SERGIO needs the networks of the
``networks`` stage), then the ``select-inference`` stage scores every candidate setting on it and writes the model
file with the chosen setting and every candidate's scores in its metadata. That file replaces the shipped one
(the parameters are unchanged: only the metadata grows), and the manifest entry gets its new SHA-256 and size and
the setting (``inference``). The pipeline's ``select-inference`` then finds the scores it would compute in the
file and only makes the choice again; ``TrainedModel.pretrained(...).predict`` uses the setting by default.
``--work`` keeps the validation splits and each model's candidate table (``<variant>.inference.csv``, the input of
the ``settings-table`` stage) in ``DIR`` instead of a temporary directory; a rerun with the same ``DIR`` reuses the
splits. ``ship.py`` calls ``select`` after shipping a GPU run's models, so that they are chosen the same way.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from activa import config as cfg  # noqa: E402
from activa.data.format import atomic_path, sha256  # noqa: E402
from activa.model import checkpoint  # noqa: E402
from stage_command import run_stage  # noqa: E402


def select(variants: list[str], to: Path, configs: list[Path], networks: Path | None, work: Path) -> None:
    """Re-ship ``variants`` of the manifest in ``to`` with their inference setting chosen on validation data."""
    config = cfg.load_config(configs)
    manifest_path = to / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    for variant in variants:
        entry = manifest["models"][variant]
        family = entry["training_data"]["family"]
        spec = cfg.family(config, family)
        samples = work / f"{family}.validation.samples.parquet"
        if not samples.exists():
            extra = ["--networks", networks or ROOT / "resources/grn"] if spec["generator"] == "sergio" else []
            run_stage("simulate", configs, "--family", family, "--split", "validation", "--out-samples", samples,
                      "--out-scms", work / f"{family}.validation.scms.parquet", *extra)
        model = to / entry["file"]
        variant_spec = config["activa"]["variants"][variant]
        inference = config["activa"]["inference"]
        n_latents = inference["methods"]["activa"] if variant_spec["architecture"] == "v2" \
            else inference["variant_methods"]
        out = work / f"{variant}.msgpack"
        run_stage("select-inference", configs, "--model", model, "--data", samples, "--n-latents", n_latents,
                  "--out-model", out, "--out-table", work / f"{variant}.inference.csv")
        with atomic_path(model) as path:
            shutil.copyfile(out, path)
        _, meta = checkpoint.load(model)
        entry.update(sha256=sha256(model), bytes=model.stat().st_size,
                     inference={key: meta["inference"][key] for key in ("setting", "choice", "rule", "validation")})
        print(f"{variant}: {meta['inference']['setting']} ({meta['inference']['choice']}, chosen on "
              f"{meta['inference']['validation']['scms']} validation SCMs of {family})")
    with atomic_path(manifest_path) as path:
        path.write_text(json.dumps(manifest, indent=1) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=None, help="default: every shipped model")
    parser.add_argument("--config", action="append", type=Path, default=None)
    parser.add_argument("--to", type=Path, default=ROOT / "models")
    parser.add_argument("--networks", type=Path, default=None, help="SERGIO's networks (stage networks); default "
                                                                     "resources/grn")
    parser.add_argument("--work", type=Path, default=None,
                        help="keep the validation splits and candidate tables here (default: a temporary directory)")
    args = parser.parse_args()
    configs = args.config or [ROOT / "config" / "config.yaml"]
    variants = args.variants or sorted(json.loads((args.to / "manifest.json").read_text())["models"])
    if args.work is not None:
        args.work.mkdir(parents=True, exist_ok=True)
        select(variants, args.to, configs, args.networks, args.work)
        return
    with tempfile.TemporaryDirectory() as work:
        select(variants, args.to, configs, args.networks, Path(work))


if __name__ == "__main__":
    main()
