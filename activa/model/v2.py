"""The ACTIVA model (v2 section 5) in Flax linen.

Shapes: B datasets (one query each), N samples, d variables, |I| intervention values, e embedding width,
l latent size per variable, k prior components, c decoder components.

- Intervention representation I_{i,t} [B, N, d, |I|]: one-hot of the value index i, on the target's row only
  (rows of non-targets zeroed by the target mask), repeated over the N samples; appended to the data as a
  feature channel: [B, N, d, |I| + 1].
- Embedding network h: Dense(e), then L pre-LayerNorm transformer blocks (multi-head self-attention with
  residual and dropout, then an MLP of width h with residual and dropout) alternating between the variable
  axis (even blocks) and the sample axis (odd blocks), a final LayerNorm, then the mean over samples: [B, d, e].
  Equivariant in variables, invariant in samples.
- Prior p(z | D, do) = sum_j rho_j N(z; mu_j, 0.1 I), z [d, l]: per-variable two-layer MLPs on h'(D, I) give
  mu_j [k, d, l] and per-variable logits [d, k], averaged over variables before the softmax (so the weights
  are invariant to the variable order).
- Encoder q(z | V_int, D, do) = N(mu, 0.1 I): a second embedding network h'' (own parameters) on the
  interventional samples; [h', h''] concatenated per variable; a two-layer MLP gives mu [d, l].
- Decoder: Dense(e) on z, K transformer blocks over the variable axis, LayerNorm -> h_dec [d, e]; row-wise
  linear layers give the c component means [c, d] and u [c, d, e] with covariance u u^T + 5e-5 I; the
  component weights are softmax(Dense(sum over variables of h_dec)).

"0.1" is the variance of the prior components and of q (v2: "MVN(z; mu, 0.1)").

Precision (``dtype``, ours): float32 by default, as the papers. With ``dtype = jnp.bfloat16`` the transformer
blocks' dense layers and attention products and the MLPs compute in bfloat16 (the GPU's tensor cores) on
float32 parameters; the residual stream, the layer norms, the softmaxes, the input projections of the data and of
z (tiny, and rounding raw samples to bfloat16's 8 bits cost 0.1 nats of held-out -log p per sample on quick
Gauss 2), and every output the densities use (prior means and logits, posterior mean, the decoder's means, u,
covariances and weights) stay float32. The parameters are the same either way, so a model trained in one
precision predicts in the other.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from activa.model.mixture import (isotropic_logpdf, isotropic_mixture_logpdf, low_rank_covariance, mixture_logpdf,
                                  sample_isotropic_mixture)

PRECISIONS = {"float32": jnp.float32, "bfloat16": jnp.bfloat16}  # activa.training.precision -> compute dtype


def compute_dtype(precision: str):
    """The compute dtype of a precision name ("float32" or "bfloat16")."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision: expected one of {list(PRECISIONS)}, got {precision!r}")
    return PRECISIONS[precision]


@dataclass(frozen=True)
class ModelConfig:
    """Hyperparameters of one ACTIVA model (v2 Table 3 names in brackets)."""

    n_values: int  # |I|, number of intervention values
    heads: int = 2  # attention heads
    K: int = 4  # decoder transformer blocks
    e: int = 64  # embedding width
    h: int = 128  # hidden width of MLPs
    c: int = 1  # decoder mixture components
    k: int = 2  # prior mixture components
    L: int = 2  # embedding blocks, alternating variables / samples
    latent: int = 2  # latent size per variable (Table 3's "d")
    dropout: float = 0.1
    prior_variance: float = 0.1
    posterior_variance: float = 0.1
    cov_eps: float = 5e-5
    n_latents: int = 50  # latents per query when a prediction does not say (v2 section 6.1: 50)

    def to_dict(self) -> dict:
        return asdict(self)


def intervention_representation(target: jax.Array, value_index: jax.Array, n_values: int, d: int,
                                n: int) -> jax.Array:
    """I_{i,t}: target [B] int, value_index [B] int -> [B, n, d, n_values] float32."""
    onehot_value = jax.nn.one_hot(value_index, n_values)  # [B, |I|]
    mask = jax.nn.one_hot(target, d)  # [B, d]
    rep = mask[:, :, None] * onehot_value[:, None, :]  # [B, d, |I|]
    return jnp.broadcast_to(rep[:, None], (rep.shape[0], n, d, n_values))


def augment(samples: jax.Array, target: jax.Array, value_index: jax.Array, n_values: int) -> jax.Array:
    """Data with the intervention representation appended: samples [B, N, d] -> [B, N, d, |I| + 1]."""
    B, n, d = samples.shape
    rep = intervention_representation(target, value_index, n_values, d, n)
    return jnp.concatenate([samples[..., None], rep.astype(samples.dtype)], axis=-1)


