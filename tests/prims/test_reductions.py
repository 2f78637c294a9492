"""Reductions and cumulative scans (prims/reductions.py), driven by an op-spec
table: values against NumPy over dtypes and axes, derivatives (order 2, both modes,
float64), vmap, staged-vs-eager types; then ties, NaNs, zeros, empty reductions and
error cases."""
import numpy as np
import pytest

import purejax as jax
from purejax._src import dtypes
from purejax._src import lax
from purejax._src.array import Array
from purejax.test_util import check_abstract_eval, check_grads, check_vmap
from _data import rand as _rand  # noqa: E402  (tests/prims/_data.py)

F32, F64, I32, BOOL = np.float32, np.float64, np.int32, np.bool_
SHAPE = (2, 3, 4)


pytestmark = pytest.mark.usefixtures("x64")  # tests/conftest.py


def rand(rng, shape, dtype):
    return _rand(rng, shape, dtype, int_bound=3)


def np_cum(fn):
    def ref(x, axis, reverse):
        if reverse:
            return np.flip(fn(np.flip(x, axis), axis), axis)
        return fn(x, axis)
    return ref


class Spec:
    def __init__(self, name, fun, ref, dtypes, params, grad=True, out_dtype=None):
        self.name, self.fun, self.ref, self.dtypes = name, fun, ref, dtypes
        self.params, self.grad, self.out_dtype = params, grad, out_dtype

    def __repr__(self):
        return self.name


AXES = [(0,), (1,), (2,), (0, 2), (0, 1, 2)]
CUM = [dict(axis=a, reverse=r) for a in (0, 2) for r in (False, True)]
NUM = (F32, F64, I32)

SPECS = [
    Spec("reduce_sum", lambda x, axes: lax.reduce_sum(x, axes),
         lambda x, axes: np.sum(x, axes, dtype=x.dtype), NUM, [dict(axes=a) for a in AXES]),
    Spec("reduce_max", lambda x, axes: lax.reduce_max(x, axes),
         lambda x, axes: np.max(x, axes), NUM + (BOOL,), [dict(axes=a) for a in AXES]),
    Spec("reduce_min", lambda x, axes: lax.reduce_min(x, axes),
         lambda x, axes: np.min(x, axes), NUM + (BOOL,), [dict(axes=a) for a in AXES]),
    Spec("reduce_prod", lambda x, axes: lax.reduce_prod(x, axes),
         lambda x, axes: np.prod(x, axes, dtype=x.dtype), NUM, [dict(axes=a) for a in AXES]),
    Spec("reduce_and", lambda x, axes: lax.reduce_and(x, axes),
         lambda x, axes: np.bitwise_and.reduce(x, axes), (BOOL, I32),
         [dict(axes=a) for a in AXES[:4]], grad=False),
    Spec("reduce_or", lambda x, axes: lax.reduce_or(x, axes),
         lambda x, axes: np.bitwise_or.reduce(x, axes), (BOOL, I32),
         [dict(axes=a) for a in AXES[:4]], grad=False),
    Spec("reduce_xor", lambda x, axes: lax.reduce_xor(x, axes),
         lambda x, axes: np.bitwise_xor.reduce(x, axes), (BOOL, I32),
         [dict(axes=a) for a in AXES[:4]], grad=False),
    Spec("argmax", lambda x, axis: lax.argmax(x, axis, I32),
         lambda x, axis: np.argmax(x, axis).astype(I32), NUM + (BOOL,),
         [dict(axis=a) for a in (0, 1, 2, -1)], grad=False, out_dtype=I32),
    Spec("argmin", lambda x, axis: lax.argmin(x, axis, np.int64),
         lambda x, axis: np.argmin(x, axis), NUM + (BOOL,),
         [dict(axis=a) for a in (0, 2)], grad=False, out_dtype=np.int64),
    Spec("cumsum", lambda x, axis, reverse: lax.cumsum(x, axis, reverse),
         np_cum(lambda x, a: np.cumsum(x, a, dtype=x.dtype)), NUM, CUM),
    Spec("cumprod", lambda x, axis, reverse: lax.cumprod(x, axis, reverse),
         np_cum(lambda x, a: np.cumprod(x, a, dtype=x.dtype)), NUM, CUM),
    Spec("cummax", lambda x, axis, reverse: lax.cummax(x, axis, reverse),
         np_cum(np.maximum.accumulate), NUM, CUM),
    Spec("cummin", lambda x, axis, reverse: lax.cummin(x, axis, reverse),
         np_cum(np.minimum.accumulate), NUM, CUM),
    Spec("cumlogsumexp", lambda x, axis, reverse: lax.cumlogsumexp(x, axis, reverse),
         np_cum(np.logaddexp.accumulate), (F32, F64), CUM),
]

CASES = [(s, p) for s in SPECS for p in s.params]
GRAD_CASES = [(s, p) for s, p in CASES if s.grad]


def case_id(case):
    spec, params = case
    return f"{spec.name}-" + "-".join(f"{k}={v}" for k, v in params.items())


DTYPE_CASES = [(c, d) for c in CASES for d in c[0].dtypes]


