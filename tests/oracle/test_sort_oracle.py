# ruff: noqa: E402  (imports follow the importorskip of jax)
"""Sorting against JAX: lax.sort / sort_key_val / top_k bit for bit (signed zeros and
NaNs in place) on random and special-value inputs of every dtype; the jnp functions
(sort, argsort, lexsort, partition, searchsorted, quantiles, unique) in value, dtype
and weak type; gradients of sort, top_k and the quantiles at ties and NaNs; jit and
vmap. Linear interpolation in the quantiles may differ in the last place (XLA fuses
the multiply-add), so floats are compared with float32 tolerances."""
import pytest

jax = pytest.importorskip(
    "jax", reason="JAX is not installed: oracle tests compare purejax with JAX; "
                  "install with pip install -e '.[oracle]'")

import numpy as np
from oracle_util import JAX, PJ, assert_outputs_match, check_same_error, run, tolerances

nan, inf = np.nan, np.inf
SPECIAL = np.array([nan, -nan, inf, -inf, 0., -0., 1., -1., 2., 1e-40, -1e-40], np.float32)


def _np(tree):
    return [np.ascontiguousarray(t) for t in (tree if isinstance(tree, (tuple, list))
                                              else [tree])]


def assert_bits_equal(want, got, what):
    want, got = _np(want), _np(got)
    assert len(want) == len(got), what
    for k, (w, g) in enumerate(zip(want, got)):
        assert w.dtype == g.dtype and w.shape == g.shape, (what, k, w.dtype, g.dtype, w.shape,
                                                           g.shape)
        if w.dtype.kind in "fc":
            assert np.array_equal(w.view(np.uint8), g.view(np.uint8)), (what, k, w, g)
        else:
            assert np.array_equal(w, g), (what, k, w, g)


