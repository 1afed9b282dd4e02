"""Training ACTIVA: jit-compiled steps over batches of SCMs, checkpoints, exact resume, a per-step log.

One step: B SCMs drawn uniformly (with replacement) from the training split and, for each, one interventional
regime drawn uniformly (``regimes = "one"``, our reading of v2) or all its R' interventional regimes
(``regimes = "all"``, v1 section 3.4: "simultaneously for all intervention-target pairs", B * R' items); the
observational samples and the query condition the model, the regime's samples are the reconstruction target.
An epoch is ceil(S / B) steps. The step's random key is ``fold_in(key(seed), step)``, so a run is a pure
function of (data, config, seed) and a resumed run continues exactly where the killed one stopped.

Loss per dataset: -log p(V_int | z) summed over its N samples (v2) or averaged over them (v1 eq. 10; the
model's ``RECON_SUM_OVER_SAMPLES``) plus beta * KL(q || prior), the KL estimated by one reparameterised sample
z ~ q: log q(z) - log p(z) (the KL between a Gaussian and a Gaussian mixture, v2's prior or v1's VAMP prior,
has no closed form). Averaged over the batch. The model is either architecture (``activa.model.architectures``).
Optimiser: global-norm clipping (ours, ``grad_clip_norm``; the papers do not clip) then Nadam. Non-finite
gradient entries are set to 0 before the update and counted in the log, as the papers zero them.

Length and learning rate: the papers train ``epochs`` epochs at a constant rate. A budget (ours) trains a fixed
number of steps instead, or about ``budget_seconds`` of wall-clock (converted into steps from the timed first
chunk, and kept by a resumed run), with the rate warmed up linearly over the first ``warmup`` fraction of the
steps and then decayed to 0 at the budget's end (``schedule``: cosine or linear), so a short run ends at a
small step size rather than cut off mid-descent.

``steps_per_call`` steps run inside one jitted ``lax.scan`` call; the log (loss, recon = per-sample NLL,
kl, grad_norm, nonfinite, lr, steps_per_s) gets one row per step.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
from flax import serialization
from tqdm import tqdm

from activa.data.format import Samples
from activa.model import architectures, checkpoint

LOG_COLUMNS = ("step", "loss", "recon", "kl", "grad_norm", "nonfinite", "lr", "steps_per_s")
SCHEDULES = ("constant", "cosine", "linear")
INIT_STREAM = 2**31 - 1  # fold_in index of the initialisation key; steps use 0, 1, 2, ...


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings of one variant (v2 Table 3) plus our run-control settings."""

    batch_size: int = 256
    epochs: int = 5000
    lr: float = 1e-3
    beta: float = 0.1
    seed: int = 42
    regimes: str = "one"  # "one" random interventional regime per SCM and step, or "all" of them
    grad_clip_norm: float = 1.0
    steps_per_call: int = 50
    checkpoint_every: int = 1000
    budget_steps: int | None = None  # train this many steps instead of ``epochs``
    budget_seconds: float | None = None  # or about this many seconds (steps fixed by the first timed chunk)
    schedule: str = "constant"  # learning rate over the run: constant, or warm-up then cosine / linear to 0
    warmup: float = 0.0  # fraction of the run's steps over which the rate rises linearly to lr

    def total_steps(self, n_scm: int) -> int:
        """Steps of the run: the budget's, or ``epochs`` epochs of ceil(n_scm / batch_size) steps."""
        if self.budget_seconds is not None:
            raise ValueError("a wall-clock budget fixes its steps when training starts (train.fit)")
        return self.budget_steps if self.budget_steps is not None else self.epochs * math.ceil(n_scm / self.batch_size)


def lr_scale(step: jax.Array, total: jax.Array, schedule: str, warmup: float) -> jax.Array:
    """Learning-rate multiplier at 0-based ``step`` of a ``total``-step run, in (0, 1].

    Linear warm-up over the first ``warmup * total`` steps, then ``schedule``: constant 1, or a cosine or
    linear decay that reaches 0 at step ``total``.
    """
    step, total = jnp.asarray(step, jnp.float32), jnp.asarray(total, jnp.float32)
    warm = warmup * total
    ramp = jnp.minimum(1.0, (step + 1.0) / jnp.maximum(warm, 1.0))
    progress = jnp.clip((step - warm) / jnp.maximum(total - warm, 1.0), 0.0, 1.0)
    decay = {"constant": jnp.ones_like(progress), "linear": 1.0 - progress,
             "cosine": 0.5 * (1.0 + jnp.cos(jnp.pi * progress))}[schedule]
    return ramp * decay


class TrainData(NamedTuple):
    """Training split on the device. samples [S, R, N, d]; int_regimes/target/value_index [R']."""

    samples: jax.Array
    obs_regime: int
    int_regimes: jax.Array
    target: jax.Array
    value_index: jax.Array

    @classmethod
    def from_samples(cls, data: Samples) -> "TrainData":
        obs = np.flatnonzero(data.target < 0)
        if len(obs) != 1:
            raise ValueError("training data needs exactly one observational regime per SCM")
        inter = data.interventional
        return cls(jnp.asarray(data.samples), int(obs[0]), jnp.asarray(inter), jnp.asarray(data.target[inter], jnp.int32),
                   jnp.asarray(data.value_index[inter], jnp.int32))


def init_params(model, key: jax.Array, n_vars: int, n_samples: int):
    """Parameters of either architecture for data with n_vars variables and n_samples samples per regime."""
    x = jnp.zeros((1, n_samples, n_vars))
    i = jnp.zeros((1,), jnp.int32)
    k_params, k_latent, k_drop = jax.random.split(key, 3)
    return model.init({"params": k_params, "latent": k_latent, "dropout": k_drop}, x, x, i, i, False,
                      method="loss_terms")


def loss_fn(params, model, obs, intv, target, value_index, key, beta: float, train: bool = True):
    """Batch loss and its parts. obs, intv [B, N, d]; target, value_index [B]."""
    k_latent, k_drop = jax.random.split(key)
    nll, kl = model.apply(params, obs, intv, target, value_index, train, method="loss_terms",
                          rngs={"latent": k_latent, "dropout": k_drop})  # [B] each; nll per sample
    recon = nll * obs.shape[1] if model.RECON_SUM_OVER_SAMPLES else nll
    loss = jnp.mean(recon + beta * kl)
    return loss, {"recon": jnp.mean(nll), "kl": jnp.mean(kl)}


def optimizer(tcfg: TrainConfig) -> optax.GradientTransformation:
    return optax.chain(optax.clip_by_global_norm(tcfg.grad_clip_norm), optax.nadam(tcfg.lr))


def make_run(model, tcfg: TrainConfig, n_steps: int):
    """A jitted function (params, opt_state, first step, total steps, data) -> (params, opt_state, metrics [n_steps]).

    The total only sets the learning-rate schedule, so one compiled chunk serves any run length; ``data`` (the
    ``TrainData`` the chunk draws its batches from) is an argument rather than a constant of the compiled program.
    """
    tx = optimizer(tcfg)
    base = jax.random.key(tcfg.seed)

    scheduled = tcfg.schedule != "constant" or tcfg.warmup > 0

    def one_step(carry, step, total, data: TrainData):
        params, opt_state = carry
        n_scm, n_int = data.samples.shape[0], data.int_regimes.shape[0]
        k_batch, k_regime, k_loss = jax.random.split(jax.random.fold_in(base, step), 3)
        idx = jax.random.randint(k_batch, (tcfg.batch_size,), 0, n_scm)
        if tcfg.regimes == "all":  # every interventional regime of every drawn SCM: B * R' items
            idx, r = jnp.repeat(idx, n_int), jnp.tile(jnp.arange(n_int), tcfg.batch_size)
        else:
            r = jax.random.randint(k_regime, (tcfg.batch_size,), 0, n_int)
        obs = data.samples[idx, data.obs_regime]
        intv = data.samples[idx, data.int_regimes[r]]
        (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            params, model, obs, intv, data.target[r], data.value_index[r], k_loss, tcfg.beta)
        nonfinite = sum(jnp.sum(~jnp.isfinite(g)) for g in jax.tree.leaves(grads))
        grads = jax.tree.map(lambda g: jnp.where(jnp.isfinite(g), g, 0.0), grads)
        updates, opt_state = tx.update(grads, opt_state, params)
        scale = jnp.float32(1.0)
        if scheduled:  # Nadam's update is lr times a direction, so scaling it is the scheduled rate
            scale = lr_scale(step, total, tcfg.schedule, tcfg.warmup)
            updates = jax.tree.map(lambda u: u * scale, updates)
        params = optax.apply_updates(params, updates)
        metrics = {"loss": loss, **parts, "grad_norm": optax.tree.norm(grads), "nonfinite": nonfinite,
                   "lr": tcfg.lr * scale}
        return (params, opt_state), metrics

    @jax.jit
    def run(params, opt_state, first_step, total, data):
        (params, opt_state), metrics = jax.lax.scan(lambda carry, step: one_step(carry, step, total, data),
                                                    (params, opt_state), first_step + jnp.arange(n_steps))
        return params, opt_state, metrics

    return run


def steps_in_seconds(run, params, opt_state, data: TrainData, n: int, seconds: float) -> int:
    """Steps that fit in ``seconds`` at the rate of ``run`` (an ``n``-step chunk), timed on its second call.

    The chunks run on copies of the state and are discarded: training starts afterwards from step 0.
    """
    jax.block_until_ready(run(params, opt_state, 0, n, data))  # compiles
    start = time.perf_counter()
    jax.block_until_ready(run(params, opt_state, n, 2 * n, data))
    rate = n / (time.perf_counter() - start)
    return max(n, int(seconds * rate) // n * n)  # whole chunks: no chunk of another length to compile


def fit(data: Samples, model_cfg, tcfg: TrainConfig, checkpoint_path: str | Path, *,
        progress: bool = True, stop_after: int | None = None, describe: str = "train"):
    """Train (or resume from ``checkpoint_path``) for the run's steps; returns (params, log DataFrame).

    The run's steps: ``tcfg.total_steps``, or for a wall-clock budget the rate of the second compiled chunk
    (timed on a throw-away copy of the state) times ``budget_seconds``; a resumed run keeps the saved number.

    ``stop_after``: stop once this many steps are done (after writing a checkpoint), as a kill would.
    """
    if tcfg.checkpoint_every % tcfg.steps_per_call:
        raise ValueError(f"checkpoint_every ({tcfg.checkpoint_every}) must be a multiple of steps_per_call "
                         f"({tcfg.steps_per_call})")
    train_data = TrainData.from_samples(data)
    S, _, N, d = data.samples.shape
    if tcfg.regimes not in ("one", "all"):
        raise ValueError(f"regimes: expected 'one' or 'all', got {tcfg.regimes!r}")
    if tcfg.schedule not in SCHEDULES:
        raise ValueError(f"schedule: expected one of {list(SCHEDULES)}, got {tcfg.schedule!r}")
    model = architectures.build(model_cfg)
    params = init_params(model, jax.random.fold_in(jax.random.key(tcfg.seed), INIT_STREAM), d, N)
    opt_state = optimizer(tcfg).init(params)
    meta = {"architecture": architectures.name_of(model_cfg), "model_config": model_cfg.to_dict(),
            "train_config": asdict(tcfg), "n_scm": S, "n_vars": d, "n_samples": N}
    step, rows, runs = 0, {c: [] for c in LOG_COLUMNS}, {}

    def run_of(n: int):  # one compiled chunk per length
        if n not in runs:
            runs[n] = make_run(model, tcfg, n)
        return runs[n]

    checkpoint_path = Path(checkpoint_path)
    if checkpoint_path.exists():
        tree, saved = checkpoint.load(checkpoint_path)
        if saved["run"] != meta:
            raise ValueError(f"{checkpoint_path}: checkpoint of a different run (config or data changed); delete it "
                             "to start over")
        params = serialization.from_state_dict(params, tree["params"])
        opt_state = serialization.from_state_dict(opt_state, tree["opt_state"])
        step = int(saved["step"])
        total = int(saved["total_steps"]) if "total_steps" in saved else tcfg.total_steps(S)  # older checkpoints
        rows = {c: list(np.asarray(tree["log"][c])) for c in LOG_COLUMNS}
    elif tcfg.budget_seconds is not None:
        total = steps_in_seconds(run_of(tcfg.steps_per_call), params, opt_state, train_data, tcfg.steps_per_call,
                                 tcfg.budget_seconds)
    else:
        total = tcfg.total_steps(S)
    bar = tqdm(total=total, initial=step, desc=describe, unit="step", file=sys.stderr, disable=not progress,
               mininterval=2.0)
    try:
        while step < total and (stop_after is None or step < stop_after):
            n = min(tcfg.steps_per_call, total - step)
            start = time.perf_counter()
            params, opt_state, metrics = run_of(n)(params, opt_state, step, total, train_data)
            metrics = jax.device_get(metrics)
            rate = n / (time.perf_counter() - start)
            rows["step"] += list(range(step + 1, step + n + 1))
            for c in ("loss", "recon", "kl", "grad_norm", "nonfinite", "lr"):
                rows[c] += list(np.asarray(metrics[c], dtype=np.float64))
            rows["steps_per_s"] += [rate] * n
            step += n
            bar.update(n)
            bar.set_postfix(loss=f"{float(metrics['loss'][-1]):.3g}", refresh=False)
            if step % tcfg.checkpoint_every == 0 or step == total:
                log = {c: np.asarray(v, dtype=np.float64) for c, v in rows.items()}
                checkpoint.save(checkpoint_path, {"params": params, "opt_state": opt_state, "log": log},
                                {"run": meta, "step": step, "total_steps": total})
    finally:
        bar.close()
    frame = pd.DataFrame({c: np.asarray(rows[c], dtype=np.float64) for c in LOG_COLUMNS})
    frame["step"] = frame["step"].astype(np.int64)
    frame["nonfinite"] = frame["nonfinite"].astype(np.int64)
    return params, frame
