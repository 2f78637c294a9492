"""Elementwise primitives, one block each: declaration (impl, abstract eval,
batching via the declarator), then the JVP or transpose, then the lax function."""
from __future__ import annotations

import numpy as np

from purejax._src import core, dtypes
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims._util import (as_operands, binop, is_any, is_float, is_inexact,
                                      is_int, is_int_or_bool, is_number, no_weak, unop)


# --- neg: linear ------------------------------------------------------------
neg_p = unop("neg", np.negative, is_number)
ad.deflinear(neg_p, lambda ct, x: [neg(ct)])


def neg(x):
    return neg_p.bind(x)


# --- sin, cos ---------------------------------------------------------------
sin_p = unop("sin", np.sin)
ad.defjvp(sin_p, lambda g, x: mul(g, cos(x)))


def sin(x):
    return sin_p.bind(x)


cos_p = unop("cos", np.cos)
ad.defjvp(cos_p, lambda g, x: neg(mul(g, sin(x))))


def cos(x):
    return cos_p.bind(x)


# --- exp, log ---------------------------------------------------------------
exp_p = unop("exp", np.exp)
ad.defjvp2(exp_p, lambda g, ans, x: mul(g, ans))


def exp(x):
    return exp_p.bind(x)


log_p = unop("log", np.log)
ad.defjvp(log_p, lambda g, x: div(g, x))


def log(x):
    return log_p.bind(x)


# --- add, sub: linear -------------------------------------------------------
def _unbroadcast(ct, x):
    """Sum a cotangent down to the shape of operand x (rank-0 operands broadcast)."""
    aval = x.aval if is_undefined_primal(x) else core.get_aval(x)
    ct_aval = core.get_aval(ct)
    if ct_aval.shape == aval.shape:
        return ct
    from purejax._src.prims.reductions import reduce_sum
    return reduce_sum(ct, tuple(range(ct_aval.ndim)))


def _bcast_to(t, other):
    """Broadcast a rank-0 tangent against a higher-rank operand (lax's scalar rule)."""
    t_shape, o_shape = core.get_aval(t).shape, core.get_aval(other).shape
    if t_shape == o_shape or o_shape == ():
        return t
    from purejax._src.prims.shape import broadcast_in_dim
    return broadcast_in_dim(t, o_shape, ())


add_p = binop("add", np.add, is_number)
ad.defjvp(add_p, lambda g, x, y: _bcast_to(g, y), lambda g, x, y: _bcast_to(g, x))
add_p.transpose = lambda ct, x, y: [_unbroadcast(ct, x) if is_undefined_primal(x) else None,
                                    _unbroadcast(ct, y) if is_undefined_primal(y) else None]


def add(x, y):
    return add_p.bind(*as_operands(x, y))


sub_p = binop("sub", np.subtract, is_number)
ad.defjvp(sub_p, lambda g, x, y: _bcast_to(g, y), lambda g, x, y: _bcast_to(neg(g), x))
sub_p.transpose = lambda ct, x, y: [_unbroadcast(ct, x) if is_undefined_primal(x) else None,
                                    _unbroadcast(neg(ct), y) if is_undefined_primal(y) else None]


def sub(x, y):
    return sub_p.bind(*as_operands(x, y))


# --- mul: bilinear ----------------------------------------------------------
mul_p = binop("mul", np.multiply, is_number)
ad.defbilinear(mul_p,
               lambda ct, x, y: _unbroadcast(mul(ct, y), x),
               lambda ct, x, y: _unbroadcast(mul(x, ct), y))


def mul(x, y):
    return mul_p.bind(*as_operands(x, y))


# --- div: linear in the numerator -------------------------------------------
def _div_impl(x, y):
    if np.issubdtype(x.dtype, np.integer):
        # lax.div rounds toward zero for integers (C semantics), unlike np.floor_divide
        with np.errstate(divide="ignore", invalid="ignore"):
            q = np.where(y == 0, 0, np.fix(x / np.where(y == 0, 1, y)))
        return q.astype(x.dtype)
    return np.true_divide(x, y)


div_p = binop("div", _div_impl, is_number)


def _div_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    out = div(x, y)
    t_out = Zero.from_primal_value(out)
    if type(tx) is not Zero:
        t_out = ad.add_tangents(t_out, div(tx, y))
    if type(ty) is not Zero:
        t_out = ad.add_tangents(t_out, mul(neg(ty), div(out, y)))
    return out, t_out


def _div_transpose(ct, x, y):
    assert is_undefined_primal(x) and not is_undefined_primal(y)
    if type(ct) is Zero:
        return [None, None]
    return [_unbroadcast(div(ct, y), x), None]


div_p.jvp = _div_jvp
div_p.transpose = _div_transpose


def div(x, y):
    return div_p.bind(*as_operands(x, y))


# --- max: ties split the derivative evenly, as JAX does ---------------------
max_p = binop("max", np.maximum, is_any)


def _balanced_eq(x, z, y):
    # 1 where x alone attains the extremum z, 0.5 at a tie with y, 0 elsewhere
    from purejax._src.prims.shape import full_like, select_n
    return div(select_n(eq(x, z), full_like(z, 0), full_like(z, 1)),
               select_n(eq(y, z), full_like(z, 1), full_like(z, 2)))


ad.defjvp2(max_p,
           lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
           lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)))


def max(x, y):
    return max_p.bind(*as_operands(x, y))


# --- comparisons: bool output, zero derivative ------------------------------
def _cmp(name, impl):
    p = binop(name, impl, is_any, out_dtype=lambda dt: np.dtype(np.bool_))
    p.weak_type_rule = no_weak
    ad.defjvp_zero(p)
    return p


eq_p = _cmp("eq", np.equal)
ne_p = _cmp("ne", np.not_equal)
lt_p = _cmp("lt", np.less)
le_p = _cmp("le", np.less_equal)
gt_p = _cmp("gt", np.greater)
ge_p = _cmp("ge", np.greater_equal)


def eq(x, y):
    return eq_p.bind(*as_operands(x, y))


def ne(x, y):
    return ne_p.bind(*as_operands(x, y))


def lt(x, y):
    return lt_p.bind(*as_operands(x, y))


def le(x, y):
    return le_p.bind(*as_operands(x, y))


def gt(x, y):
    return gt_p.bind(*as_operands(x, y))


def ge(x, y):
    return ge_p.bind(*as_operands(x, y))


__all__ = [
    "add",
    "add_p",
    "cos",
    "cos_p",
    "div",
    "div_p",
    "eq",
    "eq_p",
    "exp",
    "exp_p",
    "ge",
    "ge_p",
    "gt",
    "gt_p",
    "le",
    "le_p",
    "log",
    "log_p",
    "lt",
    "lt_p",
    "max",
    "max_p",
    "mul",
    "mul_p",
    "ne",
    "ne_p",
    "neg",
    "neg_p",
    "sin",
    "sin_p",
    "sub",
    "sub_p",
]
