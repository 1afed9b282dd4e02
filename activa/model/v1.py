"""The ACTIVA v1 model (ICML version, v1 sections 2.1, 3 and 3.4) in Flax linen, built from v2's parts.

Shapes: B datasets, N samples, d variables, |I| intervention values, e embedding width, l latent size per
variable, P pseudo-inputs, N_p samples per pseudo-input, d_p = the training data's number of variables.

- Encoder q(z | D, do) = N(mu, diag(exp(logvar))): the observational data with the intervention
  representation appended [B, N, d, |I| + 1] (v2's ``augment``), v2's ``EmbeddingNetwork`` (L blocks alternating
  over variables and samples, mean over samples) -> [B, d, e], and a per-variable two-layer MLP giving mu and
  logvar [B, d, l]. It never sees interventional data: at inference z is drawn from it.
- VAMP prior (Tomczak & Welling 2018): p(z) = (1/P) sum_p q(z | u_p), the encoder at P learned pseudo-inputs
  u_p [N_p, d_p, |I| + 1] (pseudo datasets with their pseudo intervention representations, initialised
  N(0, 1)). The pseudo-inputs pass the encoder without dropout. The prior is defined for z with d_p variables,
  so training needs data with d_p variables; inference (encoder + decoder) accepts any d.
- Decoder: v2's ``Decoder`` on z with I_{i,t} appended per variable [B, d, l + |I|]: K transformer blocks over
  the variables, c Gaussian components with covariance u u^T + 5e-5 I, weights from the variable-averaged
  h_dec ("mean" pooling, v1 section 3.3).
- Attention: every head has width e (qkv width heads * e), as in the haiku attention of Lorch et al. (2022);
  v1 Table 5 pairs e = 16 with 6 or 8 heads, which an e / heads split cannot do.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from activa.model.mixture import diagonal_logpdf, mixture_logpdf, uniform_diagonal_mixture_logpdf
from activa.model.v2 import MLP, Decoder, EmbeddingNetwork, augment, intervention_representation


@dataclass(frozen=True)
class ModelV1Config:
    """Hyperparameters of one ACTIVA v1 model (v1 Table 5 names in brackets; h, P and N_p are ours)."""

    n_values: int  # |I|
    n_vars: int  # d_p: variables of the pseudo-inputs (the training data's d)
    heads: int = 6  # attention heads
    K: int = 2  # decoder transformer blocks
    e: int = 16  # embedding width (and per-head width)
    h: int = 64  # hidden width of MLPs (not in Table 5)
    c: int = 10  # decoder mixture components
    L: int = 4  # encoder blocks, alternating variables / samples
    latent: int = 2  # latent size per variable (Table 5's "d")
    dropout: float = 0.1
    pseudo_inputs: int = 50  # P, VAMP prior components
    pseudo_samples: int = 20  # N_p, samples per pseudo-input
    cov_eps: float = 5e-5
    n_latents: int = 50  # latents per query when a prediction does not say (as v2 section 6.1; v1 gives none)

    def to_dict(self) -> dict:
        return asdict(self)


class ActivaV1(nn.Module):
    """Conditional beta-VAE with VAMP prior.

    Encoder q(z | D, do), prior (1/P) sum_p q(z | u_p), decoder p(V | z, do).
    """

    cfg: ModelV1Config
    dtype: Any = jnp.float32  # compute dtype of the matrix products (activa.model.v2's docstring: Precision)
    RECON_SUM_OVER_SAMPLES = False  # v1 eq. 10: the reconstruction term is a mean over the N samples

    def setup(self):
        cfg = self.cfg
        qkv = cfg.heads * cfg.e
        self.embedding = EmbeddingNetwork(cfg.e, cfg.L, cfg.heads, cfg.h, cfg.dropout, qkv, self.dtype)
        self.posterior_head = MLP(cfg.h, 2 * cfg.latent, self.dtype)
        self.decoder = Decoder(cfg, pool="mean", qkv_features=qkv, dtype=self.dtype)
        self.pseudo = self.param("pseudo_inputs", nn.initializers.normal(1.0),
                                 (cfg.pseudo_inputs, cfg.pseudo_samples, cfg.n_vars, cfg.n_values + 1))

    def posterior(self, aug: jax.Array, train: bool = False):
        """mu, logvar [B, d, l] of q(z | D, do) from the augmented observational data [B, N, d, |I| + 1]."""
        out = self.posterior_head(self.embedding(aug, train))
        return out[..., : self.cfg.latent], out[..., self.cfg.latent:]

    def prior_components(self):
        """The VAMP prior's components: mu, logvar [P, d_p, l] (the encoder at the pseudo-inputs)."""
        return self.posterior(self.pseudo, False)

    def prior_logpdf(self, z: jax.Array) -> jax.Array:
        """log p(z) under the VAMP prior: z [..., d_p, l] -> [...]."""
        if z.shape[-2] != self.cfg.n_vars:
            raise ValueError(f"the VAMP prior is defined for {self.cfg.n_vars} variables (its pseudo-inputs); "
                             f"got z with {z.shape[-2]}")
        means, logvars = self.prior_components()
        return uniform_diagonal_mixture_logpdf(z, means, logvars)

    def decode_query(self, z: jax.Array, target: jax.Array, value_index: jax.Array, train: bool = False,
                     factor: bool = False):
        """Mixture weights [B, c], means [B, c, d], covs [B, c, d, d] (``factor``: their factors u [B, c, d, e],
        as v2's Decoder) from z [B, d, l] and the query [B]."""
        rep = intervention_representation(target, value_index, self.cfg.n_values, z.shape[-2], 1)[:, 0]  # [B, d, |I|]
        return self.decoder(jnp.concatenate([z, rep.astype(z.dtype)], axis=-1), train, factor)

    def __call__(self, obs_aug: jax.Array, target: jax.Array, value_index: jax.Array, train: bool = False):
        """Training pass: posterior, a reparameterised z ~ q, its decoded mixture."""
        mu, logvar = self.posterior(obs_aug, train)
        z = mu + jnp.exp(0.5 * logvar) * jax.random.normal(self.make_rng("latent"), mu.shape)
        return {"mu": mu, "logvar": logvar, "z": z, "decoded": self.decode_query(z, target, value_index, train)}

    def loss_terms(self, obs: jax.Array, intv: jax.Array, target: jax.Array, value_index: jax.Array,
                   train: bool = False):
        """Per dataset: mean -log p(V_int | z, do) per sample [B] and the one-sample KL(q || VAMP) estimate [B].

        obs, intv [B, N, d]; target, value_index [B]. The encoder sees obs only; intv is the reconstruction target.
        """
        out = self(augment(obs, target, value_index, self.cfg.n_values), target, value_index, train)
        weights, means, covs = out["decoded"]
        nll = -mixture_logpdf(intv, weights, means, covs).mean(axis=-1)
        kl = diagonal_logpdf(out["z"], out["mu"], out["logvar"]) - self.prior_logpdf(out["z"])
        return nll, kl

    def sample_latents(self, obs: jax.Array, target: jax.Array, value_index: jax.Array, n_latents: int,
                       train: bool = False) -> jax.Array:
        """n_latents draws from q(z | D, do) per query (v1 Figure 1): obs [Q, N, d] -> z [Q, n_latents, d, l].
        ``train``: the encoder with dropout (needs the "dropout" RNG; one mask for the batch's attention)."""
        mu, logvar = self.posterior(augment(obs, target, value_index, self.cfg.n_values), train)
        eps = jax.random.normal(self.make_rng("latent"), (mu.shape[0], n_latents) + mu.shape[1:])
        return mu[:, None] + jnp.exp(0.5 * logvar)[:, None] * eps
