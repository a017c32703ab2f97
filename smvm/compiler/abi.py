"""The contract between compiled brick code and the VM that runs it.

The transforms make a brick's code call into the VM through hidden names: each
starts with ``_``, which the validator refuses in guest source, so guest code
can neither spell nor rebind them. The VM binds them in every SM's module
namespace (``hidden_namespace``); the compiler writes them (the constants
below). Both sides import this module, so a name is spelled in one place.
"""
from __future__ import annotations

import builtins
from typing import Any

# ---- module-level names the VM binds (see ``hidden_namespace``) -------------
#: The SM's runtime object (``smvm.vm.runtime.Runtime``): guarded operations,
#: fuel, capture records and resume steps.
RUNTIME = "_R"
#: The exception a capture unwinds the guest stack with.
CAPTURE = "_Capture"
#: The guest-visible module objects ``import`` statements are rewritten to.
MODULES = "_MODULES"
#: ``smvm.guest_text``: str/repr/format of guest values, with no host address.
GUEST_TEXT = "_T"
#: Fuel: one item popped per tick; an empty list calls ``REFUEL``.
FUEL_POP = "_fuel_pop"
REFUEL = "_refuel"
#: ``while`` loops walk the runtime's ``loop_fuel`` (one unit per test, taken
#: in C), holding each unit in this hidden local (see ``_instrument``).
LOOP_FUEL = "loop_fuel"
LOOP_UNIT = "_fu"
#: The mutable box a closed-over variable lives in (it travels with the SM).
CELL = "_Cell"
#: Marks the end of a resumable loop's iterator.
END = "_END"
#: Exceptions guest handlers may never swallow.
NOCATCH = "_NOCATCH"
#: What a ``with`` block hands to its manager's ``__exit__`` (see ``_with``).
WITH_CAUGHT = "_WithCaught"
#: Guest classes: the set of their types, the store guard, the private-name read.
GUEST_CLASSES = "_GC"
STORE_TARGET = "_GS"
PRIVATE_ATTRIBUTE = "_GP"
#: ``obj.__class__``: the class of an instance of the brick's classes only.
CLASS_OF = "_GK"
#: Real builtins generated code calls (guest code sees guarded versions).
LOCALS = "_locals"
NEW_SET = "_set"
NEXT = "_next"
TYPE = "_type"
ISINSTANCE = "_isinstance"
BASE_EXCEPTION = "_BaseException"
EXCEPTION = "_Exception"
ASSERTION_ERROR = "_AssertionError"
INDEX_ERROR = "_IndexError"
#: Inline guards (``GuardCalls``): ``x in c`` and ``c[a:b]`` run as they are
#: where ``c`` is of a kind and size whose guard would charge nothing.
LEN = "_len"
SHORT_SCANNED = "_SQ"
HASHED = "_HS"
TEXTS = "_TX"
SHORT_SLICED = "_SL"
#: The largest container those run unguarded: the guards charge past it.
SHORT_LENGTH = 256
#: Inline fast paths of ``%``, ``str()``/``repr()``/f-string fields and the
#: consuming builtins (``_inline``): numbers (whose ``%`` formats no text),
#: values whose text is their value alone, containers a short C walk costs
#: nothing for, and the real ``str``/``repr``.
NUMBERS = "_NM"
PLAIN_TEXT = "_PT"
SHORT_WALKED = "_SW"
STR = "_str"
REPR = "_repr"
#: A tuple display of names and constants skips ``_R.nest`` when no item is a tuple.
TUPLE = "_tuple"
#: ``x in c`` and ``c.count(x)`` test a short list or tuple by identity
#: (``_type(c) is _list or _type(c) is _tuple``: cheaper than ``in _SQ``).
LIST = "_list"
#: ``_R.nest(t)`` of a computed tuple, inline: ``_tuple not in _map(_type, t)``.
MAP = "_map"
#: ``_C_sum`` etc.: the real builtin handed a generator expression whose items
#: are already metered (see the compiler's ``FastConsumers``).
FAST_CONSUMER_PREFIX = "_C_"
FAST_CONSUMERS = ("set", "frozenset", "list", "tuple", "sorted", "sum", "min", "max", "any",
                  "all", "dict")

#: Sets hold no value hashed by its address (``smvm.setmembers``; the
#: compiler's ``_sets``): a built set checked, a set operator, a growing
#: method called, one argument or several of one a migrating method may
#: take, one taken as a value; set kinds, numbers or sets, and the kinds
#: hashed by value.
SET_CHECKED = "_SM"
SET_OPERATE = "_SO"
SET_GROW = "_SG"
SET_ARGUMENT = "_SA"
SET_ARGUMENTS = "_SAS"
SET_METHOD = "_SV"
SET_KINDS = "_SK"
NUMBERS_OR_SETS = "_NS"
PLAIN_HASHED = "_PH"

