"""Every elementwise primitive, tested from one table of op specs.

For each spec: values against NumPy/math references (with output dtype, shape and
weak type), JVP and VJP against finite differences up to second order over several
shapes, vmap with varied in_axes, staged types, and error messages. Edge values,
integer semantics and complex conventions live in test_elementwise_edges.py; the
accuracy of the special functions in test_elementwise_special.py.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

from purejax._src import config as config_module, lax
from purejax._src.prims import elementwise
from purejax._src.array import Array
from purejax._src.test_util import check_abstract_eval, check_grads, check_vmap

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
C64, C128 = np.dtype(np.complex64), np.dtype(np.complex128)
I8, I32, U8, BOOL = (np.dtype(t) for t in (np.int8, np.int32, np.uint8, np.bool_))



# ---------------------------------------------------------------------------
# Samplers: smooth regions of each function (finite differences must be valid)

def uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape)


def away_from_zero(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape) * rng.choice([-1.0, 1.0], shape)


def fractional(lo, hi):
    """k + f with f in (lo, hi): away from the jumps of floor/ceil/round/sign."""
    return lambda rng, shape: rng.integers(-3, 3, shape) + rng.uniform(lo, hi, shape)


def complex_sampler(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, shape) + 1j * rng.uniform(lo, hi, shape)


def int_sampler(lo, hi):
    return lambda rng, shape: rng.integers(lo, hi, shape)


@dataclass
class OpSpec:
    name: str
    fn: Callable
    samplers: tuple          # one per operand (real/complex float domains)
    ref: Callable | None     # NumPy reference on float64/complex128 (or exact int) operands
    dtypes: tuple = (F32, F64)
    grad: bool = True        # numerical derivative checks (False: zero or undefined derivative)
    int_samplers: tuple | None = None   # for integer/bool dtypes in `dtypes`
    out_dtype: Callable = lambda dt: dt
    exact: bool = False      # results must equal the reference exactly (arithmetic, rounding)
    weak_out: bool = True    # weak-typed output for Python-scalar operands
    native_ref: bool = False  # apply ref in the operands' own dtype (precision-dependent ops)
    maxulp: int = 1          # float32 distance from the correctly rounded result
    rtol: float = 1e-15      # float64 tolerance against the reference

    @property
    def nargs(self):
        return len(self.samplers)

    def __repr__(self):
        return self.name


def _np_round_afz(x):
    return np.where(np.abs(x - np.trunc(x)) >= 0.5, np.trunc(x) + np.sign(x), np.trunc(x))


def _lax_div(x, y):
    if np.issubdtype(np.result_type(x), np.inexact):
        return x / y
    return np.sign(x) * np.sign(y) * (np.abs(x) // np.abs(y))  # integers: toward zero


FC = (F32, F64, C64, C128)
NUM = (F32, F64, I32, C64)
ANY = (F32, F64, I32, BOOL)
ORD = (F32, F64, I32, BOOL)
INTS = (I32, U8, I8)
R = uniform(-2, 2)
NZ = away_from_zero(0.3, 2)
POS = uniform(0.5, 3)
UNIT = uniform(-0.9, 0.9)
is_bool = lambda dt: BOOL  # noqa: E731
complex_part = lambda dt: np.finfo(dt).dtype if np.issubdtype(dt, np.complexfloating) else dt  # noqa: E731
complex_of = lambda dt: np.result_type(dt, np.complex64)  # noqa: E731

SPECS = [
    # sign and rounding
    OpSpec("neg", lax.neg, (R,), np.negative, NUM, exact=True, int_samplers=(int_sampler(-50, 50),)),
    OpSpec("sign", lax.sign, (NZ,), np.sign, NUM, grad=False, exact=True, int_samplers=(int_sampler(-3, 3),)),
    OpSpec("floor", lax.floor, (fractional(0.1, 0.9),), np.floor, exact=True),
    OpSpec("ceil", lax.ceil, (fractional(0.1, 0.9),), np.ceil, exact=True),
    OpSpec("round", lax.round, (fractional(0.6, 0.9),), _np_round_afz, exact=True),
    OpSpec("round_even", lambda x: lax.round(x, lax.RoundingMethod.TO_NEAREST_EVEN),
           (fractional(0.1, 0.4),), np.rint, exact=True),
    OpSpec("is_finite", lax.is_finite, (R,), np.isfinite, (F32, F64), grad=False, out_dtype=is_bool,
           exact=True),  # weak for weak operands, as JAX 0.10.2's
    OpSpec("nextafter", lax.nextafter, (R, R), np.nextafter, grad=False, exact=True, native_ref=True),
    # exponentials and logarithms
    OpSpec("exp", lax.exp, (R,), np.exp, FC),
    OpSpec("exp2", lax.exp2, (R,), np.exp2, FC),
    OpSpec("log", lax.log, (POS,), np.log, FC),
    OpSpec("log1p", lax.log1p, (uniform(-0.5, 2),), np.log1p, FC),
    OpSpec("expm1", lax.expm1, (R,), np.expm1, FC),
    OpSpec("tanh", lax.tanh, (R,), np.tanh, FC),
    OpSpec("logistic", lax.logistic, (uniform(-4, 4),), lambda x: 1 / (1 + np.exp(-x)), FC),
    # jnp.logaddexp's primitives (JAX's custom_jvp; not in lax's namespace, as in JAX)
    OpSpec("logaddexp", elementwise.logaddexp, (uniform(-4, 4), uniform(-4, 4)), np.logaddexp),
    OpSpec("logaddexp2", elementwise.logaddexp2, (uniform(-4, 4), uniform(-4, 4)), np.logaddexp2),
    # trigonometric and hyperbolic
    OpSpec("sin", lax.sin, (R,), np.sin, FC),
    OpSpec("cos", lax.cos, (R,), np.cos, FC),
    OpSpec("tan", lax.tan, (uniform(-1.2, 1.2),), np.tan, FC),
    OpSpec("asin", lax.asin, (UNIT,), np.arcsin, FC),
    OpSpec("acos", lax.acos, (UNIT,), np.arccos, FC),
    OpSpec("atan", lax.atan, (R,), np.arctan, FC),
    OpSpec("atan2", lax.atan2, (NZ, NZ), np.arctan2),
    OpSpec("sinh", lax.sinh, (R,), np.sinh, FC),
    OpSpec("cosh", lax.cosh, (R,), np.cosh, FC),
    OpSpec("asinh", lax.asinh, (R,), np.arcsinh, FC),
    OpSpec("acosh", lax.acosh, (uniform(1.2, 3),), np.arccosh, FC),
    OpSpec("atanh", lax.atanh, (UNIT,), np.arctanh, FC),
    # roots and powers
    OpSpec("sqrt", lax.sqrt, (POS,), np.sqrt, FC),
    OpSpec("rsqrt", lax.rsqrt, (POS,), lambda x: 1 / np.sqrt(x), FC),
    OpSpec("cbrt", lax.cbrt, (away_from_zero(0.3, 3),), np.cbrt),
    OpSpec("abs", lax.abs, (NZ,), np.abs, (F32, F64, I32, C64, C128), out_dtype=complex_part,
           exact=True, int_samplers=(int_sampler(-50, 50),)),
    OpSpec("square", lax.square, (R,), np.square, NUM, exact=True, int_samplers=(int_sampler(-50, 50),)),
    # integer_pow multiplies in the operand's precision, as XLA does: one rounding per product
    OpSpec("integer_pow_3", lambda x: lax.integer_pow(x, 3), (R,), lambda x: x * x * x, NUM,
           int_samplers=(int_sampler(-20, 20),), maxulp=2),
    OpSpec("integer_pow_-2", lambda x: lax.integer_pow(x, -2), (NZ,), lambda x: 1 / (x * x), (F32, F64, C64),
           maxulp=2),
    OpSpec("integer_pow_0", lambda x: lax.integer_pow(x, 0), (R,), np.ones_like, NUM, exact=True,
           int_samplers=(int_sampler(-20, 20),)),
    OpSpec("reciprocal", lax.reciprocal, (NZ,), lambda x: 1 / x, (F32, F64, C64), exact=True),
    OpSpec("pow", lax.pow, (POS, R), np.power, FC),
    OpSpec("pow_int_exponent", lambda x: lax.pow(x, 3), (R,), lambda x: x ** 3, (F32, F64)),
    # arithmetic
    OpSpec("add", lax.add, (R, R), np.add, NUM, exact=True, int_samplers=(int_sampler(-50, 50),) * 2),
    OpSpec("sub", lax.sub, (R, R), np.subtract, NUM, exact=True, int_samplers=(int_sampler(-50, 50),) * 2),
    OpSpec("mul", lax.mul, (R, R), np.multiply, NUM, exact=True, int_samplers=(int_sampler(-50, 50),) * 2),
    OpSpec("div", lax.div, (R, NZ), _lax_div, (F32, F64, C64), exact=True,
           int_samplers=(int_sampler(-50, 50), int_sampler(1, 9))),
    OpSpec("div_int", lax.div, (R, NZ), _lax_div, (I32,), exact=True, grad=False,
           int_samplers=(int_sampler(-50, 50), lambda rng, s: rng.choice([-7, -3, -2, 2, 3, 5], s))),
    OpSpec("rem", lax.rem, (lambda rng, s: (rng.integers(-3, 3, s) + rng.uniform(0.2, 0.8, s)) * 1.5,
                            lambda rng, s: np.full(s, 1.5) * rng.choice([-1.0, 1.0], s)),
           np.fmod, (F32, F64, I32), exact=True,
           int_samplers=(int_sampler(-50, 50), lambda rng, s: rng.choice([-7, -3, 2, 5], s))),
    OpSpec("max", lax.max, (R, lambda rng, s: rng.uniform(-2, 2, s) + 0.01), np.maximum, ANY, exact=True),
    OpSpec("min", lax.min, (R, lambda rng, s: rng.uniform(-2, 2, s) + 0.01), np.minimum, ANY, exact=True),
    OpSpec("clamp", lax.clamp, (lambda rng, s: np.full(s, -1.0),
                                lambda rng, s: rng.choice([-1.5, -0.5, 0.3, 0.6, 1.4], s) + rng.uniform(0, 0.05, s),
                                lambda rng, s: np.full(s, 1.0)),
           lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi), (F32, F64, I32), exact=True,
           int_samplers=(lambda rng, s: np.full(s, -3), int_sampler(-6, 6), lambda rng, s: np.full(s, 3))),
    # comparisons
    *[OpSpec(n, getattr(lax, n), (R, R), f, ORD if n not in ("eq", "ne") else ORD + (C64,), grad=False,
             out_dtype=is_bool, exact=True)  # a weak bool for weak operands, as JAX's
      for n, f in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                   ("gt", np.greater), ("ge", np.greater_equal))],
    # complex numbers
    # (their reverse mode is checked under JAX's real pairing in test_grads_complex)
    OpSpec("real", lax.real, (complex_sampler(-2, 2),), np.real, (C64, C128), out_dtype=complex_part,
           exact=True, grad=False),
    OpSpec("imag", lax.imag, (complex_sampler(-2, 2),), np.imag, (C64, C128), out_dtype=complex_part,
           exact=True, grad=False),
    OpSpec("conj", lax.conj, (complex_sampler(-2, 2),), np.conj, (C64, C128), exact=True, grad=False),
    OpSpec("conj_real", lax.conj, (R,), lambda x: x.astype(np.complex128), (F32, F64), out_dtype=complex_of,
           exact=True, grad=False),
    OpSpec("complex", lax.complex, (R, R), lambda x, y: x + 1j * y, (F32, F64), out_dtype=complex_of,
           exact=True, grad=False),
    # identities
    OpSpec("copy", lax.copy, (R,), np.copy, ANY, exact=True),
    OpSpec("stop_gradient", lax.stop_gradient, (R,), np.copy, (F32, F64), grad=False, exact=True),
    # special functions (references: math, vectorised)
    OpSpec("erf", lax.erf, (R,), np.vectorize(math.erf), rtol=4e-15),
    OpSpec("erfc", lax.erfc, (R,), np.vectorize(math.erfc), rtol=1e-14),
    OpSpec("erf_inv", lax.erf_inv, (UNIT,), None),
    # math.lgamma itself is only ~1e-11 accurate (relative) close to its zeros at 1 and 2
    OpSpec("lgamma", lax.lgamma, (uniform(0.2, 5),), np.vectorize(math.lgamma), rtol=1e-12),
    OpSpec("digamma", lax.digamma, (uniform(0.2, 5),), None),
    OpSpec("polygamma_1", lambda x: lax.polygamma(1.0, x), (uniform(0.2, 5),), None),
    OpSpec("polygamma_2", lambda x: lax.polygamma(2.0, x), (uniform(0.2, 5),), None),
    # bitwise (integers, and logical on bool)
    *[OpSpec(n, getattr(lax, n), (None,) * k, f, (I32, U8, BOOL), grad=False, exact=True,
             int_samplers=(int_sampler(0, 100),) * k)
      for n, f, k in (("bitwise_and", np.bitwise_and, 2), ("bitwise_or", np.bitwise_or, 2),
                      ("bitwise_xor", np.bitwise_xor, 2), ("bitwise_not", np.invert, 1))],
    *[OpSpec(n, getattr(lax, n), (None, None), f, INTS, grad=False, exact=True,
             int_samplers=(int_sampler(0, 100), int_sampler(0, 7)))
      for n, f in (("shift_left", np.left_shift), ("shift_right_logical", np.right_shift),
                   ("shift_right_arithmetic", np.right_shift))],
    OpSpec("population_count", lax.population_count, (None,), lambda x: np.bitwise_count(x).astype(x.dtype),
           INTS, grad=False, exact=True, int_samplers=(int_sampler(0, 100),)),
    # clz on non-negative samples: bits above the highest set bit (XLA's count_leading_zeros)
    OpSpec("clz", lax.clz, (None,),
           lambda x: (x.dtype.itemsize * 8 - np.array([int(v).bit_length() for v in x.ravel()])
                      ).reshape(x.shape).astype(x.dtype),
           INTS, grad=False, exact=True, int_samplers=(int_sampler(0, 100),)),
]
SPEC_BY_NAME = {s.name: s for s in SPECS}


def sample(spec, rng, shapes, dtype):
    if np.issubdtype(dtype, np.integer) or dtype == BOOL:
        samplers = spec.int_samplers or (int_sampler(-5, 5),) * spec.nargs
        args = [np.asarray(s(rng, sh)) for s, sh in zip(samplers, shapes)]
        return [a.astype(dtype) if dtype != BOOL else (a % 2).astype(bool) for a in args]
    args = []
    for s, sh in zip(spec.samplers, shapes):
        a = np.asarray(s(rng, sh))
        if np.issubdtype(dtype, np.complexfloating) and not np.iscomplexobj(a):
            a = a + 0.5j * rng.uniform(-1, 1, sh)  # a genuinely complex point
        args.append(a.astype(dtype))
    return args


def shapes_for(spec, shape):
    return [shape] * spec.nargs


# ---------------------------------------------------------------------------
# 1. Values, output dtype, shape and weak type

VALUE_CASES = [(s, dt) for s in SPECS for dt in s.dtypes]


@pytest.mark.parametrize("spec,dtype", VALUE_CASES, ids=[f"{s.name}-{dt.name}" for s, dt in VALUE_CASES])
def test_values(spec, dtype, x64):
    rng = np.random.default_rng(0)
    shape = (2, 3)
    args = sample(spec, rng, shapes_for(spec, shape), dtype)
    # The reference checks below hold for the mode that rounds every transcendental
    # once ("exact"); the default ("xla") evaluates some natively (NumPy's float32
    # kernels, a few ulp from it; test_float32_math checks which, bit for bit).
    with config_module._override("purejax_float32_math", "xla"):
        default = np.asarray(spec.fn(*[Array(a) for a in args]))
    with config_module._override("purejax_float32_math", "exact"):
        out = spec.fn(*[Array(a) for a in args])
    if dtype in (F32, C64) and np.issubdtype(default.dtype, np.inexact):
        finite = np.isfinite(np.asarray(out))
        np.testing.assert_array_equal(finite, np.isfinite(default), err_msg=spec.name)
        if default.dtype.kind == "c":
            np.testing.assert_allclose(default, np.asarray(out), rtol=1e-6, atol=1e-6)
        else:
            np.testing.assert_array_max_ulp(default[finite], np.asarray(out)[finite], maxulp=4)
    assert isinstance(out, Array)
    assert out.shape == shape
    expected_dtype = spec.out_dtype(dtype)
    assert out.dtype == expected_dtype, f"{spec.name}: dtype {out.dtype} != {expected_dtype}"
    assert not out.weak_type
    if spec.ref is None:
        return
    wide = [a.astype(np.complex128 if np.iscomplexobj(a) else np.float64)
            if np.issubdtype(a.dtype, np.inexact) and not spec.native_ref else a for a in args]
    with np.errstate(all="ignore"):
        expected = np.asarray(spec.ref(*wide)).astype(expected_dtype)
    got = np.asarray(out)
    if np.issubdtype(expected_dtype, np.complexfloating):
        rtol = 8 * np.finfo(expected_dtype).eps  # complex products round per component
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol, err_msg=spec.name)
    elif spec.exact or not np.issubdtype(expected_dtype, np.inexact):
        np.testing.assert_array_equal(got, expected, err_msg=spec.name)
    elif dtype == F32:
        # evaluated in float64 and rounded once: within 1 ulp of the correctly rounded value
        np.testing.assert_array_max_ulp(got, expected, maxulp=spec.maxulp)
    else:
        np.testing.assert_allclose(got, expected, rtol=spec.rtol, atol=0, err_msg=spec.name)


WEAK_SPECS = [s for s in SPECS if F32 in s.dtypes or I32 in s.dtypes]


@pytest.mark.parametrize("spec", WEAK_SPECS, ids=repr)
def test_weak_type_of_python_scalars(spec):
    """Python scalars are weakly typed, and so is the output (bool ones too, as JAX)."""
    rng = np.random.default_rng(1)
    dtype = F32 if F32 in spec.dtypes else I32
    args = [a.item() for a in sample(spec, rng, shapes_for(spec, ()), dtype)]
    out = spec.fn(*args)
    assert out.shape == ()
    assert out.dtype == spec.out_dtype(dtype)
    assert out.weak_type == spec.weak_out
    strong = spec.fn(*[Array(np.asarray(a, dtype)) for a in args])
    assert not strong.weak_type


# ---------------------------------------------------------------------------
# 2. JVP and VJP against finite differences, to second order, over shapes

GRAD_SPECS = [s for s in SPECS if s.grad]
SHAPES = [(), (3,), (2, 3)]


def grad_cases():
    for s in GRAD_SPECS:
        for shape in SHAPES:
            yield s, [shape] * s.nargs
        if s.nargs == 2:  # rank-0 operands broadcast against the other
            yield s, [(), (2, 3)]
            yield s, [(2, 3), ()]
        if s.name == "clamp":  # scalar bounds
            yield s, [(), (2, 3), ()]


GRAD_CASES = list(grad_cases())


def real_pairing_vjp_check(f, args, rng):
    """VJP under JAX's pairing Re(sum(a * b)) (the one complex transposes obey)."""
    from purejax import jvp, vjp
    tangents = tuple(Array(np.asarray(rng.standard_normal(np.shape(a)) + (1j * rng.standard_normal(np.shape(a))
                                      if np.iscomplexobj(a) else 0), np.asarray(a).dtype)) for a in args)
    out, pullback = vjp(f, *args)
    _, out_dot = jvp(f, tuple(args), tangents)
    ct = np.asarray(rng.standard_normal(out.shape) + (1j * rng.standard_normal(out.shape)
                                                      if np.iscomplexobj(np.asarray(out)) else 0), out.dtype)
    cts_in = pullback(Array(ct))
    lhs = np.sum(ct * np.asarray(out_dot)).real
    rhs = sum(np.sum(np.asarray(c) * np.asarray(t)).real for c, t in zip(cts_in, tangents))
    np.testing.assert_allclose(lhs, rhs, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("spec,shapes", GRAD_CASES, ids=[f"{s.name}-{sh}" for s, sh in GRAD_CASES])
def test_grads(spec, shapes, x64):
    rng = np.random.default_rng(2)
    args = [Array(a) for a in sample(spec, rng, shapes, F64)]
    check_grads(spec.fn, args, order=2)


COMPLEX_GRAD_SPECS = [s for s in SPECS if (s.grad and (C64 in s.dtypes or C128 in s.dtypes))
                      or s.name in ("real", "imag", "conj", "conj_real", "complex")]


@pytest.mark.parametrize("spec", COMPLEX_GRAD_SPECS, ids=repr)
def test_grads_complex(spec, x64):
    """Holomorphic JVPs match finite differences; reverse mode obeys JAX's pairing."""
    rng = np.random.default_rng(3)
    dtype = F64 if spec.name in ("complex", "conj_real") else C128
    args = [Array(a) for a in sample(spec, rng, [(3,)] * spec.nargs, dtype)]
    check_grads(spec.fn, args, order=2, modes=("fwd",))
    real_pairing_vjp_check(spec.fn, args, rng)


# ---------------------------------------------------------------------------
# 3. Batching

def vmap_cases():
    for s in SPECS:
        dtype = s.dtypes[0]
        if s.nargs == 1:
            yield s, dtype, [(4, 3)], (0,)
            yield s, dtype, [(3, 4)], (1,)
        elif s.nargs == 2:
            yield s, dtype, [(4, 3), (4, 3)], (0, 0)
            yield s, dtype, [(3, 4), (4, 3)], (1, 0)
            yield s, dtype, [(3, 4), (3,)], (1, None)
            yield s, dtype, [(), (4,)], (None, 0)
            yield s, dtype, [(4, 3), ()], (0, None)
        else:
            yield s, dtype, [(4,), (4, 3), (4,)], (0, 0, 0)
            yield s, dtype, [(), (3, 4), ()], (None, 1, None)
            yield s, dtype, [(3,), (3,), (4,)], (None, None, 0)


VMAP_CASES = list(vmap_cases())


@pytest.mark.parametrize("spec,dtype,shapes,in_axes", VMAP_CASES,
                         ids=[f"{s.name}-{ax}-{sh}" for s, _, sh, ax in VMAP_CASES])
def test_vmap(spec, dtype, shapes, in_axes):
    rng = np.random.default_rng(4)
    args = [Array(a) for a in sample(spec, rng, shapes, dtype)]
    check_vmap(spec.fn, args, in_axes)


@pytest.mark.parametrize("spec", GRAD_SPECS, ids=repr)
def test_vmap_of_grad(spec, x64):
    """Per-example gradients: the JVP and transpose rules batch too."""
    from purejax import grad
    rng = np.random.default_rng(6)
    args = [Array(a) for a in sample(spec, rng, [(4,)] * spec.nargs, F64)]
    check_vmap(grad(spec.fn, argnums=tuple(range(spec.nargs))), args, 0)


# ---------------------------------------------------------------------------
# 4. Staged types equal eager types

@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("python_scalars", [False, True])
def test_abstract_eval(spec, python_scalars):
    rng = np.random.default_rng(5)
    dtype = spec.dtypes[0]
    shape = () if python_scalars else (2, 3)
    args = sample(spec, rng, shapes_for(spec, shape), dtype)
    args = [a.item() for a in args] if python_scalars else [Array(a) for a in args]
    check_abstract_eval(spec.fn, args, err_msg=spec.name)
    # the staged program computes what eager evaluation does (params, literals and all)
    from purejax import make_jaxpr
    from purejax._src import core
    closed = make_jaxpr(spec.fn)(*args)
    (staged,) = core.jaxpr_as_fun(closed)(*args)
    np.testing.assert_array_equal(np.asarray(staged), np.asarray(spec.fn(*args)))


# ---------------------------------------------------------------------------
# 6. Errors name the primitive

def f32(*shape):
    return Array(np.ones(shape, np.float32))


def i32(*shape):
    return Array(np.ones(shape, np.int32))


ERROR_CASES = [
    (lambda: lax.sin(i32(3)), TypeError, "sin does not accept dtype int32"),
    (lambda: lax.exp(Array(np.ones(3, bool))), TypeError, "exp does not accept dtype bool"),
    (lambda: lax.floor(Array(np.ones(3, np.complex64))), TypeError, "floor does not accept dtype complex64"),
    (lambda: lax.erf(i32()), TypeError, "erf does not accept"),
    (lambda: lax.lgamma(Array(np.ones(2, np.complex64))), TypeError, "lgamma does not accept"),
    (lambda: lax.add(Array(np.ones(3, bool)), Array(np.ones(3, bool))), TypeError, "add does not accept dtype bool"),
    (lambda: lax.abs(Array(np.ones(3, np.uint32))), TypeError, "abs does not accept dtype uint32"),
    (lambda: lax.lt(Array(np.ones(3, np.complex64)), Array(np.ones(3, np.complex64))), TypeError,
     "lt does not accept dtype complex64"),
    (lambda: lax.shift_left(f32(3), f32(3)), TypeError, "shift_left does not accept dtype float32"),
    (lambda: lax.bitwise_and(f32(3), f32(3)), TypeError, "and does not accept dtype float32"),
    (lambda: lax.population_count(Array(np.ones(3, bool))), TypeError, "population_count"),
    (lambda: lax.rem(Array(np.ones(3, np.complex64)), Array(np.ones(3, np.complex64))), TypeError, "rem"),
    (lambda: lax.real(f32(3)), TypeError, "real does not accept dtype float32"),
    (lambda: lax.complex(Array(np.ones(3, np.float16)), Array(np.ones(3, np.float16))), TypeError, "complex"),
    (lambda: lax.conj(i32(3)), TypeError, "conj does not accept dtype int32"),
    (lambda: lax.integer_pow(i32(3), -1), TypeError, "Integers cannot be raised to negative powers"),
    (lambda: lax.pow(i32(3), i32(3)), TypeError, "pow does not accept dtype int32"),
    (lambda: lax.pow(f32(3), Array(np.ones(3, np.float16))), TypeError, "inexact dtypes must match"),
    # mismatched dtypes
    (lambda: lax.add(f32(3), i32(3)), TypeError, "add requires arguments to have the same dtypes"),
    (lambda: lax.max(f32(3), Array(np.ones(3, np.float16))), TypeError, "max requires arguments to have the same"),
    (lambda: lax.clamp(i32(), f32(3), f32()), TypeError, "clamp requires arguments to have the same dtypes"),
    # incompatible shapes
    (lambda: lax.mul(f32(3), f32(4)), TypeError, "mul got incompatible shapes for broadcasting: (3,), (4,)"),
    (lambda: lax.atan2(f32(2, 3), f32(3)), TypeError, "atan2 got incompatible shapes"),
    (lambda: lax.clamp(f32(2), f32(3), f32()), TypeError, "clamp requires min.shape == operand.shape"),
]


@pytest.mark.parametrize("thunk,exc,match", ERROR_CASES, ids=[m for _, _, m in ERROR_CASES])
def test_errors(thunk, exc, match):
    with pytest.raises(exc) as info:
        thunk()
    assert match in str(info.value)


def test_errors_when_staged():
    from purejax import make_jaxpr
    with pytest.raises(TypeError, match="cos does not accept dtype int32"):
        make_jaxpr(lax.cos)(np.int32(1))
    with pytest.raises(TypeError, match="sub got incompatible shapes"):
        make_jaxpr(lax.sub)(np.ones(2, np.float32), np.ones(3, np.float32))


def test_polygamma_has_no_derivative_in_m(x64):
    from purejax import grad
    with pytest.raises(ValueError, match="polygamma gradient with respect to m"):
        grad(lambda m: lax.polygamma(m, 2.0))(1.0)


# ---------------------------------------------------------------------------
# 7. The harness cannot pass a wrong rule

def test_check_grads_rejects_a_wrong_jvp(x64):
    from purejax._src.prims._util import unop
    from purejax._src.prims.elementwise import defjvp
    bad_p = unop("bad_sin", np.sin)
    defjvp(bad_p, lambda g, x: lax.mul(g, lax.mul(1.01, lax.cos(x))))  # 1% too large
    with pytest.raises(AssertionError, match="JVP disagrees with central finite differences"):
        check_grads(bad_p.bind, (Array(np.array([0.3, 1.2])),), order=1, modes=("fwd",))


def test_check_grads_rejects_a_wrong_second_derivative(x64):
    from purejax._src.prims._util import unop
    from purejax._src.prims.elementwise import defjvp
    # first derivative right at x = 0.3 only through a wrong helper whose own JVP is wrong
    half_p = unop("wrong_cos", np.cos)
    defjvp(half_p, lambda g, x: lax.mul(g, lax.sin(x)))  # sign error: cos' = -sin
    sin2_p = unop("sin2", np.sin)
    defjvp(sin2_p, lambda g, x: lax.mul(g, half_p.bind(x)))
    check_grads(sin2_p.bind, (Array(np.array([0.3])),), order=1)
    with pytest.raises(AssertionError):
        check_grads(sin2_p.bind, (Array(np.array([0.3])),), order=2)


def test_check_grads_rejects_a_wrong_transpose(x64):
    from purejax._src.core import Primitive
    from purejax._src.interpreters import ad, batching
    twice_p = Primitive("twice")
    twice_p.impl = lambda x: 2 * x
    twice_p.abstract_eval = lambda x: x
    batching.defvectorized(twice_p)
    ad.deflinear(twice_p, lambda ct, x: [lax.mul(3.0, ct)])  # should be 2 * ct
    check_grads(twice_p.bind, (Array(np.array([0.3])),), order=1, modes=("fwd",))
    with pytest.raises(AssertionError, match="VJP disagrees with JVP"):
        check_grads(twice_p.bind, (Array(np.array([0.3])),), order=1, modes=("rev",))


def test_every_primitive_is_in_the_table():
    """A new elementwise primitive must get a spec (or this test names it)."""
    from purejax._src.core import Primitive
    from purejax._src.prims import bitwise, special
    aliases = {"and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "not": "bitwise_not",
               "integer_pow": "integer_pow_3", "polygamma": "polygamma_1"}
    prims = [p.name for m in (elementwise, bitwise, special) for p in vars(m).values()
             if isinstance(p, Primitive)]
    missing = sorted(p for p in prims if aliases.get(p, p) not in SPEC_BY_NAME)
    assert not missing, f"primitives without an OpSpec: {missing}"


def test_division_by_a_rank0_divisor_multiplies_by_its_reciprocal():
    """XLA computes A / broadcast(B) as A * broadcast(1 / B), so JAX's `x / 3.`,
    `jnp.mean` and every array-by-scalar division round that way (a third of float32
    quotients differ from the true division). purejax does the same, eagerly, under each
    jit backend, in fused blocks and under vmap (per-example divisors); scalar by scalar,
    scalar by array and complex divisions stay true divisions."""
    import purejax as jax
    import purejax.numpy as jnp
    rng = np.random.default_rng(7)
    for dt in (np.float16, np.float32):
        x = (rng.standard_normal(1000) * 100).astype(dt)
        want = x * (dt(1) / dt(3))
        assert not np.array_equal(want, x / dt(3))  # (the two roundings differ here)
        np.testing.assert_array_equal(np.asarray(jnp.asarray(x) / 3.), want)
        np.testing.assert_array_equal(np.asarray(jax.jit(lambda a, s: a / s)(x, dt(3))), want)
    x = (rng.standard_normal(1 << 17) * 100).astype(np.float32)  # fused block by block
    want = (x * np.float32(2)) * (np.float32(1) / np.float32(3)) + np.float32(1)
    for backend in ("numpy_codegen", "interpret"):
        prev = jax.config.purejax_jit_backend
        jax.config.update("purejax_jit_backend", backend)
        try:
            got = jax.jit(lambda a: a * 2. / 3. + 1.)(x)
        finally:
            jax.config.update("purejax_jit_backend", prev)
        np.testing.assert_array_equal(np.asarray(got), want, err_msg=backend)
    xs = (rng.standard_normal((6, 40)) * 100).astype(np.float32)
    ys = (rng.standard_normal(6) * 10).astype(np.float32)
    loop = np.stack([np.asarray(jnp.asarray(a) / b) for a, b in zip(xs, ys)])
    np.testing.assert_array_equal(loop, xs * (np.float32(1) / ys)[:, None])
    np.testing.assert_array_equal(np.asarray(jax.vmap(lambda a, b: a / b)(xs, ys)), loop)
    np.testing.assert_array_equal(np.asarray(jax.jit(jax.vmap(lambda a, b: a / b))(xs, ys)), loop)
    # the cotangent of the numerator is divided the same way (as in JAX)
    g = jax.grad(lambda a: jnp.sum(a / 3.))(jnp.asarray(xs[0]))
    np.testing.assert_array_equal(np.asarray(g), np.full(40, np.float32(1) / np.float32(3)))
    # derivatives in both operands against finite differences, to second order, and
    # under vmap with per-example divisors
    from purejax.test_util import check_grads
    prev = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        a64, s64 = np.array([-1.3, 0.4, 2.2]), np.float64(-0.7)
        check_grads(lambda a, s: a / s, (a64, s64), order=2)
        check_grads(jax.vmap(lambda a, s: a / s), (np.stack([a64, a64 + 1]), np.array([s64, 1.9])),
                    order=2)
    finally:
        jax.config.update("jax_enable_x64", prev)
    # true divisions
    a, b = np.float32(7.3), np.float32(3.)
    assert float(jnp.float32(a) / jnp.float32(b)) == float(a / b)
    np.testing.assert_array_equal(np.asarray(3. / jnp.asarray(xs[0])), np.float32(3) / xs[0])
    c = (xs[0] + 1j * xs[1]).astype(np.complex64)
    np.testing.assert_array_equal(np.asarray(jnp.asarray(c) / np.complex64(3 + 1j)),
                                  c / np.complex64(3 + 1j))
    np.testing.assert_array_equal(np.asarray(jnp.asarray(xs) / jnp.asarray(np.full_like(xs, 3))),
                                  xs / np.float32(3))
