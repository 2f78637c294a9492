"""Helpers shared by the oracle tests: library handles and output comparison."""
import jax as _jax
import jax.numpy as _jnp
import jax.scipy.special  # noqa: F401  (jax.scipy is not imported by `import jax`)
import numpy as np

import purejax as _pj
import purejax.numpy as _pjnp

JAX = (_jax, _jnp, _jax.lax)
PJ = (_pj, _pjnp, _pj.lax)


def float_dtype(mode):
    return np.float64 if mode == "f64" else np.float32


def tolerances(mode, scale=1.0):
    """(rtol, atol) derived from the dtype; `scale` loosens for derived quantities."""
    if mode == "f64":
        return 1e-12 * scale, 1e-13 * scale
    return 2e-5 * scale, 2e-6 * scale


def run(fn):
    """(value, None) or (None, exception)."""
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 (we compare exception types)
        return None, e


def _builtin_base(exc_type):
    for k in exc_type.__mro__:
        if k.__module__ == "builtins":
            return k
    return Exception


def check_same_error(jax_exc, pj_exc, what=""):
    """purejax must raise where JAX raises, with the same exception type: the same
    builtin base class, and the same class name where JAX uses its own class."""
    assert pj_exc is not None, f"{what}: JAX raised {type(jax_exc).__name__}: {jax_exc}" \
                               f" but purejax returned normally"
    jt, pt = type(jax_exc), type(pj_exc)
    base = _builtin_base(jt)
    assert isinstance(pj_exc, base), (
        f"{what}: JAX raised {jt.__name__} ({base.__name__}), purejax raised "
        f"{pt.__name__}: {pj_exc}")
    if jt.__module__.split(".")[0] in ("jax", "jaxlib") and jt.__name__.endswith("Error") \
            and jt is not base:
        names = {k.__name__ for k in pt.__mro__}
        assert jt.__name__ in names, (
            f"{what}: JAX raised {jt.__name__}, purejax raised {pt.__name__}: {pj_exc}")


def structure(lib, tree):
    return repr(lib[0].tree_util.tree_map(lambda _: "*", tree))


def leaves(lib, tree):
    return lib[0].tree_util.tree_leaves(tree)


def is_float0(dt):
    return dt is not None and getattr(dt, "names", None) == ("float0",)


def describe(leaf):
    dt = getattr(leaf, "dtype", None)
    return dict(dtype=None if dt is None else str(dt),
                weak=getattr(leaf, "weak_type", None),
                shape=np.shape(leaf) if not is_float0(dt) else np.asarray(leaf).shape)


def assert_outputs_match(jax_out, pj_out, rtol, atol, what=""):
    js, ps = structure(JAX, jax_out), structure(PJ, pj_out)
    assert js == ps, f"{what}: pytree structure differs:\n  jax:     {js}\n  purejax: {ps}"
    jl, pl = leaves(JAX, jax_out), leaves(PJ, pj_out)
    assert len(jl) == len(pl)
    for k, (a, b) in enumerate(zip(jl, pl)):
        da, db = describe(a), describe(b)
        where = f"{what}: leaf {k}"
        assert da["shape"] == db["shape"], f"{where}: shape jax {da['shape']} purejax {db['shape']}"
        # A Python scalar passed through untouched has no dtype; compare only arrays.
        if da["dtype"] is not None and db["dtype"] is not None and hasattr(a, "weak_type"):
            assert da["dtype"] == db["dtype"], \
                f"{where}: dtype jax {da['dtype']} purejax {db['dtype']}"
            if da["weak"] is not None and db["weak"] is not None:
                assert da["weak"] == db["weak"], \
                    f"{where}: weak_type jax {da['weak']} purejax {db['weak']} ({da['dtype']})"
        if is_float0(getattr(a, "dtype", None)):
            continue
        av, bv = np.asarray(a), np.asarray(b)
        if av.dtype.kind in "biu" and bv.dtype.kind in "biu":
            np.testing.assert_array_equal(bv, av, err_msg=where)
        else:
            # a float32 (or narrower) result in a float64 run gets float32 tolerances:
            # XLA and NumPy may round its last bit differently (e.g. XLA turns x / 3 into
            # x * (1/3))
            if av.dtype.itemsize < 8 and av.dtype.kind == "f":
                rtol, atol = max(rtol, 2e-6), max(atol, 1e-7)
            np.testing.assert_allclose(np.asarray(bv, np.float64), np.asarray(av, np.float64),
                                       rtol=rtol, atol=atol, equal_nan=True, err_msg=where)
