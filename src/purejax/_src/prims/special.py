"""Special functions NumPy lacks: erf, erfc, erf_inv, lgamma, digamma and polygamma
(digamma's derivative), each a primitive with its rules and a float64 NumPy kernel.

The kernels use no fitted coefficients beyond textbook constants (Bernoulli numbers,
Euler's gamma) and one initial guess; they are accurate to a few ulp in float64
(see tests/prims/test_elementwise_special.py), and float16/float32 operands are
evaluated in float64 and rounded once.

- erf:  |x| < 1.5 the all-positive series 2/sqrt(pi) exp(-x^2) sum (2x^2)^n x / (2n+1)!!;
        beyond, 1 - erfc.
- erfc: x >= 1 the continued fraction exp(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + ...)));
        below, 1 - erf (no cancellation there: erfc(1) = 0.157).
  exp(-x^2) is computed from an exact split of x^2, so large x lose no digits.
- erf_inv: Giles' single-precision approximation (or, in the far tail, the asymptotic
  fixed point of erfc(y) ~ exp(-y^2) / (y sqrt(pi))) refined by two Halley steps on
  erf(y) = x, or on erfc(y) = 1 - |x| for |x| > 0.5 where erf(y) ~ 1 would lose digits.
- lgamma, digamma: Taylor series about 1 and 2 with zeta(k) coefficients for x in
  [0.5, 3], exact downward recurrence from (3, 8) into [2, 3], Stirling/asymptotic
  series beyond 8, reflection for x <= 0 with an exactly reduced sin(pi x); digamma
  uses a Taylor series about its positive root x0 = 1.4616... so it stays accurate
  in relative terms there.
- polygamma(m, x), m >= 1: (-1)^(m+1) m! zeta(m+1, x) by a shifted sum plus the
  Euler-Maclaurin tail; reflection through the m-th derivative of cot for x <= 0.

Edge values follow XLA: erf_inv(+-1) = +-inf; lgamma = +inf at non-positive integers
and at +-inf; digamma = nan at non-positive integers (including 0); polygamma(m, x)
at those poles is +inf for odd m and nan for even m, and nan at +inf for m >= 1 (digamma
is +inf there); a non-natural m gives nan.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from purejax._src.prims._util import as_operands, binop, is_float, unop
from purejax._src.prims.elementwise import (_const, add, defjvp, exp, in_double, mul, neg, square)


# ---------------------------------------------------------------------------
# Kernels (float64 NumPy arrays in, float64 out)

def _exp_neg_square(x):
    """exp(-x*x) without the rounding error of x*x, which exp would amplify by x^2."""
    c = 134217729.0 * x  # Veltkamp split: hi has 26 significant bits, so hi*hi is exact
    hi = c - (c - x)
    lo = x - hi
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(x), 0.0, np.exp(-(hi * hi)) * np.exp(-(lo * (hi + hi + lo))))


def _erf_series(x):
    x2 = 2 * x * x
    term = x.copy()
    total = x.copy()
    for n in range(1, 60):  # terms peak near n = x^2 and fall below 1e-17 well before 60
        term = term * x2 / (2 * n + 1)
        total = total + term
    return (2 / math.sqrt(math.pi)) * _exp_neg_square(x) * total


def _erfc_fraction(x, depth):
    """erfc for x >= 1 by backward evaluation of the continued fraction (stable)."""
    t = x.copy()
    for n in range(depth, 0, -1):
        t = x + (0.5 * n) / t
    return _exp_neg_square(x) / (math.sqrt(math.pi) * t)


def erf_kernel(x):
    ax = np.abs(x)
    small = ax < 1.5
    series = _erf_series(np.where(small, x, 0.0))
    with np.errstate(invalid="ignore"):
        tail = 1 - _erfc_fraction(np.where(small, 2.0, ax), 100)
    return np.where(small, series, np.copysign(tail, x))


def erfc_kernel(x):
    ax = np.abs(x)
    far = ax >= 1.0
    with np.errstate(invalid="ignore"):
        r = np.where(far, _erfc_fraction(np.where(far, ax, 2.0), 200),
                     1 - _erf_series(np.where(far, 0.0, ax)))
    return np.where(x < 0, 2 - r, r)


_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                  -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def _poly(coeffs, z):
    acc = np.full_like(z, coeffs[0])
    for c in coeffs[1:]:
        acc = acc * z + c
    return acc


def erf_inv_kernel(x):
    ax = np.abs(x)
    with np.errstate(all="ignore"):
        w = -np.log1p(-x * x)
        guess = np.where(w < 5, _poly(_GILES_CENTRAL, w - 2.5), _poly(_GILES_TAIL, np.sqrt(w) - 3)) * ax
        # Giles' fit covers float32's range only; far out use erfc(y) ~ exp(-y^2)/(y sqrt(pi))
        q = 1 - ax
        t = np.sqrt(-np.log(q))
        for _ in range(3):
            t = np.sqrt(-np.log(q * math.sqrt(math.pi) * t))
        y = np.where(w < 16, guess, t)
        tail = ax > 0.5
        for _ in range(2):  # Halley: cubic convergence from a 1e-3 guess
            f = np.where(tail, q - erfc_kernel(y), erf_kernel(y) - ax)
            u = f / ((2 / math.sqrt(math.pi)) * _exp_neg_square(y))
            y = y - u / (1 + y * u)
    y = np.where(ax == 1, np.inf, np.where(ax > 1, np.nan, y))
    return np.where(ax == 0, x, np.copysign(y, x))  # keeps -0.0


_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def hurwitz_zeta(s: float, q):
    """zeta(s, q) = sum_k (q + k)^-s for s > 1 and q > 0: direct sum until q + k >= 10 + s,
    then the Euler-Maclaurin tail with eight Bernoulli terms."""
    q = np.asarray(q, np.float64)
    with np.errstate(invalid="ignore"):
        shift = np.maximum(0.0, np.ceil(10.0 + s - q))
    shift = np.where(np.isfinite(shift), shift, 0.0)
    total = np.zeros_like(q)
    for k in range(int(shift.max(initial=0))):
        total += np.where(k < shift, (q + k) ** -s, 0.0)
    a = q + shift
    tail = a ** (1 - s) / (s - 1) + 0.5 * a ** -s
    rising, factorial = s, 2.0  # s (s+1) ... (s+2j-2) and (2j)!
    for j, b in enumerate(_BERNOULLI, start=1):
        tail += b / factorial * rising * a ** (-s - 2 * j + 1)
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        factorial *= (2 * j + 1) * (2 * j + 2)
    return total + tail


_TERMS = 60  # the series below are used for |z| <= 1 about 2 and |z| <= 1/2 about 1
_G = float(np.euler_gamma)


@functools.lru_cache(maxsize=None)
def _tables() -> dict:
    """Series coefficients, computed on first use (not at import: they cost ~80 ms)."""
    zeta_m1 = np.array([float(hurwitz_zeta(float(k), 2.0)) for k in range(2, _TERMS + 2)])
    alt = (-1.0) ** np.arange(2, _TERMS + 2)
    k = np.arange(2, _TERMS + 2)
    return {
        # lgamma(1+z) = -g z + sum (-1)^k zeta(k) z^k / k
        "lgamma1": np.concatenate([[0.0, -_G], alt * (1 + zeta_m1) / k]),
        # lgamma(2+z) = (1-g) z + sum (-1)^k (zeta(k)-1) z^k / k
        "lgamma2": np.concatenate([[0.0, 1 - _G], alt * zeta_m1 / k]),
        # digamma(1+z) = -g + sum (-1)^k zeta(k) z^(k-1)
        "digamma1": np.concatenate([[-_G], alt * (1 + zeta_m1)]),
        # digamma(2+z) = 1 - g + sum (-1)^k (zeta(k)-1) z^(k-1)
        "digamma2": np.concatenate([[1 - _G], alt * zeta_m1]),
        # digamma(x0 + h) = sum_n psi^(n)(x0) h^n / n!  (digamma(x0) = 0), for |h| < 0.2
        "digamma_root": np.array([0.0] + [
            float(_polygamma_n(n, np.array([_DIGAMMA_ROOT_HI]))[0]) / math.factorial(n)
            for n in range(1, 26)]),
    }


def _series(coeffs, z):
    """sum coeffs[i] z^i by Horner's rule."""
    acc = np.zeros_like(z)
    for c in coeffs[::-1]:
        acc = acc * z + c
    return acc


