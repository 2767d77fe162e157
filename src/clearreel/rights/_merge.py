"""How a catalog file merges into the registry (ARCHITECTURE.md, "Catalog file").

A file changes what it states and nothing else:

- a field the file leaves out keeps its registry value (a partial file that names a work by
  id and adds one scene wipes nothing: no face reference, no consent evidence, no consent
  scope widened to `all` because an absent `works` "defaults" to all);
- a stated field replaces the value when it is a term of the entity (a name, a date, a
  status, a consent's `works` / `projects` / `purposes`, a licence's territories);
- a stated collection of children is merged by key, never shortened: media and subtitles by
  path, participations by (party, role, character), scenes by (media, start, end),
  references by (kind, path), aliases by value, a licence's `uses` by use. Nothing is ever
  removed implicitly.

The merge happens on plain catalog-shaped documents (the registry side comes from the export
functions), before validation, so the merged entity is validated whole: a new entity must
state every required field, an existing one may state only what changes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

COLLECTIONS = ("parties", "works", "characters", "licenses", "consents")


def resolve_paths(doc: dict[str, Any], base: Path) -> None:
    """Resolve the file's relative paths (media, subtitles, scene media, references) against
    its folder, in place, so that they compare equal to the registry's absolute ones."""
    from clearreel.rights.catalog_validate import _resolve

    def fix(v: Any) -> Any:
        return _resolve(v, base) if isinstance(v, str) and v else v

    def fix_entry(v: Any) -> Any:  # a subtitle entry may be {path, encoding, media}
        if isinstance(v, dict):
            return {**v, **{k: fix(v[k]) for k in ("path", "media") if k in v}}
        return fix(v)

    for w in _items(doc, "works"):
        for key in ("media", "subtitles"):
            if isinstance(w.get(key), list):
                w[key] = [fix_entry(m) for m in w[key]]
        for sc in w.get("scenes") or []:
            if isinstance(sc, dict) and "media" in sc:
                sc["media"] = fix(sc["media"])
    for p in _items(doc, "parties"):
        refs = p.get("references")
        if isinstance(refs, list):
            p["references"] = [
                {**r, "path": fix(r.get("path"))} if isinstance(r, dict) else fix(r) for r in refs
            ]


def _items(doc: dict[str, Any], coll: str) -> list[dict[str, Any]]:
    v = doc.get(coll)
    return [x for x in v if isinstance(x, dict)] if isinstance(v, list) else []


def stated_ids(doc: dict[str, Any]) -> dict[str, list[str]]:
    """The ids each collection of the file names (the entities the import may touch)."""
    return {c: [x["id"] for x in _items(doc, c) if isinstance(x.get("id"), str)]
            for c in COLLECTIONS}


# ---------------------------------------------------------------------------- child merges


def _union(old: Any, new: Any) -> Any:
    if not isinstance(old, list) or not isinstance(new, list):
        return new
    return [*old, *(x for x in new if x not in old)]


def _keyed(key: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    def merge(old: Any, new: Any) -> Any:
        if not isinstance(old, list) or not isinstance(new, list):
            return new
        out = list(old)
        at = {}
        for i, x in enumerate(out):
            try:
                at.setdefault(key(x), i)
            except (TypeError, ValueError, KeyError):
                continue
        for x in new:
            try:
                k = key(x)
            except (TypeError, ValueError, KeyError):
                out.append(x)  # malformed: validation reports it against the file
                continue
            if k in at:
                merged = {**out[at[k]], **x} if isinstance(x, dict) else x
                out[at[k]] = merged
            else:
                at[k] = len(out)
                out.append(x)
        return out

    return merge


def _participation_key(p: Any) -> Any:
    return (p["party"], p["role"], p.get("character"))


def _scene_key(sc: Any) -> Any:
    from clearreel.rights.catalog import _ms
    from clearreel.rights.catalog_schema import _seconds

    return (sc.get("media"), _ms(_seconds(sc["start"])), _ms(_seconds(sc["end"])))


def _reference_key(r: Any) -> Any:
    from clearreel.rights.catalog_schema import _reference

    r = _reference(r)
    return (r["kind"], r["path"])


def _uses(old: Any, new: Any) -> Any:
    if isinstance(old, dict) and isinstance(new, dict):
        return {**old, **new}
    return new


CHILDREN: dict[str, dict[str, Callable[[Any, Any], Any]]] = {
    "parties": {"references": _keyed(_reference_key), "aliases": _union},
    "works": {"media": _union, "subtitles": _union,
              "participations": _keyed(_participation_key), "scenes": _keyed(_scene_key)},
    "characters": {"aliases": _union},
    "licenses": {"uses": _uses},
    "consents": {},
}


def merge_entity(coll: str, old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    """The entity as it will be: the registry's `old` with the file's `new` statements."""
    if old is None:
        return new
    out = dict(old)
    rules = CHILDREN.get(coll, {})
    for k, v in new.items():
        out[k] = rules[k](old.get(k), v) if k in rules else v
    return out


def merge_document(doc: dict[str, Any], registry: dict[str, dict[str, dict[str, Any]]],
                   org: dict[str, Any] | None) -> dict[str, Any]:
    """The file's document with each named entity merged onto its registry state.

    List positions are kept, so validation problems point at the file's own lines."""
    out = dict(doc)
    if org is not None and isinstance(doc.get("organization"), dict):
        out["organization"] = {**org, **doc["organization"]}
    for coll in COLLECTIONS:
        items = doc.get(coll)
        if not isinstance(items, list):
            continue
        known = registry.get(coll, {})
        out[coll] = [merge_entity(coll, known.get(x.get("id")), x)
                     if isinstance(x, dict) and isinstance(x.get("id"), str) else x
                     for x in items]
    return out


def diff(before: dict[str, dict[str, dict[str, Any]]],
         after: dict[str, dict[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per entity and field: `{"entity", "id", "field", "old", "new"}` (old None: created)."""
    changes: list[dict[str, Any]] = []
    for coll, docs in after.items():
        kind = "party" if coll == "parties" else coll[:-1]
        for id_, new in docs.items():
            old = before.get(coll, {}).get(id_)
            if old is None:
                changes.append({"entity": kind, "id": id_, "field": None, "old": None,
                                "new": "created"})
                continue
            for k in dict.fromkeys([*old, *new]):
                if k == "id" or old.get(k) == new.get(k):
                    continue
                changes.append({"entity": kind, "id": id_, "field": k, "old": old.get(k),
                                "new": new.get(k)})
    return changes


__all__ = ["diff", "merge_document", "merge_entity", "resolve_paths", "stated_ids"]
