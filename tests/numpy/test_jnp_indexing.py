"""NumPy indexing on Arrays and tracers, `.at[]` updates, take/take_along_axis:
values against NumPy, JAX's out-of-bounds rules, lowering, and gradients."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src.numpy.indexing import NonConcreteBooleanIndexError
from purejax.test_util import check_grads

XN = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
X = jnp.array(XN)



def _eq(got, expected):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_array_equal(got, expected)


I = np.array
INDICES = [
    0, -1, 2, (1, 2), (-1, -2, -3), (1, 2, 3),
    slice(None), slice(1, None), slice(None, -1), slice(None, None, -1), slice(None, None, 2),
    slice(-2, None, -1), slice(5, 0, -2), slice(1, 1), slice(10, 20),
    (slice(None), 1), (Ellipsis, 2), (1, Ellipsis), (Ellipsis,), (None,), (None, 1, None),
    (Ellipsis, None), (0, None, slice(1, 3), None), (slice(None, None, -1), 1, slice(4, 0, -2)),
    # advanced
    I([0, 2]), I([[0, 1], [2, 2]]), I([-1, 0]), (I([0, 1]), I([1, 3])),
    (slice(None), I([0, 3])), (I([0, 2]), slice(None), I([1, 4])),
    (1, I([0, 2]), I([1, 3])), (I([0, 2]), 1, I([1, 3])), (I([0, 2]), 1),
    (slice(None), I([[0], [1]]), I([0, 2, 4])), (Ellipsis, I([1, 0])),
    (I([1, 0]), Ellipsis, I([4, 0])), (None, I([0, 1])), (I([0, 1]), None, I([0, 1])),
    (slice(None, None, -1), I([1, 2])), (I([2, 0]), slice(1, None, 2)),
    ([0, 2],), ([0, 1], [2, 3]), (I(1), I([0, 2])),
    # booleans
    XN > 30, XN[:, :, 0] > 5, (slice(None), XN[0, :, 0] > 5), (XN[:, 0, 0] > 10, 2),
    I([True, False, True]), (1, I([True, False, True, True])), True, False, (0, True),
    (Ellipsis, I([False, True, True, False, False])),
]


def _id(i):
    return repr(i).replace("\n", "")[:40]


@pytest.mark.parametrize("idx", INDICES, ids=[_id(i) for i in INDICES])
def test_getitem_vs_numpy(idx):
    np_idx = idx
    _eq(X[idx], XN[np_idx])


@pytest.mark.parametrize("idx", INDICES[:40], ids=[_id(i) for i in INDICES[:40]])
def test_getitem_under_staging(idx):
    """The same indices with a traced operand (make_jaxpr then evaluated via jit/vmap)."""
    got = jax.vmap(lambda v: v[idx])(jnp.stack([X, X + 1]))
    _eq(got[1], XN[idx] + 1)


def test_traced_integer_indices():
    f = lambda v, i: v[i]
    for i in (0, 2, -1, -3):
        _eq(jax.vmap(f, in_axes=(None, 0))(X, jnp.array([i, i])), np.stack([XN[i], XN[i]]))
    g = lambda v, i, j: v[i, 1:3, j]
    _eq(jax.vmap(g, in_axes=(None, 0, 0))(X, jnp.array([0, -1]), jnp.array([2, -2])),
        np.stack([XN[0, 1:3, 2], XN[-1, 1:3, -2]]))
    jaxpr = jax.make_jaxpr(g)(XN, 1, 2)
    names = [e.primitive.name for e in jaxpr.eqns]
    assert "dynamic_slice" in names and "gather" not in names
    h = lambda v, i: v[i]
    jaxpr = jax.make_jaxpr(h)(XN, np.array([0, 2]))
    assert "gather" in [e.primitive.name for e in jaxpr.eqns]


def test_static_basic_indexing_lowers_to_slices():
    jaxpr = jax.make_jaxpr(lambda v: v[1, ::2, None, 1:-1])(XN)
    names = [e.primitive.name for e in jaxpr.eqns]
    assert "gather" not in names and "dynamic_slice" not in names
    assert names[0] == "slice"
    jaxpr = jax.make_jaxpr(lambda v: v[::-1])(XN)
    assert [e.primitive.name for e in jaxpr.eqns] == ["rev"]
    jaxpr = jax.make_jaxpr(lambda v: v[:])(XN)
    assert jaxpr.eqns == []


def test_out_of_bounds_gather_clamps():
    x = jnp.arange(5)
    assert int(x[10]) == 4 and int(x[-10]) == 0
    _eq(x[jnp.array([0, 7, -9])], [0, 4, 0])
    _eq(jax.vmap(lambda i: x[i])(jnp.array([-7, 9])), [0, 4])
    _eq(x.at[jnp.array([0, 7])].get(mode="fill", fill_value=-1), [0, -1])
    _eq(x.at[7].get(mode="fill", fill_value=-1), -1)
    _eq(x.at[jnp.array([0, 7])].get(mode="clip"), [0, 4])
    assert np.isnan(float(jnp.arange(5.).at[9].get(mode="fill")))


def test_index_errors():
    with pytest.raises(IndexError, match="Too many indices"):
        X[0, 0, 0, 0]
    with pytest.raises(TypeError, match="Indexer must have integer or boolean type"):
        X[jnp.array([1.5])]
    with pytest.raises(TypeError):
        X[1.0]
    with pytest.raises(TypeError, match="non-tuple sequence"):
        X[[0, slice(None)]]
    with pytest.raises(TypeError, match="non-tuple sequence"):
        X[[0, 1]]
    with pytest.raises(TypeError, match="string"):
        X["a"]
    with pytest.raises(IndexError, match="ellipsis"):
        X[..., 0, ...]
    with pytest.raises(IndexError, match="boolean index did not match"):
        X[np.ones(4, bool)]
    with pytest.raises(IndexError, match="size 0"):
        jnp.zeros((0, 3))[0]
    with pytest.raises(IndexError, match="static start/stop/step"):
        jax.make_jaxpr(lambda v, i: v[i:i + 2])(XN, 1)


def test_boolean_mask_under_tracing_raises():
    with pytest.raises(NonConcreteBooleanIndexError, match="must be concrete"):
        jax.make_jaxpr(lambda v: v[v > 3])(XN)
    with pytest.raises(IndexError):
        jax.vmap(lambda v: v[v > 3])(XN)
    with pytest.raises(IndexError):
        jax.make_jaxpr(lambda v: v.at[v > 3].set(0.))(XN)
    # under grad (eager) the mask is concrete: allowed, as in JAX
    g = jax.grad(lambda v: jnp.sum(v[v > 30.] ** 2))(X)
    _eq(g, np.where(XN > 30, 2 * XN, 0))
    # the jnp.where alternative works everywhere
    _eq(jax.vmap(lambda v: jnp.where(v > 3, v, 0))(XN), np.where(XN > 3, XN, 0))


AT_INDICES = [
    1, -1, (0, 2), (slice(None), 1), (Ellipsis, 3), slice(1, None, 2), slice(None, None, -1),
    I([0, 2]), (I([0, 1]), I([3, 2])), (slice(None), I([0, 3]), 1), (1, None, I([0, 2])),
    XN > 40, (I([2, 0]), slice(None, None, -2)), ([1, 0],),
]


@pytest.mark.parametrize("idx", AT_INDICES, ids=[_id(i) for i in AT_INDICES])
@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max", "divide", "power"])
def test_at_ops_vs_numpy(idx, op):
    expected = XN.copy()
    vals_shape = np.shape(expected[idx])
    vals = (np.arange(int(np.prod(vals_shape)), dtype=np.float32).reshape(vals_shape) % 3) + 1
    if op == "set":
        expected[idx] = vals
    elif op == "add":
        expected[idx] += vals
    elif op == "multiply":
        expected[idx] *= vals
    elif op == "min":
        expected[idx] = np.minimum(expected[idx], vals)
    elif op == "max":
        expected[idx] = np.maximum(expected[idx], vals)
    elif op == "divide":
        expected[idx] /= vals
    elif op == "power":
        expected[idx] **= vals
    got = getattr(X.at[idx], op)(jnp.array(vals))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6)
    assert got.dtype == X.dtype and got.shape == X.shape


def test_at_duplicates_and_scalars():
    x = jnp.zeros(5)
    _eq(x.at[jnp.array([0, 0, 3, 0])].add(1.), [3., 0., 0., 1., 0.])
    _eq(x.at[jnp.array([1, 1])].add(jnp.array([2., 5.])), [0., 7., 0., 0., 0.])
    _eq(jnp.ones(4).at[jnp.array([2, 2])].multiply(3.), [1., 1., 9., 1.])
    _eq(x.at[jnp.array([4, 4])].max(jnp.array([2., 5.])), [0., 0., 0., 0., 5.])
    _eq(x.at[2].set(7), [0., 0., 7., 0., 0.])
    _eq(x.at[:].set(2.), [2.] * 5)
    _eq(x.at[...].add(jnp.arange(5.)), np.arange(5.))
    _eq(x.at[jnp.array([1, 3])].set(jnp.array([[8., 9.]])), [0., 8., 0., 9., 0.])
    _eq(jnp.arange(5).at[1].set(2.7), [0, 2, 2, 3, 4])      # cast to the array's dtype
    assert jnp.arange(5).at[1].set(2.7).dtype == np.int32
    w = jnp.array(1.0).at[()].set(3)
    assert w.weak_type and float(w) == 3.0
    with pytest.raises(ValueError, match="shape mismatch"):
        x.at[1:3].set(jnp.ones(3))


def test_at_out_of_bounds_scatter_drops():
    x = jnp.zeros(4)
    _eq(x.at[jnp.array([1, 9])].set(jnp.array([5., 6.])), [0., 5., 0., 0.])
    _eq(x.at[7].add(1.), [0., 0., 0., 0.])
    _eq(x.at[-1].set(1.), [0., 0., 0., 1.])
    _eq(x.at[jnp.array([-1, -4])].add(1.), [1., 0., 0., 1.])
    _eq(x.at[9].set(1., mode="clip"), [0., 0., 0., 1.])


def test_at_under_transformations():
    f = lambda v, i, y: v.at[i].set(y)
    out = jax.vmap(f, in_axes=(0, 0, 0))(jnp.zeros((2, 3)), jnp.array([0, 2]), jnp.array([1., 2.]))
    _eq(out, [[1., 0., 0.], [0., 0., 2.]])
    jaxpr = jax.make_jaxpr(lambda v, y: v.at[1:3].add(y))(np.zeros(5, np.float32),
                                                          np.ones(2, np.float32))
    assert "scatter-add" in str(jaxpr)


def test_grads_through_indexing(x64):
    x = jnp.array(XN, dtype=jnp.float64) / 10
    for idx in (1, (slice(None), 2), (slice(None, None, -1), slice(1, None, 2)),
                (I([0, 2, 0]), I([1, 1, 3])), (Ellipsis, I([4, 0])), (None, 1, None),
                XN > 20):
        check_grads(lambda v: v[idx] ** 2, (x,), order=2)
    i = jnp.array(1)
    check_grads(lambda v: v[i, 1:3] * 2, (x,), order=2)
    g = jax.grad(lambda v: jnp.sum(v[I([0, 0, 2])]))(jnp.arange(3.))
    _eq(g, [2., 0., 1.])


def test_grads_through_at_updates(x64):
    x = jnp.linspace(0.5, 2.0, 6)
    y = jnp.array([3.0, -1.0])
    idx = I([1, 4])
    check_grads(lambda a, b: a.at[idx].set(b) ** 2, (x, y), order=2)
    check_grads(lambda a, b: a.at[idx].add(b) ** 2, (x, y), order=2)
    # as in JAX, the updates' gradient of scatter_mul needs unique_indices=True
    check_grads(lambda a, b: a.at[idx].multiply(b, unique_indices=True), (x, y), order=2)
    check_grads(lambda a, b: a.at[1:3].divide(b), (x, y), order=1)
    check_grads(lambda a, b: a.at[idx].max(b), (x, y + 5), order=1)
    g = jax.grad(lambda a: jnp.sum(a.at[2].set(10.) * a))(x)
    np.testing.assert_allclose(g, np.where(np.arange(6) == 2, 10., 2 * np.asarray(x)))


def test_take():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    for idx, axis in ((I([0, 5, 11]), None), (I([2, 0]), 0), (I([[1, 3], [0, 0]]), 1),
                      (I([-1]), 1)):
        _eq(jnp.take(a, idx, axis=axis), np.take(a, idx, axis=axis))
    assert np.isnan(np.asarray(jnp.take(a, I([5]), axis=0))).all()
    _eq(jnp.take(a, I([5]), axis=0, mode="clip"), a[[2]])
    _eq(jnp.take(a, I([5]), axis=0, mode="wrap"), a[[2]])
    _eq(jnp.take(a, I([5]), axis=0, fill_value=-1.), -np.ones((1, 4)))
    _eq(jnp.take(jnp.arange(4), I([9])), [np.iinfo(np.int32).min])
    with pytest.raises(TypeError):
        jnp.take(a, jnp.array([1.0]))


def test_take_along_axis():
    a = np.array([[10., 30., 20.], [60., 40., 50.]], np.float32)
    idx = np.argsort(a, axis=1)
    _eq(jnp.take_along_axis(a, idx, axis=1), np.take_along_axis(a, idx, axis=1))
    idx0 = np.array([[1, 0, 1]])
    _eq(jnp.take_along_axis(a, idx0, axis=0), np.take_along_axis(a, idx0, axis=0))
    _eq(jnp.take_along_axis(a, np.array([[0], [2]]), axis=-1),
        np.take_along_axis(a, np.array([[0], [2]]), axis=-1))
    _eq(jnp.take_along_axis(a.ravel(), np.array([5, 0]), axis=None), a.ravel()[[5, 0]])
    _eq(jnp.take_along_axis(a, np.array([[-1], [0]]), axis=1), [[20.], [60.]])
    assert np.isnan(float(jnp.take_along_axis(a, np.array([[7], [0]]), axis=1)[0, 0]))
    with pytest.raises(ValueError):
        jnp.take_along_axis(a, np.array([0, 1]), axis=1)


def test_iteration_of_tracer_rows():
    def f(m):
        total = 0.0
        for row in m:
            total = total + row[0]
        return total
    _eq(jax.vmap(f)(jnp.stack([X, 2 * X])), np.stack([XN[:, 0].sum(0), 2 * XN[:, 0].sum(0)]))
