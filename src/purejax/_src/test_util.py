"""Derivative checking for primitives and custom rules (public as purejax.test_util).

check_grads compares forward mode against central finite differences in a random
direction, and reverse mode against forward mode through the identity
<ct, J t> == <J^T ct, t>; with order > 1 it checks the derivatives of those
derivative functions too. Errors say which mode, order and argument disagreed.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from purejax._src import api, dtypes
from purejax._src import tree_util as tu
from purejax._src.array import Array

_DEFAULT_EPS = {np.dtype(np.float16): 1e-1, np.dtype(np.float32): 1e-3,
                np.dtype(np.float64): 1e-6, np.dtype(np.complex64): 1e-3,
                np.dtype(np.complex128): 1e-6}
_DEFAULT_TOL = {np.dtype(np.float16): 5e-2, np.dtype(np.float32): 2e-2,
                np.dtype(np.float64): 1e-5, np.dtype(np.complex64): 2e-2,
                np.dtype(np.complex128): 1e-5}


def _np(x):
    return np.asarray(x)


def _leaf_dtype(tree):
    leaves = [np.asarray(x) for x in tu.tree_leaves(tree)]
    inexact = [x.dtype for x in leaves if np.issubdtype(x.dtype, np.inexact)]
    return max(inexact, key=lambda d: d.itemsize) if inexact else np.dtype(np.float64)


def _rand_like(rng, x):
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.inexact):
        return np.zeros(x.shape, dtypes.float0)
    v = rng.standard_normal(x.shape)
    if np.issubdtype(x.dtype, np.complexfloating):
        v = v + 1j * rng.standard_normal(x.shape)
    return Array(np.asarray(v, x.dtype))


def _vdot(a, b):
    """sum(a * b) over all leaves, without conjugation (the pairing vjp transposes)."""
    total = 0j
    for x, y in zip(tu.tree_leaves(a), tu.tree_leaves(b)):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype == dtypes.float0 or y.dtype == dtypes.float0:
            continue
        total += np.sum(x.astype(np.complex128) * y.astype(np.complex128))
    return total


def _add_scaled(tree, t, scale):
    def f(x, v):
        x_np = np.asarray(x)
        if np.asarray(v).dtype == dtypes.float0:
            return x
        return Array(np.asarray(x_np + scale * np.asarray(v), x_np.dtype))
    return tu.tree_map(f, tree, t)


def _assert_close(a, b, atol, rtol, err_msg):
    for x, y in zip(tu.tree_leaves(a), tu.tree_leaves(b)):
        x, y = np.asarray(x), np.asarray(y)
        if x.dtype == dtypes.float0 or y.dtype == dtypes.float0:
            continue
        np.testing.assert_allclose(x.astype(np.complex128) if np.iscomplexobj(x) else x.astype(np.float64),
                                   y.astype(np.complex128) if np.iscomplexobj(y) else y.astype(np.float64),
                                   atol=atol, rtol=rtol, err_msg=err_msg)


def numerical_jvp(f: Callable, primals: Sequence, tangents: Sequence, eps: float):
    plus = f(*_add_scaled(tuple(primals), tuple(tangents), eps))
    minus = f(*_add_scaled(tuple(primals), tuple(tangents), -eps))
    def diff(p, m):
        p, m = np.asarray(p), np.asarray(m)
        if not np.issubdtype(p.dtype, np.inexact):
            return np.zeros(p.shape, dtypes.float0)
        return (p.astype(np.result_type(p, np.float64)) - m) / (2 * eps)
    return tu.tree_map(diff, plus, minus)


def check_jvp(f: Callable, primals: Sequence, *, atol=None, rtol=None, eps=None, rng=None,
              err_msg: str = "") -> None:
    rng = np.random.default_rng(0) if rng is None else rng
    dt = _leaf_dtype(primals)
    eps = eps or _DEFAULT_EPS.get(dt, 1e-6)
    tol = _DEFAULT_TOL.get(dt, 1e-5)
    atol = tol if atol is None else atol
    rtol = tol if rtol is None else rtol
    tangents = tu.tree_map(lambda x: _rand_like(rng, x), tuple(primals))
    out, out_dot = api.jvp(f, tuple(primals), tangents)
    expected_out = f(*primals)
    _assert_close(out, expected_out, atol, rtol, f"{err_msg} jvp primal output mismatch")
    num = numerical_jvp(f, primals, tangents, eps)
    _assert_close(out_dot, num, atol, rtol,
                  f"{err_msg} JVP disagrees with central finite differences (eps={eps})")


def check_vjp(f: Callable, primals: Sequence, *, atol=None, rtol=None, eps=None, rng=None,
              err_msg: str = "") -> None:
    rng = np.random.default_rng(1) if rng is None else rng
    dt = _leaf_dtype(primals)
    tol = _DEFAULT_TOL.get(dt, 1e-5)
    atol = tol if atol is None else atol
    rtol = tol if rtol is None else rtol
    out, pullback = api.vjp(f, *primals)
    tangents = tu.tree_map(lambda x: _rand_like(rng, x), tuple(primals))
    _, out_dot = api.jvp(f, tuple(primals), tangents)
    ct = tu.tree_map(lambda x: _rand_like(rng, x), out)
    ct_in = pullback(ct)
    lhs = _vdot(ct, out_dot)
    rhs = _vdot(ct_in, tangents)
    scale = max(1.0, abs(lhs), abs(rhs))
    # JAX's transposes satisfy the real pairing Re(sum(a*b)) for complex values
    if not np.isclose(lhs.real, rhs.real, atol=atol * scale, rtol=rtol):
        raise AssertionError(f"{err_msg} VJP disagrees with JVP: <ct, J t> = {lhs} but "
                             f"<J^T ct, t> = {rhs}")


def check_grads(f: Callable, args: Sequence, order: int, modes: Sequence[str] = ("fwd", "rev"),
                atol=None, rtol=None, eps=None) -> None:
    """Check derivatives of f at args up to `order`, in forward and/or reverse mode."""
    args = tuple(args)

    def _check(fun, order_left, label):
        if "fwd" in modes:
            check_jvp(fun, args, atol=atol, rtol=rtol, eps=eps, err_msg=f"[{label} fwd]")
            if order_left > 1:
                def jvp_fun(*xs):
                    ts = tu.tree_map(lambda x: _rand_like(np.random.default_rng(7), x), xs)
                    return api.jvp(fun, xs, ts)[1]
                _check(jvp_fun, order_left - 1, label + " jvp")
        if "rev" in modes:
            check_vjp(fun, args, atol=atol, rtol=rtol, eps=eps, err_msg=f"[{label} rev]")
            if order_left > 1:
                def vjp_fun(*xs):
                    out, pb = api.vjp(fun, *xs)
                    ct = tu.tree_map(lambda x: _rand_like(np.random.default_rng(9), x), out)
                    return pb(ct)
                _check(vjp_fun, order_left - 1, label + " vjp")

    _check(f, order, f"order {order}")


def _take(x, i, axis):
    return Array(np.take(np.asarray(x), i, axis=axis)) if axis is not None else x


def check_vmap(f: Callable, args: Sequence, in_axes=0, *, atol=None, rtol=None,
               err_msg: str = "") -> None:
    """vmap(f, in_axes)(*args) must equal stacking f over the mapped axis with a loop."""
    args = tuple(args)
    axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
    size = next(np.shape(a)[ax] for a, ax in zip(args, axes) if ax is not None)
    got = api.vmap(f, in_axes=tuple(axes))(*args)
    rows = [f(*[_take(a, i, ax) for a, ax in zip(args, axes)]) for i in range(size)]
    expected = tu.tree_map(lambda *r: np.stack([np.asarray(v) for v in r]), *rows)
    dt = _leaf_dtype(args)
    tol = _DEFAULT_TOL.get(dt, 1e-5) / 100
    for g, e in zip(tu.tree_leaves(got), tu.tree_leaves(expected)):
        g = np.asarray(g)
        assert g.shape == e.shape, f"{err_msg} vmap shape {g.shape} != looped {e.shape}"
        assert g.dtype == e.dtype, f"{err_msg} vmap dtype {g.dtype} != looped {e.dtype}"
        np.testing.assert_allclose(g, e, atol=tol if atol is None else atol,
                                   rtol=tol if rtol is None else rtol, err_msg=err_msg)


def check_abstract_eval(f: Callable, args: Sequence, err_msg: str = "") -> None:
    """Staged output types (make_jaxpr) must equal the eager outputs' types."""
    closed = api.make_jaxpr(f)(*args)
    outs = tu.tree_leaves(f(*args))
    for aval, out in zip(closed.out_avals, outs):
        out_aval = out.aval if isinstance(out, Array) else None
        assert out_aval is not None, f"{err_msg} eager output is not an Array: {type(out)}"
        assert aval.shape == out_aval.shape, f"{err_msg} shape: staged {aval} eager {out_aval}"
        assert aval.dtype == out_aval.dtype, f"{err_msg} dtype: staged {aval} eager {out_aval}"
        assert aval.weak_type == out_aval.weak_type, \
            f"{err_msg} weak_type: staged {aval!r} eager {out_aval!r}"
