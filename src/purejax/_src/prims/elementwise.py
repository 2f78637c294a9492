"""Elementwise primitives, one block each: declaration (impl, abstract eval, batching
via the declarator), then the JVP or transpose, then the lax function.

Float16/float32/complex64 transcendentals are evaluated the way the flag
purejax_float32_math says (`in_double`): by default ("xla") each one the way that
reproduces XLA's results most often: in double precision and rounded once (exp, log,
sin, cos, tanh, rsqrt: NumPy's float32 np.exp(np.float32(2)) is 7.3890557 where XLA
prints 7.389056), or with NumPy's own kernel (tan, atan, cbrt, pow, ...: XLA's results
bit for bit, or closer to them than the correctly rounded value); + - * / stay native
(exact IEEE).
JAX's `accuracy=` keyword is accepted and ignored. Derivatives follow JAX's conventions
at non-differentiable points (abs'(0) = 1, max/min ties split 0.5/0.5, sqrt'(0) = inf);
complex JVPs are holomorphic; abs/real/imag/conj follow JAX's real-linear rules.
"""
from __future__ import annotations

import builtins
import enum

import numpy as np

from purejax._src import core, dtypes
from purejax._src.config import _flags as _config_flags
from purejax._src import tree_util as tu
from purejax._src.array import Array
from purejax._src.core import Primitive, ShapedArray
from purejax._src.interpreters import ad, batching
from purejax._src.interpreters.ad import Zero, is_undefined_primal
from purejax._src.prims.shape import (broadcast_in_dim, convert_element_type, full_like, select_n)
from purejax._src.prims._util import (_weak_scalar, as_operands, binop, broadcast_shapes_lax,
                                      check_dtype, is_any, is_complex, is_float, is_inexact, is_int,
                                      is_number, naryop, unop)


# ---------------------------------------------------------------------------
# Shared helpers

def dtype_class(description: str, pred):
    """A dtype predicate whose name check_dtype prints in its error message."""
    pred.__name__ = description
    return pred


is_ordered = dtype_class("integer, floating or bool", lambda dt: not np.issubdtype(dt, np.complexfloating))
is_signed_number = dtype_class(
    "signed integer, floating or complex",
    lambda dt: np.issubdtype(dt, np.signedinteger) or np.issubdtype(dt, np.inexact))
is_complex_part = dtype_class("float32 or float64", lambda dt: dt in (np.float32, np.float64))
is_conj_input = dtype_class("float32, float64 or complex",
                            lambda dt: dt in (np.float32, np.float64) or np.issubdtype(dt, np.complexfloating))

def real_part_dtype(dt):  # complex64 -> float32; real dtypes unchanged
    return np.finfo(dt).dtype if np.issubdtype(dt, np.complexfloating) else dt


# float16/float32/complex64 are evaluated in these and rounded once
_WIDER = {np.dtype(np.float16): np.dtype(np.float64), np.dtype(np.float32): np.dtype(np.float64),
          np.dtype(np.complex64): np.dtype(np.complex128)}
F32, C64 = np.dtype(np.float32), np.dtype(np.complex64)

# The mode "xla" (the default) evaluates a function natively in the dtypes listed for it,
# in double elsewhere: natively where NumPy's kernel agrees with XLA's result at least as
# often as the correctly rounded value does, or less than 3 points less often (averaged
# over five input distributions, jaxlib on the CPU; table and script in
# docs/differences.md). float16 always goes through double: XLA computes it in float32
# and rounds, which the double result reproduces.
XLA_NATIVE = (F32, C64)


