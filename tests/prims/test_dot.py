"""dot_general (prims/linalg.py), driven by a table of contraction layouts: values
against np.einsum over dtypes, derivatives (order 2, both modes, float64), vmap with
either or both operands batched at several axes, staged-vs-eager types; then
preferred_element_type, lax.dot / batch_matmul and error cases."""
import numpy as np
import pytest

import purejax as jax
from purejax._src import lax
from purejax._src.array import Array
from purejax.test_util import check_abstract_eval, check_grads, check_vmap
from _data import rand as _rand  # noqa: E402  (tests/prims/_data.py)

F32, F64, I32, BOOL = np.float32, np.float64, np.int32, np.bool_


pytestmark = pytest.mark.usefixtures("x64")  # tests/conftest.py


def rand(rng, shape, dtype):
    return _rand(rng, shape, dtype, int_bound=4)


# (name, lhs shape, rhs shape, dimension_numbers, einsum spec)
LAYOUTS = [
    ("matmul", (3, 4), (4, 5), (((1,), (0,)), ((), ())), "ik,kj->ij"),
    ("matmul_rhs_T", (3, 4), (5, 4), (((1,), (1,)), ((), ())), "ik,jk->ij"),
    ("matmul_lhs_T", (4, 3), (4, 5), (((0,), (0,)), ((), ())), "ki,kj->ij"),
    ("both_T", (4, 3), (5, 4), (((0,), (1,)), ((), ())), "ki,jk->ij"),
    ("vec_vec", (4,), (4,), (((0,), (0,)), ((), ())), "k,k->"),
    ("mat_vec", (3, 4), (4,), (((1,), (0,)), ((), ())), "ik,k->i"),
    ("vec_mat", (4,), (4, 5), (((0,), (0,)), ((), ())), "k,kj->j"),
    ("outer", (3,), (2,), (((), ()), ((), ())), "i,j->ij"),
    ("scalar_times", (), (2, 3), (((), ()), ((), ())), ",ij->ij"),
    ("rank3_two_contractions", (2, 3, 4), (4, 3, 5), (((1, 2), (1, 0)), ((), ())),
     "ajk,kjb->ab"),
    ("batch_leading", (2, 3, 4), (2, 4, 5), (((2,), (1,)), ((0,), (0,))), "bik,bkj->bij"),
    ("batch_trailing", (4, 3, 2), (2, 5, 4), (((0,), (2,)), ((2,), (0,))), "kib,bjk->bij"),
    ("two_batch_dims", (2, 3, 4, 2), (3, 2, 4), (((2,), (2,)), ((1, 3), (0, 1))),
     "aiKb,ibK->iba"),
    ("batch_and_two_contractions", (3, 2, 4, 6), (4, 7, 2, 3), (((2, 0), (0, 3)), ((1,), (2,))),
     "ibkm,knbi->bmn"),
    ("batch_only", (2, 3), (2, 4), (((), ()), ((0,), (0,))), "bi,bj->bij"),
]
LAYOUT_IDS = [name for name, *_ in LAYOUTS]


def dot_fn(dn):
    return lambda a, b: lax.dot_general(a, b, dn)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
@pytest.mark.parametrize("dtype", [F32, F64, I32, BOOL], ids=lambda d: np.dtype(d).name)
def test_values(layout, dtype):
    name, ls, rs, dn, spec = layout
    rng = np.random.default_rng(0)
    a, b = rand(rng, ls, dtype), rand(rng, rs, dtype)
    out = lax.dot_general(a, b, dn)
    if dtype == BOOL:
        expected = np.einsum(spec, a.astype(I32), b.astype(I32)) > 0
    else:
        expected = np.einsum(spec, a, b)
    assert out.dtype == np.dtype(dtype) and out.shape == expected.shape and not out.weak_type
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_grads(layout):
    name, ls, rs, dn, _ = layout
    rng = np.random.default_rng(1)
    check_grads(dot_fn(dn), (rand(rng, ls, F64), rand(rng, rs, F64)), order=2)


def _batched(rng, shape, axis, size=3):
    return np.stack([rand(rng, shape, F64) for _ in range(size)], axis)


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_vmap(layout):
    name, ls, rs, dn, _ = layout
    rng = np.random.default_rng(2)
    f = dot_fn(dn)
    for la, ra in [(0, None), (None, 0), (0, 0), (-1, None), (None, -1), (len(ls), 0),
                   (1 if ls else 0, len(rs))]:
        a = rand(rng, ls, F64) if la is None else _batched(rng, ls, la)
        b = rand(rng, rs, F64) if ra is None else _batched(rng, rs, ra)
        check_vmap(f, (a, b), (la, ra), err_msg=f"in_axes=({la}, {ra})")


@pytest.mark.parametrize("layout", LAYOUTS, ids=LAYOUT_IDS)
def test_abstract_eval(layout):
    name, ls, rs, dn, _ = layout
    rng = np.random.default_rng(3)
    check_abstract_eval(dot_fn(dn), (rand(rng, ls, F32), rand(rng, rs, F32)))


def test_vmap_of_grad_and_grad_of_vmap():
    # the MLP pattern: per-example gradients of a matmul layer
    rng = np.random.default_rng(4)
    w, xs = rng.standard_normal((4, 3)), rng.standard_normal((5, 4))
    loss = lambda w, x: lax.reduce_sum(lax.dot_general(x, w, (((0,), (0,)), ((), ()))), (0,))
    per_example = jax.vmap(jax.grad(loss), in_axes=(None, 0))(w, xs)
    np.testing.assert_allclose(per_example, np.broadcast_to(xs[:, :, None], (5, 4, 3)))
    batched_loss = lambda w: lax.reduce_sum(jax.vmap(loss, in_axes=(None, 0))(w, xs), (0,))
    np.testing.assert_allclose(jax.grad(batched_loss)(w),
                               np.broadcast_to(xs.sum(0)[:, None], (4, 3)))


