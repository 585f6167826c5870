r"""YAML read with limits: every config file, a run's saved config and each ``--set`` value.

PyYAML's safe loader builds no objects, but it happily builds a document whose anchors and
aliases nest into billions of values (a "billion laughs" bomb: a few hundred bytes that hang
anything that walks the result), keeps the last of two equal keys without a word, and
recurses until Python's stack overflows on deep nesting. ``load_yaml_text`` composes the node
graph first, measures it, and only then constructs the values.

Example:
    >>> load_yaml_text("train: {epochs: 3}")
    {'train': {'epochs': 3}}
    >>> load_yaml_text("a: 1\na: 2")          # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    hakseup.errors.ConfigError: The YAML text repeats the key 'a' at line 2; YAML would
    silently keep only the last one. Keep one of them.
"""

from __future__ import annotations

from typing import Any

import yaml

from ..errors import ConfigError
from ..i18n import t

__all__ = [
    "load_yaml_text",
    "YAMLSyntaxError",
    "MAX_YAML_NODES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_BYTES",
]


class YAMLSyntaxError(ConfigError):
    """Text that is not YAML at all (as opposed to YAML refused for its size or keys)."""


MAX_YAML_NODES = 100_000  # a config has hundreds; an alias bomb expands to billions
MAX_YAML_DEPTH = 50
MAX_YAML_BYTES = 1 << 20


def _yaml_limits(root: yaml.Node, where: str) -> None:
    """Refuse duplicate keys, nesting deeper than MAX_YAML_DEPTH, and documents whose aliases
    expand past MAX_YAML_NODES nodes. Sizes are memoised per node, so a bomb's size is
    computed without expanding it."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_YAML_DEPTH:
            raise ConfigError(
                t(
                    "error.config.yaml.nested_more_than",
                    where=where,
                    max_yaml_depth=MAX_YAML_DEPTH,
                    value=node.start_mark.line + 1,
                )
            )
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 0  # a node that contains itself counts once
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if k.value in seen:
                        raise ConfigError(
                            t(
                                "error.config.yaml.repeats_key_line",
                                where=where,
                                value=k.value,
                                value2=k.start_mark.line + 1,
                            )
                        )
                    seen.add(k.value)
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(c, depth + 1) for c in node.value)
        if total > MAX_YAML_NODES:
            raise ConfigError(
                t("error.config.yaml.expands_more_than", where=where, max_yaml_nodes=MAX_YAML_NODES)
            )
        sizes[id(node)] = total
        return total

    size(root, 0)


def load_yaml_text(text: str, where: str | None = None) -> Any:
    """PyYAML's safe loader with limits (see ``_yaml_limits``); errors are one line."""
    where = where or t("where.yaml_text")
    loader = None
    try:
        loader = yaml.SafeLoader(text)  # rejects control characters already
        node = loader.get_single_node()
        if node is None:
            return None
        _yaml_limits(node, where)
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = t("where.at_line", line=mark.line + 1, column=mark.column + 1) if mark else ""
        problem = getattr(e, "problem", None) or getattr(e, "reason", None) or "invalid syntax"
        raise YAMLSyntaxError(
            t("error.config.yaml.valid_yaml_fix", where=where, at=at, problem=problem)
        ) from None
    except RecursionError:
        raise ConfigError(t("error.config.yaml.nested_too_deeply", where=where)) from None
    finally:
        if loader is not None:
            loader.dispose()