def _sinpi_cospi(x):
    """sin(pi x) and cos(pi x) after an exact reduction to [-1/2, 1/2], so that they
    vanish exactly at integers and half-integers."""
    r = x - np.round(x)
    return np.sin(np.pi * r), np.sin(np.pi * (0.5 - np.abs(r)))


def _recur_down(x, step, init):
    """Walk x in (3, 8) down into [2, 3): returns (x - n, step folded over x-1, ..., x-n)."""
    n = np.floor(x - 2)
    y, acc = x.copy(), np.full_like(x, init)
    for _ in range(int(n.max(initial=0))):
        go = n > 0
        y = np.where(go, y - 1, y)
        acc = np.where(go, step(acc, y), acc)
        n = n - 1
    return y, acc


def _by_range(x, at_1, at_2, down, big):
    """Evaluate piecewise on x >= 1/2 (or nan/inf) with the series about 1 and 2."""
    out = np.full_like(x, np.nan)
    for sel, fn in ((x < 1.5, lambda v: _series(at_1, v - 1)),
                    ((x >= 1.5) & (x <= 3), lambda v: _series(at_2, v - 2)),
                    ((x > 3) & (x < 8), down), (x >= 8, big)):
        if sel.any():
            out[sel] = fn(x[sel])
    return out


