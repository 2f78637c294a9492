"""Accuracy of the special-function kernels (erf, erfc, erf_inv, lgamma, digamma,
polygamma) against math, closed forms, identities and high-precision series; their
edge values (XLA's); float32 within one ulp of the correctly rounded value.
SciPy, where installed, is a further reference; nothing here requires it."""
from __future__ import annotations

import math
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np
import pytest

from purejax import grad
from purejax._src import lax
from purejax._src.array import Array
from purejax._src.prims import special

EULER = 0.5772156649015328606065120900824024310422
PI = math.pi
nan, inf = float("nan"), float("inf")



def f64(op, x):
    return np.asarray(op(Array(np.asarray(x, np.float64))))


def rel_err(got, ref):
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    return np.max(np.abs(got - ref) / np.abs(ref))


# ---------------------------------------------------------------------------
# erf, erfc, erf_inv

def test_erf_matches_math(x64):
    x = np.concatenate([np.linspace(-6, 6, 20001), np.logspace(-300, 0.7, 500)])
    x = x[x != 0]
    assert rel_err(f64(lax.erf, x), np.vectorize(math.erf)(x)) < 4e-15


def test_erfc_matches_math(x64):
    x = np.linspace(-6, 26, 30001)  # erfc(26) ~ 5e-296; beyond it erfc is subnormal
    assert rel_err(f64(lax.erfc, x), np.vectorize(math.erfc)(x)) < 1e-14


def test_erf_inv_round_trips(x64):
    x = np.concatenate([np.linspace(-0.999, 0.999, 4001), np.logspace(-300, -1, 200)])
    x = x[x != 0]
    y = f64(lax.erf_inv, x)
    assert rel_err(f64(lax.erf, y), x) < 4e-15
    # in the tail the inverse is pinned down by erfc, where 1 - x keeps its digits
    x = 1 - np.logspace(-15.9, -1, 400)
    q = 1 - x  # exact (Sterbenz)
    y = f64(lax.erf_inv, x)
    assert rel_err(f64(lax.erfc, y), q) < 2e-14
    assert rel_err(f64(lax.erf_inv, -x), -y) == 0  # odd


def test_erf_inv_initial_guess_is_close():
    # the Halley refinement starts from Giles' fit: a typo there would show up here
    x = np.linspace(-0.99, 0.99, 201)
    w = -np.log1p(-x * x)
    guess = np.where(w < 5, special._poly(special._GILES_CENTRAL, w - 2.5), 0) * x
    assert rel_err(guess[x != 0], f64(lax.erf_inv, x)[x != 0]) < 1e-6


def test_erf_edge_values():
    x = Array(np.array([0.0, -0.0, inf, -inf, nan], np.float32))
    np.testing.assert_array_equal(np.asarray(lax.erf(x)), [0.0, -0.0, 1.0, -1.0, nan])
    assert np.signbit(np.asarray(lax.erf(x))[1])
    np.testing.assert_array_equal(np.asarray(lax.erfc(x)), [1.0, 1.0, 0.0, 2.0, nan])
    y = Array(np.array([1.0, -1.0, 0.0, -0.0, 1.5, -2.0, nan], np.float32))
    np.testing.assert_array_equal(np.asarray(lax.erf_inv(y)), [inf, -inf, 0.0, -0.0, nan, nan, nan])
    assert np.signbit(np.asarray(lax.erf_inv(y))[3])


# ---------------------------------------------------------------------------
# lgamma

_BERNOULLI = [Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330)]