class TransformerBlock(nn.Module):
    """Pre-LayerNorm self-attention + MLP block attending over axis -2 of x [..., T, e].

    ``qkv_features``: total query/key/value width, split over the heads; None: e (so e / heads per head).
    """

    heads: int
    hidden: int
    dropout: float
    qkv_features: int | None = None
    dtype: Any = jnp.float32  # of the matrix products; x, the layer norms and the softmax stay float32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        y = nn.LayerNorm(dtype=jnp.float32)(x)
        y = nn.MultiHeadDotProductAttention(num_heads=self.heads, qkv_features=self.qkv_features,
                                            dropout_rate=self.dropout, deterministic=not train, dtype=self.dtype,
                                            force_fp32_for_softmax=True)(y)
        x = x + nn.Dropout(self.dropout, deterministic=not train)(y).astype(jnp.float32)
        y = nn.LayerNorm(dtype=jnp.float32)(x)
        y = nn.Dense(x.shape[-1], dtype=self.dtype)(nn.gelu(nn.Dense(self.hidden, dtype=self.dtype)(y)))
        return x + nn.Dropout(self.dropout, deterministic=not train)(y).astype(jnp.float32)


class EmbeddingNetwork(nn.Module):
    """h(D, I): [B, N, d, F] -> [B, d, e], attention alternating over variables and samples."""

    e: int
    L: int
    heads: int
    hidden: int
    dropout: float
    qkv_features: int | None = None
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, train: bool) -> jax.Array:
        x = nn.Dense(self.e, dtype=jnp.float32)(x)  # the raw samples: kept float32
        for i in range(self.L):
            block = TransformerBlock(self.heads, self.hidden, self.dropout, self.qkv_features, self.dtype)
            if i % 2 == 0:  # over the variable axis: [B, N, d, e]
                x = block(x, train)
            else:  # over the sample axis
                x = jnp.swapaxes(block(jnp.swapaxes(x, -2, -3), train), -2, -3)
        return nn.LayerNorm(dtype=jnp.float32)(x).mean(axis=-3)


class MLP(nn.Module):
    """Two-layer MLP applied to the last axis (so per variable when x is [..., d, e]); float32 output."""

    hidden: int
    out: int
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        # the output layer is created first (Dense_0), as in the parameter files written so far
        return nn.Dense(self.out, dtype=self.dtype)(nn.gelu(nn.Dense(self.hidden, dtype=self.dtype)(x))).astype(
            jnp.float32)


class Decoder(nn.Module):
    """z [B, d, F] -> mixture weights [B, c], means [B, c, d], covariances [B, c, d, d] (``factor``: the factors
    u [B, c, d, e] of the covariances u u^T + cov_eps I in their place, for sampling without a factorisation).

    F: the latent size (v2) or the latent size plus |I| (v1 appends I_{i,t}). ``pool``: how h_dec is reduced
    over the variables for the component weights, "sum" (v2) or "mean" (v1).
    """

    cfg: "ModelConfig"
    pool: str = "sum"
    qkv_features: int | None = None
    dtype: Any = jnp.float32  # the transformer blocks'; the output heads and covariances are float32

    @nn.compact
    def __call__(self, z: jax.Array, train: bool, factor: bool = False):
        cfg = self.cfg
        x = nn.Dense(cfg.e, dtype=jnp.float32)(z)  # z: kept float32
        for _ in range(cfg.K):
            x = TransformerBlock(cfg.heads, cfg.h, cfg.dropout, self.qkv_features, self.dtype)(x, train)
        x = nn.LayerNorm(dtype=jnp.float32)(x)  # h_dec [B, d, e]
        B, d, _ = x.shape
        means = jnp.swapaxes(nn.Dense(cfg.c, name="means", dtype=jnp.float32)(x), -1, -2)  # [B, c, d]
        u = nn.Dense(cfg.c * cfg.e, name="u", dtype=jnp.float32)(x).reshape(B, d, cfg.c, cfg.e).transpose(0, 2, 1, 3)
        pooled = x.sum(axis=-2) if self.pool == "sum" else x.mean(axis=-2)
        weights = jax.nn.softmax(nn.Dense(cfg.c, name="weights", dtype=jnp.float32)(pooled), axis=-1)
        if factor:
            return weights, means, u
        return weights, means, low_rank_covariance(u, cfg.cov_eps)


