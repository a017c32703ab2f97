"""The modules one SM's ``import`` statements find."""
from __future__ import annotations

from ..errors import ContinuationError
from ..stdlib import GuestModule, GuestRandom, random_module
from ..guest_builtins import GUEST_MODULES


class SMModules(dict):
    """The modules one SM's ``import`` statements find: the shared ones,
    and its own ``random`` (made when first imported)."""

    def __init__(self, sm_id: str):
        super().__init__(GUEST_MODULES)
        self.sm_id = sm_id
        self.default_random: object = None

    def __missing__(self, name: str) -> GuestModule:
        if name != "random":
            raise KeyError(name)
        module, self.default_random = random_module(self.sm_id)
        self["random"] = module
        return module

    def adopt_random(self, generator: object) -> None:
        """Continue the sequence a continuation's default generator had."""
        if type(generator) is not GuestRandom:
            raise ContinuationError("invalid continuation: bad random generator")
        self["random"]  # noqa: B018 - made if not yet
        self.default_random.setstate(generator.getstate())

    def refs(self) -> dict[int, str]:
        module = self.get("random")
        if module is None:
            return {}
        return {id(v): "random:" + k for k, v in vars(module).items() if not k.startswith("_")}

    def member(self, name: str, default: object = None) -> object:
        return getattr(self["random"], name, default) if not name.startswith("_") else default