@pytest.mark.parametrize("case,dtype", DTYPE_CASES,
                         ids=[f"{case_id(c)}-{np.dtype(d).name}" for c, d in DTYPE_CASES])
def test_values(case, dtype):
    spec, params = case
    x = rand(np.random.default_rng(0), SHAPE, dtype)
    out = spec.fun(x, **params)
    expected = spec.ref(x, **params)
    assert out.dtype == np.dtype(spec.out_dtype or dtype)
    assert out.shape == np.shape(expected) and not out.weak_type
    np.testing.assert_allclose(np.asarray(out), expected, rtol=2e-6)


@pytest.mark.parametrize("case", GRAD_CASES, ids=case_id)
def test_grads(case):
    spec, params = case
    x = rand(np.random.default_rng(1), SHAPE, F64)
    check_grads(lambda x: spec.fun(x, **params), (x,), order=2)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("bdim", [0, 2, 3])
def test_vmap(spec, bdim):
    x = rand(np.random.default_rng(2), (2, 3, 4, 5), spec.dtypes[1])
    for params in spec.params[:2]:
        check_vmap(lambda x: spec.fun(x, **params), (x,), bdim, err_msg=f"{params}")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_abstract_eval(spec):
    x = rand(np.random.default_rng(3), SHAPE, spec.dtypes[0])
    check_abstract_eval(lambda x: spec.fun(x, **spec.params[-1]), (x,))


def test_weak_type_propagates():
    x = Array(np.ones((2, 3)), True)
    assert lax.reduce_sum(x, (0,)).weak_type and lax.reduce_max(x, (1,)).weak_type
    assert lax.cumsum(x, 1).weak_type
    assert not lax.argmax(x, 0, I32).weak_type


# --- ties and NaNs -----------------------------------------------------------------
def test_reduce_max_min_ties_share_gradient():
    x = np.array([[1., 3., 3., 2.], [5., 5., 5., -1.]])
    g = jax.grad(lambda x: lax.reduce_sum(lax.reduce_max(x, (1,)), (0,)))(x)
    np.testing.assert_allclose(g, [[0, .5, .5, 0], [1 / 3, 1 / 3, 1 / 3, 0]])
    g = jax.grad(lambda x: lax.reduce_sum(lax.reduce_min(x, (0,)), (0,)))(
        np.array([[1., 2.], [1., 0.]]))
    np.testing.assert_allclose(g, [[.5, 0], [.5, 1]])
    # JVP agrees with the reverse mode at ties
    _, t = jax.jvp(lambda x: lax.reduce_max(x, (0,)), (np.array([2., 2., 1.]),),
                   (np.array([1., 3., 7.]),))
    np.testing.assert_allclose(t, 2.0)


def test_argmax_ties_and_nans():
    x = np.array([1., 3., 3., np.nan, 0., np.nan])
    assert int(lax.argmax(x, 0, I32)) == 3  # the first NaN wins
    assert int(lax.argmin(x, 0, I32)) == 3
    assert int(lax.argmax(np.array([1, 4, 4, 2], I32), 0, I32)) == 1  # first of the ties
    assert int(lax.argmin(np.array([2., 0., 0.]), 0, I32)) == 1
    assert np.isnan(float(lax.reduce_max(x, (0,)))) and np.isnan(float(lax.reduce_min(x, (0,))))


def test_argmax_has_float0_tangent():
    x = np.array([[1., 2.], [4., 3.]])
    out, t = jax.jvp(lambda x: lax.argmax(x, 1, I32), (x,), (np.ones_like(x),))
    np.testing.assert_array_equal(out, [1, 0])
    assert t.dtype == dtypes.float0 and t.shape == (2,)
    # an argmax-selected index used downstream contributes no derivative
    f = lambda x: lax.mul(lax.reduce_max(x, (1,)),
                          lax.convert_element_type(lax.argmax(x, 1, I32), F64))
    _, pullback = jax.vjp(f, x)
    np.testing.assert_allclose(pullback(np.array([1., 0.]))[0], [[0., 1.], [0., 0.]])


def test_cummax_ties_split_like_pairwise_max():
    _, t = jax.jvp(lambda x: lax.cummax(x, 0), (np.array([1., 1., 0.]),),
                   (np.array([1., 0., 5.]),))
    np.testing.assert_allclose(t, [1., .5, .5])


# --- zeros in reduce_prod / cumprod ----------------------------------------------------
@pytest.mark.parametrize("x", [np.array([[2., 0., 3.], [1.5, -2., .5]]),
                               np.array([[0., 4., 0.], [0., 0., 0.]]),
                               np.array([[0., 1.5, 2.], [3., 0., 1.]])])
def test_reduce_prod_zeros(x):
    g = jax.grad(lambda x: lax.reduce_sum(lax.reduce_prod(x, (1,)), (0,)))(x)
    expected = np.array([[np.prod(np.delete(row, j)) for j in range(row.size)] for row in x])
    np.testing.assert_allclose(g, expected)
    check_grads(lambda x: lax.reduce_prod(x, (1,)), (x,), order=2)
    check_grads(lambda x: lax.reduce_prod(x, (0, 1)), (x,), order=2)
    check_grads(lambda x: lax.cumprod(x, 1), (x,), order=2)
    check_grads(lambda x: lax.cumprod(x, 1, reverse=True), (x,), order=2)


