"""Reading DAG YAML safely: bounded files, duplicate keys, alias bombs, names kept as text.

YAML text is data: it is parsed by a restricted ``yaml.SafeLoader`` and never evaluated. On
top of the safe loader: a key repeated in one mapping is an error (naming the key and its
lines), names and labels are read as the text written (a category ``NO`` stays ``'NO'``, not
False; ``01`` stays ``'01'``), and a file may hold at most :data:`MAX_YAML_VALUES` values once
its aliases are expanded (a "billion laughs" file is refused before it is built). Every
refusal is a :class:`~causalsynth.errors.DAGError` of one line.

Examples
--------
>>> parse_dag_yaml("nodes:\\n  - {name: NO, type: binary}\\n")
{'nodes': [{'name': 'NO', 'type': 'binary'}]}
>>> parse_dag_yaml("a: 1\\na: 2\\n")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
causalsynth.errors.DAGError: invalid DAG: key 'a' appears 2 times in one mapping (lines 1, 2); ...
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from causalsynth.errors import DAGError, excerpt

__all__ = [
    "MAX_YAML_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_VALUES",
    "TEXT_KEYS",
    "DAGLoader",
    "parse_dag_yaml",
    "path_exists",
    "read_dag_file",
    "read_dag_source",
]

#: most values (scalars, lists, mappings) a DAG file may hold once its aliases are expanded
MAX_YAML_VALUES = 200_000
#: largest DAG file or YAML text read, in bytes
MAX_YAML_BYTES = 5_000_000
#: deepest nesting of lists and mappings a DAG file may have
MAX_YAML_DEPTH = 50
#: keys whose values are names or labels: read as the text written, never as bool or number
TEXT_KEYS = frozenset({"name", "parents", "categories", "parent", "gate", "description",
                       "unit", "type", "role"})

_MERGE_TAG = "tag:yaml.org,2002:merge"
_NULL_TAG = "tag:yaml.org,2002:null"


class DAGLoader(yaml.SafeLoader):
    """A SafeLoader for DAG files: duplicate keys recorded, names and labels kept as text.

    Mapping keys and the values of :data:`TEXT_KEYS` (node names, parents, categories,
    segment parents, gates) are built from their source text, so YAML 1.1's implicit types
    (``NO`` -> False, ``01`` -> 1, ``1.0`` -> 1.0) never rename a node or a category; a plain
    ``null`` (or nothing) stays None. Other values read ``1e308`` and ``1.5e3`` (exponents
    without a dot or a sign) as numbers, as YAML 1.2 does (YAML 1.1 reads them as text).
    Problems found while building are collected in ``duplicates``; the document's expanded
    size is checked before it is built.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[str] = []

    def construct_document(self, node: yaml.Node) -> Any:
        _check_expanded_size(node)
        return super().construct_document(node)

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        lines: dict[Any, list[int]] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE_TAG:
                lines.setdefault(key_node.value, []).append(key_node.start_mark.line + 1)
        for key, at in lines.items():
            if len(at) > 1:
                self.duplicates.append(
                    f"key {excerpt(key)} appears {len(at)} times in one mapping (lines "
                    f"{', '.join(map(str, at))}); YAML keeps only the last one: merge them "
                    f"into one entry")
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, (str, int, float, bool, tuple)):
                    raise yaml.constructor.ConstructorError(
                        "while constructing a mapping", node.start_mark,
                        "found a key that is not a name", key_node.start_mark)
            mapping[key] = (self._text(value_node) if key in TEXT_KEYS
                            else self.construct_object(value_node, deep=deep))
        return mapping

    def _text(self, node: yaml.Node) -> Any:
        """A scalar as its source text (None for a plain null); lists of scalars likewise."""
        if isinstance(node, yaml.ScalarNode):
            if node.style is None and self.resolve(yaml.ScalarNode, node.value,
                                                   (True, False)) == _NULL_TAG:
                return None
            return node.value
        if isinstance(node, yaml.SequenceNode):
            return [self._text(item) if isinstance(item, yaml.ScalarNode)
                    else self.construct_object(item, deep=True) for item in node.value]
        return self.construct_object(node, deep=True)