def _numpy_uses_svml() -> bool:
    """Whether NumPy may run float32 tan, atan, cbrt, sinh, pow, ... with Intel's SVML
    (Linux x86-64 builds on AVX512-SKX CPUs) instead of the libm routines measured
    against XLA. SVML's results are not those, and depend on the array's layout (it
    runs on contiguous data only), so "xla" evaluates those functions in double there."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # pragma: no cover - a NumPy without the private module
        return True
    return bool(__cpu_features__.get("AVX512_SKX", True))


NUMPY_USES_SVML = _numpy_uses_svml()
# float32 functions NumPy dispatches to SVML there (numpy/_core/src/umath/loops_umath_fp)
SVML_UFUNCS = frozenset({np.exp2, np.expm1, np.log1p, np.cbrt, np.tan, np.arcsin, np.arccos,
                         np.arctan, np.sinh, np.cosh, np.arcsinh, np.arccosh, np.arctanh,
                         np.power, np.arctan2})


def in_double(fn, fast=None, xla=XLA_NATIVE, svml=None):
    """An impl evaluating `fn` in float64/complex128 and rounding once to the operand's
    precision, or natively in it, as the flag purejax_float32_math says (read on every
    call, so eager and already-jitted code follow it alike):

    - "exact": always in double (correctly rounded, almost always);
    - "fast": natively for float16/float32/complex64 where `fast` allows it (by default
      for NumPy ufuncs: the kernels NumPy users get; kernels written for float64, the
      special functions, stay in double);
    - "xla" (default): natively for the dtypes in `xla` (where `fast` allows it), in
      double for the others; float32 in double too where NumPy would run `fn` with SVML
      (`svml`: whether it may; by default, whether `fn` is one of SVML_UFUNCS).

    The result keeps its kind (abs of complex64 gives float32). The impl carries
    `wide_ufunc` (the unary ufunc, else None) and `native_modes(dtype)` (the modes in
    which that dtype runs natively), for backends that write the two ways inline."""

    unary_ufunc = isinstance(fn, np.ufunc) and fn.nin == 1
    fast_ok = isinstance(fn, np.ufunc) if fast is None else fast
    flags = _config_flags
    xla_native = {np.dtype(d) for d in xla} if fast_ok else set()
    if NUMPY_USES_SVML and (fn in SVML_UFUNCS if svml is None else svml):
        xla_native.discard(F32)
    native = {"exact": frozenset(), "fast": frozenset(_WIDER) if fast_ok else frozenset(),
              "xla": frozenset(xla_native)}

    def impl(*args, **params):
        narrow = args[0].dtype
        wide = _WIDER.get(narrow)
        if wide is None:
            return fn(*args, **params)
        if narrow in native[flags["purejax_float32_math"]]:
            out = fn(*args, **params)
            if unary_ufunc or out.dtype == narrow:
                return out
            # a wider operand (pow's int32 exponent) promotes NumPy's result
            return out.astype(narrow if out.dtype.kind == narrow.kind else np.finfo(narrow).dtype)
        if unary_ufunc and not params and narrow.kind == "f":
            x = args[0]
            if x.ndim == 0:
                # the same float64 loop on a Python float, without the 0-d array
                # casts, which cost twice the kernel (0.7 against 1.7 us)
                return narrow.type(fn(float(x)))
            out = fn(x, dtype=wide)  # computed in double, one call
        else:
            out = np.asarray(fn(*[a.astype(_WIDER[a.dtype]) if a.dtype in _WIDER else a
                                  for a in args], **params))
        target = narrow if out.dtype.kind == narrow.kind else np.finfo(narrow).dtype
        return out.astype(target)

    impl.__name__ = getattr(fn, "__name__", "impl")
    impl.wide_ufunc = fn if unary_ufunc else None
    impl.native_modes = lambda dt: tuple(m for m in ("fast", "xla") if np.dtype(dt) in native[m])
    return impl


def _const(x, value):
    """A rank-0 constant with x's dtype (and weak type), broadcast by lax's scalar rule."""
    aval = core.get_aval(x)
    return Array(np.asarray(value, dtype=aval.dtype), aval.weak_type)


def _select(pred, on_true, on_false):
    return select_n(pred, on_false, on_true)


def _unbroadcast(ct, x):
    """Sum a cotangent down to the shape of operand x (rank-0 operands broadcast)."""
    aval = x.aval if is_undefined_primal(x) else core.get_aval(x)
    ct_aval = core.get_aval(ct)
    if ct_aval.shape == aval.shape:
        return ct
    from purejax._src.prims.reductions import reduce_sum  # reductions imports this module
    return reduce_sum(ct, tuple(range(ct_aval.ndim)))


def _bcast_to(t, other):
    """Broadcast a rank-0 value against a higher-rank operand (lax's scalar rule)."""
    t_shape, o_shape = core.get_aval(t).shape, core.get_aval(other).shape
    if t_shape == o_shape or o_shape == ():
        return t
    return broadcast_in_dim(t, o_shape, ())


def defjvp(prim: Primitive, *fns, with_ans: bool = False) -> None:
    """ad.defjvp (or ad.defjvp2 with with_ans) for elementwise primitives: each
    operand's term is broadcast to the output's shape, because lax lets rank-0
    operands broadcast but add_any (which sums the terms) does not."""

    def rule(primals, tangents, **params):
        out = prim.bind(*primals, **params)
        t_out = Zero.from_primal_value(out)
        for fn, t in core.zip_checked(fns, tangents):
            if fn is None or type(t) is Zero:
                continue
            term = fn(t, out, *primals, **params) if with_ans else fn(t, *primals, **params)
            if type(term) is not Zero:
                t_out = ad.add_tangents(t_out, _bcast_to(term, out))
        return out, t_out

    prim.jvp = rule


def _transcendental(name, fn, accepted=is_inexact, fast=None, xla=XLA_NATIVE):
    return unop(name, in_double(fn, fast, xla), accepted)


# ---------------------------------------------------------------------------
# Sign, rounding, classification

# --- neg: linear (wraps for integers, like XLA) ------------------------------
neg_p = unop("neg", np.negative, is_number)
ad.deflinear(neg_p, lambda ct, x: [neg(ct)])


def neg(x):
    return neg_p.bind(x)


# --- sign: zero derivative; keeps -0.0; z/|z| for complex; 0/1 for unsigned --
def _sign_impl(x):
    if np.issubdtype(x.dtype, np.floating):
        return np.where(x == 0, x, np.sign(x))  # np.sign(-0.0) is +0.0, XLA keeps -0.0
    return np.sign(x)


sign_p = unop("sign", _sign_impl, is_number)
ad.defjvp_zero(sign_p)


def sign(x):
    return sign_p.bind(x)


# --- floor, ceil: zero derivative -------------------------------------------
floor_p = unop("floor", np.floor, is_float)
ad.defjvp_zero(floor_p)


def floor(x):
    return floor_p.bind(x)


ceil_p = unop("ceil", np.ceil, is_float)
ad.defjvp_zero(ceil_p)


def ceil(x):
    return ceil_p.bind(x)


# --- round: rounding_method 0 (away from zero, lax's default) or 1 (even) ---
class RoundingMethod(enum.IntEnum):
    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def _round_impl(x, *, rounding_method):
    if rounding_method == RoundingMethod.TO_NEAREST_EVEN:
        return np.rint(x)
    # trunc + fraction test, not floor(|x| + 0.5): that rounds 0.49999999999999994 up
    t = np.trunc(x)
    return np.where(np.abs(x - t) >= 0.5, t + np.copysign(np.ones_like(x), x), t).astype(x.dtype)


round_p = unop("round", _round_impl, is_float)
ad.defjvp_zero(round_p)


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):
    return round_p.bind(x, rounding_method=RoundingMethod(rounding_method))


