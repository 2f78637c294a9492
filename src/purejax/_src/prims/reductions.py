"""Reductions over axes (reduce_sum, reduce_max, reduce_min, reduce_prod,
reduce_and, reduce_or, reduce_xor, argmax, argmin) and the cumulative scans
(cumsum, cumprod, cummax, cummin, cumlogsumexp)."""
from __future__ import annotations

import numpy as np

from purejax._src import core, dtypes
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad
from purejax._src.prims import elementwise as ew
from purejax._src.prims._util import (check_dtype, is_any, is_float, is_int, is_int_or_bool,
                                      is_number)


def _reduced_shape(name, shape, axes):
    for a in axes:
        if not 0 <= a < len(shape):
            raise ValueError(f"{name}: axis {a} is out of bounds for an operand of rank "
                             f"{len(shape)}")
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: duplicate axes {axes}")
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _reduce_batch(prim):
    def rule(args, dims, *, axes, **params):
        (x,), (d,) = args, dims
        # axes refer to the unbatched operand; shift those at or past the batch dim
        new_axes = tuple(a + (a >= d) for a in axes)
        out = prim.bind(x, axes=new_axes, **params)
        return out, d - sum(a < d for a in axes)
    return rule


def _canonical_axes(axes, ndim):
    return tuple(int(a) + ndim if int(a) < 0 else int(a) for a in axes)


def _kept_dims(ndim, axes):
    return tuple(i for i in range(ndim) if i not in axes)


def _reduction(name, impl, accepted):
    """A reduction primitive with the shared shape rule (result keeps the weak type)
    and batching rule; derivative rules are left to each block."""
    p = Primitive(name)
    p.impl = impl

    def abstract_eval(x, *, axes):
        check_dtype(name, accepted, x.dtype)
        return ShapedArray(_reduced_shape(name, x.shape, axes), x.dtype, x.weak_type)

    p.abstract_eval = abstract_eval
    p.batch = _reduce_batch(p)
    return p


# The impls call the ufuncs' reduce/accumulate themselves, not np.sum & co.: those
# are Python functions in NumPy, so an inf - inf inside would warn from NumPy's module,
# past the filter in core.py that keeps purejax's own evaluation silent, as JAX's is.

# --- reduce_sum: linear -----------------------------------------------------
reduce_sum_p = _reduction("reduce_sum", lambda x, *, axes: np.add.reduce(x, axis=axes, dtype=x.dtype),
                          is_number)


def _reduce_sum_transpose(ct, x, *, axes):
    from purejax._src.prims.shape import broadcast_in_dim
    shape = x.aval.shape
    return [broadcast_in_dim(ct, shape, _kept_dims(len(shape), axes))]


ad.deflinear(reduce_sum_p, _reduce_sum_transpose)


def reduce_sum(x, axes):
    axes = _canonical_axes(axes, core.get_aval(x).ndim)
    if not axes:
        return x
    return reduce_sum_p.bind(x, axes=axes)


