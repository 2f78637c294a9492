"""Global configuration flags, read and set the way `jax.config` does.

Flag values live in the plain module-level dict `_flags`. The dtype machinery
reads `_flags["jax_enable_x64"]` on every operation, so a dict lookup (rather than
a property or a method call) keeps that hot path cheap. The dict object is
never rebound: modules may hold a reference to it.

Flags are process-global, not thread-local: a context manager in one thread is
visible to all threads while it is active.
"""
from __future__ import annotations

import contextlib
import os
import warnings
from typing import Any, Callable, Iterator, NamedTuple

__all__ = ["config", "Config", "enable_x64", "disable_x64", "disable_jit",
           "numpy_dtype_promotion", "numpy_rank_promotion", "debug_nans", "debug_infs",
           "default_matmul_precision"]


class _FlagSpec(NamedTuple):
    default: Any
    # Returns the validated value, or raises TypeError / ValueError.
    validate: Callable[[str, Any], Any]
    # How to turn the environment variable's text into a value.
    from_env: Callable[[str, str], Any]
    help: str


_TRUE_WORDS = frozenset({"1", "true", "t", "yes", "y", "on"})


def _parse_bool_env(name: str, text: str) -> bool:
    # Anything not recognisably "true" is False: a typo must never silently
    # switch on 64-bit mode or disable jit.
    return text.strip().lower() in _TRUE_WORDS


def _validate_bool(name: str, value: Any) -> bool:
    if type(value) is not bool:
        raise TypeError(f"Config flag {name!r} expects a bool (True or False), "
                        f"got {value!r} of type {type(value).__name__}.")
    return value


def _enum(*choices: str) -> tuple[Callable[[str, Any], Any], Callable[[str, str], Any]]:
    def validate(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"Config flag {name!r} expects a string, one of "
                            f"{list(choices)}; got {value!r} of type {type(value).__name__}.")
        if value not in choices:
            raise ValueError(f"Config flag {name!r} must be one of {list(choices)}, got {value!r}.")
        return value

    def from_env(name: str, text: str) -> str:
        return validate(name, text.strip().lower())

    return validate, from_env


def _optional_enum(*choices: str) -> tuple[Callable[[str, Any], Any], Callable[[str, str], Any]]:
    validate_choice, _ = _enum(*choices)

    def validate(name: str, value: Any) -> str | None:
        return None if value is None else validate_choice(name, value)

    def from_env(name: str, text: str) -> str | None:
        text = text.strip()
        return validate(name, text.lower()) if text else None

    return validate, from_env


def _validate_optional_str(name: str, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"Config flag {name!r} expects a string or None, "
                        f"got {value!r} of type {type(value).__name__}.")
    return value


def _optional_str_env(name: str, text: str) -> str | None:
    return text.strip() or None


def _bool_flag(help: str) -> _FlagSpec:
    return _FlagSpec(False, _validate_bool, _parse_bool_env, help)


_RANK_PROMOTION = _enum("allow", "warn", "raise")
_DTYPE_PROMOTION = _enum("standard", "strict")
_TRACEBACK_FILTERING = _enum("off", "tracebackhide", "remove_frames",
                             "quiet_remove_frames", "auto")
# The names JAX accepts; purejax computes on the CPU with NumPy, so every
# choice behaves like "highest" and the flag is kept for API compatibility.
_MATMUL_PRECISION = _optional_enum("default", "high", "highest", "bfloat16", "tensorfloat32",
                                   "float32", "fastest", "bfloat16_3x", "tensorfloat32_3x")

_SPECS: dict[str, _FlagSpec] = {
    "jax_enable_x64": _bool_flag(
        "Enable 64-bit types; when off, 64-bit dtypes are canonicalized to 32-bit."),
    "jax_disable_jit": _bool_flag(
        "Run jit-decorated functions eagerly, op by op (for debugging)."),
    "jax_debug_nans": _bool_flag(
        "Raise FloatingPointError when an operation produces a NaN."),
    "jax_debug_infs": _bool_flag(
        "Raise FloatingPointError when an operation produces an inf."),
    "purejax_eager_tape": _FlagSpec(
        True, _validate_bool, _parse_bool_env,
        "Eager grad/vjp (outside jit and vmap) record a tape of compiled per-primitive "
        "pullbacks instead of linearizing the whole function; off: always linearize."),
    "jax_numpy_rank_promotion": _FlagSpec(
        "allow", *_RANK_PROMOTION,
        "What to do on implicit rank promotion in broadcasting: allow, warn or raise."),
    "jax_default_matmul_precision": _FlagSpec(
        None, *_MATMUL_PRECISION, "Default precision of matmul-like operations."),
    "jax_platforms": _FlagSpec(
        None, _validate_optional_str, _optional_str_env,
        "Comma-separated platform names; purejax only has 'cpu'."),
    "jax_traceback_filtering": _FlagSpec(
        "auto", *_TRACEBACK_FILTERING, "How much of purejax's internals to hide in tracebacks."),
    "purejax_jit_backend": _FlagSpec(
        "numpy_codegen", *_enum("numpy_codegen", "interpret"),
        "Backend that jit compiles Jaxprs with: 'numpy_codegen' (generated Python/NumPy "
        "source) or 'interpret' (the reference interpreter)."),
    "purejax_dump_generated_code": _bool_flag(
        "Print the Python source that the numpy_codegen backend generates for each jit "
        "compilation (env PUREJAX_DUMP_GENERATED_CODE=1)."),
    "purejax_float32_math": _FlagSpec(
        "xla", *_enum("xla", "exact", "fast"),
        "How float16/float32/complex64 transcendentals (exp, log, tanh, sin, pow, ...) are "
        "computed: 'xla' (default) evaluates each one the way that reproduces XLA's CPU "
        "results most often (float32 exp, log, sin, cos, tanh and rsqrt in float64 rounded "
        "once, logistic as XLA's float32 formula around a float64 exp, float16 always in "
        "float64; tan, atan, cbrt, pow, sinh, ... and most complex64 functions with NumPy's "
        "native kernels, in float64 where NumPy would run them with SVML); 'exact' "
        "evaluates every one in float64/complex128 and rounds once (correctly rounded "
        "results); 'fast' uses NumPy's native single-precision kernels for all of them. "
        "Read when each operation runs, so it applies to eager code and to already-jitted "
        "functions alike (env PUREJAX_FLOAT32_MATH)."),
    "jax_numpy_dtype_promotion": _FlagSpec(
        "standard", *_DTYPE_PROMOTION,
        "'standard' uses the promotion lattice; 'strict' forbids implicit promotion "
        "between different strong dtypes."),
}


