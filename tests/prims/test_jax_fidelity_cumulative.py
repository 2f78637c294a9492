"""Derivatives of the cumulative scans, reduce_prod and scatter-max/min, and
polygamma's edge values, against JAX.

The expected values are JAX 0.10.2's (CPU), hard-coded so that the suite needs no
JAX. JAX's rules fix the numbers: the JVP of cummax/cummin/cumprod/cumlogsumexp is
the JVP of lax.associative_scan with the combine function (its odd/even tree decides
how ties split and where a zero tangent meets an inf), reduce_prod's is the JVP of a
pairwise product tree, scatter-max/min's is `_scatter_extremal_jvp`, and XLA's
polygamma is nan at +inf for m >= 1. `EXACT` cases must agree bit for bit (sign of
zero and nan included); `CLOSE` cases (which go through exp/log1p, whose last bits
differ between XLA and NumPy) must agree in their nan/inf/zero pattern and to 1e-6.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax import lax

inf, nan = math.inf, math.nan


# Each case: f(jax, jnp, lax) -> array (or tuple of arrays), run in float32.
EXACT = {
    # --- item 4: ties in cummax/cummin split as associative_scan's tree does
    "cummax_ties4_grad": lambda jax, jnp, lax: jax.grad(lambda x: lax.cummax(x)[2])(jnp.ones(4)),
    "cummax_ties8_grad": lambda jax, jnp, lax: jax.grad(lambda x: lax.cummax(x)[6])(jnp.ones(8)),
    "cummax_ties7_jacrev": lambda jax, jnp, lax: jax.jacrev(lax.cummax)(jnp.ones(7)),
    "cummin_ties6_rev_jacfwd": lambda jax, jnp, lax: jax.jacfwd(
        lambda x: lax.cummin(x, reverse=True))(jnp.ones(6)),
    "cummax_mixed_jacrev": lambda jax, jnp, lax: jax.jacrev(lax.cummax)(
        jnp.array([3., -1., 3., 2., -inf, 5., 5., 0.])),
    "cummin_mixed_rev_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: lax.cummin(x, reverse=True))(jnp.array([.5, 2., 2., -1., 7., 7., .25])),
    "cummax_nan_jacrev": lambda jax, jnp, lax: jax.jacrev(lax.cummax)(
        jnp.array([1., nan, 2., .5])),
    "cummin_inf_jvp": lambda jax, jnp, lax: jax.jvp(
        lax.cummin, (jnp.array([inf, 1., -inf, -inf, 2.]),), (jnp.arange(1., 6.) - 2.5,)),
    "cummax_axis1_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: lax.cummax(jnp.stack([x, x[::-1]]), axis=1))(jnp.array([1., 1., 2., 2., 1.])),
    "cummin_axis0_rev_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: lax.cummin(jnp.stack([x, x, x * 2]), axis=0, reverse=True))(
            jnp.array([1., 0., -1.])),
    "cummax_vmap_grad": lambda jax, jnp, lax: jax.vmap(jax.grad(
        lambda r: jnp.sum(lax.cummax(r) * jnp.arange(1., 6.))))(
            jnp.array([[1., 1., 1., 1., 1.], [2., 1., 2., 2., 0.]])),
    "cummin_vmap_axis1_jacfwd": lambda jax, jnp, lax: jax.vmap(jax.jacfwd(lax.cummin), in_axes=1)(
        jnp.array([[1., 1., 1., 0.], [0., 0., 1., 1.]])),
    "cummax_jit_jacrev": lambda jax, jnp, lax: jax.jit(jax.jacrev(lax.cummax))(jnp.ones(5)),
    "cummax_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(lax.cummax(x * x) * jnp.arange(1., 5.)))(jnp.array([1., -1., 1., 0.])),
    # --- item 5: cumprod / prod with inf, zeros; higher order
    "cumprod_inf_grad": lambda jax, jnp, lax: jax.grad(lambda x: jnp.cumprod(x)[2])(
        jnp.array([1., inf, 2., .5])),
    "cumprod_inf_jacrev": lambda jax, jnp, lax: jax.jacrev(jnp.cumprod)(
        jnp.array([1., inf, 2., .5])),
    "cumprod_two_inf_jacrev": lambda jax, jnp, lax: jax.jacrev(jnp.cumprod)(
        jnp.array([inf, 2., inf, .5])),
    "cumprod_ninf_rev_jacfwd": lambda jax, jnp, lax: jax.jacfwd(
        lambda x: lax.cumprod(x, reverse=True))(jnp.array([-inf, -inf, -inf, -inf])),
    "cumprod_inf0_rev_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: lax.cumprod(x, reverse=True))(jnp.array([inf, 0., 2., 3.])),
    "cumprod_zeros_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(jnp.cumprod(x) * jnp.arange(1., 6.)))(jnp.array([2., 0., 3., 0., 4.])),
    "cumprod_inf_rev_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(lax.cumprod(x, reverse=True)))(jnp.array([1., inf, 2., .5])),
    "cumprod_axis1_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: lax.cumprod(jnp.stack([x, x[::-1]]), axis=1))(jnp.array([1., inf, 0., 2.])),
    "cumprod_vmap_hessian": lambda jax, jnp, lax: jax.vmap(jax.hessian(
        lambda r: jnp.sum(lax.cumprod(r, reverse=True))))(
            jnp.array([[1., inf, 2., .5], [.5, 2., inf, 1.]])),
    "prod_inf_grad": lambda jax, jnp, lax: jax.grad(jnp.prod)(jnp.array([1., inf, 2., .5])),
    "prod_inf_hessian": lambda jax, jnp, lax: jax.hessian(jnp.prod)(jnp.array([1., inf, 2., .5])),
    "prod_inf_jvp_grad": lambda jax, jnp, lax: jax.jvp(
        jax.grad(jnp.prod), (jnp.array([1., inf, 2., .5]),), (jnp.ones(4),)),
    "prod_two_inf_hessian": lambda jax, jnp, lax: jax.hessian(jnp.prod)(
        jnp.array([inf, 2., inf, .5])),
    "prod_ninf_jacfwd_grad": lambda jax, jnp, lax: jax.jacfwd(jax.grad(jnp.prod))(
        jnp.array([-inf, -inf, -inf, -inf])),
    "prod_zeros_hessian": lambda jax, jnp, lax: jax.hessian(jnp.prod)(
        jnp.array([2., 0., 3., 0., 4.])),
    "prod_value_and_grad": lambda jax, jnp, lax: jax.value_and_grad(jnp.prod)(
        jnp.array([1e30, 1e30, 1e-30, 2., 1e20])),
    "prod_third_order": lambda jax, jnp, lax: jax.jacfwd(jax.hessian(jnp.prod))(
        jnp.array([inf, 0., 2., 3.])),
    "prod_axis1_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(jnp.prod(jnp.stack([x, x[::-1]]), axis=1) * jnp.array([1., 2.])))(
            jnp.array([1., inf, 2., .5, 3.])),
    "prod_axis0_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: jnp.prod(jnp.stack([x, x[::-1], x + 1.]), axis=0))(jnp.array([inf, 0., 2.])),
    "prod_all_axes_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.prod(jnp.outer(x, x[:2])))(jnp.array([1., inf, -2.])),
    "prod_vmap_hessian": lambda jax, jnp, lax: jax.vmap(jax.hessian(jnp.prod))(
        jnp.array([[1., inf, 2., .5], [.5, 2., inf, 1.]])),
    "prod_jit_hessian": lambda jax, jnp, lax: jax.jit(jax.hessian(jnp.prod))(
        jnp.array([1., inf, 2., .5, -inf])),
    # --- item 6: scatter max/min: a nan result takes no tangent; ties and duplicates
    "scatter_max_nan_grad": lambda jax, jnp, lax: jax.grad(
        lambda x: jnp.sum(x.at[0].max(x[1]) * jnp.arange(1., 5.)))(jnp.array([1., nan, 2., .5])),
    "scatter_min_nan_grad": lambda jax, jnp, lax: jax.grad(
        lambda x: jnp.sum(x.at[0].min(x[1]) * jnp.arange(1., 5.)))(jnp.array([1., nan, 2., .5])),
    "scatter_max_dups_ties_grad": lambda jax, jnp, lax: jax.grad(
        lambda x: jnp.sum(x.at[jnp.array([0, 0, 2])].max(x[jnp.array([1, 3, 3])])
                          * jnp.arange(1., 5.)))(jnp.ones(4)),
    "scatter_min_dups_jvp": lambda jax, jnp, lax: jax.jvp(
        lambda x: x.at[jnp.array([0, 0, 2, 1])].min(x[jnp.array([1, 1, 3, 0])]),
        (jnp.array([1., 1., 1., 3.]),), (jnp.arange(1., 5.),)),
    "scatter_max_dups_jvp_nan": lambda jax, jnp, lax: jax.jvp(
        lambda x: x.at[jnp.array([0, 0, 2, 1])].max(x[jnp.array([1, 1, 3, 0])]),
        (jnp.array([1., nan, 2., .5]),), (jnp.arange(1., 5.),)),
    "scatter_max_self_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: x.at[jnp.array([0, 1, 1])].max(x[:3]))(jnp.array([2., 1., 2., 0.])),
    "scatter_max_updates_jacfwd": lambda jax, jnp, lax: jax.jacfwd(
        lambda u: jnp.array([1., 1., nan, 2.]).at[jnp.array([0, 0, 2, 3])].max(u))(
            jnp.array([1., 1., 0., inf])),
    "scatter_min_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(x.at[jnp.array([0, 0, 2])].min(x[jnp.array([1, 3, 3])] ** 2)
                          * jnp.arange(1., 5.)))(jnp.array([1., -1., 1., 1.])),
    "scatter_min_vmap_grad": lambda jax, jnp, lax: jax.vmap(jax.grad(
        lambda r: jnp.sum(r.at[jnp.array([0, 0, 1])].min(r[jnp.array([1, 2, 3])])
                          * jnp.arange(1., 5.))))(
            jnp.array([[1., nan, 2., .5], [1., 1., 1., 1.]])),
    "scatter_max_window_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: x.reshape(2, 2).at[jnp.array([0, 0, 1])].max(
            jnp.stack([x[2:][::-1], x[:2], x[1:3]])))(jnp.array([1., 1., 1., nan])),
    "scatter_max_oob_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: x.at[jnp.array([0, 9, 1])].max(x[jnp.array([1, 2, 3])]))(
            jnp.array([0., 1., 2., 3.])),
    "scatter_max_clip_jacfwd": lambda jax, jnp, lax: jax.jacfwd(
        lambda x: x.at[jnp.array([0, 9, 1])].max(x[jnp.array([1, 2, 3])], mode="clip"))(
            jnp.array([0., 1., 2., 3.])),
    "scatter_max_clip_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: x.at[jnp.array([0, 9, 1])].max(x[jnp.array([1, 2, 3])], mode="clip"))(
            jnp.array([0., 1., 2., 3.])),
    # --- item 7: polygamma at +-inf, nan, zeros and the poles, m = 0..3
    "polygamma_edges": lambda jax, jnp, lax: jnp.stack([
        lax.polygamma(jnp.full(8, m, jnp.float32),
                      jnp.array([inf, -inf, nan, 0., -0., -1., -2., -3.]))
        for m in (0., 1., 2., 3.)]),
    "polygamma_non_natural_m": lambda jax, jnp, lax: lax.polygamma(
        jnp.array([1.5, -1., nan, inf]), jnp.array([inf, 2., 2., 2.])),
    "digamma_grad_inf": lambda jax, jnp, lax: jax.vmap(jax.grad(lax.digamma))(
        jnp.array([inf, -inf, nan, 0., -2.])),
    "lgamma_grad2_inf": lambda jax, jnp, lax: jax.vmap(jax.grad(jax.grad(lax.lgamma)))(
        jnp.array([inf, -inf, nan, 0., -2.])),
    "lgamma_grad3_inf": lambda jax, jnp, lax: jax.vmap(jax.grad(jax.grad(jax.grad(lax.lgamma))))(
        jnp.array([inf, -inf, nan, 0., -2.])),
}

CLOSE = {
    # cumlogsumexp differentiates through JAX's logaddexp and its custom JVP
    "cumlogsumexp_inf_jacrev": lambda jax, jnp, lax: jax.jacrev(lax.cumlogsumexp)(
        jnp.array([1., inf, 2., .5])),
    "cumlogsumexp_ninf_jacfwd": lambda jax, jnp, lax: jax.jacfwd(lax.cumlogsumexp)(
        jnp.array([-inf, -inf, -inf, -inf])),
    "cumlogsumexp_mixed_rev_jacrev": lambda jax, jnp, lax: jax.jacrev(
        lambda x: lax.cumlogsumexp(x, reverse=True))(jnp.array([-inf, 1., -inf, inf, 2.])),
    "cumlogsumexp_nan_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(lax.cumlogsumexp(x) * jnp.arange(1., 5.)))(jnp.array([1., nan, 2., .5])),
    "cumlogsumexp_ties_hessian": lambda jax, jnp, lax: jax.hessian(
        lambda x: jnp.sum(lax.cumlogsumexp(x) * jnp.arange(1., 5.)))(jnp.array([0., 0., 0., 0.])),
    "cumprod_ord_jvp": lambda jax, jnp, lax: jax.jvp(
        jnp.cumprod, (jnp.array([.5, 2., 2., -1., 7., 7., .25]),), (jnp.arange(1., 8.),)),
}

# Run with float64 enabled: a few of the above, plus what only shows in float64.
X64 = {
    "cummax_ties8_grad": EXACT["cummax_ties8_grad"],
    "cummin_mixed_rev_jacrev": EXACT["cummin_mixed_rev_jacrev"],
    "cumprod_inf_jacrev": EXACT["cumprod_inf_jacrev"],
    "prod_inf_hessian": EXACT["prod_inf_hessian"],
    "prod_inf_jvp_grad": EXACT["prod_inf_jvp_grad"],
    "scatter_max_nan_grad": EXACT["scatter_max_nan_grad"],
    "scatter_min_hessian": EXACT["scatter_min_hessian"],
    "polygamma_edges": lambda jax, jnp, lax: jnp.stack([
        lax.polygamma(jnp.full(8, m), jnp.array([inf, -inf, nan, 0., -0., -1., -2., -3.]))
        for m in (0., 1., 2., 3.)]),
    "lgamma_grad2_inf": lambda jax, jnp, lax: jax.vmap(jax.grad(jax.grad(lax.lgamma)))(
        jnp.array([inf, -inf, nan, 0., -2.])),
}

# JAX 0.10.2's values (CPU): per case, the (dtype, value) of each output leaf.
EXPECTED_EXACT = {
    'cummax_ties4_grad': [('float32', [0.25, 0.25, 0.5, 0.0])],
    'cummax_ties8_grad': [('float32', [0.0625, 0.0625, 0.0625, 0.0625, 0.125, 0.125, 0.5, 0.0])],
    'cummax_ties7_jacrev': [('float32', [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.5, 0.0, 0.0, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25, 0.0, 0.0, 0.0], [0.125, 0.125, 0.125, 0.125, 0.5, 0.0, 0.0], [0.125, 0.125, 0.125, 0.125, 0.25, 0.25, 0.0], [0.0625, 0.0625, 0.0625, 0.0625, 0.125, 0.125, 0.5]])],
    'cummin_ties6_rev_jacfwd': [('float32', [[0.25, 0.25, 0.125, 0.125, 0.125, 0.125], [0.0, 0.5, 0.125, 0.125, 0.125, 0.125], [0.0, 0.0, 0.25, 0.25, 0.25, 0.25], [0.0, 0.0, 0.0, 0.5, 0.25, 0.25], [0.0, 0.0, 0.0, 0.0, 0.5, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])],
    'cummax_mixed_jacrev': [('float32', [[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0]])],
    'cummin_mixed_rev_jacrev': [('float32', [[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])],
    'cummax_nan_jacrev': [('float32', [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])],
    'cummin_inf_jvp': [('float32', [inf, 1.0, -inf, -inf, -inf]), ('float32', [-1.5, -0.5, 0.5, 1.0, 1.0])],
    'cummax_axis1_jacrev': [('float32', [[[1.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0]], [[0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.5, 0.5, 0.0]]])],
    'cummin_axis0_rev_jacrev': [('float32', [[[1.0, 0.0, 0.0], [0.0, 1.25, 0.0], [0.0, 0.0, 2.0]], [[1.0, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, 0.0, 2.0]], [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 2.0]]])],
    'cummax_vmap_grad': [('float32', [[4.375, 3.375, 3.125, 1.625, 2.5], [9.0, 0.0, 3.75, 2.25, 0.0]])],
    'cummin_vmap_axis1_jacfwd': [('float32', [[[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [0.5, 0.5]], [[1.0, 0.0], [1.0, 0.0]]])],
    'cummax_jit_jacrev': [('float32', [[1.0, 0.0, 0.0, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0, 0.0], [0.25, 0.25, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25, 0.0], [0.125, 0.125, 0.125, 0.125, 0.5]])],
    'cummax_hessian': [('float32', [[7.5, 0.0, 0.0, 0.0], [0.0, 5.5, 0.0, 0.0], [0.0, 0.0, 7.0, 0.0], [0.0, 0.0, 0.0, 0.0]])],
    'cumprod_inf_grad': [('float32', [inf, 2.0, nan, nan])],
    'cumprod_inf_jacrev': [('float32', [[nan, 0.0, nan, nan], [inf, 1.0, nan, nan], [inf, 2.0, nan, nan], [inf, 1.0, nan, inf]])],
    'cumprod_two_inf_jacrev': [('float32', [[nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, inf]])],
    'cumprod_ninf_rev_jacfwd': [('float32', [[nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan], [0.0, 0.0, 0.0, 1.0]])],
    'cumprod_inf0_rev_jacrev': [('float32', [[0.0, inf, nan, nan], [0.0, nan, nan, nan], [0.0, nan, nan, nan], [0.0, nan, nan, nan]])],
    'cumprod_zeros_hessian': [('float32', [[0.0, 11.0, 0.0, 0.0, 0.0], [11.0, 0.0, 6.0, 144.0, 0.0], [0.0, 6.0, 0.0, 0.0, 0.0], [0.0, 144.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])],
    'cumprod_inf_rev_hessian': [('float32', [[nan, nan, inf, inf], [1.0, 0.0, 1.0, 4.0], [nan, nan, nan, nan], [nan, nan, nan, nan]])],
    'cumprod_axis1_jacrev': [('float32', [[[nan, 0.0, nan, nan], [nan, 1.0, nan, nan], [nan, 0.0, nan, nan], [nan, 0.0, nan, nan]], [[nan, 0.0, nan, nan], [nan, 0.0, nan, nan], [nan, 0.0, nan, nan], [nan, 0.0, nan, nan]]])],
    'cumprod_vmap_hessian': [('float32', [[[nan, nan, inf, inf], [1.0, 0.0, 1.0, 4.0], [nan, nan, nan, nan], [nan, nan, nan, nan]], [[nan, nan, nan, nan], [nan, nan, nan, nan], [2.0, 1.5, 0.0, 4.0], [inf, inf, nan, nan]]])],
    'prod_inf_grad': [('float32', [inf, 1.0, inf, inf])],
    'prod_inf_hessian': [('float32', [[nan, nan, nan, nan], [1.0, 0.0, 0.5, 2.0], [nan, nan, nan, nan], [inf, nan, inf, nan]])],
    'prod_inf_jvp_grad': [('float32', [inf, 1.0, inf, inf]), ('float32', [inf, 3.5, inf, inf])],
    'prod_two_inf_hessian': [('float32', [[nan, inf, nan, inf], [nan, nan, nan, nan], [nan, inf, nan, inf], [nan, nan, nan, nan]])],
    'prod_ninf_jacfwd_grad': [('float32', [[nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan]])],
    'prod_zeros_hessian': [('float32', [[0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 24.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 24.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0]])],
    'prod_value_and_grad': [('float32', inf), ('float32', [inf, 2.0000000400817547e+20, inf, inf, 2.0000000300949324e+30])],
    'prod_third_order': [('float32', [[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 3.0, 2.0], [0.0, 3.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0]], [[nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan]], [[nan, nan, nan, nan], [nan, nan, nan, inf], [nan, nan, nan, nan], [nan, inf, nan, nan]], [[nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan]]])],
    'prod_axis1_hessian': [('float32', [[nan, nan, nan, nan, nan], [9.0, 0.0, 4.5, 18.0, 3.0], [nan, nan, nan, nan, nan], [nan, nan, nan, nan, nan], [inf, nan, inf, inf, nan]])],
    'prod_axis0_jacrev': [('float32', [[inf, 0.0, nan], [nan, 0.0, nan], [nan, 0.0, nan]])],
    'prod_all_axes_hessian': [('float32', [[nan, nan, nan], [nan, nan, nan], [nan, nan, nan]])],
    'prod_vmap_hessian': [('float32', [[[nan, nan, nan, nan], [1.0, 0.0, 0.5, 2.0], [nan, nan, nan, nan], [inf, nan, inf, nan]], [[nan, inf, nan, inf], [nan, nan, nan, nan], [2.0, 0.5, 0.0, 1.0], [nan, nan, nan, nan]]])],
    'prod_jit_hessian': [('float32', [[nan, nan, nan, nan, nan], [-inf, nan, -inf, -inf, nan], [nan, nan, nan, nan, nan], [nan, nan, nan, nan, nan], [inf, nan, inf, inf, nan]])],
    'scatter_max_nan_grad': [('float32', [0.0, 2.0, 3.0, 4.0])],
    'scatter_min_nan_grad': [('float32', [0.0, 2.0, 3.0, 4.0])],
    'scatter_max_dups_ties_grad': [('float32', [0.3333333730697632, 2.3333332538604736, 1.5, 5.833333492279053])],
    'scatter_min_dups_jvp': [('float32', [1.0, 1.0, 1.0, 3.0]), ('float32', [1.6666667461395264, 1.5, 3.0, 4.0])],
    'scatter_max_dups_jvp_nan': [('float32', [nan, nan, 2.0, 0.5]), ('float32', [0.0, 0.0, 3.0, 4.0])],
    'scatter_max_self_jacrev': [('float32', [[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])],
    'scatter_max_updates_jacfwd': [('float32', [[0.3333333432674408, 0.3333333432674408, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]])],
    'scatter_min_hessian': [('float32', [[0.0, 0.0, 0.0, 0.0], [0.0, 0.6666666865348816, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.6666667461395264]])],
    'scatter_min_vmap_grad': [('float32', [[0.0, 0.0, 3.0, 4.0], [0.3333333730697632, 1.3333333730697632, 3.3333332538604736, 5.0]])],
    'scatter_max_window_jacrev': [('float32', [[[0.0, 0.0, 0.0, 0.0], [0.0, 0.6666667461395264, 0.3333333432674408, 0.0]], [[0.0, 0.5, 0.5, 0.0], [0.0, 0.0, 0.0, 0.0]]])],
    'scatter_max_oob_jacrev': [('float32', [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])],
    'scatter_max_clip_jacfwd': [('float32', [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [nan, nan, nan, nan]])],
    'scatter_max_clip_jacrev': [('float32', [[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])],
    'polygamma_edges': [('float32', [[inf, nan, nan, nan, nan, nan, nan, nan], [nan, inf, nan, inf, inf, inf, inf, inf], [nan, nan, nan, nan, nan, nan, nan, nan], [nan, inf, nan, inf, inf, inf, inf, inf]])],
    'polygamma_non_natural_m': [('float32', [nan, nan, nan, nan])],
    'digamma_grad_inf': [('float32', [nan, inf, nan, inf, inf])],
    'lgamma_grad2_inf': [('float32', [nan, inf, nan, inf, inf])],
    'lgamma_grad3_inf': [('float32', [nan, nan, nan, nan, nan])],
}
EXPECTED_CLOSE = {
    'cumlogsumexp_inf_jacrev': [('float32', [[1.0, 0.0, 0.0, 0.0], [2.7182817459106445, 1.0, 0.0, 0.0], [2.7182817459106445, 1.0, 7.389056205749512, 0.0], [2.7182817459106445, 1.0, 7.38905668258667, 1.6487213373184204]])],
    'cumlogsumexp_ninf_jacfwd': [('float32', [[1.0, 0.0, 0.0, 0.0], [nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan]])],
    'cumlogsumexp_mixed_rev_jacrev': [('float32', [[0.0, 2.7182817459106445, 0.0, 1.0, 7.389056205749512], [0.0, 2.7182817459106445, 0.0, 1.0, 7.389056205749512], [0.0, 0.0, 0.0, 1.0, 7.389056205749512], [0.0, 0.0, 0.0, 1.0, 7.389056205749512], [0.0, 0.0, 0.0, 0.0, 1.0]])],
    'cumlogsumexp_nan_hessian': [('float32', [[nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan], [nan, nan, nan, nan]])],
    'cumlogsumexp_ties_hessian': [('float32', [[1.9166667461395264, -1.0833332538604736, -0.5833332538604736, -0.25], [-1.0833332538604736, 1.9166667461395264, -0.5833332538604736, -0.25], [-0.5833332538604736, -0.5833332538604736, 1.4166666269302368, -0.25], [-0.25, -0.25, -0.25, 0.75]])],
    'cumprod_ord_jvp': [('float32', [0.5, 1.0, 2.0, -2.0, -14.0, -98.0, -24.5]), ('float32', [1.0, 3.0, 9.0, -1.0, -17.0, -203.0, -736.75])],
}
EXPECTED_X64 = {
    'cummax_ties8_grad': [('float64', [0.0625, 0.0625, 0.0625, 0.0625, 0.125, 0.125, 0.5, 0.0])],
    'cummin_mixed_rev_jacrev': [('float64', [[0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]])],
    'cumprod_inf_jacrev': [('float64', [[nan, 0.0, nan, nan], [inf, 1.0, nan, nan], [inf, 2.0, nan, nan], [inf, 1.0, nan, inf]])],
    'prod_inf_hessian': [('float64', [[nan, nan, nan, nan], [1.0, 0.0, 0.5, 2.0], [nan, nan, nan, nan], [inf, nan, inf, nan]])],
    'prod_inf_jvp_grad': [('float64', [inf, 1.0, inf, inf]), ('float64', [inf, 3.5, inf, inf])],
    'scatter_max_nan_grad': [('float64', [0.0, 2.0, 3.0, 4.0])],
    'scatter_min_hessian': [('float64', [[0.0, 0.0, 0.0, 0.0], [0.0, 0.6666666666666666, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 3.6666666666666665]])],
    'polygamma_edges': [('float64', [[inf, nan, nan, nan, nan, nan, nan, nan], [nan, inf, nan, inf, inf, inf, inf, inf], [nan, nan, nan, nan, nan, nan, nan, nan], [nan, inf, nan, inf, inf, inf, inf, inf]])],
    'lgamma_grad2_inf': [('float64', [nan, inf, nan, inf, inf])],
}


def _leaves(tree):
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(tree)]


def _pattern(a):
    """nan / +inf / -inf / -0 / +0 / other, per element."""
    a = np.asarray(a, np.float64).ravel()
    return ["nan" if np.isnan(v) else "inf" if v == inf else "-inf" if v == -inf
            else ("-0" if np.signbit(v) else "0") if v == 0 else "x" for v in a]


def _check(got_tree, expected, exact):
    got = _leaves(got_tree)
    assert len(got) == len(expected)
    for g, (dtype, values) in zip(got, expected):
        want = np.array(values, dtype=dtype)
        assert g.dtype == want.dtype and g.shape == want.shape
        assert _pattern(g) == _pattern(want), f"\ngot  {g.tolist()}\nwant {want.tolist()}"
        if exact:  # bit for bit (every nan compares as nan)
            bits = np.where(np.isnan(want), 0, want).view(f"u{want.itemsize}")
            got_bits = np.where(np.isnan(g), 0, g).view(f"u{g.itemsize}")
            assert np.array_equal(got_bits, bits), f"\ngot  {g.tolist()}\nwant {want.tolist()}"
        else:
            np.testing.assert_allclose(g, want, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_matches_jax_bit_for_bit(name):
    _check(EXACT[name](jax, jnp, lax), EXPECTED_EXACT[name], exact=True)


@pytest.mark.parametrize("name", sorted(CLOSE))
def test_matches_jax_pattern_and_close(name):
    _check(CLOSE[name](jax, jnp, lax), EXPECTED_CLOSE[name], exact=False)


@pytest.fixture
def x64():
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", prev)


@pytest.mark.parametrize("name", sorted(X64))
def test_matches_jax_in_float64(name, x64):
    _check(X64[name](jax, jnp, lax), EXPECTED_X64[name], exact=True)


def test_tables_cover_each_other():
    assert set(EXACT) == set(EXPECTED_EXACT) and set(CLOSE) == set(EXPECTED_CLOSE)
    assert set(X64) == set(EXPECTED_X64)


def test_checker_can_fail():
    # the comparison sees a flipped zero sign, a nan for an inf and a 1-ulp change
    with pytest.raises(AssertionError):
        _check(np.array([-0.0], np.float32), [("float32", [0.0])], exact=True)
    with pytest.raises(AssertionError):
        _check(np.array([nan], np.float32), [("float32", [inf])], exact=True)
    with pytest.raises(AssertionError):
        _check(np.nextafter(np.float32(0.25), np.float32(1)), [("float32", 0.25)], exact=True)


def test_cumsum_jvp_is_cumsum():
    # cumsum is linear: its JVP (and transpose) stays the primitive itself, as in JAX
    x = jnp.array([1., inf, -0., 2.])
    _, t = jax.jvp(jnp.cumsum, (x,), (jnp.array([-0., 1., -0., nan]),))
    assert _pattern(t) == ["0", "x", "x", "nan"]
    jaxpr = jax.make_jaxpr(lambda x: jax.jvp(jnp.cumsum, (x,), (x,)))(x)
    assert [e.primitive.name for e in jaxpr.jaxpr.eqns].count("cumsum") == 2