# --- reduce_max, reduce_min: ties share the derivative equally ----------------
# As JAX's "chooser" rule: the tangent is the mean of the input tangents at every
# position that attains the extremum. A NaN extremum matches nothing: 0/0 = NaN.
def _identity_max(dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return False
    return -np.inf if np.issubdtype(dt, np.inexact) else np.iinfo(dt).min


def _identity_min(dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return True
    return np.inf if np.issubdtype(dt, np.inexact) else np.iinfo(dt).max


def _chooser_jvp(prim):
    def jvp(primals, tangents, *, axes):
        from purejax._src.prims.shape import broadcast_in_dim, convert_element_type
        (x,), (t,) = primals, tangents
        ans = prim.bind(x, axes=axes)
        shape = core.get_aval(x).shape
        ans_b = broadcast_in_dim(ans, shape, _kept_dims(len(shape), axes))
        where = convert_element_type(ew.eq(x, ans_b), core.get_aval(t).dtype)
        counts = reduce_sum(where, axes)
        return ans, ew.div(reduce_sum(ew.mul(t, where), axes), counts)
    return jvp


reduce_max_p = _reduction(
    "reduce_max", lambda x, *, axes: np.maximum.reduce(x, axis=axes, initial=_identity_max(x.dtype)),
    is_any)
reduce_max_p.jvp = _chooser_jvp(reduce_max_p)


def reduce_max(operand, axes):
    axes = _canonical_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_max_p.bind(operand, axes=axes)


reduce_min_p = _reduction(
    "reduce_min", lambda x, *, axes: np.minimum.reduce(x, axis=axes, initial=_identity_min(x.dtype)),
    is_any)
reduce_min_p.jvp = _chooser_jvp(reduce_min_p)


def reduce_min(operand, axes):
    axes = _canonical_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_min_p.bind(operand, axes=axes)


# --- reduce_prod: JVP of a pairwise product tree, as JAX's `_reduce_prod_jvp_rule` -----
reduce_prod_p = _reduction("reduce_prod",
                           lambda x, *, axes: np.multiply.reduce(x, axis=axes, dtype=x.dtype), is_number)


def _reduce_prod_jvp(primals, tangents, *, axes):
    # JAX's `_reduce_jvp` with lax.mul: flatten the reduced axes (in the order given)
    # to a leading axis and halve it repeatedly, multiplying the first ceil(n/2) rows by
    # the rest padded with a 1; value and tangent are the JVP of that tree. No division,
    # so zeros are exact, and the tree fixes which zero tangents meet an inf (nan there,
    # as in JAX); being lax ops, it is differentiable again.
    from purejax._src.prims.indexing import slice_in_dim
    from purejax._src.prims.shape import pad, reshape, squeeze, transpose
    aval = core.get_aval(primals[0])
    kept = _kept_dims(aval.ndim, axes)
    n = int(np.prod([aval.shape[a] for a in axes], dtype=np.int64))
    kept_shape = tuple(aval.shape[i] for i in kept)
    if n == 0:  # an empty product is the constant 1
        ans = reduce_prod_p.bind(primals[0], axes=axes)
        return ans, ad.Zero.from_primal_value(ans)
    flat_shape = (n,) + kept_shape
    one = np.ones((), aval.dtype)

    def tree(x):
        x = reshape(transpose(x, tuple(axes) + kept), flat_shape)
        m = n
        while m > 1:
            m1 = (m + 1) // 2
            lo, hi = slice_in_dim(x, 0, m1, 1, 0), slice_in_dim(x, m1, m, 1, 0)
            if m - m1 != m1:
                hi = pad(hi, one, ((0, 1, 0),) + ((0, 0, 0),) * len(kept_shape))
            x, m = ew.mul(lo, hi), m1
        return [squeeze(x, (0,))]

    (ans,), (t_out,) = ad.jvp_flat(tree, primals, tangents)
    return ans, t_out


reduce_prod_p.jvp = _reduce_prod_jvp


def reduce_prod(operand, axes):
    axes = _canonical_axes(axes, core.get_aval(operand).ndim)
    if not axes:
        return operand
    return reduce_prod_p.bind(operand, axes=axes)


# --- reduce_and, reduce_or, reduce_xor: bool (logical) or int (bitwise) ------------
reduce_and_p = _reduction("reduce_and",
                          lambda x, *, axes: np.bitwise_and.reduce(x, axis=axes), is_int_or_bool)
reduce_or_p = _reduction("reduce_or",
                         lambda x, *, axes: np.bitwise_or.reduce(x, axis=axes), is_int_or_bool)
reduce_xor_p = _reduction("reduce_xor",
                          lambda x, *, axes: np.bitwise_xor.reduce(x, axis=axes), is_int_or_bool)
for _p in (reduce_and_p, reduce_or_p, reduce_xor_p):
    ad.defjvp_zero(_p)  # integer-valued: only float0 tangents ever reach it


def reduce_and(operand, axes):
    axes = _canonical_axes(axes, core.get_aval(operand).ndim)
    return reduce_and_p.bind(operand, axes=axes) if axes else operand


def reduce_or(operand, axes):
    axes = _canonical_axes(axes, core.get_aval(operand).ndim)
    return reduce_or_p.bind(operand, axes=axes) if axes else operand


def reduce_xor(operand, axes):
    axes = _canonical_axes(axes, core.get_aval(operand).ndim)
    return reduce_xor_p.bind(operand, axes=axes) if axes else operand


# --- argmax, argmin: first index of the extremum; a NaN counts as the extremum -----
# NumPy's argmax/argmin already return the first NaN's index, as JAX does.
def _argminmax(name, np_fn):
    p = Primitive(name)
    p.impl = lambda x, *, axes, index_dtype: np_fn(x, axis=axes[0]).astype(index_dtype)

    def abstract_eval(x, *, axes, index_dtype):
        check_dtype(name, is_any, x.dtype)
        check_dtype(f"{name} (index_dtype)", is_int, index_dtype)
        if len(axes) != 1:
            raise ValueError(f"{name} takes exactly one axis, got axes={axes}")
        shape = _reduced_shape(name, x.shape, axes)
        if x.shape[axes[0]] == 0:
            raise ValueError(f"{name} requires a non-empty reduction dimension: operand shape "
                             f"{x.shape}, axis {axes[0]}")
        return ShapedArray(shape, np.dtype(index_dtype), False)

    p.abstract_eval = abstract_eval
    p.batch = _reduce_batch(p)
    ad.defjvp_zero(p)
    return p


argmax_p = _argminmax("argmax", np.argmax)
argmin_p = _argminmax("argmin", np.argmin)


def argmax(operand, axis: int, index_dtype):
    axis = _canonical_axes((axis,), core.get_aval(operand).ndim)
    return argmax_p.bind(operand, axes=axis, index_dtype=dtypes.canonicalize_dtype(index_dtype))


def argmin(operand, axis: int, index_dtype):
    axis = _canonical_axes((axis,), core.get_aval(operand).ndim)
    return argmin_p.bind(operand, axes=axis, index_dtype=dtypes.canonicalize_dtype(index_dtype))


# --- lax.reduce: the monoids that have a dedicated reduction primitive ------------------
def _monoid_reducer(computation, init, dtype):
    init = np.asarray(core.concrete_or_error(init, "the init_value of lax.reduce"))
    table = [(ew.add, 0, reduce_sum), (ew.mul, 1, reduce_prod),
             (ew.max, _identity_max(dtype), reduce_max), (ew.min, _identity_min(dtype), reduce_min)]
    for fn, identity, reducer in table:
        if computation is fn and init.shape == () and init == identity:
            return reducer
    return None


def reduce(operands, init_values, computation, dimensions):
    """lax.reduce for a single operand whose (computation, init_value) is one of the
    monoids (add, 0), (mul, 1), (max, -inf or the dtype's minimum), (min, +inf or the
    dtype's maximum); those are exactly JAX's dedicated reductions, which carry the
    derivative and batching rules. Other reducers are not supported."""
    single = not isinstance(operands, (tuple, list))
    ops = [operands] if single else list(operands)
    inits = [init_values] if not isinstance(init_values, (tuple, list)) else list(init_values)
    if len(ops) != 1 or len(inits) != 1:
        raise NotImplementedError("lax.reduce: variadic reductions are not supported; reduce "
                                  "each operand separately")
    dtype = core.get_aval(ops[0]).dtype
    reducer = _monoid_reducer(computation, inits[0], dtype)
    if reducer is None:
        raise NotImplementedError(
            "lax.reduce supports only the monoids (lax.add, 0), (lax.mul, 1), (lax.max, -inf) "
            "and (lax.min, +inf); use reduce_sum/reduce_prod/reduce_max/reduce_min or "
            "express the reduction with those")
    out = reducer(ops[0], tuple(dimensions))
    return out if single else [out]


# --- cumulative scans: cumsum (linear), cumprod, cummax, cummin, cumlogsumexp --------
# As JAX's `_cumulative_jvp_rule`: the JVP of a non-linear scan (value and tangent) is
# the JVP of lax.associative_scan with the combine function (lax.mul, lax.max, lax.min,
# JAX's logaddexp). Its odd/even tree decides how ties split (cummax/cummin) and where
# a zero tangent meets an inf (cumprod), so these follow JAX bit for bit; it is built
# from lax ops, so it is differentiable again. cumsum is linear: its JVP is cumsum.
def _jax_logaddexp():
    """JAX's lax logaddexp (jax/_src/lax/other.py) as the cumlogsumexp combine: its
    formula and its custom JVP t1 * exp(x1' - out') + t2 * exp(x2' - out'), where ' maps
    +inf to 0. (purejax's logaddexp_p differentiates as logistic(x1 - x2) instead.)"""
    global _LOGADDEXP
    if _LOGADDEXP is not None:
        return _LOGADDEXP
    from purejax._src.custom_derivatives import custom_jvp
    from purejax._src.prims.shape import full_like, select_n

    @custom_jvp
    def logaddexp(x1, x2):
        amax = ew.max(x1, x2)
        delta = ew.sub(x1, x2)
        return select_n(ew.ne(delta, delta),
                        ew.add(amax, ew.log1p(ew.exp(ew.neg(ew.abs(delta))))),
                        ew.add(x1, x2))  # NaNs, or infinities of the same sign

    def replace_inf(x):
        return select_n(ew.eq(x, full_like(x, np.inf)), x, full_like(x, 0))

    @logaddexp.defjvp
    def _jvp(primals, tangents):
        (x1, x2), (t1, t2) = primals, tangents
        out = logaddexp(x1, x2)
        t_out = ew.add(ew.mul(t1, ew.exp(ew.sub(replace_inf(x1), replace_inf(out)))),
                       ew.mul(t2, ew.exp(ew.sub(replace_inf(x2), replace_inf(out)))))
        return out, t_out

    _LOGADDEXP = logaddexp
    return logaddexp


_LOGADDEXP = None


def _scan_jvp(combine):
    def jvp(primals, tangents, *, axis, reverse):
        from purejax._src.control_flow.associative import associative_scan
        fn = combine() if combine is _jax_logaddexp else combine
        (out,), (t_out,) = ad.jvp_flat(
            lambda y: [associative_scan(fn, y, reverse=reverse, axis=axis)], primals, tangents)
        return out, t_out
    return jvp


def _along_axis(np_accumulate):
    def impl(x, *, axis, reverse):
        if reverse:
            return np.flip(np_accumulate(np.flip(x, axis), axis), axis)
        return np_accumulate(x, axis)
    return impl


def _cumulative(name, np_accumulate, accepted):
    p = Primitive(name)
    p.impl = _along_axis(np_accumulate)

    def abstract_eval(x, *, axis, reverse):
        check_dtype(name, accepted, x.dtype)
        if not 0 <= axis < x.ndim:
            raise ValueError(f"{name}: axis {axis} is out of bounds for an operand of rank "
                             f"{x.ndim}")
        return x

    def batch(args, dims, *, axis, reverse):
        (x,), (d,) = args, dims
        return p.bind(x, axis=axis + (axis >= d), reverse=reverse), d

    p.abstract_eval = abstract_eval
    p.batch = batch
    return p


def _cumsum(x, axis):
    out = np.add.accumulate(x, axis, dtype=x.dtype)
    if out.dtype.kind in "fc":
        out += 0  # XLA's scan starts from +0: a run of -0s sums to +0 there, as here
    return out


cumsum_p = _cumulative("cumsum", _cumsum, is_number)
ad.deflinear(cumsum_p, lambda ct, x, *, axis, reverse: [cumsum(ct, axis, not reverse)])

cumprod_p = _cumulative("cumprod", lambda x, axis: np.multiply.accumulate(x, axis, dtype=x.dtype),
                        is_number)
cumprod_p.jvp = _scan_jvp(ew.mul)

cummax_p = _cumulative("cummax", np.maximum.accumulate, is_number)
cummax_p.jvp = _scan_jvp(ew.max)

cummin_p = _cumulative("cummin", np.minimum.accumulate, is_number)
cummin_p.jvp = _scan_jvp(ew.min)

cumlogsumexp_p = _cumulative("cumlogsumexp", np.logaddexp.accumulate, is_float)
cumlogsumexp_p.jvp = _scan_jvp(_jax_logaddexp)


def _cum_fn(prim):
    def fn(operand, axis: int = 0, reverse: bool = False):
        nd = core.get_aval(operand).ndim
        axis = int(axis) + nd if int(axis) < 0 else int(axis)
        return prim.bind(operand, axis=axis, reverse=bool(reverse))
    fn.__name__ = prim.name
    fn.__doc__ = f"Inclusive {prim.name} along `axis` (from the end when reverse=True)."
    return fn


cumsum = _cum_fn(cumsum_p)
cumprod = _cum_fn(cumprod_p)
cummax = _cum_fn(cummax_p)
cummin = _cum_fn(cummin_p)
cumlogsumexp = _cum_fn(cumlogsumexp_p)



__all__ = [
    "reduce",
    "argmax",
    "argmax_p",
    "argmin",
    "argmin_p",
    "cumlogsumexp",
    "cumlogsumexp_p",
    "cummax",
    "cummax_p",
    "cummin",
    "cummin_p",
    "cumprod",
    "cumprod_p",
    "cumsum",
    "cumsum_p",
    "reduce_and",
    "reduce_and_p",
    "reduce_max",
    "reduce_max_p",
    "reduce_min",
    "reduce_min_p",
    "reduce_or",
    "reduce_or_p",
    "reduce_prod",
    "reduce_prod_p",
    "reduce_sum",
    "reduce_sum_p",
    "reduce_xor",
    "reduce_xor_p",
]
