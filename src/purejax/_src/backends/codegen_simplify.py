"""Algebraic peephole rewrites that the numpy_codegen backend runs on a Jaxpr (after
DCE, before emission). Autodiff leaves many operations a hand-written NumPy program
would not spend a pass on: broadcasts of a constant that are only combined
elementwise, multiplications by a broadcast 1, chains of negations from transposed
subtractions, selects between two constants, pads feeding one add.

Every rewrite keeps the value of every element: the NumPy operations that remain are
exactly rounded (+ - * /, comparisons, select), and the identities used hold in IEEE
arithmetic (a + (-b) == a - b, k * (-x) == (-k) * x, (-a) * (-b) == a * b, x * 1 == x,
x * -1 == -x, x - (+0) == x) and in wrapping integer arithmetic. The one thing they
can change is the sign bit of a NaN result (NumPy's negation flips it; a subtraction
propagates the operand's NaN).

The rewritten Jaxpr is only for emission: an elementwise operand may be a rank-0
Literal where lax would have wanted the full shape, because the NumPy function the
equation becomes broadcasts it to the same values.
"""
from __future__ import annotations

import numpy as np

from purejax._src.core import Jaxpr, JaxprEqn, Literal, Primitive, ShapedArray, Var
from purejax._src.interpreters import partial_eval as pe

# Elementwise primitives whose impl is one exactly rounded NumPy operation: evaluating
# them on rank-0 values gives bit for bit the element an array evaluation gives.
_EXACT_ELEMENTWISE = frozenset({
    "add", "sub", "mul", "div", "neg", "max", "min", "add_any", "eq", "ne", "lt", "le",
    "gt", "ge", "select_n", "convert_element_type", "abs", "stop_gradient", "copy",
    "floor", "ceil"})
# Those whose impl is a NumPy function that broadcasts a rank-0 operand.
_BROADCASTING = frozenset({
    "add", "sub", "mul", "div", "max", "min", "add_any", "eq", "ne", "lt", "le", "gt",
    "ge", "select_n"})
_IDENTITY = frozenset({"stop_gradient"})
# a + b and b + a are one computation (bit for bit, but for which NaN propagates when
# both operands are NaN)
COMMUTATIVE = frozenset({"add", "add_any", "mul", "eq", "ne", "and", "or", "xor"})


def _real_or_int(dt) -> bool:
    return dt.kind in "fiu"


def _signed_real(dt) -> bool:
    """Dtypes where negation distributes as used below (IEEE floats, wrapping ints)."""
    return dt.kind in "fi"


def _lit(val, like_aval) -> Literal:
    val = np.asarray(val, dtype=like_aval.dtype)
    return Literal(val, ShapedArray((), val.dtype, like_aval.weak_type))


def _is_value(s, x) -> bool:
    """s (a rank-0 NumPy value) equals x, and is +0 when x is 0."""
    return s is not None and bool(s == x) and not (x == 0 and s.dtype.kind == "f" and np.signbit(s))