# --- is_finite: bool output, zero derivative --------------------------------
# As every lax n-ary op in JAX, a bool-valued one is weakly typed when all its operands
# are (jnp.asarray(1.) < 2. is a weak bool); promotion treats a weak bool as bool.
is_finite_p = unop("is_finite", np.isfinite, is_float, out_dtype=lambda dt: np.dtype(bool))
ad.defjvp_zero(is_finite_p)


def is_finite(x):
    return is_finite_p.bind(x)


# --- nextafter: exact in NumPy; zero derivative (JAX defines no JVP) ----------
nextafter_p = binop("nextafter", np.nextafter, is_float)
ad.defjvp_zero(nextafter_p)


def nextafter(x1, x2):
    return nextafter_p.bind(*as_operands(x1, x2))


# ---------------------------------------------------------------------------
# Exponentials and logarithms

exp_p = _transcendental("exp", np.exp, xla=(C64,))
defjvp(exp_p, lambda g, ans, x: mul(g, ans), with_ans=True)


def exp(x, *, accuracy=None):
    return exp_p.bind(x)


exp2_p = _transcendental("exp2", np.exp2)
defjvp(exp2_p, lambda g, ans, x: mul(_const(x, np.log(2)), mul(g, ans)), with_ans=True)


def exp2(x, *, accuracy=None):
    return exp2_p.bind(x)


log_p = _transcendental("log", np.log, xla=(C64,))
defjvp(log_p, lambda g, x: div(g, x))


def log(x, *, accuracy=None):
    return log_p.bind(x)


log1p_p = _transcendental("log1p", np.log1p, xla=(F32,))
defjvp(log1p_p, lambda g, x: div(g, add(x, _const(x, 1))))


def log1p(x, *, accuracy=None):
    return log1p_p.bind(x)


expm1_p = _transcendental("expm1", np.expm1)
defjvp(expm1_p, lambda g, ans, x: mul(g, add(ans, _const(ans, 1))), with_ans=True)


def expm1(x, *, accuracy=None):
    return expm1_p.bind(x)


tanh_p = _transcendental("tanh", np.tanh, xla=(C64,))
defjvp(tanh_p, lambda g, ans, x: mul(add(g, mul(g, ans)), sub(_const(x, 1), ans)), with_ans=True)


def tanh(x, *, accuracy=None):
    return tanh_p.bind(x)


# --- logistic: 1 / (1 + exp(-x)), which saturates cleanly at +-inf -------------
# XLA evaluates this very formula in float32 with its own (close to correctly rounded)
# exp, so the mode "xla" rounds a double exp once and does the rest in float32: it
# agrees with XLA 97% of the time, against 68% for the correctly rounded value.
_logistic_double = in_double(lambda x: 1 / (1 + np.exp(-x)), fast=True, xla=())


def _logistic_impl(x):
    if x.dtype == F32 and _config_flags["purejax_float32_math"] == "xla":
        e = np.exp(np.negative(x), dtype=np.float64).astype(F32)
        return 1 / (1 + e)
    return _logistic_double(x)


logistic_p = unop("logistic", _logistic_impl, is_inexact)
defjvp(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(_const(ans, 1), ans))), with_ans=True)


def logistic(x, *, accuracy=None):
    return logistic_p.bind(x)


