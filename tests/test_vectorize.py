"""jnp.vectorize: broadcasting of loop dimensions by nested vmaps, gufunc signatures
(core dimensions, several outputs), excluded arguments, composition with jit/grad/vmap,
and JAX 0.10.2's errors for bad signatures and shapes."""
import warnings

import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax._src.config import numpy_rank_promotion
from purejax.test_util import check_grads

rng = np.random.RandomState(0)
A = rng.randn(2, 3).astype(np.float32)
B = rng.randn(3).astype(np.float32)
C = rng.randn(4, 1, 3).astype(np.float32)


def test_scalar_function_broadcasts():
    calls = []

    def f(x, y):
        calls.append((x.shape, y.shape))
        return jnp.sin(x) * y + 1

    vf = jnp.vectorize(f)
    out = vf(C, A)
    assert out.shape == (4, 2, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, np.sin(C) * A + 1, rtol=1e-6)
    assert calls[-1] == ((), ())  # pyfunc sees scalars
    out = vf(1.0, 2)
    assert out.shape == () and out.weak_type  # JAX 0.10.2: weak float32
    # size-1 loop dimensions are squeezed, then put back
    out = vf(np.ones((1, 3, 1), np.float32), np.ones((1, 1, 1), np.float32))
    assert out.shape == (1, 3, 1)
    np.testing.assert_allclose(out, np.sin(1.0) + 1, rtol=1e-6)
    assert vf.__name__ == "f"


def test_signature_core_dims():
    matvec = jnp.vectorize(lambda m, v: m @ v, signature="(n,k),(k)->(n)")
    m = rng.randn(4, 2, 3).astype(np.float32)
    v = rng.randn(5, 1, 3).astype(np.float32)
    out = matvec(m, v)
    assert out.shape == (5, 4, 2)
    expected = np.stack([[m[j] @ v[i, 0] for j in range(4)] for i in range(5)])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    two = jnp.vectorize(lambda m, v: (m @ v, v * 2), signature="(n,k),(k)->(n),(k)")
    o1, o2 = two(m, B)
    assert o1.shape == (4, 2) and o2.shape == (4, 3)
    o1, o2 = two(m[:1], B[None])
    assert o1.shape == (1, 2) and o2.shape == (1, 3)
    # an output core dimension not among the inputs' is free
    free = jnp.vectorize(lambda x: jnp.stack([x.sum(), x.max(), x.min()]),
                         signature="(n)->(m)")
    assert free(A).shape == (2, 3)
    np.testing.assert_allclose(jnp.vectorize(jnp.sum, signature="(n)->()")(A), A.sum(1),
                               rtol=1e-6)


def test_excluded_arguments():
    f = jnp.vectorize(lambda x, p, scale=1.0: jnp.sum(x ** p) * scale, signature="(n)->()",
                      excluded={1, "scale"})
    np.testing.assert_allclose(f(A, 2, scale=3.0), (A ** 2).sum(1) * 3, rtol=1e-5)
    g = jnp.vectorize(lambda x, p: x * len(p), excluded={1})
    np.testing.assert_allclose(g(A, [1, 2]), A * 2)
    with pytest.raises(ValueError, match=r"excluded=\{-1\} contains negative numbers"):
        jnp.vectorize(lambda x: x, excluded={-1})
    with pytest.raises(TypeError, match="can only exclude integer or string arguments"):
        jnp.vectorize(lambda x: x, excluded={1.5})
    # None arguments (not first) are passed through, as JAX
    h = jnp.vectorize(lambda x, y: x if y is None else x + y)
    np.testing.assert_array_equal(h(A, None), A)
    h = jnp.vectorize(lambda x, y: x if y is None else x + y, signature="(n),(n)->(n)")
    with pytest.raises(ValueError, match=r"Cannot pass None at locations \{1\}"):
        h(A, None)