class _Rewriter:
    def __init__(self, jaxpr: Jaxpr):
        self.jaxpr = jaxpr
        self.subst: dict = {}    # Var -> atom it equals
        self.splat: dict = {}    # Var -> rank-0 value every element equals
        self.negof: dict = {}    # Var -> atom it is the negation of
        self.pads: dict = {}     # Var -> the pad equation producing it
        self.const_mul: dict = {}  # Var -> (k, y) where it is k * y for a constant k
        self.bcast: dict = {}    # Var -> (operand, keepdims shape) of an order-keeping broadcast
        self.uses: dict = {}
        for e in jaxpr.eqns:
            for v in e.invars:
                if type(v) is not Literal:
                    self.uses[v] = self.uses.get(v, 0) + 1
        for v in jaxpr.outvars:
            if type(v) is not Literal:
                self.uses[v] = self.uses.get(v, 0) + 2  # never 'single use'
        self.eqns: list = []
        self.defs: dict = {}  # Var -> the (rewritten) equation defining it
        self.changed = False
        self.has_step = False  # a step equation is defined (for mul_step)

    # --- helpers ---------------------------------------------------------------
    def atom(self, v):
        while type(v) is not Literal and v in self.subst:
            v = self.subst[v]
        return v

    def scalar(self, v):
        """The rank-0 value every element of atom v equals, or None."""
        if type(v) is Literal:
            val = v.val
            val = val._value if hasattr(val, "_value") else val
            return np.asarray(val, dtype=v.aval.dtype)
        return self.splat.get(v)

    def single_use(self, v) -> bool:
        return type(v) is not Literal and self.uses.get(v, 0) == 1

    def emit(self, prim, invars, outvar, params=None):
        self.eqns.append(JaxprEqn(list(invars), [outvar], prim, dict(params or {})))
        self.defs[outvar] = self.eqns[-1]
        self.has_step = self.has_step or prim is step_p

    def fresh(self, like: Var) -> Var:
        return Var(like.aval)

    # --- the pass ----------------------------------------------------------------
    def run(self) -> Jaxpr:
        seen: dict = {}
        for eqn in self.jaxpr.eqns:
            invars = [self.atom(v) for v in eqn.invars]
            if self.cse(eqn, invars, seen):
                continue
            if len(eqn.outvars) != 1 or eqn.primitive.multiple_results or not self.rewrite(eqn, invars):
                self.eqns.append(JaxprEqn(invars, list(eqn.outvars), eqn.primitive, eqn.params,
                                          eqn.source) if invars != eqn.invars else eqn)
                if len(eqn.outvars) == 1:
                    self.defs[eqn.outvars[0]] = self.eqns[-1]
                    self.has_step = self.has_step or eqn.primitive is step_p
        outvars = [self.atom(v) for v in self.jaxpr.outvars]
        return Jaxpr(self.jaxpr.constvars, self.jaxpr.invars, outvars, self.eqns)

    def cse(self, eqn, invars, seen) -> bool:
        """Common subexpressions, so that use counts see one product where autodiff
        wrote both x * y and y * x."""
        if eqn.primitive.multiple_results or len(eqn.outvars) != 1 or \
                getattr(eqn.primitive, "effectful", False):
            return False
        args = [("lit", id(v)) if type(v) is Literal else v for v in invars]
        if eqn.primitive.name in COMMUTATIVE and len(args) == 2 and all(
                type(v) is not Literal for v in invars) and id(args[1]) < id(args[0]):
            args.reverse()
        try:
            key = (eqn.primitive, tuple(args), tuple(sorted(eqn.params.items())))
            hash(key)
        except TypeError:
            return False
        prev = seen.get(key)
        if prev is None:
            seen[key] = eqn.outvars[0]
            return False
        self.subst[eqn.outvars[0]] = prev
        self.changed = True
        return True

    def rewrite(self, eqn, invars) -> bool:
        """Record facts about eqn's output; append a replacement and return True, or
        return False to keep eqn (with invars substituted)."""
        name = eqn.primitive.name
        out = eqn.outvars[0]
        aval = out.aval
        if name in _IDENTITY:
            self.subst[out] = invars[0]
            self.changed = True
            return True
        scalars = [self.scalar(v) for v in invars]
        if name == "broadcast_in_dim" and scalars[0] is not None:
            self.splat[out] = scalars[0]
            return False
        if name == "broadcast_in_dim":
            self.note_broadcast(eqn, invars, out)
            return False
        if name == "pad":
            self.pads[out] = (eqn, invars)
        if name not in _EXACT_ELEMENTWISE:
            return False
        # all operands constant: fold to a (broadcast) constant
        if all(s is not None for s in scalars):
            with np.errstate(all="ignore"):
                val = np.asarray(eqn.primitive.impl(*scalars, **eqn.params))
            if val.shape == () and val.dtype == aval.dtype:
                self.splat[out] = val
                if aval.shape != ():
                    self.emit(_bcast_p(), [_lit(val, aval)], out,
                              dict(shape=aval.shape, broadcast_dimensions=()))
                    self.changed = True
                    return True
            return False
        if not _real_or_int(aval.dtype):
            return False
        if name == "mul":
            for i in (0, 1):
                other = invars[1 - i]
                if (_is_value(scalars[i], 1) and other.aval.shape == aval.shape
                        and other.aval.dtype == aval.dtype):
                    self.subst[out] = other  # x * 1 == x
                    self.changed = True
                    return True
                if (_is_value(scalars[i], -1) and _signed_real(aval.dtype)
                        and type(other) is not Literal and other.aval.shape == aval.shape
                        and other.aval.dtype == aval.dtype):
                    from purejax._src.prims import elementwise as ew
                    self.emit(ew.neg_p, [other], out)  # x * -1 == -x, which fold_neg moves
                    self.negof[out] = other
                    self.changed = True
                    return True
        if name == "sub" and _is_value(scalars[1], 0) and \
                invars[0].aval.shape == aval.shape and invars[0].aval.dtype == aval.dtype:
            self.subst[out] = invars[0]  # x - (+0) == x, -0 and NaN included
            self.changed = True
            return True
        if name == "select_n" and len(invars) == 3 and invars[0].aval.dtype == np.bool_ \
                and invars[0].aval.shape == aval.shape and aval.dtype != np.bool_:
            if _is_value(scalars[1], 0) and _is_value(scalars[2], 1):
                self.emit(_convert_p(), [invars[0]], out,
                          dict(new_dtype=aval.dtype, weak_type=aval.weak_type))
                self.changed = True
                return True
        if name == "div" and self.balanced_step(invars, out):
            return True
        if name == "mul" and self.has_step and self.mul_step(invars, out):
            return True
        if self.fold_neg(name, invars, scalars, out):
            return True
        if name in ("add", "add_any") and self.fuse_pads(invars, out):
            return True
        if name in _BROADCASTING and self.unbroadcast_operands(eqn, invars, out):
            return True
        # constant operands of a broadcasting op: pass the rank-0 value
        if name == "div":
            scalars = [scalars[0], None]  # (the divisor keeps its shape, as above)
        if name in _BROADCASTING and any(s is not None and type(v) is not Literal and v.aval.shape != ()
                                         for v, s in zip(invars, scalars)):
            full = [s is None and v.aval.shape == aval.shape for v, s in zip(invars, scalars)]
            if any(full):
                new = [_lit(s, v.aval) if s is not None and type(v) is not Literal else v
                       for v, s in zip(invars, scalars)]
                self.emit(eqn.primitive, new, out, eqn.params)
                self.changed = True
                return True
        return False

    # --- broadcasts that NumPy's broadcasting does for free -------------------------
    def note_broadcast(self, eqn, invars, out):
        """Remember broadcast_in_dim(x) whose dimensions keep their order: an elementwise
        consumer can take x reshaped with size-1 axes instead of the materialised
        array, and NumPy broadcasts it to the same elements (a view, no copy)."""
        x = invars[0]
        dims = eqn.params["broadcast_dimensions"]
        if type(x) is Literal or list(dims) != sorted(dims):
            return
        keep = [1] * len(out.aval.shape)
        for d, size in zip(dims, x.aval.shape):
            keep[d] = size
        self.bcast[out] = (x, tuple(keep))

    def unbroadcast_operands(self, eqn, invars, out) -> bool:
        if not any(type(v) is not Literal and v in self.bcast for v in invars):
            return False
        new, shapes = [], []
        for k, v in enumerate(invars):
            # (div's divisor keeps its shape: by a rank-0 one, div multiplies by the
            # reciprocal, elementwise._float_div)
            hit = self.bcast.get(v) if type(v) is not Literal and not \
                (k == 1 and eqn.primitive.name == "div") else None
            if hit is None:
                new.append(v)
                shapes.append(v.aval.shape)
                continue
            x, keep = hit
            if x.aval.shape != keep[len(keep) - len(x.aval.shape):]:
                # NumPy aligns trailing axes: elsewhere x needs its size-1 axes
                r = self.fresh_like(x, keep)
                self.emit(_reshape_p(), [x], r, dict(new_sizes=keep, dimensions=None))
                x = r
            new.append(x)
            shapes.append(x.aval.shape)
        try:
            if np.broadcast_shapes(*shapes) != out.aval.shape:
                return False
        except ValueError:
            return False
        self.emit(eqn.primitive, new, out, eqn.params)
        self.changed = True
        return True

    def fresh_like(self, x, shape) -> Var:
        return Var(ShapedArray(tuple(shape), x.aval.dtype, x.aval.weak_type))

    # --- negation --------------------------------------------------------------
    def fold_neg(self, name, invars, scalars, out) -> bool:
        """Move negations where a neighbouring operation absorbs them."""
        if not _signed_real(out.aval.dtype):
            return False
        from purejax._src.prims import elementwise as ew
        from purejax._src.interpreters.ad import add_any_p
        if name == "neg":
            x = invars[0]
            if x in self.negof:
                self.subst[out] = self.negof[x]       # -(-u) == u
                self.changed = True
                return True
            k_x = self.const_mul.get(x)
            if k_x is not None and self.single_use(x):
                k, y = k_x                              # -(k*y) == (-k)*y
                self.emit_mul_const(-k, y, out)
                return True
            self.negof[out] = x
            return False
        if len(invars) != 2 or any(v.aval.shape not in (out.aval.shape, ()) for v in invars):
            return False
        a, b = invars
        na, nb = self.negof.get(a), self.negof.get(b)
        # a negated operand keeps its place, so it must not be the one that broadcasts
        if (na is not None and a.aval.shape != out.aval.shape) or \
                (nb is not None and b.aval.shape != out.aval.shape):
            return False
        if name in ("add", "add_any"):
            if na is not None and nb is not None and self.single_use(a) and self.single_use(b):
                self.emit_neg_of(add_any_p if name == "add_any" else ew.add_p, [na, nb], out)
                return True
            if nb is not None:
                self.emit(ew.sub_p, [a, nb], out)      # a + (-w) == a - w
                self.changed = True
                return True
            if na is not None:
                self.emit(ew.sub_p, [b, na], out)      # (-u) + b == b - u
                self.changed = True
                return True
        elif name == "sub":
            if na is not None and nb is not None:
                self.emit(ew.sub_p, [nb, na], out)     # (-u) - (-w) == w - u
                self.changed = True
                return True
            if nb is not None:
                self.emit(ew.add_p, [a, nb], out)      # a - (-w) == a + w
                self.changed = True
                return True
            if na is not None and self.single_use(a):
                self.emit_neg_of(ew.add_p, [na, b], out)  # (-u) - b == -(u + b)
                return True
        elif name == "mul":
            if na is not None and nb is not None:
                self.emit(ew.mul_p, [na, nb], out)     # (-u) * (-w) == u * w
                self.changed = True
                return True
            for n_, k in ((na, scalars[1]), (nb, scalars[0])):
                if n_ is not None and k is not None:
                    self.emit_mul_const(-k, n_, out)  # k * (-w) == (-k) * w
                    return True
            for n_, v, other in ((na, a, b), (nb, b, a)):
                if n_ is not None and self.single_use(v):
                    self.emit_neg_of(ew.mul_p, [n_, other], out)  # (-u) * x == -(u * x)
                    return True
            for i in (0, 1):
                k1, y = scalars[i], invars[1 - i]
                if k1 is None:
                    continue
                inner = self.const_mul.get(y)
                if inner is not None and self.single_use(y) and _merge_exact(k1, inner[0]):
                    with np.errstate(all="ignore"):
                        self.emit_mul_const(k1 * inner[0], inner[1], out)  # k1*(k2*x) == (k1*k2)*x
                    return True
                self.const_mul_note(out, k1, y)
        return False

    def const_mul_note(self, out, k, y):
        self.const_mul[out] = (k, y)

    def emit_mul_const(self, k, y, out):
        from purejax._src.prims import elementwise as ew
        with np.errstate(all="ignore"):
            k = np.asarray(k, dtype=out.aval.dtype)
        self.emit(ew.mul_p, [_lit(k, out.aval), y], out)
        self.const_mul_note(out, k, y)
        self.changed = True

    def emit_neg_of(self, prim, operands, out):
        """out = -(prim(*operands)), keeping the negation visible to later users."""
        from purejax._src.prims import elementwise as ew
        t = self.fresh(out)
        self.emit(prim, operands, t)
        self.emit(ew.neg_p, [t], out)
        self.negof[out] = t
        self.uses[t] = 1
        self.changed = True

    # --- the derivative of max(x, 0) / min(x, 0) ---------------------------------
    def def_of(self, v, *names):
        e = self.defs.get(v) if type(v) is not Literal else None
        return e if e is not None and e.primitive.name in names else None

    def balanced_step(self, invars, out) -> bool:
        """The JVP of m = max(x, 0) (min(x, 0)) is g * (select(x == m, 0, 1) /
        select(0 == m, 1, 2)): 1 where x > 0 (x < 0), 0.5 where x == 0 (either sign of
        zero), 0 elsewhere and for NaN, all +0.0 or positive. `step` computes the same
        values from two comparisons instead of five passes."""
        num, den = invars
        aval = out.aval
        if aval.dtype.kind != "f" or num.aval.shape != aval.shape or den.aval.shape != aval.shape:
            return False
        # numerator: convert(p) or select_n(p, 0, 1), p = eq(x, m)
        e = self.def_of(num, "convert_element_type", "select_n")
        if e is None:
            return False
        if e.primitive.name == "select_n":
            if len(e.invars) != 3 or not (_is_value(self.scalar(e.invars[1]), 0)
                                          and _is_value(self.scalar(e.invars[2]), 1)):
                return False
        p = e.invars[0]
        if p.aval.dtype != np.bool_:
            return False
        # denominator: select_n(eq(0, m), 1, 2)
        d = self.def_of(den, "select_n")
        if d is None or len(d.invars) != 3 or not (
                _is_value(self.scalar(d.invars[1]), 1) and _is_value(self.scalar(d.invars[2]), 2)):
            return False
        pe_, qe = self.def_of(p, "eq"), self.def_of(d.invars[0], "eq")
        if pe_ is None or qe is None:
            return False
        q0, q1 = qe.invars
        if self.scalar(q0) is not None and self.scalar(q0) == 0:
            m = q1
        elif self.scalar(q1) is not None and self.scalar(q1) == 0:
            m = q0
        else:
            return False
        me = self.def_of(m, "max", "min")
        if me is None or m.aval.shape != aval.shape:
            return False
        a, b = me.invars
        sa, sb = self.scalar(a), self.scalar(b)
        if sb is not None and sb == 0 and sa is None:
            x = a
        elif sa is not None and sa == 0 and sb is None:
            x = b
        else:
            return False
        if x.aval.dtype != aval.dtype or x.aval.shape != aval.shape or \
                set(pe_.invars) != {x, m} or len(pe_.invars) != 2:
            return False
        self.emit(step_p, [x], out, dict(less=me.primitive.name == "min"))
        self.changed = True
        return True

    def mul_step(self, invars, out) -> bool:
        """g * step(x), the step read nowhere else: mul_step(g, x) multiplies by the
        comparison's booleans (as a hand-written NumPy program would) instead of
        materialising the step as floats."""
        aval = out.aval
        for i in (0, 1):
            s, g = invars[i], invars[1 - i]
            e = self.def_of(s, "step")
            if e is None or not self.single_use(s):
                continue
            x = e.invars[0]
            if g.aval.shape == x.aval.shape == aval.shape and g.aval.dtype == aval.dtype:
                self.emit(mul_step_p, [g, x], out, dict(e.params))
                self.changed = True
                return True
        return False

    # --- pad + pad + add -------------------------------------------------------
    def fuse_pads(self, invars, out) -> bool:
        pa, pb = self.pads.get(invars[0]), self.pads.get(invars[1])
        if pa is None or pb is None or not (self.single_use(invars[0]) and self.single_use(invars[1])):
            return False
        if out.aval.dtype.kind != "f":
            return False
        spec = []
        axis = None
        for eqn, ins in (pa, pb):
            if not _is_value(self.scalar(ins[1]), 0):
                return False
            config = eqn.params["padding_config"]
            moved = [d for d, (lo, hi, interior) in enumerate(config) if (lo, hi) != (0, 0) or interior]
            if len(moved) > 1 or any(lo < 0 or hi < 0 or interior for lo, hi, interior in config):
                return False
            if moved:
                if axis is not None and moved[0] != axis:
                    return False
                axis = moved[0]
            spec.append((ins[0], config))
        axis = 0 if axis is None else axis
        (x, cx), (y, cy) = spec
        self.emit(pad_add_p, [x, y], out,
                  dict(shape=out.aval.shape, axis=axis, lo_x=cx[axis][0], lo_y=cy[axis][0]))
        self.changed = True
        return True