# --- logaddexp, logaddexp2: JAX's custom_jvp, as primitives -------------------
# d/dx1 log(e^x1 + e^x2) = logistic(x1 - x2): one transcendental per operand, where
# the stable formula's automatic derivative takes some twenty passes. It is exactly
# 1/2 at ties (JAX's exp(x1 - out) gives 0.49989 at (1e4, 1e4) in float32), has the
# true limits at infinities (JAX's gives e^3 for d/dx2 at (inf, 3)) and is NaN where
# x1 - x2 is (NaN operands, equal infinities). For base 2 the slope is ln 2 (x1 - x2).
logaddexp_p = binop("logaddexp", in_double(np.logaddexp, fast=True), is_float)
defjvp(logaddexp_p, lambda g, x1, x2: mul(g, logistic(sub(x1, x2))),
       lambda g, x1, x2: mul(g, logistic(sub(x2, x1))))


def logaddexp(x1, x2):
    """log(exp(x1) + exp(x2)) for real floating operands of one dtype."""
    return logaddexp_p.bind(*as_operands(x1, x2))


def _ln2_times(d):
    return mul(_const(d, np.log(2)), d)


logaddexp2_p = binop("logaddexp2", in_double(np.logaddexp2, fast=True), is_float)
defjvp(logaddexp2_p, lambda g, x1, x2: mul(g, logistic(_ln2_times(sub(x1, x2)))),
       lambda g, x1, x2: mul(g, logistic(_ln2_times(sub(x2, x1)))))


def logaddexp2(x1, x2):
    """log2(2**x1 + 2**x2) for real floating operands of one dtype."""
    return logaddexp2_p.bind(*as_operands(x1, x2))


# ---------------------------------------------------------------------------
# Trigonometric and hyperbolic functions

sin_p = _transcendental("sin", np.sin, xla=(C64,))
defjvp(sin_p, lambda g, x: mul(g, cos(x)))


def sin(x, *, accuracy=None):
    return sin_p.bind(x)


cos_p = _transcendental("cos", np.cos, xla=(C64,))
defjvp(cos_p, lambda g, x: neg(mul(g, sin(x))))


def cos(x, *, accuracy=None):
    return cos_p.bind(x)


tan_p = _transcendental("tan", np.tan)
defjvp(tan_p, lambda g, ans, x: mul(g, add(_const(x, 1), square(ans))), with_ans=True)


def tan(x, *, accuracy=None):
    return tan_p.bind(x)


asin_p = _transcendental("asin", np.arcsin, xla=(F32,))
defjvp(asin_p, lambda g, x: mul(g, rsqrt(sub(_const(x, 1), square(x)))))


def asin(x):
    return asin_p.bind(x)


acos_p = _transcendental("acos", np.arccos)
defjvp(acos_p, lambda g, x: mul(g, neg(rsqrt(sub(_const(x, 1), square(x))))))


def acos(x):
    return acos_p.bind(x)


atan_p = _transcendental("atan", np.arctan)
defjvp(atan_p, lambda g, x: div(g, add(_const(x, 1), square(x))))


def atan(x):
    return atan_p.bind(x)


# --- atan2(x, y) = atan(x / y) in the right quadrant --------------------------
def _atan2_kernel(x, y):
    if np.issubdtype(x.dtype, np.complexfloating):
        # the analytic continuation XLA uses: -i log((y + i x) / sqrt(x^2 + y^2))
        return -1j * np.log((y + 1j * x) / np.sqrt(x * x + y * y))
    return np.arctan2(x, y)


atan2_p = binop("atan2", in_double(_atan2_kernel, fast=True, svml=True), is_inexact)
defjvp(atan2_p,
       lambda g, x, y: mul(g, div(y, add(square(x), square(y)))),
       lambda g, x, y: mul(g, div(neg(x), add(square(x), square(y)))))


def atan2(x, y):
    return atan2_p.bind(*as_operands(x, y))


sinh_p = _transcendental("sinh", np.sinh)
defjvp(sinh_p, lambda g, x: mul(g, cosh(x)))


def sinh(x):
    return sinh_p.bind(x)


cosh_p = _transcendental("cosh", np.cosh)
defjvp(cosh_p, lambda g, x: mul(g, sinh(x)))


def cosh(x):
    return cosh_p.bind(x)


asinh_p = _transcendental("asinh", np.arcsinh, xla=(F32,))
defjvp(asinh_p, lambda g, x: mul(g, rsqrt(add(square(x), _const(x, 1)))))


def asinh(x):
    return asinh_p.bind(x)


acosh_p = _transcendental("acosh", np.arccosh)
defjvp(acosh_p, lambda g, x: mul(g, rsqrt(sub(square(x), _const(x, 1)))))


def acosh(x):
    return acosh_p.bind(x)


atanh_p = _transcendental("atanh", np.arctanh)
defjvp(atanh_p, lambda g, x: mul(reciprocal(add(_const(x, 1), x)), div(g, sub(_const(x, 1), x))))