def test_reduce_prod_single_zero_gradient_is_exact():
    x = np.array([2., 0., 3., 4.])
    g = jax.grad(lambda x: lax.reduce_prod(x, (0,)))(x)
    np.testing.assert_array_equal(g, [0., 24., 0., 0.])
    # second derivative row for the zero entry: d/dx (prod of the others)
    grad = jax.grad(lambda x: lax.reduce_prod(x, (0,)))
    _, row = jax.jvp(grad, (x,), (np.array([0., 1., 0., 0.]),))
    np.testing.assert_array_equal(row, [12., 0., 8., 6.])


def test_cumlogsumexp_is_stable():
    x = np.array([1000., 1000., -1000.])
    out = lax.cumlogsumexp(x, 0)
    np.testing.assert_allclose(out, [1000., 1000. + np.log(2), 1000. + np.log(2)])
    g = jax.grad(lambda x: lax.reduce_sum(lax.cumlogsumexp(x, 0), (0,)))(x)
    np.testing.assert_allclose(g, [2., 1., 0.], atol=1e-12)


# --- empty reductions give the identities ------------------------------------------
@pytest.mark.parametrize("fun,dtype,expected", [
    (lax.reduce_sum, F32, 0.), (lax.reduce_prod, F32, 1.), (lax.reduce_max, F32, -np.inf),
    (lax.reduce_min, F64, np.inf), (lax.reduce_sum, I32, 0), (lax.reduce_prod, I32, 1),
    (lax.reduce_max, I32, np.iinfo(I32).min), (lax.reduce_min, I32, np.iinfo(I32).max),
    (lax.reduce_and, BOOL, True), (lax.reduce_or, BOOL, False), (lax.reduce_max, BOOL, False),
    (lax.reduce_min, BOOL, True), (lax.reduce_xor, I32, 0), (lax.reduce_and, I32, -1),
])
def test_empty_reductions(fun, dtype, expected):
    out = fun(np.zeros((0, 2), dtype), (0,))
    assert out.dtype == np.dtype(dtype) and out.shape == (2,)
    np.testing.assert_array_equal(out, np.full(2, expected, dtype))


def test_empty_cumulative():
    out = lax.cumsum(np.zeros((0, 3)), 0)
    assert out.shape == (0, 3)
    check_grads(lambda x: lax.cumprod(x, 0), (np.zeros((0, 3)),), order=2)


# --- lax.reduce over the monoids ----------------------------------------------------
def test_reduce_monoids():
    x = rand(np.random.default_rng(5), (3, 4), F64)
    np.testing.assert_allclose(lax.reduce(x, 0., lax.add, (1,)), x.sum(1))
    np.testing.assert_allclose(lax.reduce(x, 1., lax.mul, (0, 1)), x.prod())
    np.testing.assert_allclose(lax.reduce(x, -np.inf, lax.max, (0,)), x.max(0))
    np.testing.assert_allclose(lax.reduce([x], [np.inf], lax.min, (1,))[0], x.min(1))
    xi = x.astype(I32)
    np.testing.assert_array_equal(lax.reduce(xi, np.iinfo(I32).min, lax.max, (1,)), xi.max(1))
    check_grads(lambda x: lax.reduce(x, 0., lax.add, (0,)), (x,), order=2)
    with pytest.raises(NotImplementedError, match="monoids"):
        lax.reduce(x, 1., lax.add, (0,))
    with pytest.raises(NotImplementedError, match="variadic"):
        lax.reduce((x, x), (0., 0.), lax.add, (0,))


# --- errors ----------------------------------------------------------------------
@pytest.mark.parametrize("fun,exc,match", [
    (lambda: lax.reduce_max(np.ones((2, 3)), (2,)), ValueError,
     "reduce_max: axis 2 is out of bounds"),
    (lambda: lax.reduce_sum(np.ones((2, 3)), (0, 0)), ValueError, "reduce_sum: duplicate axes"),
    (lambda: lax.reduce_sum(np.ones(3, bool), (0,)), TypeError,
     "reduce_sum does not accept dtype bool"),
    (lambda: lax.reduce_and(np.ones(3), (0,)), TypeError,
     "reduce_and does not accept dtype float64"),
    (lambda: lax.argmax(np.ones((0, 3)), 0, I32), ValueError,
     "argmax requires a non-empty reduction dimension"),
    (lambda: lax.argmin(np.ones(3), 0, F32), TypeError,
     r"argmin \(index_dtype\) does not accept dtype float32"),
    (lambda: lax.cumsum(np.ones(3), 1), ValueError, "cumsum: axis 1 is out of bounds"),
    (lambda: lax.cumlogsumexp(np.ones(3, I32), 0), TypeError,
     "cumlogsumexp does not accept dtype int32"),
])
def test_errors(fun, exc, match):
    with pytest.raises(exc, match=match):
        fun()
    with pytest.raises(exc, match=match):
        jax.make_jaxpr(fun)()
