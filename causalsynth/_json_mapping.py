"""Typed values that read like the dict they replaced and write exactly its JSON.

A report's sections (:mod:`causalsynth.evaluate.report_sections`) and a differential-privacy
guarantee (:mod:`causalsynth.guarantee`) replaced plain dicts: each is also a read-only
``Mapping`` of its JSON form, so code written against the dicts keeps working, and
``to_dict()`` writes that dict unchanged. A subclass says which keys it writes, in which
order (``_keys``), and each key's JSON value (``_json``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = ["JSONMapping"]


class JSONMapping(Mapping[str, Any]):
    """``to_dict()``, ``[key]``, iteration and length, all from ``_keys`` and ``_json``."""

    def _keys(self) -> Sequence[str]:
        raise NotImplementedError

    def _json(self, key: str) -> Any:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (lists, plain dicts), its keys in their order."""
        return {k: self[k] for k in self}

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return self._json(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())