# ---- the frame of a resumable function ----------------------------------------
#: Keyword-only parameter carrying the saved frame when a function is resumed
#: (its default, None, stays on the node: it is not state).
RESUME_PARAM = "_fr"
#: The saved locals and the resume point while a function is being resumed.
RESUME_LOCALS = "_L"
RESUME_POINT = "_rp"
#: The capture exception as a handler around a point sees it.
CAPTURE_VAR = "_cap"
#: Hidden locals that never travel with a frame.
NOT_CAPTURED = frozenset({RESUME_PARAM, RESUME_LOCALS, RESUME_POINT, CAPTURE_VAR})
#: End column given to the call instruction of every capture-ready call site,
#: so the VM can tell from a frame's current instruction that it may capture
#: there (a guest frame entered from builtin C code is not at such a call).
POINT_COLUMN = 999_999


def hidden_namespace(runtime: Any, classes: Any, modules: Any, *, capture: type,
                     cell: type, end: object, nocatch: tuple[type, ...],
                     text: Any, sets: Any) -> dict[str, Any]:
    """The hidden names of one SM's module namespace, bound to its
    ``runtime``, its guest-class registry ``classes`` and its ``modules``
    (``text``: the guest text module; ``sets``: ``smvm.setmembers``)."""
    return {  # one fixed order: saving an SM iterates its namespace
        RUNTIME: runtime, CAPTURE: capture, LOCALS: locals, NEW_SET: set, CELL: cell,
        BASE_EXCEPTION: BaseException, EXCEPTION: Exception, ASSERTION_ERROR: AssertionError,
        NOCATCH: nocatch, WITH_CAUGHT: (Exception, GeneratorExit), ISINSTANCE: isinstance,
        MODULES: modules, GUEST_TEXT: text, NEXT: next, END: end,
        FUEL_POP: runtime.fuel_list.pop, INDEX_ERROR: IndexError, REFUEL: runtime.refuel,
        TYPE: type, GUEST_CLASSES: classes.classes, STORE_TARGET: classes.store_target,
        PRIVATE_ATTRIBUTE: classes.private, CLASS_OF: classes.class_of,
        LEN: len, SHORT_SCANNED: frozenset({list, tuple}), HASHED: frozenset({set, frozenset, dict}),
        TEXTS: frozenset({str, bytes, bytearray}), SHORT_SLICED: frozenset({list, tuple, str, bytes}),
        NUMBERS: frozenset({int, float, bool}), PLAIN_TEXT: text.PLAIN, STR: str, REPR: repr,
        TUPLE: tuple,
        SHORT_WALKED: frozenset({list, tuple, str, bytes, dict, set, frozenset}),
        **{FAST_CONSUMER_PREFIX + name: getattr(builtins, name) for name in FAST_CONSUMERS},
        FAST_CONSUMER_PREFIX + "set": sets.new_set,
        FAST_CONSUMER_PREFIX + "frozenset": sets.new_frozenset,
        SET_CHECKED: sets.checked, SET_OPERATE: sets.operate, SET_GROW: sets.grow,
        SET_ARGUMENT: sets.grow_argument, SET_ARGUMENTS: sets.grow_arguments,
        SET_METHOD: sets.method_value, SET_KINDS: frozenset({set, frozenset}),
        NUMBERS_OR_SETS: frozenset({int, float, bool, set, frozenset}),
        PLAIN_HASHED: sets.PLAIN, LIST: list, MAP: map,
    }


#: The hidden names that ``bind_hidden`` binds to one SM (the others are the
#: same for every SM).
PER_SM_HIDDEN = (RUNTIME, MODULES, FUEL_POP, REFUEL, GUEST_CLASSES, STORE_TARGET,
                 PRIVATE_ATTRIBUTE, CLASS_OF)


def bind_hidden(ns: dict[str, Any], runtime: Any, classes: Any, modules: Any) -> None:
    """Bind the per-SM hidden names (``PER_SM_HIDDEN``) of a namespace copied
    from a template that ``hidden_namespace`` made: the same values as a
    namespace made for this SM, in the same order."""
    ns[RUNTIME] = runtime
    ns[MODULES] = modules
    ns[FUEL_POP] = runtime.fuel_list.pop
    ns[REFUEL] = runtime.refuel
    ns[GUEST_CLASSES] = classes.classes
    ns[STORE_TARGET] = classes.store_target
    ns[PRIVATE_ATTRIBUTE] = classes.private
    ns[CLASS_OF] = classes.class_of
