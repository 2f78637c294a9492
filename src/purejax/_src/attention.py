"""jax.nn.dot_product_attention with the semantics of JAX's reference ('xla')
implementation: softmax(scale * Q K^T + bias, masked) V per head, with grouped-query
attention (K/V heads dividing the query heads), causal, local-window and padding
(sequence-length) masks, and the optional logsumexp residual.

Shapes use JAX's letters: B batch, T query length, S key/value length, N query heads,
K key/value heads, G = N // K, H head dimension. As in JAX, the logits are computed in
at least float32, the softmax in float32, and masked logits get a large negative
finite value (so a fully masked row gives a uniform average, not NaN).
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from purejax._src import dtypes
from purejax._src import lax
from purejax._src.numpy import array_creation, lax_numpy, ufuncs
from purejax._src.numpy.einsum import einsum


def _asarray(x):
    return array_creation.asarray(x)


def _large_negative(dtype):
    # Capped at float32's range: the softmax runs in float32 (as JAX).
    dtype_max = min(float(np.finfo(dtype).max), float(np.finfo(np.float32).max))
    return array_creation.asarray(-0.7 * dtype_max, dtype=dtype)


def _causal_mask(T, S):
    mask = array_creation.tril(array_creation.ones((T, S), dtype=bool))
    return mask[None, None, :, :]


def _window_mask(T, S, local_window_size):
    query_pos = array_creation.arange(T)
    key_pos = array_creation.arange(S)
    left, right = local_window_size
    left_mask = ufuncs.less_equal(query_pos[..., None], ufuncs.add(key_pos[..., None, :], left))
    right_mask = ufuncs.greater_equal(query_pos[..., None],
                                      ufuncs.subtract(key_pos[..., None, :], right))
    return ufuncs.logical_and(right_mask, left_mask)[None, None, :, :]


def _padding_mask_logits(T, S, q_seqlen, kv_seqlen):
    q_mask: Any = True
    kv_mask: Any = True
    if q_seqlen is not None:
        q_mask = ufuncs.less(array_creation.arange(0, T)[None, :, None],
                             q_seqlen[:, None, None])
    if kv_seqlen is not None:
        kv_mask = ufuncs.less(array_creation.arange(0, S)[None, None, :],
                              kv_seqlen[:, None, None])
    return ufuncs.logical_and(q_mask, kv_mask)[:, None, :, :]


def _padding_mask_encoded(T, q_seqlen):
    mask = ufuncs.less(array_creation.arange(0, T)[None, :], q_seqlen[:, None])
    return mask[:, :, None, None]


def _apply_masks(logits, mask, is_causal, q_seqlen, kv_seqlen, local_window_size):
    if (mask is None and not is_causal and q_seqlen is None and kv_seqlen is None
            and local_window_size is None):
        return logits
    combined = array_creation.ones_like(logits, dtype=bool)
    if mask is not None:
        combined = ufuncs.logical_and(combined, mask)
    T, S = logits.shape[2], logits.shape[3]
    if is_causal:
        combined = ufuncs.logical_and(combined, _causal_mask(T, S))
    if local_window_size is not None:
        combined = ufuncs.logical_and(combined, _window_mask(T, S, local_window_size))
    if q_seqlen is not None or kv_seqlen is not None:
        combined = ufuncs.logical_and(combined, _padding_mask_logits(T, S, q_seqlen, kv_seqlen))
    return lax_numpy.where(combined, logits, _large_negative(logits.dtype))


def _attention_core(query, key, value, bias, mask, is_causal, scale, q_seqlen, kv_seqlen,
                    local_window_size, return_residual):
    """One key/value head group: query BTNH (N = the group's G heads sharing a K/V
    head after vmap), key/value BSNH."""
    from purejax._src.nn import logsumexp, softmax
    logits_dtype = dtypes.promote_types(query.dtype, np.float32)
    logits = einsum("BTNH,BSNH->BNTS", query, key, preferred_element_type=logits_dtype)
    logits = ufuncs.multiply(logits, array_creation.asarray(scale, dtype=logits.dtype))
    if bias is not None:
        logits = ufuncs.add(logits, bias).astype(logits.dtype)
    padded = _apply_masks(logits, mask, is_causal, q_seqlen, kv_seqlen, local_window_size)
    padded = padded.astype(np.float32)  # the softmax is always computed in float32
    probs = softmax(padded, axis=-1).astype(key.dtype)
    encoded = einsum("BNTS,BSNH->BTNH", probs, value)
    if q_seqlen is not None:
        encoded = ufuncs.multiply(
            encoded, _padding_mask_encoded(encoded.shape[1], q_seqlen).astype(encoded.dtype))
    if return_residual:
        lse = logsumexp(padded, axis=-1).astype(key.dtype)
        lse = lax_numpy.transpose(lse, (0, 2, 1))  # B N T -> B T N
        return encoded, lax.stop_gradient(lse)
    return encoded


def _attention_xla(query, key, value, bias, mask, is_causal, scale, q_seqlen, kv_seqlen,
                   local_window_size, return_residual):
    from purejax._src.api import vmap
    B, T, N, H = query.shape
    _, S, K, _ = key.shape
    G = N // K
    query = lax_numpy.reshape(query, (B, T, K, G, H))

    def grouped(t):
        if t is None:
            return t
        tB, tN, tT, tS = t.shape
        if tN == 1:
            return lax_numpy.broadcast_to(t[:, :, None, :, :], (tB, tN, G, tT, tS))
        if tN != N:
            raise ValueError(f"bias/mask head dimension must be 1 or {N} (the number of "
                             f"query heads), got shape {t.shape}")
        return lax_numpy.reshape(t, (tB, K, G, tT, tS))

    core = vmap(_attention_core,
                in_axes=(3, None, None, 2, 2, None, None, None, None, None, None), out_axes=3)
    out = core(query, key, value, grouped(bias), grouped(mask), is_causal, scale, q_seqlen,
               kv_seqlen, local_window_size, return_residual)
    if return_residual:
        encoded, lse = out
        return lax_numpy.reshape(encoded, (B, T, N, H)), lax_numpy.reshape(lse, (B, T, N))
    return lax_numpy.reshape(out, (B, T, N, H))


def _check(t, shape: Sequence[int], dtype, name: str) -> None:
    if t is None:
        return
    if t.ndim != len(shape):
        raise ValueError(f"{name} ndim should be {len(shape)}, but got {t.ndim}")
    if dtype is not None and t.dtype != dtype:
        raise ValueError(f"{name} dtype should be {dtype}, but got {t.dtype}")
    for i in range(t.ndim):
        if shape[i] != -1 and t.shape[i] != shape[i]:
            raise ValueError(f"{name} shape should be {list(shape)}: but got {t.shape}")


def dot_product_attention(query, key, value, bias=None, mask=None, *, scale=None,
                          is_causal: bool = False, query_seq_lengths=None,
                          key_value_seq_lengths=None, local_window_size=None,
                          implementation=None, return_residual: bool = False):
    """Scaled dot-product attention, softmax(Q K^T * scale + bias) V per head, on
    query BTNH (or TNH), key and value BSKH (or SKH) with N a multiple of K.

    `mask` is boolean (True takes part), `bias` is added to the logits; both are
    broadcastable to BNTS. `scale` defaults to 1/sqrt(H). Only the reference
    implementation exists: implementation=None or 'xla' ('cudnn' raises)."""
    output_shape = _asarray(query).shape
    residual_shape = output_shape[:-1]

    def ensure_4d(t):
        t = _asarray(t)
        if t.ndim < 4:
            return lax_numpy.expand_dims(t, tuple(range(4 - t.ndim)))
        return t

    query_arr, key_arr, value_arr = ensure_4d(query), ensure_4d(key), ensure_4d(value)
    bias = ensure_4d(bias) if bias is not None else None
    mask = ensure_4d(mask) if mask is not None else None
    if query_seq_lengths is not None:
        query_seq_lengths = _asarray(query_seq_lengths)
    if key_value_seq_lengths is not None:
        key_value_seq_lengths = _asarray(key_value_seq_lengths)
    if isinstance(local_window_size, int):
        local_window_size = (local_window_size, local_window_size)
    B, S, K, H = key_arr.shape
    _check(value_arr, [B, S, K, H], key_arr.dtype, "value")
    _check(query_arr, [B, -1, -1, H], key_arr.dtype, "query")
    _check(mask, [-1] * 4, np.dtype(bool), "mask")
    _check(bias, [-1] * 4, None, "bias")
    _check(query_seq_lengths, [B], np.dtype("int32"), "query_seq_lengths")
    _check(key_value_seq_lengths, [B], np.dtype("int32"), "key_value_seq_lengths")
    if query_arr.shape[-2] % K != 0:
        raise ValueError("The number of query heads must be a multiple of key/value heads, "
                         f"but got {query_arr.shape[-2]} vs {K}")
    scale_val = (1.0 / np.sqrt(H)) if scale is None else scale
    if implementation == "cudnn":
        raise NotImplementedError("dot_product_attention: implementation='cudnn' needs a "
                                  "GPU; purejax has only the reference 'xla' "
                                  "implementation (pass implementation=None or 'xla')")
    if implementation not in (None, "xla"):
        raise ValueError(f"Unsupported implementation option: {implementation}")
    out = _attention_xla(query_arr, key_arr, value_arr, bias, mask, is_causal, scale_val,
                         query_seq_lengths, key_value_seq_lengths, local_window_size,
                         return_residual)
    if return_residual:
        out, residual = out
        return lax_numpy.reshape(out, output_shape), lax_numpy.reshape(residual, residual_shape)
    return lax_numpy.reshape(out, output_shape)
