"""dot, vdot, matmul, inner, outer, tensordot, kron and einsum against NumPy, with
dtypes, batching/broadcasting rules and derivatives."""
import numpy as np
import pytest

import purejax as jax
import purejax.numpy as jnp
from purejax.test_util import check_grads

rng = np.random.default_rng(0)


def _r(*shape):
    return rng.standard_normal(shape).astype(np.float32)



def _close(got, expected, rtol=1e-5, atol=1e-5):
    got = np.asarray(got)
    assert got.shape == np.shape(expected), (got.shape, np.shape(expected))
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3, 4), (4,)),
    ((2, 3, 4), (5, 4, 2)), ((), (3,)), ((2, 3), ()),
])
def test_dot(sa, sb):
    a, b = _r(*sa), _r(*sb)
    _close(jnp.dot(a, b), np.dot(a, b))


@pytest.mark.parametrize("sa, sb", [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)),
    ((1, 2, 3), (5, 3, 4)), ((6, 1, 2, 3), (5, 3, 4)), ((5, 2, 3), (3,)), ((3,), (7, 3, 2)),
    ((2, 1, 2, 3), (1, 4, 3, 2)),
])
def test_matmul(sa, sb):
    a, b = _r(*sa), _r(*sb)
    _close(jnp.matmul(a, b), np.matmul(a, b))
    _close(jnp.array(a) @ b, a @ b)


def test_matmul_errors_and_dtypes():
    with pytest.raises(ValueError):
        jnp.matmul(jnp.ones(3), 2.0)
    with pytest.raises(TypeError):  # a core-dimension mismatch is a TypeError in JAX
        jnp.matmul(jnp.ones((2, 3)), jnp.ones((4, 2)))
    with pytest.raises(ValueError):
        jnp.matmul(jnp.ones((2, 2, 3)), jnp.ones((3, 3, 2)))
    assert jnp.matmul(jnp.ones((2, 2), jnp.int32), jnp.ones((2, 2), jnp.int8)).dtype == np.int32
    assert jnp.dot(jnp.ones(2, jnp.int32), jnp.ones(2)).dtype == np.float32
    out = jnp.dot(jnp.ones(2, jnp.int8), jnp.ones(2, jnp.int8),
                  preferred_element_type=jnp.int32)
    assert out.dtype == np.int32 and int(out) == 2
    i = jnp.array([[1, 2], [3, 4]])
    _close(i @ i, np.array([[7, 10], [15, 22]]))


def test_vdot_inner_outer_kron_tensordot():
    a, b = _r(2, 3), _r(2, 3)
    _close(jnp.vdot(a, b), np.vdot(a, b))
    z = np.array([1 + 2j, 3 - 1j], np.complex64)
    _close(jnp.vdot(z, z), np.vdot(z, z))
    _close(jnp.inner(a, b), np.inner(a, b))
    _close(jnp.inner(a, 2.0), np.inner(a, 2.0))
    v, w = _r(3), _r(3)
    _close(jnp.inner(v, w), np.inner(v, w))
    _close(jnp.outer(a, b[0]), np.outer(a, b[0]))
    _close(jnp.kron(a, b), np.kron(a, b))
    _close(jnp.kron(a[0], b), np.kron(a[0], b))
    c, d = _r(2, 3, 4), _r(4, 3, 5)
    _close(jnp.tensordot(c, d, axes=([1, 2], [1, 0])), np.tensordot(c, d, axes=([1, 2], [1, 0])))
    f = _r(4, 5)
    _close(jnp.tensordot(c, f, axes=1), np.tensordot(c, f, axes=1))
    e = _r(3, 4)
    _close(jnp.tensordot(c, e, axes=2), np.tensordot(c, e, axes=2))
    _close(jnp.tensordot(a, b.T, axes=(1, 0)), np.tensordot(a, b.T, axes=(1, 0)))
    _close(jnp.tensordot(a, b, axes=0), np.tensordot(a, b, axes=0))
    with pytest.raises(TypeError):
        jnp.tensordot(c, d, axes=5)


EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(3,), (4,)]), ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("ij->ji", [(2, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]), ("iij->ij", [(3, 3, 2)]), ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...i,...i->...", [(2, 5, 3), (5, 3)]), ("i...->...", [(2, 3, 4)]),
    ("ijk,ikl->jl", [(2, 3, 4), (2, 4, 5)]), ("ab,cd->abcd", [(2, 3), (4, 5)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), ("ij,ji->", [(2, 3), (3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("i,i,i->i", [(3,), (3,), (3,)]),
    ("abc,cd,db->a", [(2, 3, 4), (4, 5), (5, 3)]), ("ij,j->i", [(2, 3), (3,)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]), ("i,i", [(4,), (4,)]), ("iji->j", [(3, 2, 3)]),
    ("...ii->...i", [(4, 3, 3)]), ("ij...,jk...->ik...", [(2, 3, 5), (3, 4, 5)]),
    ("bi,bi->b", [(1, 3), (4, 3)]),
]


@pytest.mark.parametrize("subscripts, shapes", EINSUM_CASES,
                         ids=[c[0] for c in EINSUM_CASES])
def test_einsum(subscripts, shapes):
    ops = [_r(*s) for s in shapes]
    _close(jnp.einsum(subscripts, *ops), np.einsum(subscripts, *ops), rtol=1e-4, atol=1e-4)
    _close(jnp.einsum(subscripts, *ops, optimize=True), np.einsum(subscripts, *ops),
           rtol=1e-4, atol=1e-4)


def test_einsum_interleaved_and_dtypes():
    a, b = _r(2, 3), _r(3, 4)
    _close(jnp.einsum(a, [0, 1], b, [1, 2], [0, 2]), a @ b)
    out = jnp.einsum("ij,jk->ik", jnp.ones((2, 3), jnp.int32), jnp.ones((3, 2)))
    assert out.dtype == np.float32
    out = jnp.einsum("i,i->", jnp.ones(3, jnp.int8), jnp.ones(3, jnp.int8),
                     preferred_element_type=jnp.int32)
    assert out.dtype == np.int32
    with pytest.raises(ValueError):
        jnp.einsum("ij,jk->ik", a, a)
    with pytest.raises(ValueError):
        jnp.einsum("ij->k", a)
    with pytest.raises(ValueError):
        jnp.einsum("ij,jk", a)


def test_einsum_jaxpr_uses_dot_general():
    jaxpr = jax.make_jaxpr(lambda a, b: jnp.einsum("bij,bjk->bik", a, b))(
        _r(5, 2, 3), _r(5, 3, 4))
    assert [e.primitive.name for e in jaxpr.eqns] == ["dot_general"]


def test_contraction_grads(x64):
    a = jnp.array(_r(2, 3), dtype=jnp.float64)
    b = jnp.array(_r(3, 4), dtype=jnp.float64)
    c = jnp.array(_r(5, 3, 4), dtype=jnp.float64)
    check_grads(jnp.dot, (a, b), order=2)
    check_grads(jnp.matmul, (a, c), order=2)
    check_grads(lambda x, y: jnp.einsum("ij,bjk->bik", x, y), (a, c), order=2)
    check_grads(lambda x: jnp.einsum("ii->", x), (jnp.array(_r(3, 3), jnp.float64),), order=2)
    check_grads(lambda x, y: jnp.tensordot(x, y, axes=([0], [0])), (a, a), order=1)
    check_grads(jnp.outer, (a[0], b[0]), order=1)
    check_grads(jnp.kron, (a, a), order=1)


def test_contractions_under_vmap():
    a, b = _r(4, 2, 3), _r(4, 3)
    _close(jax.vmap(jnp.dot)(a, b), np.einsum("bij,bj->bi", a, b))
    _close(jax.vmap(lambda x, y: jnp.einsum("ij,j->i", x, y))(a, b),
           np.einsum("bij,bj->bi", a, b))