def _inputs(dtype, rng, shape=(4, 9)):
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return rng.choice(SPECIAL, size=shape).astype(dtype)
    if dtype.kind == "c":
        return (rng.choice(SPECIAL, size=shape) + 1j * rng.choice(SPECIAL, size=shape)).astype(
            dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(bool)
    info = np.iinfo(dtype)
    pool = np.array([info.min, info.max, 0, 1, 2, info.max // 2], dtype)
    return rng.choice(pool, size=shape)


DTYPES = ["float16", "float32", "float64", "complex64", "int8", "int32", "int64", "uint8",
          "uint32", "uint64", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lax_sort_bits(mode, dtype):
    rng = np.random.default_rng(hash(dtype) % 2 ** 32)
    x = _inputs(dtype, rng)
    y = _inputs("float32", rng)
    for axis in (0, 1, -1):
        for name, f in [
                ("sort", lambda L, x, y: L[2].sort(x, dimension=axis)),
                ("sort_key_val", lambda L, x, y: L[2].sort_key_val(x, y, dimension=axis)),
                ("two keys", lambda L, x, y: L[2].sort((x, y, y), dimension=axis, num_keys=2)),
                ("jit", lambda L, x, y: L[0].jit(lambda a, b: L[2].sort((b, a), num_keys=2,
                                                                        dimension=axis))(x, y)),
        ]:
            want, got = f(JAX, x, y), f(PJ, x, y)
            assert_bits_equal(want, got, f"{name} {dtype} axis={axis}")


@pytest.mark.parametrize("dtype", [d for d in DTYPES if d != "complex64"])
def test_top_k_bits(mode, dtype):
    rng = np.random.default_rng(hash(dtype) % 2 ** 32 + 1)
    x = _inputs(dtype, rng, (3, 12))
    for k in (0, 1, 5, 12):
        assert_bits_equal(JAX[2].top_k(x, k), PJ[2].top_k(x, k), f"top_k {dtype} k={k}")
    assert_bits_equal(JAX[2].top_k(x, 2, axis=0), PJ[2].top_k(x, 2, axis=0), "axis=0")


def test_large_random_sort_and_argsort(mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(5000).astype(np.float32)
    x[rng.integers(0, 5000, 50)] = rng.choice(SPECIAL, 50)
    x[rng.integers(0, 5000, 500)] = np.round(x[:500], 1)  # ties
    for f in (lambda L: L[1].sort(x), lambda L: L[1].argsort(x),
              lambda L: L[1].argsort(x, descending=True), lambda L: L[1].sort(x, descending=True),
              lambda L: L[2].top_k(x, 100)):
        assert_bits_equal(f(JAX), f(PJ), "large")


JNP_CASES = {
    "sort_axis0": lambda L, x: L[1].sort(x, axis=0),
    "sort_none": lambda L, x: L[1].sort(x, axis=None),
    "argsort_desc_unstable": lambda L, x: L[1].argsort(x, axis=0, descending=True, stable=False),
    "argsort_desc": lambda L, x: L[1].argsort(x, descending=True),
    "lexsort": lambda L, x: L[1].lexsort((x[0], x[1])),
    "sort_complex": lambda L, x: L[1].sort_complex(x),
    "partition": lambda L, x: L[1].partition(x, 3),
    "partition_axis0": lambda L, x: L[1].partition(x, -1, axis=0),
    "argpartition": lambda L, x: L[1].argpartition(x, 2),
    "searchsorted": lambda L, x: L[1].searchsorted(L[1].sort(x[0]), x),
    "searchsorted_right": lambda L, x: L[1].searchsorted(L[1].sort(x[1]), x, side="right"),
    "searchsorted_unsorted_scan": lambda L, x: L[1].searchsorted(x[0], x, side="right"),
    "searchsorted_unsorted_sort": lambda L, x: L[1].searchsorted(x[0], x, method="sort"),
    "searchsorted_unsorted_all": lambda L, x: L[1].searchsorted(x[0], x, method="compare_all"),
    "searchsorted_sorter": lambda L, x: L[1].searchsorted(x[0], x[1], sorter=L[1].argsort(x[0])),
    "median": lambda L, x: L[1].median(x, axis=1),
    "nanmedian": lambda L, x: L[1].nanmedian(x, axis=0, keepdims=True),
    "quantile_linear": lambda L, x: L[1].quantile(x, L[1].array([0., .3, .5, 1.]), axis=1),
    "quantile_tuple": lambda L, x: L[1].quantile(x, .7, axis=(0, 1), keepdims=True),
    "nanquantile_nearest": lambda L, x: L[1].nanquantile(x, .4, axis=1, method="nearest"),
    "nanquantile_lower": lambda L, x: L[1].nanquantile(x, L[1].array([.1, .9]), method="lower"),
    "percentile_higher": lambda L, x: L[1].percentile(x, 40, axis=0, method="higher"),
    "nanpercentile_mid": lambda L, x: L[1].nanpercentile(x, 75., method="midpoint"),
    "unique": lambda L, x: L[1].unique(x, return_index=True, return_inverse=True,
                                       return_counts=True),
    "unique_noeq": lambda L, x: L[1].unique(x, equal_nan=False),
    "unique_size": lambda L, x: L[1].unique(x, size=12, fill_value=7., return_counts=True),
    "unique_axis": lambda L, x: L[1].unique(x[:, :2], axis=0, return_inverse=True),
    "unique_all": lambda L, x: tuple(L[1].unique_all(x[0])),
}


def _jnp_input(mode):
    rng = np.random.default_rng(3)
    x = rng.choice(np.array([nan, 0., -0., 1., 2., 2.5, -1., inf], np.float32), (6, 5))
    x[:, 4] = rng.standard_normal(6)  # a column without NaNs
    return x.astype(np.float64 if mode == "f64" else np.float32)


@pytest.mark.parametrize("case", sorted(JNP_CASES))
def test_jnp_functions(mode, case):
    f = JNP_CASES[case]
    x = _jnp_input(mode)
    rtol, atol = tolerances(mode, 10)
    want, jerr = run(lambda: f(JAX, JAX[1].asarray(x)))
    got, perr = run(lambda: f(PJ, PJ[1].asarray(x)))
    if jerr is not None:
        check_same_error(jerr, perr, case)
        return
    assert perr is None, f"{case}: purejax raised {perr!r}"
    assert_outputs_match(want, got, rtol, atol, case)


@pytest.mark.parametrize("case", ["median", "quantile_linear", "nanquantile_nearest",
                                  "sort_axis0", "partition", "unique_size", "searchsorted"])
def test_jnp_functions_under_jit_and_vmap(mode, case):
    f = JNP_CASES[case]
    x = _jnp_input(mode)
    rtol, atol = tolerances(mode, 10)
    batch = np.stack([x, x[::-1]])
    for wrap, arg in ((lambda L, g: L[0].jit(g), x), (lambda L, g: L[0].vmap(g), batch)):
        want = wrap(JAX, lambda x: f(JAX, x))(JAX[1].asarray(arg))
        got = wrap(PJ, lambda x: f(PJ, x))(PJ[1].asarray(arg))
        assert_outputs_match(want, got, rtol, atol, case)


GRAD_CASES = {
    "sort": lambda L, x: L[1].dot(L[1].sort(x), L[1].arange(x.shape[0], dtype=x.dtype)),
    "sort_desc": lambda L, x: L[1].sort(x, descending=True)[1],
    "top_k": lambda L, x: L[1].dot(L[2].top_k(x, 3)[0], L[1].arange(1., 4., dtype=x.dtype)),
    "median": lambda L, x: L[1].median(x),
    "nanmedian": lambda L, x: L[1].nanmedian(x),
    "quantile": lambda L, x: L[1].quantile(x, L[1].array([.2, .5, .9])).sum(),
    "nanquantile": lambda L, x: L[1].nanquantile(x, .35, method="nearest"),
    "percentile_mid": lambda L, x: L[1].percentile(x, 62.5, method="midpoint"),
    "sort_key_val": lambda L, x: L[1].dot(L[2].sort_key_val(L[1].round(x), x)[1],
                                          L[1].arange(x.shape[0], dtype=x.dtype)),
}
GRAD_POINTS = {
    "ordinary": [0.3, -1.2, 2.5, 0.7, 1.9, -0.4],
    "ties": [1., 3., 3., 2., 1., 3.],
    "nan": [1., nan, 3., 2., -0., 0.],
    "zeros": [0., -0., 0., 1., -0., -1.],
}


@pytest.mark.parametrize("point", sorted(GRAD_POINTS))
@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_gradients(mode, case, point):
    f = GRAD_CASES[case]
    x = np.array(GRAD_POINTS[point], np.float64 if mode == "f64" else np.float32)
    rtol, atol = tolerances(mode, 10)
    for lib_name in ("grad", "hessian"):
        want = getattr(JAX[0], lib_name)(lambda x: f(JAX, x))(JAX[1].asarray(x))
        got = getattr(PJ[0], lib_name)(lambda x: f(PJ, x))(PJ[1].asarray(x))
        # the sign of a zero gradient entry is not compared (JAX's adds of zero
        # cotangents run in another order)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=f"{case} {point} {lib_name}")


def test_vmap_of_sort_with_unbatched_operand(mode):
    rng = np.random.default_rng(4)
    keys = rng.choice(SPECIAL, (7, 3))
    vals = rng.standard_normal(7).astype(np.float32)
    outs = [L[0].vmap(lambda k, v: L[2].sort_key_val(k, v), in_axes=(1, None))(keys, vals)
            for L in (JAX, PJ)]
    assert_bits_equal(outs[0], outs[1], "vmap unbatched")


def test_errors_match(mode):
    cases = [
        lambda L: L[2].top_k(L[1].array([1j]), 1),
        lambda L: L[2].top_k(L[1].zeros(2), 3),
        lambda L: L[2].sort((L[1].zeros(2), L[1].zeros(3))),
        lambda L: L[1].sort(L[1].asarray(1.)),
        lambda L: L[1].searchsorted(L[1].zeros((2, 2)), 1.),
        lambda L: L[1].quantile(L[1].zeros(3), 0.5, method="bad"),
        lambda L: L[1].argsort(L[1].zeros(3), kind="stable"),
        lambda L: L[1].lexsort(()),
        lambda L: L[0].jit(L[1].unique)(L[1].zeros(3)),
    ]
    for k, c in enumerate(cases):
        _, jerr = run(lambda: c(JAX))
        _, perr = run(lambda: c(PJ))
        assert jerr is not None, k
        check_same_error(jerr, perr, f"error case {k}")
