"""Text and hashes of values as SM code sees them: never a host address.

CPython shows many objects with their address in the host process
(``<function f at 0x7f..>``, generators, iterators, bound builtin methods,
instances without a ``__repr__``), and hashes them by address. SM code that
turned such an object into text or a number would read host-process data,
so every way SM code has from a value to text (``str``, ``repr``, ``format``,
f-strings, ``%``, ``str.format``, ``print``, ``log``) and to a hash goes
through here, as does the text the host writes about SM values (results,
errors, events: ``smvm.limits.safe_repr``).

Values whose text never holds an address (numbers, strings, bytes, None)
take the plain path; for the others the host's text is computed as usual
and every `` at 0x...`` is cut from it.
"""
from __future__ import annotations

import builtins
import re
import types

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
_BYTES_ADDRESS = re.compile(rb" at 0x[0-9a-fA-F]+")

#: Types whose text and hash come from their value alone (compiled code
#: formats these natively: ``smvm.compiler._inline``).
PLAIN = _PLAIN = frozenset({str, int, float, bool, complex, bytes, type(None), range})

#: Types CPython hashes by the address of the object (or of a part of it).
_ADDRESS_HASHED = (types.FunctionType, types.MethodType, types.BuiltinMethodType,
                   types.MethodWrapperType, types.GeneratorType)


def scrub(text: str) -> str:
    """``text`` without host addresses."""
    return _ADDRESS.sub("", text) if "0x" in text else text


def _scrub_bytes(data):
    return type(data)(_BYTES_ADDRESS.sub(b"", data)) if b"0x" in data else data


def guest_str(value: object = "", *args) -> str:
    if args:  # str(b, encoding[, errors]): a decoding
        return builtins.str(value, *args)
    if type(value) in _PLAIN:
        return builtins.str(value)
    return scrub(builtins.str(value))


def guest_repr(value: object) -> str:
    if type(value) in _PLAIN:
        return builtins.repr(value)
    return scrub(builtins.repr(value))


def guest_format(value: object, spec: str = "") -> str:
    if type(value) in _PLAIN:
        return builtins.format(value, spec)
    return scrub(builtins.format(value, spec))


def guest_ascii(value: object) -> str:
    if type(value) in _PLAIN:
        return builtins.ascii(value)
    return scrub(builtins.ascii(value))


guest_str.__name__ = guest_str.__qualname__ = "str"
guest_repr.__name__ = guest_repr.__qualname__ = "repr"
guest_format.__name__ = guest_format.__qualname__ = "format"


def field(value: object, conversion: int, spec: str) -> str:
    """One ``{value!conversion:spec}`` field of an f-string (the compiler
    rewrites each field into a call of this)."""
    if conversion == 115:  # !s
        value = guest_str(value)
    elif conversion == 114:  # !r
        value = guest_repr(value)
    elif conversion == 97:  # !a
        value = guest_ascii(value)
    return guest_format(value, spec)


def _plain_operand(value: object) -> bool:
    kind = type(value)
    if kind in _PLAIN:
        return True
    return kind is tuple and all(type(item) in _PLAIN for item in value)


def mod(left: object, right: object) -> object:
    """``left % right`` (the compiler rewrites every ``%`` into a call of
    this): %-formatting of a string or bytes shows no host address."""
    result = left % right
    if type(left) is str and type(result) is str and not _plain_operand(right):
        return scrub(result)
    if type(left) in (bytes, bytearray) and not _plain_operand(right):
        return _scrub_bytes(result)
    return result


def guest_hash(value: object) -> int:
    """``hash`` without addresses: objects CPython hashes by identity get a
    hash of their kind and name instead (equal objects are identical there,
    so equal objects still hash equally)."""
    kind = type(value)
    if kind in _PLAIN:
        return builtins.hash(value)
    if kind is tuple or kind is frozenset:
        if all(type(item) in _PLAIN for item in value):
            return builtins.hash(value)
        items = [guest_hash(item) for item in value]
        return builtins.hash(tuple(items) if kind is tuple else frozenset(items))
    code = builtins.hash(value)  # refuses unhashable values as usual
    if isinstance(value, _ADDRESS_HASHED) or kind.__hash__ is object.__hash__:
        return builtins.hash(("identity", kind.__qualname__,
                              getattr(value, "__qualname__", None)
                              if isinstance(getattr(value, "__qualname__", None), str) else None))
    return code


guest_hash.__name__ = guest_hash.__qualname__ = "hash"