def _merge_exact(k1, k2) -> bool:
    """k1 * (k2 * x) == (k1 * k2) * x for every x: always in wrapping integer
    arithmetic; for floats when k2 is +-2**m, m >= 0 (so k2 * x only scales, or
    overflows to an infinity that |k1| >= 1 keeps) and k1 * k2 is exact."""
    if k1.dtype.kind in "iu":
        return True
    if k1.dtype.kind != "f" or not (np.isfinite(k1) and np.isfinite(k2)):
        return False
    m, e = np.frexp(abs(k2))
    if m != 0.5 or e < 1 or abs(k1) < 1:
        return False
    with np.errstate(all="ignore"):
        return bool(np.isfinite(k1 * k2))


def _bcast_p():
    from purejax._src.prims.shape import broadcast_in_dim_p
    return broadcast_in_dim_p


def _reshape_p():
    from purejax._src.prims.shape import reshape_p
    return reshape_p


def _convert_p():
    from purejax._src.prims.shape import convert_element_type_p
    return convert_element_type_p


# --- pad_add: add_any(pad(x, 0), pad(y, 0)), both padded along one axis ---------
def _pad_add_impl(x, y, *, shape, axis, lo_x, lo_y):
    """One pass into one buffer instead of two padded copies and their sum, with the
    same values: element-wise x + y where both are present, x + 0 or 0 + y where one
    is (the `+ 0` turns a -0.0 into +0.0, as the sum did), and +0 elsewhere."""
    dt = np.result_type(x, y)
    out = np.empty(shape, dtype=dt)
    zero = dt.type(0)
    n = shape[axis]
    nx, ny = x.shape[axis], y.shape[axis]
    cuts = sorted({min(max(c, 0), n) for c in (0, n, lo_x, lo_x + nx, lo_y, lo_y + ny)})

    def part(a, lo, hi):
        return a[(slice(None),) * axis + (slice(lo, hi),)]
    for lo, hi in zip(cuts, cuts[1:]):
        in_x = lo_x <= lo and hi <= lo_x + nx
        in_y = lo_y <= lo and hi <= lo_y + ny
        o = part(out, lo, hi)
        if in_x and in_y:
            np.add(part(x, lo - lo_x, hi - lo_x), part(y, lo - lo_y, hi - lo_y), out=o)
        elif in_x:
            np.add(part(x, lo - lo_x, hi - lo_x), zero, out=o)
        elif in_y:
            np.add(zero, part(y, lo - lo_y, hi - lo_y), out=o)
        else:
            o[...] = zero
    return out