# YAML 1.2 reads 1e308 and 1.5e3 (no dot, no exponent sign) as numbers; YAML 1.1, and so
# PyYAML, as text, which made "range: [0, 1e308]" fail as "got '1e308'". DAG files read them
# as numbers (names and labels stay text: see TEXT_KEYS).
DAGLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(
        r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"))


def parse_dag_yaml(text: str, origin: str | None = None) -> Any:
    """Parse DAG YAML text with :class:`DAGLoader`; every problem is one :class:`DAGError`.

    Parameters
    ----------
    text : str
        The YAML text.
    origin : str, optional
        The file it came from, named in the error.

    Returns
    -------
    Any
        What the document holds (a mapping for a DAG; other values are left to the caller).

    Raises
    ------
    DAGError
        Text over :data:`MAX_YAML_BYTES`, nesting over :data:`MAX_YAML_DEPTH`, more than
        :data:`MAX_YAML_VALUES` values once aliases are expanded, a recursive alias, a
        repeated key, or text that is not YAML (with its line and column).
    """
    if len(text) > MAX_YAML_BYTES:
        raise DAGError(f"the YAML text has {len(text):,} characters; a DAG holds at most "
                       f"{MAX_YAML_BYTES:,}", source=origin)
    loader: DAGLoader | None = None
    try:
        _check_event_depth(text)
        loader = DAGLoader(text)
        spec = loader.get_single_data()
    except yaml.YAMLError as exc:  # one line: where (line, column) and what, not a YAML dump
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        what = problem or (str(exc).splitlines() or ["unknown problem"])[0]
        raise DAGError(f"the YAML cannot be parsed: {where}{what}", source=origin) from None
    except RecursionError:
        raise DAGError("the YAML is nested too deeply to be a DAG; check its brackets and "
                       "indentation", source=origin) from None
    except DAGError as exc:
        raise DAGError(exc.problems, source=origin) from None
    finally:
        if loader is not None:
            loader.dispose()
    if loader.duplicates:
        raise DAGError(loader.duplicates, source=origin)
    return spec


def read_dag_source(source: str | Path, builtin: Mapping[str, Path]) -> tuple[Any, str | None]:
    """What a DAG source holds, and the file it came from (None for YAML text).

    Parameters
    ----------
    source : str or Path
        A built-in name (a key of ``builtin``), a path to a YAML file, or YAML text.
    builtin : mapping of str to Path
        The built-in DAG names and their files.

    Returns
    -------
    spec : Any
        The parsed document (see :func:`parse_dag_yaml`).
    origin : str or None
        The file read, or None for YAML text.

    Raises
    ------
    DAGError
        A missing or unreadable file, a word that names no built-in DAG and no file, or YAML
        that :func:`parse_dag_yaml` refuses.
    """
    text, origin = None, None
    names = ", ".join(builtin) or "none found"
    if isinstance(source, str) and source in builtin:
        path: Path | None = builtin[source]
    elif isinstance(source, Path) or (
        "\n" not in source and (source.endswith((".yaml", ".yml")) or path_exists(source))
    ):
        path = Path(source)
    else:
        path = None
        text = source
    if path is not None:
        origin = str(path)
        if not path_exists(path, "is_file"):
            raise DAGError(
                f"no DAG file at {str(path)!r} (looked for {str(path.absolute())!r}); give a "
                f"path to a YAML file or a built-in name ({names})"
            )
        text = read_dag_file(path)
    spec = parse_dag_yaml(text, origin)
    if path is None and "\n" not in source and not isinstance(spec, (Mapping, list)):
        raise DAGError(  # one word or path that names nothing: not YAML text
            f"no built-in DAG named {source!r} and no DAG file at {source!r} (looked for "
            f"{str(Path(source).absolute())!r}); built-in names: {names}; or give a path to "
            f"a YAML file"
        )
    return spec, origin


def read_dag_file(path: Path) -> str:
    """A DAG file's text, refusing huge, unreadable or non-UTF-8 files with one line."""
    try:
        size = path.stat().st_size
        if size > MAX_YAML_BYTES:
            raise DAGError(f"the DAG file {excerpt(str(path))} has {size:,} bytes; a DAG file "
                           f"holds at most {MAX_YAML_BYTES:,}: check that it is the right file")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DAGError(f"the DAG file {excerpt(str(path))} is not UTF-8 text (byte "
                       f"{exc.start}); save it as UTF-8 YAML") from None
    except OSError as exc:
        raise DAGError(f"cannot read the DAG file {excerpt(str(path))}: "
                       f"{exc.strerror or exc}; check the path and its permissions") from None


def path_exists(source: str | Path, test: str = "exists") -> bool:
    """``Path(source).exists()`` (or ``.is_file()``), False for names the OS cannot even look
    up (too long, NUL bytes) instead of an OSError.

    >>> path_exists("no/such/file.yaml"), path_exists("x" * 5000), path_exists("a\\0b")
    (False, False, False)
    """
    try:
        return bool(getattr(Path(source), test)())
    except (OSError, ValueError):
        return False


def _check_expanded_size(root: yaml.Node) -> None:
    """Refuse a document that expands to over MAX_YAML_VALUES values or MAX_YAML_DEPTH levels.

    The composer shares one node among all aliases of an anchor, so a 500-byte file can
    describe billions of values; anything that walks the built data (messages, copies, JSON)
    would expand them. Sizes are counted once per distinct node (memoised), without recursion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    active: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > MAX_YAML_DEPTH:
                raise _too_deep(node.start_mark.line + 1)
            if size[key] > MAX_YAML_VALUES:
                raise DAGError(
                    f"the YAML value at line {node.start_mark.line + 1} expands to more than "
                    f"{MAX_YAML_VALUES:,} values through its aliases (*name refers back to "
                    f"&name); a DAG needs far fewer: write the repeated parts out or use fewer "
                    f"nested aliases")
            continue
        if key in size:
            continue
        if key in active:
            raise DAGError(f"the YAML value at line {node.start_mark.line + 1} contains an alias "
                           f"to itself (a recursive anchor); a DAG file cannot contain itself: "
                           f"remove that alias")
        active.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def _check_event_depth(text: str) -> None:
    """Refuse nesting deeper than MAX_YAML_DEPTH from the parser's events, before composing.

    The parser is a loop; the composer and constructor recurse once per level, so a file of
    3,000 brackets would otherwise end in a slow RecursionError.
    """
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise _too_deep(event.start_mark.line + 1)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _too_deep(line: int) -> DAGError:
    return DAGError(f"the YAML nests lists and mappings more than {MAX_YAML_DEPTH} levels deep "
                    f"(at line {line}); a DAG needs a few: check its brackets and indentation")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []
