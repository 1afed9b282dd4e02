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
steps and then decayed to 0 at the budget's end (``schedule``: cosine or linear; wsd: constant, then linear to 0
over the last ``decay`` fraction), so a short run ends at a small step size rather than cut off mid-descent. A
``deadline`` (a wall-clock time, for runs sharing one GPU: ``models/make/gpu_run.py``) re-plans the run's steps
after every chunk from the recent rate, so that the schedule ends when the time does.

Recipe (ours; ``activa.recipes``, the papers' is ``paper``): ``data`` "split" draws every batch from the training
split, "fresh" draws new SCMs of the split's family for every batch on the device (``activa.data.scm_device``;
linear families); ``ema``, if set, keeps an exponential moving average of the weights (debiased, decay ``ema``)
and the run returns it instead of the last weights. ``precision`` "bfloat16" computes the model's matrix
products in bfloat16 (``activa.model.v2``); parameters, optimiser state, the loss and the densities stay float32.

``init`` starts from a trained model's parameters (a warm start: fresh optimiser state, the budget's warm-up).

``steps_per_call`` steps run inside one compiled ``lax.scan`` call; the log (loss, recon = per-sample NLL,
kl, grad_norm, nonfinite, lr, steps_per_s, time = Unix time at the end of the step's chunk) gets one row per step.
XLA's cost analysis of a chunk counts its loop body once, which is one step's floating-point operations
(``info["flops_per_step"]``).
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pandas as pd
from flax import serialization
from tqdm import tqdm

from activa.data.format import DataError, Samples
from activa.model import architectures, checkpoint

LOG_COLUMNS = ("step", "loss", "recon", "kl", "grad_norm", "nonfinite", "lr", "steps_per_s", "time")
LOG_FORMATS = {"time": "{:.3f}"}  # the log's CSV: Unix seconds to the millisecond (6 digits: to 10,000 s)
SCHEDULES = ("constant", "cosine", "linear", "wsd")
DATA_SOURCES = ("split", "fresh")
DEADLINE_FIRST_GUESS = 100  # chunks a deadline run plans before its first chunk is timed
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
    schedule: str = "constant"  # learning rate over the run: constant, or warm-up then cosine / linear / wsd to 0
    warmup: float = 0.0  # fraction of the run's steps over which the rate rises linearly to lr
    decay: float = 0.2  # wsd: fraction of the run's last steps over which the rate falls linearly to 0
    precision: str = "float32"  # compute dtype of the matrix products: float32 (the papers') or bfloat16
    recipe: str = "paper"  # the recipe's name (activa.recipes), for the record
    data: str = "split"  # recipe: batches from the training "split", or "fresh" SCMs of its family per batch
    ema: float | None = None  # recipe: decay of an exponential moving average of the weights, or None

    def total_steps(self, n_scm: int) -> int:
        """Steps of the run: the budget's, or ``epochs`` epochs of ceil(n_scm / batch_size) steps."""
        if self.budget_seconds is not None:
            raise ValueError("a wall-clock budget fixes its steps when training starts (train.fit)")
        return self.budget_steps if self.budget_steps is not None else self.epochs * math.ceil(n_scm / self.batch_size)


def lr_scale(step: jax.Array, total: jax.Array, schedule: str, warmup: float, decay: float = 0.2) -> jax.Array:
    """Learning-rate multiplier at 0-based ``step`` of a ``total``-step run, in (0, 1].

    Linear warm-up over the first ``warmup * total`` steps, then ``schedule``: constant 1, a cosine or linear
    decay that reaches 0 at step ``total``, or wsd (warm-up, stable, decay): 1 until the last ``decay * total``
    steps, then linear to 0 at step ``total``.
    """
    step, total = jnp.asarray(step, jnp.float32), jnp.asarray(total, jnp.float32)
    warm = warmup * total
    ramp = jnp.minimum(1.0, (step + 1.0) / jnp.maximum(warm, 1.0))
    progress = jnp.clip((step - warm) / jnp.maximum(total - warm, 1.0), 0.0, 1.0)
    factor = {"constant": jnp.ones_like(progress), "linear": 1.0 - progress,
              "cosine": 0.5 * (1.0 + jnp.cos(jnp.pi * progress)),
              "wsd": jnp.clip((total - step) / jnp.maximum(decay * total, 1.0), 0.0, 1.0)}[schedule]
    return ramp * factor


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


@partial(jax.jit, static_argnums=(0, 2, 3))
def init_params(model, key: jax.Array, n_vars: int, n_samples: int):
    """Parameters of either architecture for data with n_vars variables and n_samples samples per regime.

    Compiled as one program: run op by op, Flax's initialisation compiles each of its few hundred operations on
    its own (about 15 s on two CPU cores for a v1 model); the parameters are the same bits either way."""
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


class TrainState(NamedTuple):
    """What a training step carries: parameters, optimiser state, and the weights' moving average (or ())."""

    params: dict
    opt_state: tuple
    ema: tuple


def initial_state(tcfg: TrainConfig, params) -> TrainState:
    """A fresh optimiser (and moving average) for ``params``."""
    return TrainState(params, optimizer(tcfg).init(params), optax.ema(tcfg.ema).init(params) if tcfg.ema else ())


def final_params(tcfg: TrainConfig, state: TrainState):
    """The weights a run returns: the debiased moving average if the recipe keeps one, else the last weights."""
    if not tcfg.ema:
        return state.params
    count = state.ema.count
    return jax.tree.map(lambda m: m / (1.0 - tcfg.ema ** count), state.ema.ema)


def make_run(model, tcfg: TrainConfig, n_steps: int, fresh: tuple[dict, np.ndarray | None] | None = None):
    """A jitted function (state, first step, total steps, data) -> (state, metrics [n_steps]).

    The total sets the learning-rate schedule and where the run ends: the steps of a chunk from ``total`` on are
    skipped (their metrics are zeros), so one compiled chunk serves any run length; ``data`` (the
    ``TrainData`` the chunk draws its batches from) is an argument rather than a constant of the compiled program.
    ``fresh`` = (family spec, graph pool or None): draw every batch as new SCMs of that family instead
    (``activa.data.scm_device``); ``data`` is then unused.
    """
    tx = optimizer(tcfg)
    ema_tx = optax.ema(tcfg.ema) if tcfg.ema else None
    base = jax.random.key(tcfg.seed)
    scheduled = tcfg.schedule != "constant" or tcfg.warmup > 0
    if fresh is not None:
        from activa.data import scm_device

        spec, pool = fresh
        pool = None if pool is None else jnp.asarray(pool)

    def batch(k_batch, k_regime, data: TrainData):
        if fresh is not None:
            return scm_device.sample_batch(k_batch, spec, tcfg.batch_size, tcfg.regimes, pool)
        n_scm, n_int = data.samples.shape[0], data.int_regimes.shape[0]
        idx = jax.random.randint(k_batch, (tcfg.batch_size,), 0, n_scm)
        if tcfg.regimes == "all":  # every interventional regime of every drawn SCM: B * R' items
            idx, r = jnp.repeat(idx, n_int), jnp.tile(jnp.arange(n_int), tcfg.batch_size)
        else:
            r = jax.random.randint(k_regime, (tcfg.batch_size,), 0, n_int)
        return (data.samples[idx, data.obs_regime], data.samples[idx, data.int_regimes[r]], data.target[r],
                data.value_index[r])

    def one_step(state: TrainState, step, total, data: TrainData):
        k_batch, k_regime, k_loss = jax.random.split(jax.random.fold_in(base, step), 3)
        obs, intv, target, value_index = batch(k_batch, k_regime, data)
        (loss, parts), grads = jax.value_and_grad(loss_fn, has_aux=True)(
            state.params, model, obs, intv, target, value_index, k_loss, tcfg.beta)
        nonfinite = sum(jnp.sum(~jnp.isfinite(g)) for g in jax.tree.leaves(grads))
        grads = jax.tree.map(lambda g: jnp.where(jnp.isfinite(g), g, 0.0), grads)
        updates, opt_state = tx.update(grads, state.opt_state, state.params)
        scale = jnp.float32(1.0)
        if scheduled:  # Nadam's update is lr times a direction, so scaling it is the scheduled rate
            scale = lr_scale(step, total, tcfg.schedule, tcfg.warmup, tcfg.decay)
            updates = jax.tree.map(lambda u: u * scale, updates)
        params = optax.apply_updates(state.params, updates)
        ema = ema_tx.update(params, state.ema)[1] if ema_tx is not None else ()
        metrics = {"loss": loss, **parts, "grad_norm": optax.tree.norm(grads), "nonfinite": nonfinite,
                   "lr": tcfg.lr * scale}
        return TrainState(params, opt_state, ema), metrics

    def step_or_skip(state: TrainState, step, total, data: TrainData):
        """``one_step`` for the steps before ``total``; past it (the last chunk of a run whose length is not a
        multiple of ``n_steps``) the state passes unchanged and the metrics are zeros."""
        def skip(state):
            shapes = jax.eval_shape(lambda s: one_step(s, step, total, data)[1], state)
            return state, jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)

        return jax.lax.cond(step < total, lambda s: one_step(s, step, total, data), skip, state)

    @jax.jit
    def run(state: TrainState, first_step, total, data):
        return jax.lax.scan(lambda carry, step: step_or_skip(carry, step, total, data), state,
                            first_step + jnp.arange(n_steps))

    return run