def _codegen_only(*_, **__):
    raise NotImplementedError("pad_add only exists inside programs that the numpy_codegen "
                              "backend emits; it is never traced or transformed")


# Created by simplify() only, after every transformation has run: the rule slots other
# than impl and abstract_eval are never used.
pad_add_p = Primitive("pad_add")
pad_add_p.impl = _pad_add_impl
pad_add_p.abstract_eval = lambda x, y, *, shape, **_: ShapedArray(shape, x.dtype)
pad_add_p.jvp = pad_add_p.batch = pad_add_p.transpose = _codegen_only


# --- step: the derivative of max(x, 0) (less=False) or min(x, 0) (less=True) ------
def _step_impl(x, *, less):
    """1 where x > 0 (x < 0 when less), 0.5 where x == 0, +0.0 elsewhere (NaN too)."""
    x = np.asarray(x)
    zero = x.dtype.type(0)
    out = np.asarray((np.less if less else np.greater)(x, zero).astype(x.dtype))
    at_zero = np.equal(x, zero)
    if at_zero.any():
        np.copyto(out, x.dtype.type(0.5), where=at_zero)
    return out


step_p = Primitive("step")
step_p.impl = _step_impl
step_p.abstract_eval = lambda x, **_: ShapedArray(x.shape, x.dtype)
step_p.jvp = step_p.batch = step_p.transpose = _codegen_only


