"""A mapping spec checked against the target's own fields: a misspelt target field (`ProductGrup`) is a spec
problem naming file, entity, field and the fields the target knows, found before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sync.spec import MappingSpec, SpecError, SpecProblem


def unknown_target_fields(
    spec: MappingSpec, declared: Mapping[str, Iterable[str]], target: str = "the ERP"
) -> list[SpecProblem]:
    """Every entity and field of `spec` the target does not declare (`declared`: entity -> its fields)."""
    problems = []
    for name, entity in spec.entities.items():
        if entity.target not in declared:
            problems.append(
                SpecProblem(
                    spec.file,
                    name,
                    "",
                    f"target entity {entity.target!r} is not an entity of "
                    f"{target}; known entities: {', '.join(sorted(declared))}",
                )
            )
            continue
        known = tuple(declared[entity.target])
        for field in [*entity.constants, *(f.target for f in entity.fields)]:
            if field not in known:
                problems.append(
                    SpecProblem(
                        spec.file,
                        name,
                        field,
                        f"target field {field!r} is not a field of "
                        f"{entity.target} in {target}; known fields: {', '.join(known)}",
                    )
                )
    return problems


def require_known_target_fields(
    spec: MappingSpec, declared: Mapping[str, Iterable[str]], target: str = "the ERP"
) -> MappingSpec:
    """The spec, or SpecError listing every target entity and field `target` does not have."""
    problems = unknown_target_fields(spec, declared, target)
    if problems:
        raise SpecError(problems)
    return spec