def atanh(x):
    return atanh_p.bind(x)


# ---------------------------------------------------------------------------
# Roots, powers, absolute value

# --- sqrt: sqrt'(0) = 0.5 / 0 = inf, as in JAX ------------------------------
sqrt_p = _transcendental("sqrt", np.sqrt)
defjvp(sqrt_p, lambda g, ans, x: mul(g, div(_const(x, 0.5), ans)), with_ans=True)


def sqrt(x, *, accuracy=None):
    return sqrt_p.bind(x)


rsqrt_p = _transcendental("rsqrt", lambda x: 1 / np.sqrt(x), fast=True, xla=())
defjvp(rsqrt_p, lambda g, ans, x: mul(g, mul(_const(x, -0.5), div(ans, x))), with_ans=True)


def rsqrt(x, *, accuracy=None):
    return rsqrt_p.bind(x)


cbrt_p = _transcendental("cbrt", np.cbrt, is_float)
defjvp(cbrt_p, lambda g, ans, x: mul(g, mul(_const(x, 1 / 3), integer_pow(ans, -2))), with_ans=True)


def cbrt(x, *, accuracy=None):
    return cbrt_p.bind(x)


# --- abs: |x|; complex -> real dtype; abs(INT_MIN) wraps to INT_MIN ----------
_complex_abs = in_double(np.abs)  # |z| rounds; real abs is exact in any precision
abs_p = unop("abs", lambda x: _complex_abs(x) if x.dtype.kind == "c" else np.abs(x),
             is_signed_number, out_dtype=real_part_dtype)


def _abs_jvp(g, ans, x):
    if np.issubdtype(core.get_aval(x).dtype, np.complexfloating):
        # d|z| = Re(conj(z) dz) / |z|, and 0 at z = 0 (JAX replaces |z| = 0 by 1)
        mag = convert_element_type(ans, core.get_aval(x).dtype, core.get_aval(ans).weak_type)
        return real(mul(g, div(conj(x), _select(eq(mag, _const(mag, 0)), full_like(mag, 1), mag))))
    # JAX's convention: the right derivative at 0, so abs'(0) = 1 (also at -0.0)
    return _select(ge(x, _const(x, 0)), g, neg(g))


defjvp(abs_p, _abs_jvp, with_ans=True)


def abs(x):
    return abs_p.bind(x)


# --- integer_pow(x, y) for a static int y: repeated squaring like XLA --------
def _integer_pow_impl(x, *, y):
    x = np.asarray(x)
    if y == 0:
        return np.ones_like(x)
    base, n, acc = x, builtins.abs(y), None
    while n:  # same multiplication order as XLA, so float results round alike
        if n & 1:
            acc = base if acc is None else np.multiply(acc, base)
        n >>= 1
        if n:
            base = np.multiply(base, base)
    return np.divide(np.ones_like(acc), acc) if y < 0 else acc


def _integer_pow_abstract(x, *, y):
    check_dtype("integer_pow", is_number, x.dtype)
    if y < 0 and np.issubdtype(x.dtype, np.integer):
        raise TypeError(f"Integers cannot be raised to negative powers, got integer_pow({x}, {y})")
    return x


integer_pow_p = Primitive("integer_pow")
integer_pow_p.impl = _integer_pow_impl
integer_pow_p.abstract_eval = _integer_pow_abstract
batching.defvectorized(integer_pow_p)
defjvp(integer_pow_p, lambda g, x, *, y: Zero(core.get_aval(g)) if y == 0 else
       mul(g, mul(_const(x, y), x if y == 2 else integer_pow(x, y - 1))))


def integer_pow(x, y):
    return integer_pow_p.bind(x, y=int(y))


def reciprocal(x):
    return integer_pow(x, -1)


square_p = unop("square", lambda x: np.multiply(x, x), is_number)
defjvp(square_p, lambda g, x: mul(g, mul(_const(x, 2), x)))


def square(x):
    return square_p.bind(x)


# --- pow(x, y): inexact base; exponent integer or of the base's dtype --------
def _pow_abstract(x, y):
    check_dtype("pow", is_inexact, x.dtype)
    check_dtype("pow", is_number, y.dtype)
    if np.issubdtype(y.dtype, np.inexact) and y.dtype != x.dtype:
        raise TypeError("the first argument to pow must have an inexact dtype (float or complex), "
                        "and the second argument must have an inexact or integer dtype, and two "
                        f"inexact dtypes must match, but got {x.dtype} and {y.dtype} respectively.")
    shape = broadcast_shapes_lax("pow", x.shape, y.shape)
    return ShapedArray(shape, x.dtype, x.weak_type and y.weak_type)