def _env_default(name: str, environ: Any = None) -> Any:
    """The default of flag `name`: from its upper-cased environment variable if set."""
    spec = _SPECS[name]
    env = os.environ if environ is None else environ
    text = env.get(name.upper())
    if text is None:
        return spec.default
    try:
        return spec.from_env(name, text)
    except (TypeError, ValueError) as e:
        # A bad environment variable must not make `import purejax` fail.
        warnings.warn(f"Ignoring environment variable {name.upper()}={text!r}: {e}",
                      RuntimeWarning, stacklevel=2)
        return spec.default


_flags: dict[str, Any] = {name: _env_default(name) for name in _SPECS}


def _unknown_flag(name: str) -> AttributeError:
    return AttributeError(f"Unrecognized config option: {name!r}. "
                          f"Known options: {', '.join(sorted(_SPECS))}.")


class Config:
    """The `config` singleton: `update(name, value)`, `config.<name>` and `read(name)`."""

    __slots__ = ()

    def update(self, name: str, value: Any) -> None:
        spec = _SPECS.get(name)
        if spec is None:
            raise _unknown_flag(name)
        _flags[name] = spec.validate(name, value)

    def read(self, name: str) -> Any:
        try:
            return _flags[name]
        except KeyError:
            raise _unknown_flag(name) from None

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails, i.e. for flag names.
        if name.startswith("__"):
            raise AttributeError(name)
        return self.read(name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"Use config.update({name!r}, value) to set a config option.")

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(_SPECS))

    def __repr__(self) -> str:
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in _flags.items()) + ")"

    @property
    def values(self) -> dict[str, Any]:
        """A snapshot of every flag's current value."""
        return dict(_flags)

    @property
    def x64_enabled(self) -> bool:
        return _flags["jax_enable_x64"]

    def known_flags(self) -> tuple[str, ...]:
        return tuple(_SPECS)

    def help(self, name: str) -> str:
        spec = _SPECS.get(name)
        if spec is None:
            raise _unknown_flag(name)
        return spec.help

    def trace_context(self) -> tuple:
        """The flag values that change what tracing produces.

        jit caches should include this in their key: a function traced with x64
        off must not be reused after x64 is switched on.
        """
        return (_flags["jax_enable_x64"], _flags["jax_numpy_dtype_promotion"],
                _flags["jax_numpy_rank_promotion"], _flags["jax_default_matmul_precision"],
                _flags["jax_debug_nans"], _flags["jax_debug_infs"])

    def _reset_from_env(self, environ: Any = None) -> None:
        """Re-read every flag's default from the environment (tests use this
        instead of reloading the module, which would orphan `_flags`)."""
        for name in _SPECS:
            _flags[name] = _env_default(name, environ)


config = Config()


@contextlib.contextmanager
def _override(name: str, value: Any) -> Iterator[None]:
    prev = _flags[name]
    config.update(name, value)
    try:
        yield
    finally:
        _flags[name] = prev


def enable_x64(new_val: bool = True) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_enable_x64` to `new_val`, restoring the old value on exit."""
    return _override("jax_enable_x64", new_val)


def disable_x64() -> contextlib.AbstractContextManager[None]:
    """Context manager: turn `jax_enable_x64` off temporarily."""
    return _override("jax_enable_x64", False)


def disable_jit(disable: bool = True) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_disable_jit` to `disable` temporarily."""
    return _override("jax_disable_jit", disable)


def numpy_dtype_promotion(mode: str) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_numpy_dtype_promotion` ('standard' or 'strict') temporarily."""
    return _override("jax_numpy_dtype_promotion", mode)


def numpy_rank_promotion(mode: str) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_numpy_rank_promotion` ('allow', 'warn', 'raise') temporarily."""
    return _override("jax_numpy_rank_promotion", mode)


def debug_nans(enable: bool = True) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_debug_nans` temporarily."""
    return _override("jax_debug_nans", enable)


def debug_infs(enable: bool = True) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_debug_infs` temporarily."""
    return _override("jax_debug_infs", enable)


def default_matmul_precision(precision: str | None) -> contextlib.AbstractContextManager[None]:
    """Context manager: set `jax_default_matmul_precision` temporarily."""
    return _override("jax_default_matmul_precision", precision)
