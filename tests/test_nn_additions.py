"""purejax.nn additions: mish, squareplus, tanh, identity, log1mexp, logmeanexp,
sparse_sigmoid and dot_product_attention, against values from JAX 0.10.2 (hard-coded
here, so the suite needs no JAX), at edge points (0, +-inf, NaN, kinks), with their
gradients to second order, under jit and vmap."""
import numpy as np
import pytest

import purejax as jax
import purejax.nn as nn
import purejax.numpy as jnp
from purejax.test_util import check_grads

nan, inf = np.nan, np.inf
X = np.array([-inf, -2., -1., -0.5, 0., 0.5, 1., 2., 30., inf, nan], np.float32)
XP = np.array([0., 1e-8, 0.1, 0.5, np.log(2), 1., 5., 50., inf, nan, -1.], np.float32)

# JAX 0.10.2's values, first and second derivatives at X (XP for log1mexp)
EXPECTED = {
    "mish": (
        [nan, -0.252501458, -0.30340144, -0.220743775, 0., 0.375245243, 0.865098476,
         1.943958998, 30., inf, nan],
        [nan, -0.10835509, 0.059216753, 0.289510667, 0.600000024, 0.886424422, 1.049036145,
         1.069317818, 1., nan, nan],
        [nan, 0.035027072, 0.349705666, 0.563970923, 0.639999986, 0.468053252, 0.184685618,
         -0.057724614, 0., nan, nan]),
    "squareplus": (
        [nan, 0.414213538, 0.618034005, 0.780776381, 1., 1.280776381, 1.618034005,
         2.414213657, 30.033296585, inf, nan],
        [nan, 0.146446615, 0.276393205, 0.378732175, 0.5, 0.621267796, 0.723606825,
         0.853553414, 0.998892546, nan, nan],
        [nan, 8.838833869e-02, 1.788854301e-01, 2.282688320e-01, 2.5e-01, 2.282688320e-01,
         1.788854301e-01, 8.838833869e-02, 7.358193398e-05, nan, nan]),
    "sparse_sigmoid": (
        [0., 0., 0., 0.25, 0.5, 0.75, 1., 1., 1., 1., nan],
        [0., 0., 0.25, 0.5, 0.5, 0.5, 0.25, 0., 0., 0., 0.],
        [0.] * 11),
    "log1mexp": (
        [-inf, -1.842068100e+01, -2.352168560e+00, -9.327521324e-01, -6.931471825e-01,
         -4.586751461e-01, -6.760749500e-03, -1.928749893e-22, -0., nan, nan],
        [inf, 1.0e+08, 9.508333206e+00, 1.541494012e+00, 1., 5.819767118e-01,
         6.783654913e-03, 1.928749893e-22, 0., nan, -1.581976771e+00],
        [-inf, -1.000000027e+16, -9.991673279e+01, -3.917697668e+00, -2., -9.206736088e-01,
         -6.829672959e-03, -0., nan, nan, -9.206736088e-01]),
}