def _zeta_minus_one(k: int) -> Decimal:
    """zeta(k) - 1 to ~45 digits: a direct sum to n = 39, then Euler-Maclaurin (50-digit
    decimals; independent of the float64 kernel under test)."""
    getcontext().prec = 50
    n = 40
    total = sum(Decimal(1) / Decimal(j) ** k for j in range(2, n))
    total += Decimal(n) ** (1 - k) / (k - 1) + Decimal(n) ** -k / 2
    rising, fact = Decimal(k), Decimal(2)
    for j, b in enumerate(_BERNOULLI, start=1):
        total += Decimal(b.numerator) / Decimal(b.denominator) / fact * rising * Decimal(n) ** (-k - 2 * j + 1)
        rising *= (k + 2 * j - 1) * (k + 2 * j)
        fact *= (2 * j + 1) * (2 * j + 2)
    return total


_ZM1 = {k: _zeta_minus_one(k) for k in range(2, 80)}
_G = Decimal("0.57721566490153286060651209008240243104215933593992")


def _reference(x: float, digamma: bool) -> float:
    """lgamma(2 + z) = (1 - g) z + sum_k (-1)^k (zeta(k) - 1) z^k / k, or its derivative
    digamma(2 + z), in 50-digit decimals, for x in [1.2, 2.8]; below, shifted up by
    lgamma(x) = lgamma(x + 1) - log(x) and digamma(x) = digamma(x + 1) - 1/x."""
    getcontext().prec = 50

    def series(x: Decimal) -> Decimal:
        if x < Decimal("1.2"):
            return series(x + 1) - (1 / x if digamma else x.ln())
        z = x - 2
        if digamma:
            return (1 - _G) + sum((-1) ** k * _ZM1[k] * z ** (k - 1) for k in _ZM1)
        return (1 - _G) * z + sum((-1) ** k * _ZM1[k] * z ** k / k for k in _ZM1)

    return float(series(Decimal(x)))


def test_lgamma_matches_math(x64):
    x = np.concatenate([np.linspace(0.01, 40, 20001), np.logspace(-300, 300, 601)])
    ref = np.vectorize(math.lgamma)(x)
    err = np.abs(f64(lax.lgamma, x) - ref)
    # absolute near the zeros at 1 and 2 (where math itself is ~1e-16 absolute), else relative
    assert np.max(err / np.maximum(np.abs(ref), 1.0)) < 2e-15


def test_lgamma_near_its_zeros_is_relatively_accurate(x64):
    x = np.array([1 + 1e-9, 1 - 3e-6, 1.01, 0.999, 2 + 2.5e-5, 2 - 1e-7, 2.001, 1.99])
    ref = np.array([_reference(v, False) for v in x])
    assert rel_err(f64(lax.lgamma, x), ref) < 1e-15
    np.testing.assert_array_equal(f64(lax.lgamma, [1.0, 2.0]), [0.0, 0.0])


def test_lgamma_negative_arguments(x64):
    x = np.linspace(-20.05, -0.05, 2001)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    ref = np.vectorize(math.lgamma)(x)
    err = np.abs(f64(lax.lgamma, x) - ref)
    assert np.max(err / np.maximum(np.abs(ref), 1.0)) < 1e-13  # reflection: log|sin| conditioning


def test_lgamma_closed_forms(x64):
    assert f64(lax.lgamma, 0.5) == pytest.approx(0.5 * math.log(PI), rel=1e-16)
    assert f64(lax.lgamma, 10.0) == pytest.approx(math.log(362880.0), rel=1e-16)
    assert f64(lax.lgamma, -0.5) == pytest.approx(math.log(2 * math.sqrt(PI)), rel=1e-15)


def test_lgamma_edge_values():
    x = Array(np.array([0.0, -0.0, -1.0, -2.0, -1e30, inf, -inf, nan], np.float32))
    np.testing.assert_array_equal(np.asarray(lax.lgamma(x)), [inf, inf, inf, inf, inf, inf, inf, nan])


# ---------------------------------------------------------------------------
# digamma

