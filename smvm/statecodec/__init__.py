"""Graph-preserving serialiser for the values a smart message carries.

The format (kind codes, the code table, limits) is ``format``; the encoders
are ``_fast`` (nothing shared: msgpack walks the value in C) and ``_encoder``
(the walk that numbers shared objects); the decoders are ``_unpack`` (the
first unpacking and its survey), ``_build`` (bottom-up, while msgpack
unpacks) and ``_decoder`` (the walk, when there are refs); the kinds that
carry more than data are encoded and decoded side by side in ``_callables``
(closures, methods), ``_iterators`` (iterators, dict views) and ``_objects``
(instances of guest classes, values of standard modules).

Speed: most states share nothing. ``dumps`` first checks that with one cheap
pass and then lets msgpack walk the value in C, calling back only for the
non-msgpack kinds; the walk that numbers objects runs only when something is
shared (or for what the hook leaves to it: exceptions, big ints, lone
surrogates, dicts keyed by other values). ``loads`` returns msgpack's result
as it is when it holds no marker (scalar tuples and function references are
made by msgpack's ext hook, and the range iterator of a ``for`` loop by its
list hook when the bytes hold one), builds the marked kinds bottom-up in a
second unpacking when there is no ref, and walks the tree, numbering
objects, only when there are refs.

Decoding takes bytes from the network: every problem raises
``StateDecodeError`` and nothing else, sizes are bounded by ``CodecLimits``,
and nothing is ever unpickled or evaluated.
"""
from __future__ import annotations

from collections.abc import Mapping

import msgpack

from ..errors import StateDecodeError, StateEncodeError
from ._build import pairs_checker
from ._decoder import Decoder
from ._encoder import encode_tree, exception_line
from ._errors import Unencodable, fail
from ._fast import NotPlain, Packing, scan
from ._iterators import RANGE_ITERATOR_BYTES
from ._unpack import Unpacking, options, survey
from .format import (BIGINT, BOUND, BYTEARRAY, CELL, CLOSURE, DEFAULT_LIMITS, DICT, EMPTY,
                     EXCEPTION, FROZENSET, FUNCTION, HOST, INSTANCE, ITERATOR, METHOD, PARTIAL,
                     RANGE, REF, SAME, SCALAR_TUPLE, SET, TUPLE, UNBOUND, UNTRUSTED_LIMITS, VIEW,
                     CodecLimits)

__all__ = ["CodecLimits", "UNTRUSTED_LIMITS", "dumps", "loads", "exception_line",
           "REF", "BIGINT", "TUPLE", "SET", "FROZENSET", "BYTEARRAY", "CELL", "FUNCTION",
           "PARTIAL", "EXCEPTION", "RANGE", "DICT", "SCALAR_TUPLE", "SAME", "CLOSURE", "BOUND",
           "ITERATOR", "VIEW", "UNBOUND", "INSTANCE", "METHOD", "HOST"]


def dumps(value: object, *, functions: Mapping[int, str] | None = None) -> bytes:
    """Serialise ``value`` (SM state) to bytes, keeping shared mutable objects shared.

    ``functions`` maps ``id(function)`` to the reference string under which the
    receiving node can find that function. Raises ``StateEncodeError`` naming
    the type and place of the first value that cannot be carried.
    """
    if functions is None:
        functions = EMPTY
    out = None
    levels = scan(value)
    if levels is not None:
        # Nothing shared: msgpack walks the value in C. strict_types sends
        # every non-msgpack type (tuples, subclasses...) to the hook; big ints
        # and lone surrogates make msgpack raise. Any surprise: the full encoder.
        try:
            out = msgpack.packb(value, strict_types=True,
                                default=Packing(functions, levels).convert)
        except (NotPlain, OverflowError, UnicodeEncodeError):
            pass
    if out is None:
        try:
            out = encode_tree(value, functions)
        except Unencodable as e:
            raise StateEncodeError(e.describe()) from None
        except RecursionError:
            raise StateEncodeError("state nested too deeply to encode") from None
    if len(out) > DEFAULT_LIMITS.max_bytes:
        raise StateEncodeError(
            f"state of {len(out)} bytes exceeds the limit of {DEFAULT_LIMITS.max_bytes}")
    return out


#: Below this many bytes a marked state is built by walking the unpacked tree.
_SMALL_STATE = 16 * 1024


def loads(data: bytes, *, functions: Mapping[str, object] | None = None,
          limits: CodecLimits = DEFAULT_LIMITS) -> object:
    """Rebuild a value serialised by ``dumps``.

    ``functions`` maps reference strings back to function objects. Any problem
    with ``data`` raises ``StateDecodeError``, whatever it is.
    """
    if functions is None:
        functions = EMPTY
    try:
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                raise fail(f"expected bytes, got {type(data).__name__}")
            data = bytes(data)
        if len(data) > limits.max_bytes:
            raise fail(f"state of {len(data)} bytes exceeds the limit of {limits.max_bytes}")
        unpack_options = options(limits, len(data))
        if limits.max_key_collisions is not None:
            unpack_options = {**unpack_options,
                              "object_pairs_hook": pairs_checker(limits.max_key_collisions)}
        if len(data) > limits.max_objects:
            # Every msgpack object takes at least one byte, so only an input
            # longer than the object limit can exceed it: count while
            # unpacking, before the objects fill memory.
            hooks = Unpacking(limits, True, functions)
            if "object_pairs_hook" in unpack_options:
                checked = unpack_options["object_pairs_hook"]

                def counted_pairs(items: list) -> dict:
                    return hooks.object_hook(checked(items))
                unpack_options = {**unpack_options, "object_pairs_hook": counted_pairs}
            else:
                unpack_options = {**unpack_options, "object_hook": hooks.object_hook}
            tree = msgpack.unpackb(data, ext_hook=hooks.ext_hook, list_hook=hooks.list_hook,
                                   **unpack_options)
        else:
            hooks = Unpacking(limits, False, functions)
            if RANGE_ITERATOR_BYTES in data:  # built while unpacking: no walk for them
                tree = msgpack.unpackb(data, ext_hook=hooks.ext_hook,
                                       list_hook=hooks.range_iterators, **unpack_options)
            else:
                tree = msgpack.unpackb(data, ext_hook=hooks.ext_hook, **unpack_options)
        leaves = hooks.leaves
        found = survey(tree, limits.max_depth, leaves)
        if not found:
            # Plain lists, dicts, scalars, scalar tuples and functions, fresh
            # and unshared: the value itself.
            return tree
        dec = Decoder(functions, limits, leaves)
        if found == 2 or len(data) < _SMALL_STATE:
            # Refs: walk the tree, numbering objects as the encoder did. (Small
            # states take the walk too: cheaper than a second unpacking.)
            return dec.dec(tree, 0)
        # No ref: unpack again, building the kinds bottom-up. Each marker must
        # start an array; one anywhere else makes the counts differ.
        hooks = Unpacking(limits, False, functions)
        tree = msgpack.unpackb(data, ext_hook=hooks.tallied_ext_hook, list_hook=dec.list_hook,
                               **unpack_options)
        if dec.built != hooks.markers:
            raise fail("marker out of place")
        return tree
    except StateDecodeError:
        raise
    except RecursionError:
        raise StateDecodeError("state nested too deeply") from None
    except MemoryError:
        raise StateDecodeError("state too large for memory") from None
    except Exception as e:  # noqa: BLE001 - whatever msgpack or a constructor raises
        text = str(e)
        if len(text) > 200:
            text = text[:197] + "..."
        raise StateDecodeError(f"malformed state: {type(e).__name__}: {text}") from None