def _pow_jvp_base(g, ans, x, y):
    # JAX converts both operands to the result dtype, strongly typed: the tangent is
    # never weak, whatever the primals are
    x_dtype = core.get_aval(x).dtype
    x = convert_element_type(x, x_dtype, False)
    y_int = np.issubdtype(core.get_aval(y).dtype, np.integer)
    y = convert_element_type(y, x_dtype, False)
    if y_int:
        # an integer exponent 0 has derivative 0 even where x ** -1 is inf
        x, y = _bcast_to(x, ans), _bcast_to(y, ans)
        jac = _select(eq(y, _const(y, 0)), full_like(y, 0), mul(y, pow(x, sub(y, _const(y, 1)))))
    else:
        jac = mul(y, pow(x, sub(y, _const(y, 1))))
    return mul(g, jac)


def _pow_jvp_exponent(g, ans, x, y):
    # log(x) with x == 0 replaced by 1: the exponent's tangent is 0 where the base is 0;
    # strongly typed, as JAX's
    safe_x = _select(eq(x, _const(x, 0)), full_like(x, 1), x)
    out = mul(g, mul(log(safe_x), ans))
    return convert_element_type(out, core.get_aval(out).dtype, False)


def _c_power(x, y):
    """np.power with C's (and XLA's) pow at the edges. Where an exponent 0.5 is repeated
    along the inner loop (a scalar, or a broadcast view with a zero stride) NumPy takes
    sqrt instead, which gives -0 at -0 and nan at -inf, where pow gives +0 and +inf."""
    out = np.power(x, y)
    y = np.asarray(y)
    if y.ndim == 0:
        # the usual x ** 0.5 has positive x: one reduction tells (a NaN fails the test)
        if y.item() != 0.5 or (x.dtype.kind == "f" and x.size and x.min() > 0):
            return out
        edge = (x == 0) | (x == -np.inf)
    elif 0 in y.strides:
        edge = (y == 0.5) & ((x == 0) | (x == -np.inf))
    else:
        return out
    if edge.any():
        out = np.where(edge, np.where(x == 0, 0, np.inf), out).astype(out.dtype)
    return out


pow_p = Primitive("pow")
# np.power underneath: where NumPy would run float32 pow with SVML, "xla" mode
# evaluates it in double, as for the ufunc itself
pow_p.impl = in_double(_c_power, fast=True, svml=np.power in SVML_UFUNCS)
pow_p.abstract_eval = _pow_abstract
batching.defbroadcasting(pow_p)
defjvp(pow_p, _pow_jvp_base, _pow_jvp_exponent, with_ans=True)


def pow(x, y):
    # A Python int exponent stays an integer (weakly typed), as in JAX: its
    # derivative rule differs at y == 0.
    if type(y) is int:
        (x,) = as_operands(x)
        return pow_p.bind(x, _weak_scalar(y, None))
    return pow_p.bind(*as_operands(x, y))


# ---------------------------------------------------------------------------
# Arithmetic

# --- add, sub: linear ---------------------------------------------------------
add_p = binop("add", np.add, is_number)
defjvp(add_p, lambda g, x, y: g, lambda g, x, y: g)
add_p.transpose = lambda ct, x, y: [_unbroadcast(ct, x) if is_undefined_primal(x) else None,
                                    _unbroadcast(ct, y) if is_undefined_primal(y) else None]


def add(x, y):
    return add_p.bind(*as_operands(x, y))


sub_p = binop("sub", np.subtract, is_number)
defjvp(sub_p, lambda g, x, y: g, lambda g, x, y: neg(g))
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


# --- div: linear in the numerator; integers round toward zero -----------------
def _int_div(x, y):
    """C division with XLA's overflow results: x / 0 = -1 (all ones); INT_MIN / -1 = INT_MIN."""
    safe_y = np.where(y == 0, np.ones_like(y), y)
    q = np.floor_divide(x, safe_y)
    # floor and truncation differ where the exact quotient is negative and inexact
    inexact_neg = (np.remainder(x, safe_y) != 0) & ((x < 0) != (safe_y < 0))
    q = np.where(inexact_neg, q + np.ones_like(q), q)
    return np.where(y == 0, np.asarray(-1).astype(q.dtype), q).astype(x.dtype)


def _float_div(x, y):
    """x / y; an array over a rank-0 divisor is x times the divisor's reciprocal (rounded
    to the dtype). XLA rewrites A / broadcast(B) into A * broadcast(1 / B), so that is
    what JAX computes for `x / 3.`, `jnp.mean` and other array-by-scalar divisions, eager
    or jitted: a third of float32 quotients differ from the true division by an ulp.
    (Complex divisors keep the true division: XLA's complex rewrite is neither. A divisor
    that is a broadcast_in_dim of a smaller array divides truly here; see
    docs/differences.md.)"""
    if y.ndim == 0 and x.ndim > 0 and x.dtype.kind == "f":
        return np.multiply(x, x.dtype.type(1) / y[()])  # (a NumPy scalar's division)
    return np.true_divide(x, y)


div_p = binop("div", lambda x, y: _int_div(x, y) if x.dtype.kind in "iu"
              else _float_div(x, y), is_number)