class ACTIVA(nn.Module):
    """The conditional VAE: prior p(z | D, do), encoder q(z | V_int, D, do), decoder p(V | z)."""

    cfg: ModelConfig
    dtype: Any = jnp.float32  # compute dtype of the matrix products (module docstring: Precision)

    def setup(self):
        cfg, dtype = self.cfg, self.dtype
        self.obs_embedding = EmbeddingNetwork(cfg.e, cfg.L, cfg.heads, cfg.h, cfg.dropout, dtype=dtype)
        self.int_embedding = EmbeddingNetwork(cfg.e, cfg.L, cfg.heads, cfg.h, cfg.dropout, dtype=dtype)
        self.prior_means = MLP(cfg.h, cfg.k * cfg.latent, dtype)
        self.prior_logits = MLP(cfg.h, cfg.k, dtype)
        self.encoder = MLP(cfg.h, cfg.latent, dtype)
        self.decoder = Decoder(cfg, dtype=dtype)

    def prior(self, obs_aug: jax.Array, train: bool = False):
        """Prior logits [B, k] and means [B, k, d, l] from the augmented observational data."""
        emb = self.obs_embedding(obs_aug, train)
        return self._prior_from(emb), emb

    def _prior_from(self, emb: jax.Array):
        B, d, _ = emb.shape
        means = self.prior_means(emb).reshape(B, d, self.cfg.k, self.cfg.latent).transpose(0, 2, 1, 3)
        logits = self.prior_logits(emb).mean(axis=-2)
        return logits, means

    def posterior_mean(self, obs_emb: jax.Array, int_aug: jax.Array, train: bool = False) -> jax.Array:
        """Mean [B, d, l] of q(z | V_int, D, do)."""
        int_emb = self.int_embedding(int_aug, train)
        return self.encoder(jnp.concatenate([obs_emb, int_emb], axis=-1))

    def decode(self, z: jax.Array, train: bool = False):
        return self.decoder(z, train)

    def __call__(self, obs_aug: jax.Array, int_aug: jax.Array, train: bool = False):
        """Training pass: prior, posterior mean, a reparameterised z ~ q and its decoded mixture."""
        (logits, prior_means), obs_emb = self.prior(obs_aug, train)
        mu = self.posterior_mean(obs_emb, int_aug, train)
        z = mu + jnp.sqrt(self.cfg.posterior_variance) * jax.random.normal(self.make_rng("latent"), mu.shape)
        return {"prior_logits": logits, "prior_means": prior_means, "mu": mu, "z": z, "decoded": self.decode(z, train)}

    # The interface the training loop and inference use (shared with activa.model.v1.ActivaV1).
    RECON_SUM_OVER_SAMPLES = True  # the loss sums -log p over a dataset's N samples

    def loss_terms(self, obs: jax.Array, intv: jax.Array, target: jax.Array, value_index: jax.Array,
                   train: bool = False):
        """Per dataset: mean -log p(V_int | z) per sample [B] and the one-sample KL(q || prior) estimate [B].

        obs, intv [B, N, d]; target, value_index [B]. Needs the "latent" RNG (and "dropout" when training).
        """
        n_values = self.cfg.n_values
        out = self(augment(obs, target, value_index, n_values), augment(intv, target, value_index, n_values), train)
        weights, means, covs = out["decoded"]
        nll = -mixture_logpdf(intv, weights, means, covs).mean(axis=-1)
        kl = isotropic_logpdf(out["z"], out["mu"], self.cfg.posterior_variance) - isotropic_mixture_logpdf(
            out["z"], out["prior_logits"], out["prior_means"], self.cfg.prior_variance)
        return nll, kl

    def sample_latents(self, obs: jax.Array, target: jax.Array, value_index: jax.Array, n_latents: int,
                       train: bool = False) -> jax.Array:
        """n_latents draws from the prior p(z | D, do) per query: obs [Q, N, d] -> z [Q, n_latents, d, l].
        ``train``: the embedding with dropout (needs the "dropout" RNG; one mask for the batch's attention)."""
        (logits, means), _ = self.prior(augment(obs, target, value_index, self.cfg.n_values), train)
        keys = jax.random.split(self.make_rng("latent"), obs.shape[0])
        return jax.vmap(sample_isotropic_mixture, in_axes=(0, 0, 0, None, None))(
            keys, logits, means, self.cfg.prior_variance, n_latents)

    def decode_query(self, z: jax.Array, target: jax.Array, value_index: jax.Array, train: bool = False,
                     factor: bool = False):
        """The decoded mixture of latents z [Q, d, l] (the query is already in z for v2); ``factor``: Decoder's.
        ``train``: with dropout (needs the "dropout" RNG)."""
        return self.decoder(z, train, factor)