def test_digamma_closed_forms(x64):
    getcontext().prec = 50
    g, ln2 = _G, Decimal(2).ln()
    pi = Decimal("3.14159265358979323846264338327950288419716939937510")
    harmonic = lambda n: sum(Decimal(1) / k for k in range(1, n))  # noqa: E731
    cases = {1.0: -g, 0.5: -g - 2 * ln2, 0.25: -g - pi / 2 - 3 * ln2, 0.75: -g + pi / 2 - 3 * ln2,
             2.0: 1 - g, 10.0: harmonic(10) - g, -0.5: 2 - g - 2 * ln2,
             7.5: -g - 2 * ln2 + sum(Decimal(2) / (2 * k - 1) for k in range(1, 8))}
    for x, expected in cases.items():
        assert f64(lax.digamma, x) == pytest.approx(float(expected), rel=2.5e-16, abs=0), x


def test_digamma_identities(x64):
    x = np.concatenate([np.linspace(0.05, 30, 3001), np.logspace(-8, 8, 200)])
    d, d1 = f64(lax.digamma, x), f64(lax.digamma, x + 1)
    assert np.all(np.abs((d1 - d) - 1 / x) <= 4e-16 * (np.abs(d) + np.abs(d1) + 1 / x))
    y = np.linspace(-4.9, 4.9, 1001)
    y = y[np.abs(y - np.round(y)) > 1e-2]
    lhs = f64(lax.digamma, 1 - y) - f64(lax.digamma, y)
    np.testing.assert_allclose(lhs, PI / np.tan(PI * y), rtol=1e-12, atol=1e-13)


def test_digamma_is_the_derivative_of_lgamma(x64):
    x = np.linspace(0.3, 12, 60)
    h = 1e-5
    fd = (f64(lax.lgamma, x + h) - f64(lax.lgamma, x - h)) / (2 * h)
    np.testing.assert_allclose(f64(lax.digamma, x), fd, rtol=1e-8, atol=1e-9)


def test_digamma_near_its_root_keeps_relative_accuracy(x64):
    root = 1.4616321449683623
    x = np.array([root + h for h in (0.19, 0.05, 1e-3, -1e-6, 1e-9, -1e-12, 0.0, -0.1, 0.6, 1.0, -0.9)])
    ref = np.array([_reference(v, True) for v in x])
    assert rel_err(f64(lax.digamma, x), ref) < 1e-15


def test_digamma_edge_values():
    x = Array(np.array([0.0, -0.0, -1.0, -7.0, inf, -inf, nan], np.float32))
    np.testing.assert_array_equal(np.asarray(lax.digamma(x)), [nan, nan, nan, nan, inf, nan, nan])


# ---------------------------------------------------------------------------
# polygamma (digamma's derivatives)

def test_polygamma_closed_forms(x64):
    zeta3 = 1.2020569031595942853997381615114
    cases = [(1, 1.0, PI ** 2 / 6), (1, 0.5, PI ** 2 / 2), (1, -0.5, PI ** 2 / 2 + 4),
             (1, 5.0, PI ** 2 / 6 - sum(1 / k ** 2 for k in range(1, 5))),
             (2, 1.0, -2 * zeta3), (3, 1.0, PI ** 4 / 15), (3, 0.5, PI ** 4), (0, 1.0, -EULER)]
    for m, x, expected in cases:
        assert f64(lambda v: lax.polygamma(float(m), v), x) == pytest.approx(expected, rel=4e-16), (m, x)


def test_polygamma_recurrence(x64):
    x = np.concatenate([np.linspace(0.05, 20, 801), np.linspace(-3.95, -0.05, 200)])
    x = x[np.abs(x - np.round(x)) > 1e-2]
    for m in (1, 2, 3):
        pg = lambda v: f64(lambda u: lax.polygamma(float(m), u), v)  # noqa: E731
        # psi^(m)(x + 1) = psi^(m)(x) + (-1)^m m! / x^(m+1)
        lhs, p, term = pg(x + 1), pg(x), (-1) ** m * math.factorial(m) / x ** (m + 1)
        assert np.all(np.abs(lhs - (p + term)) <= 2e-15 * (np.abs(lhs) + np.abs(p) + np.abs(term)))