defjvp(div_p,
       lambda g, x, y: div(g, y),
       lambda g, x, y: mul(mul(neg(g), x), integer_pow(y, -2)))


div_p.transpose = lambda ct, x, y: [  # only the numerator is linear
    None if type(ct) is Zero else _unbroadcast(div(ct, y), x), None]

_div_broadcasting = div_p.batch


def _div_batch(args, dims, **params):
    # An example's array over its rank-0 divisor takes _float_div's reciprocal; batched,
    # the divisors form a vector, so the reciprocals are taken before broadcasting them:
    # the bits each example gives alone (and XLA's A * broadcast(1 / B)).
    (x, y), (dx, dy) = args, dims
    ya = core.get_aval(y)
    if dy is not None and ya.ndim == 1 and ya.dtype.kind == "f" and \
            core.get_aval(x).ndim - (dx is not None) > 0:
        return mul_p.batch([x, div(_const(y, 1), y)], [dx, dy])
    return _div_broadcasting(args, dims, **params)


div_p.batch = _div_batch


def div(x, y):
    return div_p.bind(*as_operands(x, y))


# --- rem: C fmod (sign of the dividend); d/dy = -trunc(x / y) ----------------
def _rem_impl(x, y):
    if np.issubdtype(x.dtype, np.integer):
        # XLA: x % 0 = x and INT_MIN % -1 = 0 (NumPy's fmod gives 0 for both)
        safe_y = np.where(y == 0, np.ones_like(y), y)
        return np.where(y == 0, x, np.fmod(x, safe_y)).astype(x.dtype)
    return np.fmod(x, y)


rem_p = binop("rem", _rem_impl, dtype_class("integer or floating", lambda dt: is_int(dt) or is_float(dt)))
defjvp(rem_p,
       lambda g, x, y: g,
       lambda g, x, y: mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))))


def rem(x, y):
    return rem_p.bind(*as_operands(x, y))


# --- max, min: NaN-propagating; ties split the derivative evenly, as JAX does ---
def _balanced_eq(x, z, y):
    # 1 where x alone attains the extremum z, 0.5 at a tie with y, 0 elsewhere
    return div(select_n(eq(x, z), full_like(z, 0), full_like(z, 1)),
               select_n(eq(y, z), full_like(z, 1), full_like(z, 2)))


max_p = binop("max", np.maximum, is_any)
defjvp(max_p,
       lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)), with_ans=True)


def max(x, y):
    return max_p.bind(*as_operands(x, y))


min_p = binop("min", np.minimum, is_any)
defjvp(min_p,
       lambda g, ans, x, y: mul(g, _balanced_eq(x, ans, y)),
       lambda g, ans, x, y: mul(g, _balanced_eq(y, ans, x)), with_ans=True)


def min(x, y):
    return min_p.bind(*as_operands(x, y))


# --- clamp(min, x, max): bounds are rank 0 or x's shape ---------------------
def _clamp_abstract(lo, x, hi):
    for a in (lo, x, hi):
        check_dtype("clamp", is_any, a.dtype)
    if len({lo.dtype, x.dtype, hi.dtype}) > 1:
        raise TypeError(f"clamp requires arguments to have the same dtypes, got "
                        f"{lo.dtype.name}, {x.dtype.name}, {hi.dtype.name}.")
    for bound, a in (("min", lo), ("max", hi)):
        if a.shape and a.shape != x.shape:
            raise TypeError(f"clamp requires {bound}.shape == operand.shape or {bound}.shape == "
                            f"(), got {a.shape} for operand shape {x.shape}.")
    return ShapedArray(x.shape, x.dtype, lo.weak_type and x.weak_type and hi.weak_type)


def _where_else_zero(pred, g):
    return _select(pred, g, full_like(g, 0))


clamp_p = Primitive("clamp")
clamp_p.impl = lambda lo, x, hi: np.minimum(np.maximum(x, lo), hi)
clamp_p.abstract_eval = _clamp_abstract
batching.defbroadcasting(clamp_p)
# At x == min or x == max no operand gets the tangent (JAX's strict inequalities).
defjvp(clamp_p,
       lambda g, lo, x, hi: _where_else_zero(lt(lo, hi), _where_else_zero(gt(lo, x), _bcast_to(g, x))),
       lambda g, lo, x, hi: _where_else_zero(lt(x, hi), _where_else_zero(gt(x, lo), g)),
       lambda g, lo, x, hi: _where_else_zero(lt(hi, x), _bcast_to(g, x)))


def clamp(min, x, max):
    return clamp_p.bind(*as_operands(min, x, max))


# ---------------------------------------------------------------------------
# Comparisons: bool output (weak when both operands are, as in JAX), zero derivative

def _cmp(name, impl, accepted):
    p = binop(name, impl, accepted, out_dtype=lambda dt: np.dtype(np.bool_))
    ad.defjvp_zero(p)
    return p


