"""Reading a catalog file with line numbers: YAML or JSON into plain Python values, the line
of every path remembered, so that every problem is reported as `file:line: message`.

The line is taken from the YAML node marks (JSON is read by the same composer, so JSON files
get line numbers too). The reader also enforces the size, depth and alias-expansion limits
(`catalog_limits`) and turns pydantic's errors into `file:line: path: message` lines.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from clearreel.errors import CatalogError, UsageError
from clearreel.rights import catalog_limits as limits
from clearreel.rights.catalog_schema import Catalog

Loc = tuple[str | int, ...]
# libyaml's composer (about 10x faster) keeps node marks too; pure Python when it is absent.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Reader:
    """Builds plain Python values from YAML nodes, remembering the line of every path."""

    def __init__(self, file: str, budget: int = limits.expansion_budget(0)):
        self.file = file
        self.lines: dict[Loc, int] = {}
        self.problems: list[str] = []
        self._scalar = yaml.constructor.SafeConstructor()
        self._budget = self._budget_total = budget  # values left to build (aliases expand)
        self._open: set[int] = set()  # the collections being built (an alias to one recurses)

    def value(self, node: yaml.Node, loc: Loc) -> Any:
        self.lines.setdefault(loc, node.start_mark.line + 1)
        self._budget -= 1
        if self._budget < 0:
            raise limits.too_large(self.file, node.start_mark.line + 1, self._budget_total)
        if isinstance(node, yaml.CollectionNode):
            if id(node) in self._open:
                raise limits.recursive(self.file, node.start_mark.line + 1)
            self._open.add(id(node))
            try:
                return self._collection(node, loc)
            finally:
                self._open.discard(id(node))
        return self._scalar_value(node)

    def _collection(self, node: yaml.CollectionNode, loc: Loc) -> Any:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            seen: dict[Any, int] = {}
            for k, v in node.value:
                key = self.value(k, (*loc, "\0key"))
                line = k.start_mark.line + 1
                if not isinstance(key, str | int) or isinstance(key, bool):
                    self.problems.append(f"{self.file}:{line}: a key must be a string, got {key!r}")
                    continue
                key = str(key)
                if key in seen:
                    self.problems.append(f"{self.file}:{line}: duplicate key {key!r} "
                                         f"(first at line {seen[key]})")
                    continue
                seen[key] = line
                self.lines[(*loc, key)] = line
                out[key] = self.value(v, (*loc, key))
                self.lines[(*loc, key)] = line
            return out
        return [self.value(v, (*loc, i)) for i, v in enumerate(node.value)]

    def _scalar_value(self, node: yaml.Node) -> Any:
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # validated (with a good message) as a date by the models
        try:
            return self._scalar.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError) as e:
            self.problems.append(f"{self.file}:{node.start_mark.line + 1}: {e}")
            return node.value

    def line(self, loc: Iterable[str | int]) -> int:
        loc = tuple(loc)
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return 1


def _read(path: Path) -> tuple[Any, _Reader]:
    file = str(path)
    try:
        limits.check_size(file, path.stat().st_size)
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"no catalog file at {path}") from None
    except UnicodeDecodeError as e:
        raise CatalogError([f"{file}:1: not UTF-8 text ({e.reason} at byte {e.start})"]) from None
    is_json = path.suffix.lower() == ".json"
    if is_json:
        # Valid JSON has tabs only as whitespace between tokens; YAML's flow style does not
        # accept them there, and a space is the same whitespace to JSON.
        text = text.replace("\t", " ")
    # Depth first (json.loads and the composer recurse), from the parser's flat event stream.
    nodes = limits.check_structure(file, text, _LOADER)
    r = _Reader(file, limits.expansion_budget(nodes))
    if is_json:
        try:
            json.loads(text)
        except json.JSONDecodeError as e:
            raise CatalogError([f"{file}:{e.lineno}: invalid JSON: {e.msg} "
                                f"(column {e.colno})"]) from None
        except RecursionError:
            raise limits.too_deep(file, 1) from None
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise CatalogError([f"{file}:{line}: invalid YAML: {e.problem or e.context}"]) from None
    except yaml.YAMLError as e:
        raise CatalogError([f"{file}:1: invalid YAML: {e}"]) from None
    if node is None:
        raise CatalogError([f"{file}:1: the catalog is empty: it needs at least `organization`"])
    return r.value(node, ()), r


def _loc_text(loc: Loc) -> str:
    s = ""
    for p in loc:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else str(p))
    return s



def _pydantic_problems(e: ValidationError, r: _Reader, doc: Any) -> list[str]:
    out = []
    for err in e.errors(include_url=False):
        loc: Loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(
            ("function-", "literal[", "list[", "nullable[", "[key]"))))
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        typ = err["type"]
        if typ == "extra_forbidden":
            model_fields = _known_fields(err["loc"][:-1], doc)
            close = difflib.get_close_matches(str(loc[-1]), model_fields, n=1)
            msg = f"unknown field {loc[-1]!r}" + (f": did you mean {close[0]!r}?" if close else
                                                  f"; known fields: {', '.join(model_fields)}")
        elif typ == "missing":
            msg = f"missing required field {loc[-1]!r}"
        elif "[key]" in err["loc"]:
            msg = f"unknown key {err['input']!r}: {msg}"
        elif typ in ("literal_error", "enum") or ("input" in err and typ.endswith("_type")):
            msg = f"{msg} (got {err['input']!r})"
        out.append(f"{r.file}:{r.line(loc)}: {_loc_text(loc)}: {msg}")
    return out


def _known_fields(loc: tuple[Any, ...], doc: Any) -> list[str]:
    """The fields of the model at `loc` (for "did you mean" hints)."""
    model: type[BaseModel] = Catalog
    for p in loc:
        if isinstance(p, int):
            continue
        ann = model.model_fields[p].annotation if p in model.model_fields else None
        inner = getattr(ann, "__args__", (ann,))
        nxt = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if nxt is None:
            return []
        model = nxt
    return list(model.model_fields)



def _indexed(doc: dict[str, Any], coll: str) -> list[tuple[int, dict[str, Any]]]:
    """The entries of a collection of a read document that are mappings, with their index."""
    v = doc.get(coll)
    return [(i, x) for i, x in enumerate(v) if isinstance(x, dict)] if isinstance(v, list) else []
