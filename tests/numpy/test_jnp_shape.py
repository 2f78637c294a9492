"""Shape manipulation against NumPy: reshape, transpose, moveaxis, squeeze,
expand_dims, concatenate/stack/*stack, split, tile, repeat, flip, roll,
broadcast_*, atleast_*d, pad, where/select/clip, nonzero."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src.errors import ConcretizationTypeError
from purejax.test_util import check_grads

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)



def _eq(got, expected):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("fn, args", [
    ("reshape", ((6, 4),)), ("reshape", ((-1,),)), ("reshape", ((4, -1, 2),)),
    ("ravel", ()), ("transpose", ()), ("transpose", ((1, 0, 2),)), ("transpose", ((-1, 0, 1),)),
    ("moveaxis", (0, -1)), ("moveaxis", ((0, 1), (2, 0))), ("swapaxes", (0, 2)),
    ("expand_dims", (0,)), ("expand_dims", ((0, 3),)), ("expand_dims", (-1,)),
    ("flip", ()), ("flip", (1,)), ("flip", ((0, 2),)), ("roll", (2,)), ("roll", (-1, 1)),
    ("roll", ((1, 2), (0, 2))), ("tile", (2,)), ("tile", ((2, 1, 1, 2),)),
    ("repeat", (2,)), ("repeat", (3, 1)), ("repeat", (np.array([1, 0, 2]), 1)),
    ("broadcast_to", ((3, 2, 3, 4),)), ("rot90", ()), ("rot90", (3, (1, 2))),
    ("atleast_1d", ()), ("atleast_2d", ()), ("atleast_3d", ()),
])
def test_against_numpy(fn, args):
    _eq(getattr(jnp, fn)(jnp.array(X), *args), getattr(np, fn)(X, *args))


def test_reshape_order_f_and_errors():
    _eq(jnp.reshape(jnp.array(X), (4, 6), order="F"), np.reshape(X, (4, 6), order="F"))
    with pytest.raises(TypeError):
        jnp.reshape(jnp.array(X), (5, 5))
    with pytest.raises(ValueError):
        jnp.reshape(jnp.array(X), (-1, -1))


def test_squeeze():
    y = np.ones((1, 3, 1, 2), np.float32)
    _eq(jnp.squeeze(y), np.squeeze(y))
    _eq(jnp.squeeze(y, 2), np.squeeze(y, 2))
    _eq(jnp.squeeze(y, (0, -2)), np.squeeze(y, (0, -2)))
    with pytest.raises(ValueError, match="cannot select an axis"):
        jnp.squeeze(y, 1)


def test_small_rank_atleast():
    for v in (1.0, [1., 2.], [[1.]]):
        for fn in ("atleast_1d", "atleast_2d", "atleast_3d"):
            _eq(getattr(jnp, fn)(v), getattr(np, fn)(v))
    a, b = jnp.atleast_1d(1.0, [2., 3.])
    _eq(a, [1.]) and _eq(b, [2., 3.])


def test_concatenate_stack_family():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(6, 12).reshape(2, 3).astype(np.int32)
    _eq(jnp.concatenate([a, b]), np.concatenate([a, b]))
    _eq(jnp.concatenate([a, b], axis=1), np.concatenate([a, b], axis=1))
    _eq(jnp.concatenate([a, b], axis=None), np.concatenate([a, b], axis=None))
    assert jnp.concatenate([jnp.array(a), jnp.array(b)]).dtype == np.float32
    assert jnp.concatenate([b, b], dtype=jnp.float32).dtype == np.float32
    _eq(jnp.concatenate(jnp.array(a)), np.concatenate(a))
    _eq(jnp.stack([a, a]), np.stack([a, a]))
    _eq(jnp.stack([a, a], axis=-1), np.stack([a, a], axis=-1))
    _eq(jnp.hstack([a, a]), np.hstack([a, a]))
    _eq(jnp.hstack([np.ones(2), np.zeros(3)]), np.hstack([np.ones(2), np.zeros(3)]))
    _eq(jnp.vstack([a, a[0]]), np.vstack([a, a[0]]))
    _eq(jnp.dstack([a, a]), np.dstack([a, a]))
    _eq(jnp.column_stack([np.ones(2), np.zeros(2)]), np.column_stack([np.ones(2), np.zeros(2)]))
    with pytest.raises(ValueError):
        jnp.concatenate([])
    with pytest.raises(ValueError):
        jnp.concatenate([jnp.ones(()), jnp.ones(())])
    with pytest.raises(ValueError):
        jnp.stack([jnp.ones(2), jnp.ones(3)])
    with pytest.raises(ValueError):
        jnp.concatenate([jnp.ones((2, 3)), jnp.ones((2, 4))])
    check_grads(lambda x, y: jnp.concatenate([x, y * 2], axis=1),
                (jnp.array(a), jnp.array(a)), order=1)


def test_split():
    x = np.arange(10, dtype=np.float32)
    for ios in (2, 5, [3, 7], [3, 20], [-2]):
        got = jnp.split(x, ios)
        exp = np.split(x, ios)
        assert len(got) == len(exp)
        for g, e in zip(got, exp):
            _eq(g, e)
    for g, e in zip(jnp.array_split(x, 3), np.array_split(x, 3)):
        _eq(g, e)
    for g, e in zip(jnp.split(X, 2, axis=2), np.split(X, 2, axis=2)):
        _eq(g, e)
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(x, 3)


def test_repeat_and_tile_edges():
    x = np.array([[1, 2], [3, 4]], np.int32)
    _eq(jnp.repeat(x, 2), np.repeat(x, 2))
    _eq(jnp.repeat(x, np.array([1, 3]), axis=0), np.repeat(x, [1, 3], axis=0))
    _eq(jnp.repeat(x, 2, axis=1, total_repeat_length=3), np.repeat(x, 2, axis=1)[:, :3])
    _eq(jnp.tile(x, (2, 1)), np.tile(x, (2, 1)))
    _eq(jnp.tile(1.0, 3), np.tile(1.0, 3))
    check_grads(lambda v: jnp.tile(jnp.repeat(v, 2), 2), (jnp.array([1., 2.]),), order=1)


def test_roll_traced_shift():
    x = np.arange(5, dtype=np.float32)
    f = jax.jit(lambda v, s: jnp.roll(v, s)) if hasattr(jax, "jit") else None
    for s in (0, 2, -1, 7):
        _eq(jnp.roll(x, s), np.roll(x, s))
        if f is not None:
            _eq(f(x, s), np.roll(x, s))
    _eq(jnp.roll(X, 3), np.roll(X, 3))


def test_broadcast_functions():
    a, b = jnp.broadcast_arrays(jnp.ones((3, 1)), jnp.arange(4.))
    assert a.shape == b.shape == (3, 4)
    _eq(b, np.broadcast_to(np.arange(4.), (3, 4)))
    assert jnp.broadcast_shapes((3, 1), (4,), ()) == (3, 4)
    with pytest.raises(ValueError):
        jnp.broadcast_to(jnp.ones(3), (4,))
    with pytest.raises(ValueError):
        jnp.broadcast_shapes((2,), (3,))
    check_grads(lambda v: jnp.broadcast_to(v, (2, 3)) * jnp.arange(3.), (jnp.ones(3),),
                order=1)


@pytest.mark.parametrize("pad_width", [1, (1, 2), ((0, 1), (2, 0), (1, 1)), [[2, 1]]])
@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad(pad_width, mode):
    _eq(jnp.pad(jnp.array(X), pad_width, mode=mode), np.pad(X, pad_width, mode=mode))


def test_pad_constant_values_and_long_reflect():
    x = np.arange(3, dtype=np.float32)
    _eq(jnp.pad(x, 2, constant_values=-1), np.pad(x, 2, constant_values=-1))
    _eq(jnp.pad(x, (1, 2), constant_values=(5, 6)), np.pad(x, (1, 2), constant_values=(5, 6)))
    _eq(jnp.pad(x, 7, mode="reflect"), np.pad(x, 7, mode="reflect"))
    _eq(jnp.pad(x, 7, mode="symmetric"), np.pad(x, 7, mode="symmetric"))
    _eq(jnp.pad(x, 7, mode="wrap"), np.pad(x, 7, mode="wrap"))
    assert jnp.pad(jnp.arange(3), 1).dtype == np.int32
    with pytest.raises(ValueError):
        jnp.pad(x, -1)
    with pytest.raises(NotImplementedError):
        jnp.pad(x, 1, mode="median")
    check_grads(lambda v: jnp.pad(v, 2, mode="reflect") ** 2, (jnp.array(x),), order=1)


def test_where_three_args():
    c = np.array([True, False, True])
    _eq(jnp.where(c, 1.0, jnp.array([5., 6., 7.])), np.where(c, 1.0, [5., 6., 7.]))
    _eq(jnp.where(np.array([[1], [0]]), np.ones(3), 0), np.where([[1], [0]], np.ones(3), 0))
    assert jnp.where(c, 1, 2.5).dtype == np.float32
    assert jnp.where(True, jnp.int8(1), 2).dtype == np.int8
    with pytest.raises(ValueError, match="Either both or neither"):
        jnp.where(c, 1.0)


def test_where_nan_semantics():
    f = lambda x: jnp.where(x > 0, jnp.log(x), 0.0)
    x = jnp.array([-1., 0., 2.])
    val = f(x)
    _eq(val, [0., 0., np.log(2.)])                 # NaN of log(-1) does not leak
    g = jax.grad(lambda x: jnp.sum(f(x)))(x)
    assert np.isnan(np.asarray(g)[1])  # ...but its gradient does: 0 * (1/0)
    safe = lambda x: jnp.where(x > 0, jnp.log(jnp.where(x > 0, x, 1.0)), 0.0)
    _eq(jax.grad(lambda x: jnp.sum(safe(x)))(x), [0., 0., 0.5])


def test_where_one_arg_and_nonzero():
    x = np.array([[0, 1, 0], [2, 0, 3]])
    for g, e in zip(jnp.where(x), np.where(x)):
        _eq(g, e)
        assert g.dtype == np.int32
    for g, e in zip(jnp.nonzero(x), np.nonzero(x)):
        _eq(g, e)
    r, c = jnp.nonzero(x, size=4, fill_value=-1)
    _eq(r, [0, 1, 1, -1])
    _eq(c, [1, 0, 2, -1])
    _eq(jnp.flatnonzero(x), np.flatnonzero(x))
    _eq(jnp.argwhere(x), np.argwhere(x))
    with pytest.raises(ConcretizationTypeError, match="size argument"):
        jax.make_jaxpr(lambda v: jnp.nonzero(v))(x)
    traced = jax.vmap(lambda v: jnp.nonzero(v, size=2, fill_value=9)[0])(x)
    _eq(traced, [[1, 9], [0, 2]])
    with pytest.raises(ConcretizationTypeError):
        jax.make_jaxpr(lambda v: jnp.where(v))(x)


def test_select():
    x = np.arange(6, dtype=np.float32)
    conds = [x < 2, x > 3]
    choices = [x, x ** 2]
    _eq(jnp.select(conds, choices, default=-1.), np.select(conds, choices, default=-1.))
    _eq(jnp.select([x < 10, x > 3], [x, -x]), np.select([x < 10, x > 3], [x, -x]))
    with pytest.raises(ValueError):
        jnp.select([x < 2], [])


def test_clip():
    x = np.linspace(-2, 2, 9).astype(np.float32)
    _eq(jnp.clip(x, -1, 1), np.clip(x, -1, 1))
    _eq(jnp.clip(x, min=0.5), np.clip(x, 0.5, None))
    _eq(jnp.clip(x, max=0.5), np.clip(x, None, 0.5))
    _eq(jnp.clip(x, a_min=-0.5, a_max=0.5), np.clip(x, -0.5, 0.5))
    _eq(jnp.clip(x, np.zeros(9), 1), np.clip(x, 0, 1))
    assert jnp.clip(jnp.arange(5), 1, 3).dtype == np.int32
    assert jnp.clip(jnp.arange(5), 1.5, 3).dtype == np.float32
    with pytest.raises(ValueError, match="Complex values"):
        jnp.clip(jnp.array([1j]), 0, 1)
    g = jax.grad(lambda v: jnp.sum(jnp.clip(v, -1., 1.)))(jnp.array([-2., 0., 2.]))
    _eq(g, [0., 1., 0.])


def test_meshgrid_indices_unravel():
    for g, e in zip(jnp.meshgrid(np.arange(3), np.arange(2)), np.meshgrid(np.arange(3),
                                                                             np.arange(2))):
        _eq(g, e)
    for g, e in zip(jnp.meshgrid(np.arange(3), np.arange(2), indexing="ij"),
                    np.meshgrid(np.arange(3), np.arange(2), indexing="ij")):
        _eq(g, e)
    _eq(jnp.indices((2, 3)), np.indices((2, 3)))
    for g, e in zip(jnp.unravel_index(jnp.array([0, 5, 7]), (2, 4)),
                    np.unravel_index([0, 5, 7], (2, 4))):
        _eq(g, e)
    _eq(jnp.ravel_multi_index((jnp.array([1, 0]), jnp.array([2, 3])), (2, 4), mode="clip"),
        np.ravel_multi_index(([1, 0], [2, 3]), (2, 4)))


def test_shape_functions_under_vmap_and_grad():
    f = lambda v: jnp.moveaxis(jnp.flip(v.reshape(3, 4), 1), 0, 1).ravel()
    x = jnp.arange(12.)
    out = jax.vmap(f)(jnp.stack([x, 2 * x]))
    _eq(out[1], 2 * np.moveaxis(np.flip(np.arange(12.).reshape(3, 4), 1), 0, 1).ravel())
    check_grads(lambda v: f(v) * jnp.arange(12.), (x,), order=2)
