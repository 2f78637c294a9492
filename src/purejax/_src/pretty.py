"""Jaxpr printing in JAX's format:

    { lambda ; a:f32[]. let
        b:f32[] = exp a
        c:f32[] = add 1.0 b
      in (c,) }
"""
from __future__ import annotations

import numpy as np

from purejax._src import core


def _encode(n: int) -> str:
    # a..z, then ba, bb, ... as JAX does (base-26 digits, 'a' only as a non-leading digit)
    s = ""
    while True:
        n, r = divmod(n, 26)
        s = chr(ord("a") + r) + s
        if n == 0:
            return s


class _Names:
    def __init__(self):
        self.names: dict = {}

    def __call__(self, v) -> str:
        name = self.names.get(v)
        if name is None:
            name = self.names[v] = _encode(len(self.names))
        return name


def pp_literal(lit: core.Literal) -> str:
    val = core.concrete_or_error(lit.val)
    val = np.asarray(val)
    if val.dtype == bool:
        return str(bool(val))
    if np.issubdtype(val.dtype, np.integer):
        return str(int(val))
    if np.issubdtype(val.dtype, np.complexfloating):
        return str(complex(val))
    f = val.item()
    if np.isfinite(f) and f == int(f) and abs(f) < 1e16:
        return f"{f:.1f}"
    return str(val)


def _pp_atom(names, v) -> str:
    if type(v) is core.Literal:
        return pp_literal(v)
    return names(v)


def _pp_param(names, value, indent) -> str:
    if isinstance(value, core.ClosedJaxpr):
        return _pp_jaxpr(value.jaxpr, indent + 4, names_parent=None)
    if isinstance(value, core.Jaxpr):
        return _pp_jaxpr(value, indent + 4, names_parent=None)
    if isinstance(value, tuple) and value and all(
            isinstance(b, (core.ClosedJaxpr, core.Jaxpr)) for b in value):
        inner = ("\n" + " " * (indent + 2)).join(_pp_param(names, b, indent) for b in value)
        return "(\n" + " " * (indent + 2) + inner + "\n" + " " * indent + ")"
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):
        return np.dtype(value).name
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return str(value)


def _pp_eqn(names, eqn, used, indent) -> str:
    outs = " ".join(
        (names(v) if v in used else "_") + ":" + v.aval.str_short() for v in eqn.outvars)
    params = ""
    if eqn.params:
        params = "[" + " ".join(
            f"{k}={_pp_param(names, eqn.params[k], indent)}" for k in sorted(eqn.params)) + "]"
    ins = " ".join(_pp_atom(names, v) for v in eqn.invars)
    return f"{outs} = {eqn.primitive.name}{params} {ins}".rstrip()


def _used_vars(jaxpr: core.Jaxpr) -> set:
    used = set()
    for eqn in jaxpr.eqns:
        used.update(v for v in eqn.invars if type(v) is not core.Literal)
    used.update(v for v in jaxpr.outvars if type(v) is not core.Literal)
    return used


def _pp_jaxpr(jaxpr: core.Jaxpr, indent: int = 0, names_parent=None) -> str:
    names = _Names()
    used = _used_vars(jaxpr)
    consts = " ".join(f"{names(v)}:{v.aval.str_short()}" for v in jaxpr.constvars)
    ins = " ".join(f"{names(v)}:{v.aval.str_short()}" for v in jaxpr.invars)
    pad = " " * indent
    lines = [f"{{ lambda {consts}; {ins}. let" if consts else f"{{ lambda ; {ins}. let"]
    for eqn in jaxpr.eqns:
        lines.append(pad + "    " + _pp_eqn(names, eqn, used, indent + 4))
    outs = ", ".join(_pp_atom(names, v) for v in jaxpr.outvars)
    if len(jaxpr.outvars) == 1:
        outs += ","
    lines.append(pad + f"  in ({outs}) }}")
    return "\n".join(lines)


def pp_jaxpr(jaxpr: core.Jaxpr) -> str:
    return _pp_jaxpr(jaxpr)


def pp_eqn_standalone(eqn) -> str:
    return _pp_eqn(_Names(), eqn, set(eqn.outvars), 0)
