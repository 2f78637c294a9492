# ruff: noqa: E402  (imports follow the importorskip of jax)
"""Random programs, evaluated by JAX and by purejax from the same description.

A program is a list of steps over a pool of values; each step applies one op from
OPS to values from the pool (chosen so shapes and dtypes are valid). The program is
wrapped in a random stack of transformations (jit, vmap, grad of the summed float
outputs, jvp). Hypothesis shrinks a failure to a minimal program and prints it.
"""
import pytest

jax = pytest.importorskip(
    "jax", reason="JAX is not installed: oracle tests compare purejax with JAX; "
                  "install with pip install -e '.[oracle]'")

from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracle_util import JAX, PJ, assert_outputs_match, check_same_error, run, tolerances

SHAPES = [(), (3,), (2, 3), (3, 1), (1, 3), (3, 3)]


def _bshape(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def _f(jnp, x):  # float view of a value (ints/bools are cast)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.float32)


# name -> (arity, operand kinds, applicability(shapes, kinds), out (shape, kind), fn)
# kinds: "f" float, "i" int32, "b" bool
UNARY_F = {
    "sin": lambda J, jnp, lax, x: jnp.sin(x),
    "cos": lambda J, jnp, lax, x: jnp.cos(x),
    "tanh": lambda J, jnp, lax, x: jnp.tanh(x),
    "exp_tanh": lambda J, jnp, lax, x: jnp.exp(jnp.tanh(x)),
    "log1p_sq": lambda J, jnp, lax, x: jnp.log1p(x * x),
    "sqrt_safe": lambda J, jnp, lax, x: jnp.sqrt(x * x + 0.5),
    "neg": lambda J, jnp, lax, x: -x,
    "square": lambda J, jnp, lax, x: jnp.square(x),
    "sigmoid": lambda J, jnp, lax, x: J.nn.sigmoid(x),
    "abs": lambda J, jnp, lax, x: jnp.abs(x),
    "softplus": lambda J, jnp, lax, x: J.nn.softplus(x),
    "recip_safe": lambda J, jnp, lax, x: 1.0 / (1.0 + x * x),
}
BINARY = {
    "add": lambda J, jnp, lax, x, y: x + y,
    "sub": lambda J, jnp, lax, x, y: x - y,
    "mul": lambda J, jnp, lax, x, y: x * y,
    "max": lambda J, jnp, lax, x, y: jnp.maximum(x, y),
    "min": lambda J, jnp, lax, x, y: jnp.minimum(x, y),
}
BINARY_F = {
    "div_safe": lambda J, jnp, lax, x, y: x / (1.0 + y * y),
    "atan2": lambda J, jnp, lax, x, y: jnp.arctan2(x, y + 2.5),
}
COMPARE = {
    "lt": lambda J, jnp, lax, x, y: x < y,
    "ge": lambda J, jnp, lax, x, y: x >= y,
    "eq": lambda J, jnp, lax, x, y: x == y,
}
REDUCE = {
    "sum": lambda J, jnp, lax, x, ax: jnp.sum(x, axis=ax),
    "max": lambda J, jnp, lax, x, ax: jnp.max(x, axis=ax),
    "mean": lambda J, jnp, lax, x, ax: jnp.mean(_f(jnp, x), axis=ax),
}


@dataclass
class Val:
    shape: tuple
    kind: str  # "f", "i", "b"


@st.composite
def programs(draw, max_steps=30):
    n_in = draw(st.integers(1, 3))
    inputs = [Val(draw(st.sampled_from(SHAPES)), draw(st.sampled_from("ffffib")))
              for _ in range(n_in)]
    if not any(v.kind == "f" for v in inputs):
        inputs[0] = Val(inputs[0].shape, "f")
    pool = list(inputs)
    steps = []
    for _ in range(draw(st.integers(1, max_steps))):
        op = draw(st.sampled_from(["unary", "binary", "binary_f", "compare", "where", "reduce",
                                   "reshape", "transpose", "broadcast", "index_static",
                                   "index_array", "matmul", "cond", "cast"]))
        i = draw(st.integers(0, len(pool) - 1))
        a = pool[i]
        if op == "unary":
            name = draw(st.sampled_from(sorted(UNARY_F)))
            if a.kind != "f":
                continue
            steps.append(("unary", name, i))
            pool.append(Val(a.shape, "f"))
        elif op in ("binary", "binary_f", "compare"):
            j = draw(st.integers(0, len(pool) - 1))
            b = pool[j]
            shape = _bshape(a.shape, b.shape)
            if shape is None or "b" in (a.kind, b.kind):
                continue
            table = {"binary": BINARY, "binary_f": BINARY_F, "compare": COMPARE}[op]
            name = draw(st.sampled_from(sorted(table)))
            if op == "binary_f" and "f" not in (a.kind, b.kind):
                continue
            steps.append((op, name, i, j))
            kind = "b" if op == "compare" else ("f" if "f" in (a.kind, b.kind) else "i")
            pool.append(Val(shape, kind))
        elif op == "where":
            j, k = draw(st.integers(0, len(pool) - 1)), draw(st.integers(0, len(pool) - 1))
            b, c = pool[j], pool[k]
            if a.kind != "b" or "b" in (b.kind, c.kind):
                continue
            shape = _bshape(a.shape, b.shape)
            shape = shape and _bshape(shape, c.shape)
            if shape is None:
                continue
            steps.append(("where", None, i, j, k))
            pool.append(Val(shape, "f" if "f" in (b.kind, c.kind) else "i"))
        elif op == "reduce":
            name = draw(st.sampled_from(sorted(REDUCE)))
            if a.kind == "b" and name != "mean":
                continue
            ax = draw(st.sampled_from([None] + list(range(len(a.shape)))))
            steps.append(("reduce", name, i, ax))
            shape = () if ax is None else tuple(d for k, d in enumerate(a.shape) if k != ax)
            pool.append(Val(shape, "f" if name == "mean" else a.kind))
        elif op == "reshape":
            steps.append(("reshape", None, i))
            pool.append(Val((int(np.prod(a.shape)),), a.kind))
        elif op == "transpose":
            steps.append(("transpose", None, i))
            pool.append(Val(a.shape[::-1], a.kind))
        elif op == "broadcast":
            steps.append(("broadcast", None, i))
            pool.append(Val((2,) + a.shape, a.kind))
        elif op == "index_static":
            if not a.shape:
                continue
            which = draw(st.sampled_from(["first", "last", "rev", "tail"]))
            steps.append(("index_static", which, i))
            shape = a.shape[1:] if which in ("first", "last") else \
                (a.shape if which == "rev" else (max(a.shape[0] - 1, 0),) + a.shape[1:])
            pool.append(Val(shape, a.kind))
        elif op == "index_array":
            if not a.shape:
                continue
            idx = tuple(draw(st.lists(st.integers(0, a.shape[0] - 1), min_size=1, max_size=4)))
            steps.append(("index_array", idx, i))
            pool.append(Val((len(idx),) + a.shape[1:], a.kind))
        elif op == "matmul":
            j = draw(st.integers(0, len(pool) - 1))
            b = pool[j]
            if not a.shape or not b.shape or a.kind != "f" or b.kind != "f" \
                    or len(a.shape) > 2 or len(b.shape) > 2:
                continue
            k_b = b.shape[0] if len(b.shape) == 2 else b.shape[0]
            if a.shape[-1] != k_b:
                continue
            steps.append(("matmul", None, i, j))
            pool.append(Val(a.shape[:-1] + b.shape[1:], "f"))
        elif op == "cond":
            if a.kind != "f":
                continue
            b1 = draw(st.sampled_from(sorted(UNARY_F)))
            b2 = draw(st.sampled_from(sorted(UNARY_F)))
            steps.append(("cond", (b1, b2), i))
            pool.append(Val(a.shape, "f"))
        elif op == "cast":
            target = draw(st.sampled_from("fi"))
            if a.kind == "f" and target == "i":
                steps.append(("cast_int", None, i))
            else:
                steps.append(("cast_float", None, i))
            pool.append(Val(a.shape, target))
    outputs = sorted(set(draw(st.lists(st.integers(0, len(pool) - 1), min_size=1,
                                       max_size=3)) + [len(pool) - 1]))
    transforms = draw(st.lists(st.sampled_from(["jit", "vmap", "grad", "jvp"]), max_size=3))
    seed = draw(st.integers(0, 2**16))
    return Program(inputs, steps, outputs, transforms, seed)


@dataclass
class Program:
    inputs: list
    steps: list
    outputs: list
    transforms: list
    seed: int

    def __repr__(self):
        lines = ["Program("]
        for k, v in enumerate(self.inputs):
            lines.append(f"  v{k}: input {v.kind}{list(v.shape)}")
        for k, s in enumerate(self.steps, start=len(self.inputs)):
            op, name, *operands = s
            args = ", ".join(f"v{o}" if isinstance(o, int) and o is not None and m < len(operands)
                             and op not in ("reduce",) or (op == "reduce" and m == 0)
                             else repr(o) for m, o in enumerate(operands))
            lines.append(f"  v{k} = {op}{'' if name is None else '[' + str(name) + ']'}({args})")
        lines.append(f"  outputs: {['v%d' % o for o in self.outputs]}")
        lines.append(f"  transforms (outermost first): {self.transforms}, seed={self.seed})")
        return "\n".join(lines)


def interpret(prog, lib, fdtype):
    J, jnp, lax = lib

    def fn(*xs):
        vals = list(xs)
        for op, name, *o in prog.steps:
            if op == "unary":
                r = UNARY_F[name](J, jnp, lax, vals[o[0]])
            elif op in ("binary", "binary_f", "compare"):
                table = {"binary": BINARY, "binary_f": BINARY_F, "compare": COMPARE}[op]
                r = table[name](J, jnp, lax, vals[o[0]], vals[o[1]])
            elif op == "where":
                r = jnp.where(vals[o[0]], vals[o[1]], vals[o[2]])
            elif op == "reduce":
                r = REDUCE[name](J, jnp, lax, vals[o[0]], o[1])
            elif op == "reshape":
                r = jnp.reshape(vals[o[0]], (-1,))
            elif op == "transpose":
                r = jnp.transpose(vals[o[0]])
            elif op == "broadcast":
                x = vals[o[0]]
                r = jnp.broadcast_to(x, (2,) + x.shape)
            elif op == "index_static":
                x = vals[o[0]]
                r = {"first": lambda: x[0], "last": lambda: x[-1], "rev": lambda: x[::-1],
                     "tail": lambda: x[1:]}[name]()
            elif op == "index_array":
                r = vals[o[0]][jnp.array(name)]
            elif op == "matmul":
                r = jnp.matmul(vals[o[0]], vals[o[1]])
            elif op == "cond":
                x = vals[o[0]]
                b1, b2 = name
                r = lax.cond(jnp.sum(x) > 0, lambda v: UNARY_F[b1](J, jnp, lax, v),
                             lambda v: UNARY_F[b2](J, jnp, lax, v), x)
            elif op == "cast_int":
                x = vals[o[0]]
                r = jnp.clip(jnp.where(x == x, x, 0.0), -50.0, 50.0).astype(jnp.int32)
            elif op == "cast_float":
                r = vals[o[0]].astype(fdtype)
            else:
                raise ValueError(op)
            vals.append(r)
        return tuple(vals[k] for k in prog.outputs)

    def float_sum(out):
        total = 0.0
        for leaf in J.tree_util.tree_leaves(out):
            if jnp.issubdtype(leaf.dtype, jnp.floating):
                total = total + jnp.sum(leaf)
        return total

    f = fn
    n = len(prog.inputs)
    diff = tuple(k for k, v in enumerate(prog.inputs) if v.kind == "f")
    for t in reversed(prog.transforms):
        g = f
        if t == "jit":
            f = J.jit(g)
        elif t == "vmap":
            f = J.vmap(g)
        elif t == "grad":
            f = J.grad(lambda *xs, g=g: float_sum(g(*xs)), argnums=diff)
        elif t == "jvp":
            def f(*xs, g=g):
                def inner(*d):
                    merged = list(xs)
                    for k, v in zip(diff, d):
                        merged[k] = v
                    return g(*merged)
                prim = tuple(xs[k] for k in diff)
                tans = tuple(0.5 + 0.25 * p for p in prim)
                return J.jvp(inner, prim, tans)
    rng = np.random.default_rng(prog.seed)
    n_vmap = prog.transforms.count("vmap")
    args = []
    for k in range(n):
        v = prog.inputs[k]
        shape = (2,) * n_vmap + v.shape
        if v.kind == "f":
            args.append(rng.uniform(-2, 2, shape).astype(fdtype))
        elif v.kind == "i":
            args.append(rng.integers(-4, 5, shape).astype(np.int32))
        else:
            args.append(rng.integers(0, 2, shape).astype(bool))
    return f, args


def check_program(prog, mode):
    fdtype = np.float64 if mode == "f64" else np.float32
    jax_out, jax_exc = run(lambda: (lambda f, a: f(*a))(*interpret(prog, JAX, fdtype)))
    pj_out, pj_exc = run(lambda: (lambda f, a: f(*a))(*interpret(prog, PJ, fdtype)))
    if jax_exc is not None:
        check_same_error(jax_exc, pj_exc, repr(prog))
        return
    if pj_exc is not None:
        raise AssertionError(f"JAX returned, purejax raised {type(pj_exc).__name__}: "
                             f"{pj_exc}\n{prog!r}") from pj_exc
    rtol, atol = tolerances(mode, 50)
    assert_outputs_match(jax_out, pj_out, rtol, atol, repr(prog))


_settings = dict(deadline=None, derandomize=True, print_blob=False,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                        HealthCheck.filter_too_much])


@settings(max_examples=100, **_settings)
@given(programs())
def test_random_programs_f32(prog):
    _in_mode(prog, "f32")


def _in_mode(prog, mode):
    import jax
    import purejax
    old = jax.config.read("jax_enable_x64"), purejax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", mode == "f64")
    purejax.config.update("jax_enable_x64", mode == "f64")
    try:
        check_program(prog, mode)
    finally:
        jax.config.update("jax_enable_x64", old[0])
        purejax.config.update("jax_enable_x64", old[1])


@settings(max_examples=40, **_settings)
@given(programs())
def test_random_programs_f64(prog):
    _in_mode(prog, "f64")


@pytest.mark.slow
@settings(max_examples=5000, **_settings)
@given(programs(), st.sampled_from(["f32", "f64"]))
def test_random_programs_long(prog, mode):
    _in_mode(prog, mode)
