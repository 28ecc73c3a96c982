"""Making many small frozen objects quickly.

A frozen dataclass sets each field in ``__init__`` through ``object.__setattr__``: for the
thousands of findings and influence routes of a large analysis that was most of the cost
of making them. :func:`mutable_twin` gives a plain dataclass with the same fields and the
same slots; the hot loops make the twin and then give the object its real class::

    obj = Twin(...)
    obj.__class__ = Frozen

which Python allows because the two classes lay out their instances the same way. The
result is an ordinary instance of the frozen class (frozen from then on, equal to one made
through its own constructor); tests check both properties.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any


def mutable_twin(cls: type) -> Any:
    """A mutable dataclass with the fields, defaults and slots of the frozen, slotted
    dataclass ``cls`` (its positional and keyword arguments are ``cls``'s)."""
    annotations: dict[str, object] = {}
    ns: dict[str, object] = {"__annotations__": annotations, "__module__": cls.__module__}
    for f in fields(cls):
        annotations[f.name] = f.type
        if f.default is not MISSING:
            ns[f.name] = field(default=f.default)
        elif f.default_factory is not MISSING:
            ns[f.name] = field(default_factory=f.default_factory)
    twin: type = dataclass(slots=True, eq=False)(type(f"_{cls.__name__}Twin", cls.__bases__, ns))
    if twin.__slots__ != getattr(cls, "__slots__", None):  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a slotted dataclass like its twin")
    return twin
