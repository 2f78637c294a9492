"""What error messages need to know about the user's function and its arguments."""
from __future__ import annotations

from typing import Callable, Sequence

from purejax._src import core


class DebugInfo:
    __slots__ = ("transform", "func_name", "func_src", "arg_names")

    def __init__(self, transform: str, func: Callable, arg_names: Sequence[str] | None):
        self.transform = transform
        self.func_name = func_name(func)
        self.func_src = func_src(func)
        self.arg_names = list(arg_names) if arg_names is not None else None

    def where(self) -> str:
        return f"{self.func_name}{' at ' + self.func_src if self.func_src else ''}"


def func_name(f: Callable) -> str:
    while hasattr(f, "func") and not hasattr(f, "__qualname__"):
        f = f.func  # functools.partial
    return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or repr(f)


def func_src(f: Callable) -> str:
    import inspect  # imported lazily: it costs ~20 ms at startup
    try:
        f = inspect.unwrap(f)
        while hasattr(f, "func") and not hasattr(f, "__code__"):
            f = f.func
        code = f.__code__
        return f"{code.co_filename}:{code.co_firstlineno}"
    except (AttributeError, TypeError, ValueError):
        return ""


def flat_arg_names(fun: Callable, args: Sequence, kwargs: dict, leaf_paths) -> list[str]:
    """Names like `x`, `params['w']`, `args[2][0]` for each flattened argument leaf."""
    import inspect
    try:
        sig = inspect.signature(fun)
        bound = sig.bind(*args, **kwargs)
        names = list(bound.arguments)
    except (TypeError, ValueError):
        names = None
    out = []
    for path in leaf_paths:
        top, rest = path[0], path[1:]
        idx = getattr(top, "idx", getattr(top, "key", None))
        if isinstance(idx, int) and names is not None and idx < len(names) and \
                not _is_varargs(fun, names[idx]):
            base = names[idx]
        else:
            base = f"args[{idx}]" if isinstance(idx, int) else str(idx)
        from purejax._src.tree_util import keystr
        out.append(base + keystr(tuple(rest)))
    return out


def _is_varargs(fun, name) -> bool:
    import inspect
    try:
        p = inspect.signature(fun).parameters.get(name)
    except (TypeError, ValueError):
        return False
    return p is not None and p.kind == inspect.Parameter.VAR_POSITIONAL


def _dependent_invars(trace, tracer) -> list[int]:
    """Indices of the trace's inputs that `tracer` depends on."""
    targets = {tracer._var}
    for eqn in reversed(trace.eqns):
        if any(v in targets for v in eqn.outvars):
            targets.update(v for v in eqn.invars if type(v) is not core.Literal)
    return [i for i, v in enumerate(trace.invars) if v in targets]


def concretization_message(trace, tracer, what: str) -> str:
    info = trace.debug_info
    msg = f"Attempted {what} of a traced array with shape {tracer.aval.str_short()}."
    if info is None:
        return msg + (" Its value is not known while tracing; see "
                      "static_argnums or lax.cond/lax.while_loop.")
    msg += f"\nThe error occurred while tracing the function {info.where()} for {info.transform}."
    deps = _dependent_invars(trace, tracer)
    if deps and info.arg_names:
        names = [info.arg_names[i] for i in deps if i < len(info.arg_names)]
        if len(names) == 1:
            msg += (f"\nThis concrete value was not available in Python because it depends on "
                    f"the value of the argument {names[0]}.")
        else:
            msg += ("\nThis concrete value was not available in Python because it depends on "
                    f"the values of the arguments {', '.join(names)}.")
    msg += ("\nWays out: mark the argument static (static_argnums / static_argnames) if it is "
            "a Python value, use lax.cond / lax.switch / lax.while_loop / jnp.where for "
            "control flow on traced values, or move the computation outside the transformation.")
    return msg
