# ruff: noqa: E402  (imports follow the importorskip of jax)
"""Every corpus function, run by JAX and by purejax, under eager evaluation, jit, vmap,
jvp, grad, jacfwd, jacrev and hessian, in float32 and float64: values (tolerances from
the dtype), dtypes, weak types, shapes and pytree structure must agree. Where JAX
raises, purejax must raise the same exception type."""
import pytest

jax = pytest.importorskip(
    "jax", reason="JAX is not installed: oracle tests compare purejax with JAX; "
                  "install with pip install -e '.[oracle]'")

import zlib

import numpy as np
from corpus import CORPUS, S, make_args
from oracle_util import (JAX, PJ, assert_outputs_match, check_same_error, float_dtype, run,
                         tolerances)

TRANSFORMS = ["eager", "jit", "vmap", "jvp", "grad", "jacfwd", "jacrev", "hessian"]
BATCH = 3

# (entry, transform, mode or "*") -> reason. Each is an open mismatch listed in
# docs/differences.md; strict xfail, so fixing the bug makes the test fail here.
XFAIL = {
    ("linalg_norm_at_zero", "eager", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "eager", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "jit", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "jit", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "vmap", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "vmap", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "jvp", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "jvp", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "grad", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "grad", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "jacfwd", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm_at_zero", "jacrev", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "eager", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "eager", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "jit", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "jit", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "vmap", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "vmap", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "jvp", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "jvp", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "grad", "f32"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "grad", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "jacfwd", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "jacrev", "f64"): "jnp.linalg (norm) is missing",
    ("linalg_norm", "hessian", "f64"): "jnp.linalg (norm) is missing",
    ("xlogy_scipy", "eager", "f32"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "eager", "f64"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "jit", "f32"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "jit", "f64"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "vmap", "f32"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "vmap", "f64"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "jvp", "f32"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "jvp", "f64"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "grad", "f32"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "grad", "f64"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "jacfwd", "f64"): "purejax.scipy (special.xlogy) is missing",
    ("xlogy_scipy", "jacrev", "f64"): "purejax.scipy (special.xlogy) is missing",
}

_jax_eager_cache = {}


def _scalarize(lib, f):
    jnp = lib[1]

    def g(*args):
        out = f(*args)
        total = 0.0
        for leaf in lib[0].tree_util.tree_leaves(out):
            if jnp.issubdtype(jnp.result_type(leaf), jnp.floating):
                total = total + jnp.sum(leaf)
        return total
    return g


def _build(lib, entry, transform, mode):
    """Returns (h, args): the transformed function and its arguments."""
    fdtype = float_dtype(mode)
    # a seed fixed per entry (str hashes are randomised per process)
    rng = np.random.default_rng(zlib.crc32(entry.name.encode()))
    args = make_args(entry.args, rng, fdtype)
    f = entry.make(*lib)
    J = lib[0]
    diff = entry.diff
    if transform == "eager":
        return f, args
    if transform == "jit":
        return J.jit(f), args
    if transform == "vmap":
        samples = [args] + [make_args(entry.args, np.random.default_rng(s), fdtype)
                            for s in range(1, BATCH)]
        stacked = J.tree_util.tree_map(lambda *xs: np.stack(xs), *samples)
        return J.vmap(f), stacked
    if transform == "jvp":
        tan_specs = [entry.args[i] for i in diff]
        tans = make_args(tuple(tan_specs), np.random.default_rng(99), fdtype)
        tans = tuple(t if not isinstance(s, S) else 0.5 for t, s in zip(tans, tan_specs))

        def h(*args):
            def g(*d):
                merged = list(args)
                for i, v in zip(diff, d):
                    merged[i] = v
                return f(*merged)
            return J.jvp(g, tuple(args[i] for i in diff), tans)
        return h, args
    if transform == "grad":
        return J.grad(_scalarize(lib, f), argnums=diff), args
    if transform == "jacfwd":
        return J.jacfwd(f, argnums=diff), args
    if transform == "jacrev":
        return J.jacrev(f, argnums=diff), args
    if transform == "hessian":
        return J.hessian(_scalarize(lib, f), argnums=diff), args
    raise ValueError(transform)


def _run(lib, entry, transform, mode):
    """purejax runs the transformed function as is; JAX's reference runs under jax.jit
    (one XLA compile instead of one per primitive, which would take minutes), except
    where the entry asks for JAX's eager behaviour."""
    def go():
        h, args = _build(lib, entry, transform, mode)
        if lib is JAX and not entry.jax_eager:
            h = lib[0].jit(h)
        return h(*args)
    return run(go)


def _applicable(entry, transform, mode):
    if transform in ("jacfwd", "jacrev", "hessian") and mode == "f32":
        return "jacobians are compared in float64 only (keeps the default run short)"
    if transform == "vmap" and not entry.vmap:
        return "vmap needs array arguments"
    if transform in ("jvp", "grad", "jacfwd", "jacrev", "hessian") and not entry.diff:
        return "no floating-point arguments"
    if transform == "hessian" and not entry.hess:
        return "not twice differentiable at the corpus inputs"
    if transform in entry.skip:
        return entry.skip[transform]
    if transform in ("jacfwd", "jacrev", "hessian"):
        key = (entry.name, mode)
        if key not in _jax_eager_cache:
            _jax_eager_cache[key] = _run(JAX, entry, "eager", mode)
        out, exc = _jax_eager_cache[key]
        if exc is None and any(not np.issubdtype(np.asarray(leaf).dtype, np.floating)
                               for leaf in JAX[0].tree_util.tree_leaves(out)):
            return "jacobians need floating-point outputs"
    return None


def _params():
    out = []
    for e in CORPUS:
        for t in TRANSFORMS:
            for m in ("f32", "f64"):
                marks = []
                reason = XFAIL.get((e.name, t, m)) or XFAIL.get((e.name, t, "*"))
                if reason:
                    marks.append(pytest.mark.xfail(strict=True, reason=reason))
                out.append(pytest.param(e, t, m, id=f"{e.name}-{t}-{m}", marks=marks))
    return out


@pytest.mark.parametrize("entry,transform,mode_name", _params())
def test_corpus(entry, transform, mode_name, request):
    request.getfixturevalue("x64") if mode_name == "f64" else None
    why = _applicable(entry, transform, mode_name)
    if why:
        pytest.skip(why)
    jax_out, jax_exc = _run(JAX, entry, transform, mode_name)
    pj_out, pj_exc = _run(PJ, entry, transform, mode_name)
    what = f"{entry.name} [{transform}, {mode_name}]"
    if jax_exc is not None:
        check_same_error(jax_exc, pj_exc, what)
        return
    if pj_exc is not None:
        raise AssertionError(f"{what}: JAX returned, purejax raised "
                             f"{type(pj_exc).__name__}: {pj_exc}") from pj_exc
    scale = entry.tol * (100 if transform == "hessian" else 10 if transform.startswith("jac")
                         else 1)
    rtol, atol = tolerances(mode_name, scale)
    assert_outputs_match(jax_out, pj_out, rtol, atol, what)


def test_corpus_size():
    assert len(CORPUS) >= 100
    assert len({e.name for e in CORPUS}) == len(CORPUS)