def test_composes_with_transformations():
    f = jnp.vectorize(lambda x, y: jnp.sin(x) * y)
    np.testing.assert_allclose(jax.jit(f)(C, A), np.sin(C) * A, rtol=1e-6)
    np.testing.assert_allclose(jax.vmap(f)(C, C), np.sin(C) * C, rtol=1e-6)
    gx = jax.grad(lambda x, y: jnp.sum(f(x, y)))(A, B)
    np.testing.assert_allclose(gx, np.cos(A) * B, rtol=1e-6)
    check_grads(f, (A, B), order=2, rtol=2e-2)
    matvec = jnp.vectorize(lambda m, v: m @ v, signature="(n,k),(k)->(n)")
    check_grads(matvec, (rng.randn(4, 2, 3).astype(np.float32), B), order=2, rtol=2e-2)
    # JAX 0.10.2: grad of a stacked output
    stack = jnp.vectorize(lambda x: jnp.stack([x, 2 * x]))
    assert float(jax.grad(jax.grad(lambda x: jnp.sum(stack(x) ** 3)))(0.5)) == 27.0


CTX = "on vectorized function with excluded=frozenset() and signature="


def test_errors_match_jax():
    matvec = jnp.vectorize(lambda m, v: m @ v, signature="(n,k),(k)->(n)")
    sig = "'(n,k),(k)->(n)'"
    with pytest.raises(ValueError) as e:
        matvec(B, B)
    assert str(e.value) == ("input with shape (3,) does not have enough dimensions for all "
                            f"core dimensions ('n', 'k') {CTX}{sig}")
    with pytest.raises(ValueError) as e:
        matvec(A, np.ones(4, np.float32))
    assert str(e.value) == f"inconsistent size for core dimension 'k': 4 vs 3 {CTX}{sig}"
    with pytest.raises(TypeError) as e:
        matvec(A)
    assert str(e.value) == f"wrong number of positional arguments: expected 2, got 1 {CTX}{sig}"
    with pytest.raises(ValueError, match=r"Incompatible shapes for broadcasting: "
                                         r"shapes=\[\(4,\), \(5,\)\]"):
        matvec(rng.randn(4, 2, 3), rng.randn(5, 3))
    bad_out = jnp.vectorize(lambda m, v: m @ v, signature="(n,k),(k)->(n,k)")
    with pytest.raises(ValueError) as e:
        bad_out(A, B)
    assert str(e.value) == ("output shape (2,) does not match core dimensions ('n', 'k') "
                            f"{CTX}'(n,k),(k)->(n,k)'")
    with pytest.raises(TypeError, match="output must be a tuple when multiple outputs"):
        jnp.vectorize(lambda m, v: m @ v, signature="(n,k),(k)->(n),(k)")(A, B)
    with pytest.raises(TypeError, match="wrong number of output arguments: expected 2, got 1"):
        jnp.vectorize(lambda m, v: (m @ v,), signature="(n,k),(k)->(n),(k)")(A, B)
    for bad in ["(n)->", "(n),->(n)", "n->n", "(n)->(n", "(n) -> (n)", "(n,)->(n)"]:
        with pytest.raises(ValueError) as e:
            jnp.vectorize(lambda x: x, signature=bad)(B)
        assert str(e.value) == f"not a valid gufunc signature: {bad}"
    np.testing.assert_array_equal(jnp.vectorize(lambda x: x, signature="()->()")(B), B)


def test_rank_promotion_config():
    f = jnp.vectorize(lambda x, y: x + y)
    with numpy_rank_promotion("raise"):
        with pytest.raises(ValueError, match=r"operands with shapes \[\(2, 3\), \(3,\)\] "
                                             "require rank promotion for jnp.vectorize"):
            f(A, B)
        f(A, 1.0)  # scalars do not count
    with numpy_rank_promotion("warn"):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            f(A, B)
        assert any("require rank promotion" in str(x.message) for x in w)