def test_polygamma_edge_values():
    pg = lambda m, x: np.asarray(lax.polygamma(np.float32(m), np.float32(x)))  # noqa: E731
    assert pg(1, 0) == inf and pg(1, -3) == inf and math.isnan(pg(2, 0)) and math.isnan(pg(0, 0))
    # XLA's (so JAX's) polygamma(m >= 1, +inf) is nan, not the limit 0
    assert math.isnan(pg(1, inf)) and math.isnan(pg(2, inf)) and pg(0, inf) == inf
    assert math.isnan(pg(1.5, 1)) and math.isnan(pg(-1, 1)) and math.isnan(pg(1, nan))


# ---------------------------------------------------------------------------
# Derivatives

def test_special_derivatives(x64):
    assert float(grad(lax.lgamma)(3.0)) == pytest.approx(1.5 - EULER, rel=1e-15)
    assert float(grad(lax.digamma)(1.0)) == pytest.approx(PI ** 2 / 6, rel=1e-15)
    assert float(grad(grad(lax.digamma))(1.0)) == pytest.approx(-2 * 1.2020569031595942, rel=1e-15)
    assert float(grad(lax.erf_inv)(0.0)) == pytest.approx(math.sqrt(PI) / 2, rel=1e-15)
    assert float(grad(lax.erf)(0.0)) == pytest.approx(2 / math.sqrt(PI), rel=1e-15)
    assert float(grad(lax.erfc)(1.0)) == pytest.approx(-2 / math.sqrt(PI) / math.e, rel=1e-15)
    assert float(grad(lambda x: lax.polygamma(1.0, x))(2.0)) == pytest.approx(-2 * (1.2020569031595942 - 1))


# ---------------------------------------------------------------------------
# float32 (and float16): one rounding of the float64 result

@pytest.mark.parametrize("op,ref,lo,hi", [
    (lax.erf, math.erf, -4, 4), (lax.erfc, math.erfc, -2, 9),
    (lax.lgamma, math.lgamma, 0.05, 30),
    (lax.digamma, lambda v: float(special.digamma_kernel(np.array([v]))[0]), 0.05, 30),
])
def test_float32_within_one_ulp(op, ref, lo, hi):
    x = np.linspace(lo, hi, 4001).astype(np.float32)
    expected = np.vectorize(ref)(x.astype(np.float64)).astype(np.float32)
    got = np.asarray(op(Array(x)))
    assert got.dtype == np.float32
    mask = np.abs(expected) > 1e-30
    np.testing.assert_array_max_ulp(got[mask], expected[mask], maxulp=1)
    half = np.asarray(op(Array(x.astype(np.float16))))
    assert half.dtype == np.float16


# ---------------------------------------------------------------------------
# SciPy as an extra oracle, where installed

def test_against_scipy(x64):
    sp = pytest.importorskip("scipy.special")
    x = np.linspace(-9.97, 30, 8001)
    np.testing.assert_allclose(f64(lax.erf_inv, np.linspace(-0.9999, 0.9999, 5001)),
                               sp.erfinv(np.linspace(-0.9999, 0.9999, 5001)), rtol=4e-15, atol=0)
    pos = x[x > 0]
    np.testing.assert_allclose(f64(lax.digamma, pos), sp.digamma(pos), rtol=1e-13, atol=0)
    nonpole = x[np.abs(x - np.round(x)) > 1e-3]
    np.testing.assert_allclose(f64(lax.digamma, nonpole), sp.digamma(nonpole), rtol=1e-10, atol=1e-13)
    for m in (1, 2, 3, 5):
        np.testing.assert_allclose(f64(lambda v: lax.polygamma(float(m), v), nonpole),
                                   sp.polygamma(m, nonpole), rtol=1e-12, atol=0)