def _lgamma_mid(x):
    y, prod = _recur_down(x, lambda acc, y: acc * y, 1.0)
    return np.log(prod) + _series(_tables()["lgamma2"], y - 2)


def _lgamma_stirling(x):
    r2 = 1 / (x * x)
    corr = np.zeros_like(x)
    for j in range(len(_BERNOULLI), 0, -1):
        corr = corr * r2 + _BERNOULLI[j - 1] / (2 * j * (2 * j - 1))
    lx = np.log(x)
    with np.errstate(invalid="ignore"):  # x (log x - 1) rather than (x - 1/2) log x - x: no overflow
        val = x * (lx - 1) - 0.5 * lx + 0.5 * math.log(2 * math.pi) + corr / x
    return np.where(np.isinf(x), np.inf, val)


def _lgamma_pos(x):
    return _by_range(x, _tables()["lgamma1"], _tables()["lgamma2"], _lgamma_mid, _lgamma_stirling)


def lgamma_kernel(x):
    out = np.empty_like(x)
    hi = (x >= 0.5) | np.isnan(x)
    out[hi] = _lgamma_pos(x[hi])
    low = (x > 0) & (x < 0.5)
    out[low] = _series(_tables()["lgamma1"], x[low]) - np.log(x[low])  # lgamma(1+x) - log(x)
    neg_ = x <= 0
    xn = x[neg_]
    s, _ = _sinpi_cospi(xn)
    with np.errstate(divide="ignore", invalid="ignore"):
        refl = math.log(math.pi) - np.log(np.abs(s)) - _lgamma_pos(1 - xn)
    out[neg_] = np.where(np.isfinite(xn), refl, np.inf)  # +inf at the poles and at -inf
    return out


_DIGAMMA_ROOT_HI = 1.4616321449683622  # x0 = 1.46163214496836234126265954232572132846819...
_DIGAMMA_ROOT_LO = 9.549995429965697e-17  # x0 - _DIGAMMA_ROOT_HI


def _digamma_mid(x):
    y, acc = _recur_down(x, lambda acc, y: acc + 1 / y, 0.0)
    return _series(_tables()["digamma2"], y - 2) + acc


def _digamma_asymptotic(x):
    r2 = 1 / (x * x)
    corr = np.zeros_like(x)
    for j in range(len(_BERNOULLI), 0, -1):
        corr = corr * r2 + _BERNOULLI[j - 1] / (2 * j)
    return np.log(x) - 0.5 / x - corr * r2


def _digamma_pos(x):
    out = _by_range(x, _tables()["digamma1"], _tables()["digamma2"], _digamma_mid, _digamma_asymptotic)
    near_root = np.abs(x - _DIGAMMA_ROOT_HI) < 0.2
    if near_root.any():
        h = (x[near_root] - _DIGAMMA_ROOT_HI) - _DIGAMMA_ROOT_LO
        out[near_root] = _series(_tables()["digamma_root"], h)
    return out


def digamma_kernel(x):
    out = np.empty_like(x)
    hi = (x >= 0.5) | np.isnan(x)
    out[hi] = _digamma_pos(x[hi])
    low = (x > 0) & (x < 0.5)
    out[low] = _series(_tables()["digamma1"], x[low]) - 1 / x[low]  # digamma(1+x) - 1/x
    neg_ = x <= 0
    xn = x[neg_]
    s, c = _sinpi_cospi(xn)
    with np.errstate(divide="ignore", invalid="ignore"):
        refl = _digamma_pos(1 - xn) - np.pi * c / s
    out[neg_] = np.where(xn == np.floor(xn), np.nan, refl)  # poles (and -inf): nan, as XLA
    return out