# --- mul_step: g * step(x) ----------------------------------------------------------
def _mul_step_impl(g, x, *, less, out=None):
    """g * step(x) element by element: g times the comparison's booleans (NumPy casts
    them to exactly 1 and 0 of g's dtype), and g * 0.5 where x == 0. `out` may be g
    (codegen_emit.reuse_buffers): the products at zeros are taken first."""
    zero = x.dtype.type(0)
    if np.ndim(x) == 0:  # rank 0 (NumPy scalars in generated code: no item assignment)
        if x == zero:
            return np.multiply(g, x.dtype.type(0.5))
        return np.multiply(g, (np.less if less else np.greater)(x, zero))
    at_zero = np.equal(x, zero)
    half = np.multiply(g[at_zero], x.dtype.type(0.5)) if at_zero.any() else None
    out = np.multiply(g, (np.less if less else np.greater)(x, zero), out=out)
    if half is not None:
        out[at_zero] = half
    return out


_mul_step_impl.out_operands = (0,)  # for codegen_emit.reuse_buffers


mul_step_p = Primitive("mul_step")
mul_step_p.impl = _mul_step_impl
mul_step_p.abstract_eval = lambda g, x, **_: ShapedArray(x.shape, g.dtype)
mul_step_p.jvp = mul_step_p.batch = mul_step_p.transpose = _codegen_only


def simplify(jaxpr: Jaxpr, max_rounds: int = 8) -> Jaxpr:
    """Rewrite until nothing changes (each round re-counts uses after a DCE)."""
    for _ in range(max_rounds):
        rw = _Rewriter(jaxpr)
        new = pe.dce_jaxpr(rw.run())
        if not rw.changed:
            return new
        jaxpr = new
    return jaxpr