def test_weak_types():
    a, b = Array(np.ones((2, 2)), True), Array(np.ones((2, 2)), True)
    assert lax.dot_general(a, b, (((1,), (0,)), ((), ()))).weak_type
    assert not lax.dot_general(a, np.ones((2, 2)), (((1,), (0,)), ((), ()))).weak_type
    assert not lax.dot_general(a, b, (((1,), (0,)), ((), ())),
                               preferred_element_type=F64).weak_type


# --- preferred_element_type and integer dots -------------------------------------
@pytest.mark.parametrize("in_dtype,pref", [(np.int8, I32), (I32, np.int64), (I32, F32),
                                           (F32, F64), (BOOL, I32), (F32, None)])
def test_preferred_element_type(in_dtype, pref):
    rng = np.random.default_rng(5)
    a, b = rand(rng, (3, 4), in_dtype), rand(rng, (4, 2), in_dtype)
    f = lambda a, b: lax.dot_general(a, b, (((1,), (0,)), ((), ())), preferred_element_type=pref)
    out = f(a, b)
    want = np.dtype(pref or in_dtype)
    assert out.dtype == want
    np.testing.assert_allclose(np.asarray(out), a.astype(want) @ b.astype(want), rtol=1e-6)
    check_abstract_eval(f, (a, b))


def test_int8_accumulates_without_overflow_in_preferred_type():
    a = np.full((1, 64), 100, np.int8)
    out = lax.dot_general(a, a.T, (((1,), (0,)), ((), ())), preferred_element_type=I32)
    assert int(np.asarray(out)[0, 0]) == 64 * 100 * 100


def test_grad_with_preferred_element_type():
    rng = np.random.default_rng(6)
    a, b = rand(rng, (3, 4), F32), rand(rng, (4, 2), F32)
    f = lambda a, b: lax.reduce_sum(lax.dot_general(a, b, (((1,), (0,)), ((), ())),
                                                    preferred_element_type=F64), (0, 1))
    ga, gb = jax.grad(f, (0, 1))(a, b)
    assert ga.dtype == F32 and gb.dtype == F32
    np.testing.assert_allclose(ga, np.broadcast_to(b.sum(1), (3, 4)), rtol=1e-6)


# --- lax.dot and batch_matmul ---------------------------------------------------
def test_dot_and_batch_matmul():
    rng = np.random.default_rng(7)
    m, v = rand(rng, (3, 4), F64), rand(rng, (4,), F64)
    np.testing.assert_allclose(lax.dot(m, v), m @ v)
    np.testing.assert_allclose(lax.dot(v, v), v @ v)
    np.testing.assert_allclose(lax.dot(m, m.T), m @ m.T)
    assert lax.dot(m.astype(I32), m.T.astype(I32)).dtype == I32
    a, b = rand(rng, (2, 3, 4), F64), rand(rng, (2, 4, 5), F64)
    np.testing.assert_allclose(lax.batch_matmul(a, b), a @ b)
    check_grads(lax.batch_matmul, (a, b), order=2)
    with pytest.raises(TypeError, match="Incompatible shapes for dot"):
        lax.dot(m, m)
    with pytest.raises(ValueError, match="batch_matmul"):
        lax.batch_matmul(a, rand(rng, (3, 4, 5), F64))


def test_precision_is_accepted():
    a = np.ones((2, 2))
    dn = (((1,), (0,)), ((), ()))
    for p in (None, "highest", lax.Precision.HIGH, ("default", "float32")):
        np.testing.assert_array_equal(lax.dot_general(a, a, dn, precision=p), a @ a)
    with pytest.raises(ValueError, match="Unknown precision"):
        lax.dot_general(a, a, dn, precision="fastest")


def test_transpose_is_dot_general():
    f = lambda a, b: lax.reduce_sum(lax.dot_general(a, b, (((0,), (1,)), ((), ()))), (0, 1))
    jaxpr = str(jax.make_jaxpr(jax.grad(f, (0, 1)))(np.ones((4, 3)), np.ones((5, 4))))
    assert jaxpr.count("dot_general") == 3


# --- errors ------------------------------------------------------------------------
A, B = np.ones((3, 4)), np.ones((4, 5))


@pytest.mark.parametrize("fun,match", [
    (lambda: lax.dot_general(A, B, (((0,), (0,)), ((), ()))),
     "dot_general requires contracting dimensions to have the same shape"),
    (lambda: lax.dot_general(A, B.astype(F32), (((1,), (0,)), ((), ()))),
     "dot_general requires lhs and rhs to have the same dtype"),
    (lambda: lax.dot_general(A, B, (((1,), (0, 1)), ((), ()))),
     "equal numbers of lhs and rhs contracting"),
    (lambda: lax.dot_general(A, B, (((2,), (0,)), ((), ()))), "lhs contracting dimensions"),
    (lambda: lax.dot_general(A, B, (((1,), (0,)), ((1,), (0,)))), "disjoint"),
    (lambda: lax.dot_general(A, B, (((1,), (0,)), ((0,), (1,)))),
     "batch dimensions to have the same shape"),
    (lambda: lax.dot_general(A, B, (((1,), (0,)), ((), ())), preferred_element_type=F32),
     "must not be narrower"),
    (lambda: lax.dot_general(A, B, (((1,), (0,)), ((), ())), preferred_element_type=I32),
     "incompatible with preferred_element_type"),
    (lambda: lax.dot_general(A, B, ((1, 0), ())), "dimension_numbers must be"),
])
def test_errors(fun, match):
    with pytest.raises(TypeError, match=match):
        fun()