def _close(got, expected, rtol=2e-6, atol=1e-7):
    got = np.asarray(got)
    expected = np.asarray(expected, got.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_values_and_derivatives_at_edge_points(name):
    f = getattr(nn, name)
    pts = XP if name == "log1mexp" else X
    val, d1, d2 = EXPECTED[name]
    out = f(pts)
    assert out.dtype == np.float32 and not out.weak_type
    _close(out, val)
    _close(jax.jit(f)(pts), val)
    _close(jax.vmap(jax.grad(f))(pts), d1)
    _close(jax.jit(jax.vmap(jax.grad(f)))(pts), d1)
    _close(jax.vmap(jax.grad(jax.grad(f)))(pts), d2)


def test_log1mexp_signs_of_zero():
    # JAX 0.10.2: log1mexp(inf) is -0.0 and its second derivative at 50 is -0.0
    assert np.signbit(np.asarray(nn.log1mexp(np.float32(inf))))
    assert np.signbit(np.asarray(jax.grad(jax.grad(nn.log1mexp))(np.float32(50.))))


@pytest.mark.parametrize("name", ["mish", "squareplus", "sparse_sigmoid", "log1mexp", "tanh",
                                  "identity"])
def test_scalars_weak_types_and_list_errors(name):
    f = getattr(nn, name)
    for arg in (1.0, 1):
        out = f(arg)
        assert out.weak_type, name
        assert out.dtype == (np.int32 if name == "identity" and arg == 1 and
                             isinstance(arg, int) else np.float32)
    assert not f(np.float32(1.0)).weak_type
    if name != "sparse_sigmoid":  # (JAX's sparse_sigmoid fails later, in `x + 1.0`)
        with pytest.raises(TypeError, match=f"{name} requires ndarray or scalar arguments"):
            f([1.0, 2.0])


def test_scalar_values():
    # JAX 0.10.2
    _close(nn.mish(1.0), 0.8650985)
    _close(nn.squareplus(1), 1.618034)
    _close(nn.log1mexp(1.0), -0.45867515)
    _close(nn.tanh(1.0), 0.7615942)
    _close(nn.sparse_sigmoid(1), 1.0)
    assert nn.tanh is jnp.tanh
    _close(nn.identity(np.float32(2.0)), 2.0)


def test_squareplus_b():
    # JAX 0.10.2: squareplus(X, 1.0)
    _close(nn.squareplus(X, 1.0),
           [nan, 0.118034005, 0.207106769, 0.309017003, 0.5, 0.809017003, 1.207106829,
            2.118033886, 30.008331299, inf, nan])
    _close(nn.squareplus(2.0, 0), 2.0)
    check_grads(nn.squareplus, (np.float32(0.5), np.float32(2.0)), order=2, rtol=2e-2)


@pytest.mark.parametrize("name", ["mish", "squareplus", "log1mexp", "sparse_sigmoid"])
def test_check_grads_second_order(name):
    f = getattr(nn, name)
    x = (np.array([0.3, 1.7, 3.0], np.float32) if name != "sparse_sigmoid"
         else np.array([-0.5, 0.2, 0.6], np.float32))
    check_grads(f, (x,), order=2, rtol=2e-2, atol=2e-2)


A = np.array([[0., 1., -inf], [2., inf, 3.], [-inf, -inf, -inf]], np.float32)
W = np.array([[True, False, True], [True, True, False], [False, False, False]])
B = np.arange(6.0, dtype=np.float32).reshape(2, 3) / 3


def test_logmeanexp():
    # JAX 0.10.2
    _close(nn.logmeanexp(A), inf)
    _close(nn.logmeanexp(A, axis=1), [0.21464932, inf, -inf])
    _close(nn.logmeanexp(A, axis=1, where=W, keepdims=True), [[-0.693147182], [inf], [nan]])
    _close(nn.logmeanexp(B, axis=0), [0.620114446, 0.953447819, 1.286781073])
    _close(nn.logmeanexp(B, axis=1, where=W[:2]), [0.38788962, 1.1804917])
    _close(jax.grad(lambda v: jnp.sum(nn.logmeanexp(v, axis=0)))(B),
           [[0.268941432] * 3, [0.731058598] * 3])
    out = nn.logmeanexp(1.0)
    _close(out, 1.0)
    assert out.dtype == np.float32 and not out.weak_type  # (as JAX: the count is strong)
    _close(nn.logmeanexp(np.arange(3)), 1.3089936)
    _close(jax.jit(lambda v: nn.logmeanexp(v, axis=(0, 1)))(B), nn.logmeanexp(B))
    check_grads(lambda v: nn.logmeanexp(v, axis=1, where=W[:2]), (B,), order=2, rtol=2e-2)


# --- dot_product_attention -------------------------------------------------------

Bn, T, S, N, K, H = 1, 2, 3, 4, 2, 2
Q = np.sin(np.arange(Bn * T * N * H, dtype=np.float32)).reshape(Bn, T, N, H)
KEY = np.cos(np.arange(Bn * S * K * H, dtype=np.float32) * 0.7).reshape(Bn, S, K, H)
V = (np.arange(Bn * S * K * H, dtype=np.float32) / 4 - 1).reshape(Bn, S, K, H)
BIAS = (np.arange(N * T * S, dtype=np.float32).reshape(1, N, T, S) % 3) * 0.5
MASK = np.array([[True, False, True], [False, True, True]]).reshape(1, 1, T, S)

# JAX 0.10.2's outputs (grouped-query attention: 4 query heads share 2 K/V heads)
ATT_PLAIN = [[[[0.059712768, 0.309712797], [-0.053488523, 0.196511447],
               [0.27459392, 0.52459389], [0.555479527, 0.805479527]],
              [[-0.040891081, 0.209108934], [-0.008571625, 0.241428375],
               [0.492776006, 0.742776036], [0.765815496, 1.015815496]]]]
ATT_BIAS_MASK_CAUSAL = [[[[-1., -0.75], [-1., -0.75], [-0.5, -0.25], [-0.5, -0.25]],
                         [[0., 0.25], [0., 0.25], [0.5, 0.75], [0.5, 0.75]]]]
ATT_SEQLENS_SCALE = [[[[-0.671680808, -0.421680778], [-0.731662273, -0.481662273],
                       [-0.020400926, 0.229599088], [0.079164758, 0.329164743]],
                      [[0., 0.], [0., 0.], [0., 0.], [0., 0.]]]]
ATT_RESIDUAL = [[[0.455088645, 0.719291568, 0.251360565, -0.26811263],
                 [1.067888141, 1.157629013, 0.732379436, 0.510391355]]]
ATT_WINDOW = [[[[-0.733467996, -0.483467996], [-0.805112362, -0.555112362],
                [-0.028835267, 0.221164718], [0.111025035, 0.361025035]],
               [[0.853959322, 1.103959322], [0.116092123, 0.366092116],
                [0.88180387, 1.13180387], [1.201877594, 1.451877594]]]]
ATT_GRAD_Q = [[[[0.047378313, 0.296922445], [-0.019790579, 0.223486871],
                [0.400805563, 0.370691895], [0.728659987, 0.334212869]],
               [[-0.054212548, 0.207737133], [0.073483981, 0.105454616],
                [0.640214682, 0.325462133], [0.818025112, 0.426946104]]]]
ATT_ALL_MASKED = [[[[0., 0.25], [0., 0.25], [0.5, 0.75], [0.5, 0.75]],
                   [[0., 0.25], [0., 0.25], [0.5, 0.75], [0.5, 0.75]]]]


def test_attention_values():
    att = nn.dot_product_attention
    out = att(Q, KEY, V)
    assert out.shape == Q.shape and out.dtype == np.float32
    _close(out, ATT_PLAIN, rtol=1e-5, atol=1e-6)
    _close(att(Q, KEY, V, implementation="xla"), ATT_PLAIN, rtol=1e-5, atol=1e-6)
    _close(att(Q, KEY, V, BIAS, MASK, is_causal=True), ATT_BIAS_MASK_CAUSAL, atol=1e-6)
    _close(att(Q, KEY, V, key_value_seq_lengths=np.array([2], np.int32),
               query_seq_lengths=np.array([1], np.int32), scale=0.5),
           ATT_SEQLENS_SCALE, rtol=1e-5, atol=1e-6)
    out, res = att(Q, KEY, V, is_causal=True, return_residual=True)
    _close(res, ATT_RESIDUAL, rtol=1e-5, atol=1e-6)
    _close(att(Q, KEY, V, local_window_size=(0, 1)), ATT_WINDOW, rtol=1e-5, atol=1e-6)
    # a fully masked row averages uniformly (a large negative, not -inf: no NaN)
    _close(att(Q, KEY, V, None, np.zeros((1, 1, T, S), bool)), ATT_ALL_MASKED, atol=1e-6)
    # unbatched TNH inputs
    _close(att(Q[0], KEY[0], V[0]), ATT_PLAIN[0], rtol=1e-5, atol=1e-6)


def test_attention_matches_repeated_heads_and_transforms():
    att = nn.dot_product_attention
    # GQA equals multi-head attention with each K/V head repeated for its group
    k_rep, v_rep = np.repeat(KEY, N // K, axis=2), np.repeat(V, N // K, axis=2)
    _close(att(Q, KEY, V, BIAS), att(Q, k_rep, v_rep, BIAS), rtol=1e-5, atol=1e-6)
    _close(jax.jit(att)(Q, KEY, V), ATT_PLAIN, rtol=1e-5, atol=1e-6)
    _close(jax.grad(lambda q: jnp.sum(att(q, KEY, V, BIAS) ** 2))(Q), ATT_GRAD_Q,
           rtol=1e-4, atol=1e-5)
    batched = jax.vmap(lambda q: att(q, KEY, V))(np.stack([Q, 2 * Q]))
    _close(batched[0], ATT_PLAIN, rtol=1e-5, atol=1e-6)
    _close(batched[1], att(2 * Q, KEY, V), rtol=1e-5, atol=1e-6)
    check_grads(lambda q, k, v, b: att(q, k, v, b, MASK, is_causal=True),
                (Q, KEY, V, BIAS), order=2, rtol=3e-2, atol=3e-2)


def test_attention_errors():
    att = nn.dot_product_attention
    with pytest.raises(ValueError, match="value shape should be"):
        att(Q, KEY[:, :, :1], V)
    with pytest.raises(ValueError, match="multiple of key/value heads, but got 3 vs 2"):
        att(Q[:, :, :3], KEY, V)
    with pytest.raises(ValueError, match="mask dtype should be bool"):
        att(Q, KEY, V, None, MASK.astype(np.int32))
    with pytest.raises(ValueError, match="Unsupported implementation option: foo"):
        att(Q, KEY, V, implementation="foo")
    with pytest.raises(NotImplementedError, match="cudnn"):
        att(Q, KEY, V, implementation="cudnn")