eq_p = _cmp("eq", np.equal, is_any)
ne_p = _cmp("ne", np.not_equal, is_any)
lt_p = _cmp("lt", np.less, is_ordered)
le_p = _cmp("le", np.less_equal, is_ordered)
gt_p = _cmp("gt", np.greater, is_ordered)
ge_p = _cmp("ge", np.greater_equal, is_ordered)


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


# ---------------------------------------------------------------------------
# Complex numbers (real-linear maps, transposed with JAX's conventions)

def _complex_dtype(dt):  # float64 -> complex128
    return np.result_type(dt, np.complex64)


real_p = unop("real", np.real, is_complex, out_dtype=real_part_dtype)
ad.deflinear(real_p, lambda ct, x: [complex(ct, full_like(ct, 0))])


def real(x):
    return real_p.bind(x)


imag_p = unop("imag", np.imag, is_complex, out_dtype=real_part_dtype)
ad.deflinear(imag_p, lambda ct, x: [complex(full_like(ct, 0), neg(ct))])


def imag(x):
    return imag_p.bind(x)


# --- conj: also accepts float32/float64, giving a complex result (as lax.conj) --
conj_p = unop("conj", lambda x, *, input_dtype: np.conj(x).astype(_complex_dtype(x.dtype)),
              is_conj_input, out_dtype=_complex_dtype)
ad.deflinear(conj_p, lambda ct, x, *, input_dtype:
             [conj(ct) if np.issubdtype(input_dtype, np.complexfloating) else real(ct)])


def conj(x):
    return conj_p.bind(x, input_dtype=core.get_aval(x).dtype)


# --- complex(x, y) = x + i y --------------------------------------------------
def _complex_impl(x, y):
    shape = np.broadcast_shapes(np.shape(x), np.shape(y))
    out = np.empty(shape, _complex_dtype(x.dtype))
    out.real, out.imag = x, y  # not x + 1j * y: 1j * inf is nan + inf j
    return out


complex_p = naryop("complex", _complex_impl, is_complex_part, out_dtype=_complex_dtype)
ad.deflinear(complex_p, lambda ct, x, y: [
    _unbroadcast(real(ct), x) if is_undefined_primal(x) else None,
    _unbroadcast(neg(imag(ct)), y) if is_undefined_primal(y) else None])


def complex(x, y):
    return complex_p.bind(*as_operands(x, y))


# ---------------------------------------------------------------------------
# Identities

# --- copy: a fresh buffer; linear ----------------------------------------------
copy_p = unop("copy", lambda x: np.array(x, copy=True), is_any)
ad.deflinear(copy_p, lambda ct, x: [copy(ct)])


def copy(x):
    return copy_p.bind(x)


# --- stop_gradient: identity whose tangent is zero --------------------------------
stop_gradient_p = unop("stop_gradient", lambda x: x, is_any)
ad.defjvp_zero(stop_gradient_p)


def stop_gradient(x):
    """Identity on every leaf of the pytree x, with zero derivative. Integer and bool
    leaves are returned untouched (they have no derivative to stop)."""

    def stop(leaf):
        if dtypes.is_inexact(dtypes.dtype(leaf)):
            return stop_gradient_p.bind(leaf)
        return leaf

    return tu.tree_map(stop, x)


__all__ = [
    "RoundingMethod", "abs", "abs_p", "acos", "acos_p", "acosh", "acosh_p", "add", "add_p", "asin",
    "asin_p", "asinh", "asinh_p", "atan", "atan2", "atan2_p", "atan_p", "atanh", "atanh_p", "cbrt",
    "cbrt_p", "ceil", "ceil_p", "clamp", "clamp_p", "complex", "complex_p", "conj", "conj_p",
    "copy", "copy_p", "cos", "cos_p", "cosh", "cosh_p", "div", "div_p", "eq", "eq_p", "exp", "exp2",
    "exp2_p", "exp_p", "expm1", "expm1_p", "floor", "floor_p", "ge", "ge_p", "gt", "gt_p", "imag",
    "imag_p", "integer_pow", "integer_pow_p", "is_finite", "is_finite_p", "le", "le_p", "log",
    "log1p", "log1p_p", "log_p", "logistic", "logistic_p", "lt", "lt_p", "max", "max_p", "min",
    "min_p", "mul", "mul_p", "ne", "ne_p", "neg", "neg_p", "nextafter", "nextafter_p", "pow",
    "pow_p", "real", "real_p", "reciprocal", "rem", "rem_p", "round", "round_p", "rsqrt", "rsqrt_p",
    "sign", "sign_p", "sin", "sin_p", "sinh", "sinh_p", "sqrt", "sqrt_p", "square", "square_p",
    "stop_gradient", "stop_gradient_p", "sub", "sub_p", "tan", "tan_p", "tanh", "tanh_p",
]

# Eager calls check operands like staging does (the eval trace runs only impl).
