"""The Array type as users see it: repr, immutability, NumPy interop, operators and
methods (shared with tracers)."""
import operator

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
import purejax._src.numpy.array_methods  # noqa: F401
from purejax._src.array import Array
from purejax._src.core import Tracer


# ---------------------------------------------------------------------------
# repr / str

@pytest.mark.parametrize("make, expected", [
    (lambda: jnp.array(3.0485873), "Array(3.0485873, dtype=float32, weak_type=True)"),
    (lambda: jnp.array([1., 2.]), "Array([1., 2.], dtype=float32)"),
    (lambda: jnp.array([1, 2, 3]), "Array([1, 2, 3], dtype=int32)"),
    (lambda: jnp.array(3), "Array(3, dtype=int32, weak_type=True)"),
    (lambda: jnp.array([True, False]), "Array([ True, False], dtype=bool)"),
    (lambda: jnp.array(True), "Array(True, dtype=bool)"),
    (lambda: jnp.array([[1., 2.], [3., 4.]]),
     "Array([[1., 2.],\n       [3., 4.]], dtype=float32)"),
    (lambda: jnp.zeros((0, 2)), "Array([], shape=(0, 2), dtype=float32)"),
    (lambda: jnp.sin(1.0) * 0 + jnp.float32(2), "Array(2., dtype=float32)"),
])
def test_repr(make, expected):
    assert repr(make()) == expected


def test_str_and_format():
    x = jnp.array([1., 2.])
    assert str(x) == "[1. 2.]"
    assert f"{jnp.array(1.5):.2f}" == "1.50"


# ---------------------------------------------------------------------------
# immutability and NumPy interop

def test_item_assignment_raises_with_at_hint():
    x = jnp.zeros(3)
    with pytest.raises(TypeError, match=r"immutable.*x\.at\[idx\]\.set\(y\)"):
        x[0] = 1.0
    with pytest.raises(TypeError):
        del x[0]


def test_asarray_is_zero_copy_and_read_only():
    x = jnp.arange(4.)
    a = np.asarray(x)
    assert np.shares_memory(a, np.asarray(x))
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0] = 5.0


def test_array_copies_numpy_input():
    n = np.array([1., 2.], np.float32)
    x = jnp.array(n)
    n[0] = 100.0
    assert float(x[0]) == 1.0
    assert n.flags.writeable
    y = jnp.asarray(n)
    n[1] = 50.0
    assert float(y[1]) == 2.0


def test_hash_is_an_error_because_eq_is_elementwise():
    x = jnp.array([1, 2])
    with pytest.raises(TypeError):
        hash(x)
    np.testing.assert_array_equal(x == jnp.array([1, 3]), [True, False])


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.truediv,
                                operator.pow, operator.eq, operator.lt, operator.ge])
def test_numpy_operand_on_either_side_gives_purejax_array(op):
    x = jnp.array([1., 2., 3.])
    n = np.array([2., 2., 2.], np.float32)
    for a, b in ((x, n), (n, x), (np.float32(2), x), (x, np.float32(2))):
        out = op(a, b)
        assert isinstance(out, Array), (op, type(a), type(b))
        np.testing.assert_allclose(np.asarray(out), op(np.asarray(a), np.asarray(b)),
                                   rtol=1e-6)


def test_numpy_functions_return_numpy_arrays():
    x = jnp.array([0., 1.])
    out = np.sin(x)
    assert type(out) is np.ndarray
    np.testing.assert_allclose(out, np.sin([0., 1.]), rtol=1e-6)


def test_numpy_float64_operand_keeps_float32():
    x = jnp.array([1., 2.])
    assert (x + np.ones(2)).dtype == np.float32
    assert (np.ones(2) * x).dtype == np.float32


# ---------------------------------------------------------------------------
# operators

_BINOPS = [
    (operator.add, "add"), (operator.sub, "sub"), (operator.mul, "mul"),
    (operator.truediv, "truediv"), (operator.floordiv, "floordiv"), (operator.mod, "mod"),
    (operator.pow, "pow"),
]


