"""Bitwise primitives on integers (logical on bool), one block each. None has a
derivative; shifts follow XLA at out-of-range amounts (see shift_* below)."""
from __future__ import annotations

import numpy as np

from purejax._src.interpreters import ad
from purejax._src.prims._util import as_operands, binop, is_int, is_int_or_bool, unop


def _zero_jvp(p):
    ad.defjvp_zero(p)
    return p


# --- not, and, or, xor: bitwise on integers, logical on bool -------------------
not_p = _zero_jvp(unop("not", np.invert, is_int_or_bool))
and_p = _zero_jvp(binop("and", np.bitwise_and, is_int_or_bool))
or_p = _zero_jvp(binop("or", np.bitwise_or, is_int_or_bool))
xor_p = _zero_jvp(binop("xor", np.bitwise_xor, is_int_or_bool))


def bitwise_not(x):
    return not_p.bind(x)


def bitwise_and(x, y):
    return and_p.bind(*as_operands(x, y))


def bitwise_or(x, y):
    return or_p.bind(*as_operands(x, y))


def bitwise_xor(x, y):
    return xor_p.bind(*as_operands(x, y))


# --- shifts: the amount is read as unsigned, so a negative amount is out of range;
# out of range (>= the bit width) gives 0, or the sign fill for arithmetic shifts.
def _bits(dt):
    return np.dtype(dt).itemsize * 8


def _unsigned(dt):
    return np.dtype(f"u{np.dtype(dt).itemsize}")


def _signed(dt):
    return np.dtype(f"i{np.dtype(dt).itemsize}")


def _in_range(x, y):
    ok = (y >= 0) & (y < _bits(x.dtype))
    return ok, np.where(ok, y, 0).astype(x.dtype)


def _shift_left_impl(x, y):
    ok, amount = _in_range(x, y)
    return np.where(ok, np.left_shift(x, amount), 0).astype(x.dtype)


def _shift_right_logical_impl(x, y):
    ok, amount = _in_range(x, y)
    u = np.asarray(x).view(_unsigned(x.dtype))  # NumPy shifts unsigned values logically
    shifted = np.right_shift(u, amount.astype(u.dtype)).view(x.dtype)
    return np.where(ok, shifted, 0).astype(x.dtype)


def _shift_right_arithmetic_impl(x, y):
    ok, amount = _in_range(x, y)
    s = np.asarray(x).view(_signed(x.dtype))  # NumPy shifts signed values arithmetically
    amount = np.where(ok, amount, _bits(x.dtype) - 1).astype(s.dtype)
    return np.right_shift(s, amount).view(x.dtype)


shift_left_p = _zero_jvp(binop("shift_left", _shift_left_impl, is_int))
shift_right_logical_p = _zero_jvp(binop("shift_right_logical", _shift_right_logical_impl, is_int))
shift_right_arithmetic_p = _zero_jvp(binop("shift_right_arithmetic",
                                           _shift_right_arithmetic_impl, is_int))


def shift_left(x, y):
    return shift_left_p.bind(*as_operands(x, y))


def shift_right_logical(x, y):
    return shift_right_logical_p.bind(*as_operands(x, y))


def shift_right_arithmetic(x, y):
    return shift_right_arithmetic_p.bind(*as_operands(x, y))


# --- population_count: set bits of the two's-complement representation ----------
def _population_count_impl(x):
    # np.bitwise_count counts the bits of |x| for signed types; view as unsigned first
    return np.bitwise_count(np.asarray(x).view(_unsigned(x.dtype))).astype(x.dtype)


population_count_p = _zero_jvp(unop("population_count", _population_count_impl, is_int))


def population_count(x):
    return population_count_p.bind(x)


# --- clz: leading zero bits of the two's-complement representation --------------
def _clz_impl(x):
    # smear the highest set bit rightwards, then count the bits that stay clear
    u = np.array(x).view(_unsigned(x.dtype))
    shift = 1
    while shift < _bits(x.dtype):
        u |= u >> u.dtype.type(shift)
        shift *= 2
    return (_bits(x.dtype) - np.bitwise_count(u)).astype(x.dtype)


clz_p = _zero_jvp(unop("clz", _clz_impl, is_int))


def clz(x):
    return clz_p.bind(x)


__all__ = [
    "and_p", "bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "clz", "clz_p",
    "not_p", "or_p",
    "population_count", "population_count_p", "shift_left", "shift_left_p",
    "shift_right_arithmetic", "shift_right_arithmetic_p", "shift_right_logical",
    "shift_right_logical_p", "xor_p",
]

# Eager calls check operands like staging does (the eval trace runs only impl).
