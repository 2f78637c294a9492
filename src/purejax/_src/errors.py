"""Typed errors, named and shaped as JAX's so that `except` clauses port unchanged."""
from __future__ import annotations


class JaxRuntimeError(RuntimeError):
    pass


class ConcretizationTypeError(TypeError):
    """A concrete value was needed but only an abstract (traced) one exists."""


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(TypeError):
    pass


class TracerArrayConversionError(TypeError):
    pass


class UnexpectedTracerError(TypeError):
    """A tracer was used after the transformation that made it had finished."""


class NonDifferentiableError(TypeError):
    pass


class MissingRuleError(NotImplementedError):
    """A primitive lacks the rule a transformation needs."""

    def __init__(self, primitive: str, transformation: str, hint: str = ""):
        msg = (f"{transformation} rule for primitive '{primitive}' is not implemented"
               + (f": {hint}" if hint else "."))
        super().__init__(msg)
        self.primitive = primitive
        self.transformation = transformation