@pytest.mark.parametrize("op, name", _BINOPS)
def test_arithmetic_with_python_scalars_both_sides(op, name):
    xn = np.array([-3.5, -1., 0.5, 2., 7.25], np.float32)
    x = jnp.array(xn)
    for s in ((2, 0.5, 1.5) if name == "pow" else (2, -3.0, 1.5)):
        if name == "pow":
            base = np.abs(xn) + 0.5
            xs, xsn = jnp.array(base), base
        else:
            xs, xsn = x, xn
        for got, exp in ((op(xs, s), op(xsn, np.float32(s))), (op(s, xs), op(np.float32(s), xsn))):
            assert got.dtype == np.float32
            assert not got.weak_type
            np.testing.assert_allclose(np.asarray(got), exp, rtol=1e-5, atol=1e-6)


def test_integer_operators_python_semantics():
    a = jnp.array([-7, -3, 0, 3, 7])
    an = np.array([-7, -3, 0, 3, 7])
    for b in (2, -2, 3):
        np.testing.assert_array_equal(a // b, an // b)
        np.testing.assert_array_equal(a % b, an % b)
        np.testing.assert_array_equal(b // jnp.array([1, -2, 3]), b // np.array([1, -2, 3]))
    assert (a // 2).dtype == np.int32
    np.testing.assert_array_equal(a ** 2, an ** 2)
    np.testing.assert_array_equal(2 ** jnp.array([0, 1, 5]), [1, 2, 32])


def test_bitwise_and_shift_operators():
    a = jnp.array([0b1100, 0b1010], dtype=jnp.int32)
    b = jnp.array([0b1010, 0b0110], dtype=jnp.int32)
    an, bn = np.asarray(a), np.asarray(b)
    np.testing.assert_array_equal(a & b, an & bn)
    np.testing.assert_array_equal(a | b, an | bn)
    np.testing.assert_array_equal(a ^ b, an ^ bn)
    np.testing.assert_array_equal(~a, ~an)
    np.testing.assert_array_equal(a << 1, an << 1)
    np.testing.assert_array_equal(a >> 2, an >> 2)
    np.testing.assert_array_equal(1 << jnp.array([1, 2]), [2, 4])
    np.testing.assert_array_equal(3 & a, 3 & an)
    np.testing.assert_array_equal(jnp.array([True, False]) & True, [True, False])
    np.testing.assert_array_equal(~jnp.array([True, False]), [False, True])


def test_unary_operators_and_abs():
    x = jnp.array([-1.5, 2.0])
    np.testing.assert_array_equal(-x, [1.5, -2.0])
    np.testing.assert_array_equal(+x, [-1.5, 2.0])
    np.testing.assert_array_equal(abs(x), [1.5, 2.0])
    assert abs(jnp.array(-3)).dtype == np.int32


def test_comparisons_and_reflected_comparisons():
    x = jnp.array([1., 2., 3.])
    np.testing.assert_array_equal(x < 2, [True, False, False])
    np.testing.assert_array_equal(2 < x, [False, False, True])
    np.testing.assert_array_equal(x >= 2, [False, True, True])
    np.testing.assert_array_equal(x != 2, [True, False, True])
    np.testing.assert_array_equal(np.array([3., 2., 1.]) > x, [True, False, False])
    assert (x == 2).dtype == np.bool_


def test_matmul_operator():
    a = jnp.array([[1., 2.], [3., 4.]])
    v = np.array([1., -1.], np.float32)
    np.testing.assert_allclose(a @ a, np.asarray(a) @ np.asarray(a))
    np.testing.assert_allclose(a @ v, np.asarray(a) @ v)
    assert isinstance(v @ a, Array)
    np.testing.assert_allclose(v @ a, v @ np.asarray(a))


def test_divmod_and_round():
    q, r = divmod(jnp.array([7, -7]), 2)
    np.testing.assert_array_equal(q, [3, -4])
    np.testing.assert_array_equal(r, [1, 1])
    q, r = divmod(7.5, jnp.array([2.0]))
    np.testing.assert_allclose(q, [3.0])
    np.testing.assert_allclose(r, [1.5])
    assert float(round(jnp.array(2.5))) == 2.0
    np.testing.assert_allclose(round(jnp.array([1.256, 2.5]), 1), [1.3, 2.5], rtol=1e-6)


def test_rejected_operand_types():
    x = jnp.array([1., 2.])
    with pytest.raises(TypeError, match="unsupported operand"):
        x + [1., 2.]
    with pytest.raises(TypeError, match="unsupported operand"):
        (1., 2.) * x
    with pytest.raises(TypeError):
        x + "a"

    class Other:
        def __radd__(self, other):
            return "deferred"
    assert x + Other() == "deferred"


def test_operators_on_tracers():
    def f(x):
        y = (2 * x + 1) / (x - 5) ** 2
        return (y @ y) + abs(-x).sum() + (x > 0).sum() + x.T.mean()
    x = np.array([1., 2., 3.], np.float32)
    expected = f(jnp.array(x))
    assert np.allclose(jax.jvp(f, (x,), (np.ones(3, np.float32),))[0], expected)
    jaxpr = jax.make_jaxpr(f)(x)
    assert "mul" in str(jaxpr) and "dot_general" in str(jaxpr)
    with pytest.raises(TypeError):
        jax.make_jaxpr(lambda x: hash(x))(x)


# ---------------------------------------------------------------------------
# methods

def test_reduction_methods():
    xn = np.arange(12, dtype=np.float32).reshape(3, 4) - 5
    x = jnp.array(xn)
    np.testing.assert_allclose(x.sum(), xn.sum())
    np.testing.assert_allclose(x.sum(axis=0), xn.sum(axis=0))
    np.testing.assert_allclose(x.mean(1, keepdims=True), xn.mean(1, keepdims=True))
    np.testing.assert_allclose(x.max(), xn.max())
    np.testing.assert_allclose(x.min(axis=1), xn.min(axis=1))
    np.testing.assert_allclose(x.prod(axis=0), xn.prod(axis=0))
    np.testing.assert_allclose(x.std(), xn.std(), rtol=1e-6)
    np.testing.assert_allclose(x.var(axis=0, ddof=1), xn.var(axis=0, ddof=1), rtol=1e-6)
    assert int(x.argmax()) == xn.argmax() and int(x.argmin()) == xn.argmin()
    np.testing.assert_array_equal(x.argmax(axis=1), xn.argmax(axis=1))
    np.testing.assert_allclose(x.cumsum(axis=1), xn.cumsum(axis=1))
    np.testing.assert_allclose(x.cumprod(), xn.cumprod())
    assert bool(x.any()) and not bool(x.all())
    np.testing.assert_array_equal((x > -6).all(axis=0), (xn > -6).all(axis=0))


def test_shape_methods():
    xn = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = jnp.array(xn)
    assert x.reshape(6, 4).shape == (6, 4)
    assert x.reshape((4, -1)).shape == (4, 6)
    np.testing.assert_array_equal(x.reshape(4, 6, order="F"), xn.reshape(4, 6, order="F"))
    np.testing.assert_array_equal(x.transpose(), xn.transpose())
    np.testing.assert_array_equal(x.transpose(1, 0, 2), xn.transpose(1, 0, 2))
    np.testing.assert_array_equal(x.transpose((2, 0, 1)), xn.transpose((2, 0, 1)))
    np.testing.assert_array_equal(x.T, xn.T)
    np.testing.assert_array_equal(x.mT, np.swapaxes(xn, -1, -2))
    np.testing.assert_array_equal(x.swapaxes(0, 2), xn.swapaxes(0, 2))
    np.testing.assert_array_equal(x.ravel(), xn.ravel())
    np.testing.assert_array_equal(x.flatten(), xn.flatten())
    assert x[:, :1].squeeze().shape == (2, 4)
    assert x[:, :1].squeeze(1).shape == (2, 4)
    assert jnp.ones(3).T.shape == (3,)


def test_misc_methods():
    x = jnp.array([[1.4, -2.6], [3.5, 0.5]])
    xn = np.asarray(x)
    np.testing.assert_array_equal(x.astype(jnp.int32), xn.astype(np.int32))
    assert x.astype("float16").dtype == np.float16
    np.testing.assert_allclose(x.clip(-1, 1), np.clip(xn, -1, 1))
    np.testing.assert_allclose(x.clip(max=0.), np.clip(xn, None, 0.))
    np.testing.assert_allclose(x.round(), np.round(xn))
    np.testing.assert_allclose(x.dot(x), xn.dot(xn), rtol=1e-6)
    np.testing.assert_array_equal(x.take(jnp.array([0, 3])), xn.take([0, 3]))
    np.testing.assert_array_equal(x.take(jnp.array([1]), axis=1), xn.take([1], axis=1))
    np.testing.assert_array_equal(x.diagonal(), xn.diagonal())
    np.testing.assert_allclose(x.trace(), xn.trace())
    assert x.item(0) == xn.item(0)
    assert x.tolist() == xn.tolist()
    c = jnp.array([1 + 2j, 3 - 1j])
    np.testing.assert_array_equal(c.conj(), np.conj(np.asarray(c)))
    np.testing.assert_array_equal(c.conjugate(), np.conj(np.asarray(c)))
    np.testing.assert_array_equal(c.real, [1., 3.])
    np.testing.assert_array_equal(c.imag, [2., -1.])
    np.testing.assert_array_equal(x.real, xn)
    np.testing.assert_array_equal(x.imag, np.zeros_like(xn))
    assert x.__array_namespace__() is jnp


def test_at_property_and_ops():
    x = jnp.arange(5.)
    np.testing.assert_array_equal(x.at[1].set(10.), [0., 10., 2., 3., 4.])
    np.testing.assert_array_equal(x.at[jnp.array([0, 0, 2])].add(1.), [2., 1., 3., 3., 4.])
    np.testing.assert_array_equal(x.at[1:3].multiply(2.), [0., 2., 4., 3., 4.])
    np.testing.assert_array_equal(x.at[1:3].mul(2.), [0., 2., 4., 3., 4.])
    np.testing.assert_allclose(x.at[4].divide(2.), [0., 1., 2., 3., 2.])
    np.testing.assert_allclose(x.at[2].power(3), [0., 1., 8., 3., 4.])
    np.testing.assert_array_equal(x.at[::2].min(1.), [0., 1., 1., 3., 1.])
    np.testing.assert_array_equal(x.at[::2].max(1.), [1., 1., 2., 3., 4.])
    np.testing.assert_array_equal(x.at[3].get(), 3.)
    np.testing.assert_array_equal(x, [0., 1., 2., 3., 4.])  # x itself never changes


def test_iteration_and_len():
    x = jnp.array([[1, 2], [3, 4]])
    rows = list(x)
    assert len(rows) == len(x) == 2
    np.testing.assert_array_equal(rows[1], [3, 4])

    def f(x):
        return sum(r for r in x)
    np.testing.assert_array_equal(jax.vmap(f)(jnp.ones((2, 3, 4))), 3 * np.ones((2, 4)))


def test_methods_exist_on_tracer_class():
    for name in ("sum", "reshape", "at", "T", "__add__", "__radd__", "__getitem__",
                 "astype", "clip", "argmax", "cumsum", "squeeze", "take", "mT"):
        assert hasattr(Tracer, name), name
    assert Tracer.__hash__ is not None


@pytest.mark.parametrize("op", [operator.add, operator.sub, operator.mul, operator.floordiv,
                                operator.mod, operator.pow, operator.and_, operator.or_,
                                operator.xor, operator.lshift, operator.rshift, operator.lt,
                                operator.le, operator.gt, operator.ge, operator.eq,
                                operator.ne])
def test_every_integer_operator_both_sides(op):
    xn = np.array([1, 2, 3, 7], np.int32)
    yn = np.array([3, 1, 2, 2], np.int32)
    x, y = jnp.array(xn), jnp.array(yn)
    for a, b, an, bn in ((x, y, xn, yn), (x, yn, xn, yn), (xn, y, xn, yn), (x, 2, xn, 2),
                         (2, y, 2, yn), (np.int32(3), y, np.int32(3), yn)):
        out = op(a, b)
        assert isinstance(out, Array), (op, type(a), type(b))
        np.testing.assert_array_equal(np.asarray(out), op(an, bn))
        assert out.dtype == np.asarray(op(an, bn)).dtype or out.dtype == np.int32


def test_tracers_are_instances_of_array():
    import purejax as jax
    seen = []
    jax.grad(lambda x: seen.append(isinstance(x, jax.Array)) or x)(1.)
    jax.jit(lambda x: seen.append(isinstance(x, jax.numpy.ndarray)) or x)(1.)
    assert seen == [True, True]
    assert not isinstance(np.ones(2), jax.Array)