def compile_chunk(run, state: TrainState, data: TrainData):
    """(compiled chunk, XLA's FLOPs of one step): ``run`` compiled ahead of time for these shapes.

    XLA's cost analysis counts the scan's body once, so the chunk's count is one step's FLOPs (NaN if the
    backend gives none).
    """
    compiled = run.lower(state, 0, 1, data).compile()
    return compiled, cost_of(compiled)["flops"]


def cost_of(compiled) -> dict:
    """XLA's cost analysis of a compiled program: {"flops": ..., "bytes": ...} (NaN where the backend gives none)."""
    cost = compiled.cost_analysis()
    cost = (cost[0] if isinstance(cost, (list, tuple)) and cost else cost) or {}
    return {"flops": float(cost.get("flops", float("nan"))), "bytes": float(cost.get("bytes accessed", float("nan")))}


def steps_in_seconds(run, state: TrainState, data: TrainData, n: int, seconds: float) -> int:
    """Steps that fit in ``seconds`` at the rate of ``run`` (an ``n``-step chunk), timed on its second call.

    The chunks run on copies of the state and are discarded: training starts afterwards from step 0.
    """
    jax.block_until_ready(run(state, 0, n, data))  # compiles, or loads the compiled program
    start = time.perf_counter()
    jax.block_until_ready(run(state, n, 2 * n, data))
    rate = n / (time.perf_counter() - start)
    return max(n, int(seconds * rate) // n * n)  # whole chunks: no chunk of another length to compile


def planned_total(step: int, n: int, rates: list[float], deadline: float, now: float) -> int:
    """A deadline run's steps: ``step`` plus the whole ``n``-step chunks that fit before ``deadline`` at the
    median rate of the last five chunks (steps per second); before any chunk is timed, ``DEADLINE_FIRST_GUESS``
    chunks."""
    if not rates:
        return step + n * DEADLINE_FIRST_GUESS
    rate = float(np.median(rates[-5:]))
    return step + max(0, int((deadline - now) * rate) // n) * n


def fit(data: Samples, model_cfg, tcfg: TrainConfig, checkpoint_path: str | Path, *,
        progress: bool = True, stop_after: int | None = None, describe: str = "train",
        init: tuple[dict, dict] | None = None, deadline: float | None = None, train_seconds: float | None = None,
        info: dict | None = None):
    """Train (or resume from ``checkpoint_path``) for the run's steps; returns (params, log DataFrame).

    The run's steps: ``tcfg.total_steps``, or for a wall-clock budget the rate of the second compiled chunk
    (timed on a throw-away copy of the state) times ``budget_seconds``; a resumed run keeps the saved number.
    With ``deadline`` (Unix time) the steps are re-planned after every chunk (``planned_total``) and the run ends
    at the last whole chunk that fits; ``train_seconds`` sets the deadline that many seconds after the training
    chunk is compiled (or loaded from JAX's compilation cache).

    ``init`` = (parameter tree of a trained model, a description of it for the record): start from those
    parameters. ``stop_after``: stop once this many steps are done (after writing a checkpoint), as a kill would.
    ``info``, if given, receives ``flops_per_step`` and ``compile_s`` (the first chunk's compile or cache load).
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
    if tcfg.data not in DATA_SOURCES:
        raise ValueError(f"data: expected one of {list(DATA_SOURCES)}, got {tcfg.data!r}")
    fresh = None
    if tcfg.data == "fresh":
        fresh = fresh_source(data)
    model = architectures.build(model_cfg, tcfg.precision)
    params = init_params(model, jax.random.fold_in(jax.random.key(tcfg.seed), INIT_STREAM), d, N)
    if init is not None:
        params = jax.tree.map(jnp.asarray, serialization.from_state_dict(params, init[0]))
    state = initial_state(tcfg, params)
    meta = {"architecture": architectures.name_of(model_cfg), "model_config": model_cfg.to_dict(),
            "train_config": asdict(tcfg), "n_scm": S, "n_vars": d, "n_samples": N,
            "init": None if init is None else init[1]}
    step, rows, compiled = 0, {c: [] for c in LOG_COLUMNS}, []
    report = {"flops_per_step": float("nan"), "compile_s": 0.0}

    def chunk():  # the compiled steps_per_call-step chunk, compiled on first use: every chunk of the run is it
        if not compiled:
            start = time.perf_counter()
            run, flops = compile_chunk(make_run(model, tcfg, tcfg.steps_per_call, fresh), state, train_data)
            compiled.append(run)
            report.update(flops_per_step=flops, compile_s=time.perf_counter() - start)
        return compiled[0]

    if train_seconds is not None:
        chunk()
        deadline = time.time() + train_seconds
    checkpoint_path = Path(checkpoint_path)
    if checkpoint_path.exists():
        try:
            tree, saved = checkpoint.load(checkpoint_path)
        except DataError as exc:
            raise DataError(f"{exc}. The training checkpoint cannot be resumed from: delete it (rm {checkpoint_path}) "
                            "and training starts over from step 0") from None
        if saved["run"] != meta:
            raise DataError(f"{checkpoint_path}: checkpoint of a different run (config, data or initial model "
                            "changed); delete it to start over")
        state = serialization.from_state_dict(state, tree["state"])
        step = int(saved["step"])
        total = int(saved["total_steps"])
        rows = {c: list(np.asarray(tree["log"][c])) for c in LOG_COLUMNS}
    elif deadline is not None:
        total = planned_total(0, tcfg.steps_per_call, [], deadline, time.time())
    elif tcfg.budget_seconds is not None:
        total = steps_in_seconds(chunk(), state, train_data, tcfg.steps_per_call,
                                 tcfg.budget_seconds)
    else:
        total = tcfg.total_steps(S)
    bar = tqdm(total=total, initial=step, desc=describe, unit="step", file=sys.stderr, disable=not progress,
               mininterval=2.0)
    rates = []
    try:
        while stop_after is None or step < stop_after:
            if deadline is not None:
                total = planned_total(step, tcfg.steps_per_call, rates, deadline, time.time())
                bar.total = total
            if step >= total:
                break
            n = min(tcfg.steps_per_call, total - step)  # the chunk's steps before the run's end
            run = chunk()
            start = time.perf_counter()
            state, metrics = run(state, step, total, train_data)
            metrics = jax.tree.map(lambda m: m[:n], jax.device_get(metrics))
            rate = n / (time.perf_counter() - start)
            rates.append(rate)
            rows["step"] += list(range(step + 1, step + n + 1))
            for c in ("loss", "recon", "kl", "grad_norm", "nonfinite", "lr"):
                rows[c] += list(np.asarray(metrics[c], dtype=np.float64))
            rows["steps_per_s"] += [rate] * n
            rows["time"] += [time.time()] * n
            step += n
            bar.update(n)
            bar.set_postfix(loss=f"{float(metrics['loss'][-1]):.3g}", refresh=False)
            last = step == total and deadline is None
            if step % tcfg.checkpoint_every == 0 or last:
                save_checkpoint(checkpoint_path, state, rows, meta, step, total)
    finally:
        bar.close()
    if deadline is not None and step > 0 and (stop_after is None or step < stop_after):  # its length is known now
        save_checkpoint(checkpoint_path, state, rows, meta, step, step)
    if info is not None:
        info.update(report)
    frame = pd.DataFrame({c: np.asarray(rows[c], dtype=np.float64) for c in LOG_COLUMNS})
    frame["step"] = frame["step"].astype(np.int64)
    frame["nonfinite"] = frame["nonfinite"].astype(np.int64)
    return final_params(tcfg, state), frame


def save_checkpoint(path: Path, state: TrainState, rows: dict, meta: dict, step: int, total: int) -> None:
    log = {c: np.asarray(v, dtype=np.float64) for c, v in rows.items()}
    checkpoint.save(path, {"state": state, "log": log}, {"run": meta, "step": step, "total_steps": total})


def fresh_source(data: Samples) -> tuple[dict, np.ndarray | None]:
    """(family spec, graph pool or None) of the recipe ``data: fresh``, from the training split's metadata.

    The split records the config of the family that generated it; fresh SCMs follow the same generator.
    """
    from activa.data.families import KINDS
    from activa.data.scm_device import graph_pool_of

    spec = data.meta.get("config") or {}
    if spec.get("generator") not in KINDS or not KINDS[spec["generator"]].fresh_scms:
        raise ValueError(f"data 'fresh': draws new linear SCMs on the device, but the training split's family "
                         f"{data.meta.get('family')!r} has generator {spec.get('generator')!r}; for SERGIO, train "
                         "on a larger pre-simulated split (families.<family>.splits.train) with data 'split'")
    return spec, graph_pool_of(data.meta)


def held_out_loss(params, model, data: Samples, beta: float, batch: int = 256, seed: int = 0,
                  dropout: bool = False, items: bool = False):
    """Mean loss terms over every (SCM, interventional regime) of ``data``; latent (and dropout) keys from ``seed``.

    ``dropout``: False scores the network as it predicts (dropout off); True as it trains (dropout on, the
    objective the run minimises; the 8-variable models fit far better so, see docs/training.md).

    {"loss": the training loss per dataset, "recon": -log p per sample, "recon_median": its median over the
    datasets (robust to the few datasets a model fits badly), "kl": KL estimate}: how well a model fits SCMs it
    was not trained on (a test split). Batches of ``batch`` datasets, the last one padded (one compiled
    shape) and the padding left out of the means. ``items``: return the -log p per sample of every dataset
    instead, [S * R'] SCM-major.
    """
    test = TrainData.from_samples(data)
    n_scm, n_int = test.samples.shape[0], test.int_regimes.shape[0]
    idx, r = np.repeat(np.arange(n_scm), n_int), np.tile(np.arange(n_int), n_scm)
    n_samples = data.samples.shape[2]

    @jax.jit
    def per_dataset(p, obs, intv, target, value_index, key):  # -log p per sample, KL
        k_latent, k_dropout = jax.random.split(key)
        return model.apply(p, obs, intv, target, value_index, dropout, method="loss_terms",
                           rngs={"latent": k_latent, "dropout": k_dropout})

    nll, kl = [], []
    for start in range(0, len(idx), batch):
        b_idx, b_r = idx[start:start + batch], r[start:start + batch]
        count, pad = len(b_idx), batch - len(b_idx)
        b_idx, b_r = np.concatenate([b_idx, b_idx[:1].repeat(pad)]), np.concatenate([b_r, b_r[:1].repeat(pad)])
        a, b = per_dataset(params, test.samples[b_idx, test.obs_regime],
                           test.samples[b_idx, test.int_regimes[b_r]], test.target[b_r], test.value_index[b_r],
                           jax.random.fold_in(jax.random.key(seed), start))
        nll.append(np.asarray(a)[:count])
        kl.append(np.asarray(b)[:count])
    nll, kl = np.concatenate(nll).astype(np.float64), np.concatenate(kl).astype(np.float64)
    if items:
        return nll
    recon = nll * n_samples if model.RECON_SUM_OVER_SAMPLES else nll
    return {"loss": float(np.mean(recon + beta * kl)), "recon": float(nll.mean()), "recon_median": float(np.median(nll)),
            "kl": float(kl.mean())}