def _cot_derivative(n: int):
    """P with d^n/dy^n cot(y) = P(cot y): P_0(c) = c, P_{k+1}(c) = -(1 + c^2) P_k'(c)."""
    p = np.polynomial.Polynomial([0.0, 1.0])
    for _ in range(n):
        p = -np.polynomial.Polynomial([1.0, 0.0, 1.0]) * p.deriv()
    return p


def _polygamma_n(n: int, x):
    """psi^(n)(x) for an integer n >= 1."""
    s = float(n + 1)
    scale = (-1.0) ** (n + 1) * math.factorial(n)
    out = np.empty_like(x)
    pos = x > 0
    out[pos] = scale * hurwitz_zeta(s, x[pos])
    xn = x[~pos]
    sn, cs = _sinpi_cospi(xn)
    with np.errstate(all="ignore"):
        # psi^(n)(x) = (-1)^n psi^(n)(1 - x) - pi^(n+1) P_n(cot(pi x))
        refl = ((-1.0) ** n * scale * hurwitz_zeta(s, 1 - xn)
                - np.pi ** (n + 1) * _cot_derivative(n)(cs / sn))
    out[~pos] = np.where(xn == np.floor(xn), np.inf if n % 2 else np.nan, refl)
    # XLA's zeta is nan at q = +inf (not the limit 0), so JAX's polygamma(m >= 1, +inf),
    # digamma'(+inf) and lgamma''(+inf) are nan
    out[np.isnan(x) | (x == np.inf)] = np.nan
    return out


def polygamma_kernel(m, x):
    m, x = np.broadcast_arrays(np.asarray(m, np.float64), np.asarray(x, np.float64))
    out = np.full(x.shape, np.nan)
    natural = (m == np.floor(m)) & (m >= 0) & np.isfinite(m)
    for order in np.unique(m[natural]):
        sel = natural & (m == order)
        out[sel] = digamma_kernel(x[sel]) if order == 0 else _polygamma_n(int(order), x[sel])
    return out


# ---------------------------------------------------------------------------
# Primitives

# --- erf, erfc: d/dx = +-2/sqrt(pi) exp(-x^2) ----------------------------------
erf_p = unop("erf", in_double(erf_kernel), is_float)
defjvp(erf_p, lambda g, x: mul(_const(x, 2 / math.sqrt(math.pi)), mul(g, exp(neg(square(x))))))


def erf(x):
    return erf_p.bind(x)


erfc_p = unop("erfc", in_double(erfc_kernel), is_float)
defjvp(erfc_p, lambda g, x: mul(_const(x, -2 / math.sqrt(math.pi)), mul(g, exp(neg(square(x))))))


def erfc(x):
    return erfc_p.bind(x)


# --- erf_inv: d/dx = sqrt(pi)/2 exp(erf_inv(x)^2) --------------------------------
erf_inv_p = unop("erf_inv", in_double(erf_inv_kernel), is_float)
defjvp(erf_inv_p, lambda g, ans, x: mul(_const(x, math.sqrt(math.pi) / 2), mul(g, exp(square(ans)))),
       with_ans=True)


def erf_inv(x):
    return erf_inv_p.bind(x)


# --- lgamma: d/dx = digamma(x) ------------------------------------------------
lgamma_p = unop("lgamma", in_double(lgamma_kernel), is_float)
defjvp(lgamma_p, lambda g, x: mul(g, digamma(x)))


def lgamma(x):
    return lgamma_p.bind(x)


# --- digamma: d/dx = polygamma(1, x) ---------------------------------------------
digamma_p = unop("digamma", in_double(digamma_kernel), is_float)
defjvp(digamma_p, lambda g, x: mul(g, polygamma(_const(x, 1), x)))


def digamma(x):
    return digamma_p.bind(x)


# --- polygamma(m, x): d/dx = polygamma(m + 1, x); no derivative in m (as JAX) -----
def _polygamma_jvp_m(g, m, x):
    raise ValueError("polygamma gradient with respect to m is not supported")


polygamma_p = binop("polygamma", in_double(polygamma_kernel), is_float)
defjvp(polygamma_p, _polygamma_jvp_m, lambda g, m, x: mul(g, polygamma(add(m, _const(m, 1)), x)))


def polygamma(m, x):
    return polygamma_p.bind(*as_operands(m, x))


__all__ = [
    "digamma", "digamma_p", "erf", "erf_inv", "erf_inv_p", "erf_p", "erfc", "erfc_p",
    "lgamma", "lgamma_p", "polygamma", "polygamma_p",
]

# Eager calls check operands like staging does (the eval trace runs only impl).
