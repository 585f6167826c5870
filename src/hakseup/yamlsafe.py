r"""YAML read with limits: every config file, a run's saved config and each ``--set`` value.

PyYAML's safe loader builds no objects, but it happily builds a document whose anchors and
aliases nest into billions of values (a "billion laughs" bomb: a few hundred bytes that hang
anything that walks the result), keeps the last of two equal keys without a word, and
recurses until Python's stack overflows on deep nesting. ``load_yaml_text`` composes the node
graph first, measures it, and only then constructs the values.

Example:
    >>> load_yaml_text("train: {epochs: 3}")
    {'train': {'epochs': 3}}
    >>> load_yaml_text("a: 1\na: 2")
    Traceback (most recent call last):
    hakseup.errors.ConfigError: The YAML text repeats the key 'a' at line 2; YAML would silently keep only the last one. Keep one of them.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ConfigError

__all__ = ["load_yaml_text", "YAMLSyntaxError", "MAX_YAML_NODES", "MAX_YAML_DEPTH",
           "MAX_YAML_BYTES"]


class YAMLSyntaxError(ConfigError):
    """Text that is not YAML at all (as opposed to YAML refused for its size or keys)."""

MAX_YAML_NODES = 100_000      # a config has hundreds; an alias bomb expands to billions
MAX_YAML_DEPTH = 50
MAX_YAML_BYTES = 1 << 20


def _yaml_limits(root: yaml.Node, where: str) -> None:
    """Refuse duplicate keys, nesting deeper than MAX_YAML_DEPTH, and documents whose aliases
    expand past MAX_YAML_NODES nodes. Sizes are memoised per node, so a bomb's size is
    computed without expanding it."""
    sizes: dict[int, int] = {}

    def size(node: yaml.Node, depth: int) -> int:
        if depth > MAX_YAML_DEPTH:
            raise ConfigError(f"{where} is nested more than {MAX_YAML_DEPTH} levels deep at "
                              f"line {node.start_mark.line + 1}; a config is a few levels of "
                              f"'section: key: value'.")
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 0  # a node that contains itself counts once
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != "tag:yaml.org,2002:merge":
                    if k.value in seen:
                        raise ConfigError(f"{where} repeats the key '{k.value}' at line "
                                          f"{k.start_mark.line + 1}; YAML would silently keep "
                                          f"only the last one. Keep one of them.")
                    seen.add(k.value)
                total += size(k, depth + 1) + size(v, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(c, depth + 1) for c in node.value)
        if total > MAX_YAML_NODES:
            raise ConfigError(f"{where} expands to more than {MAX_YAML_NODES:,} values (YAML "
                              f"anchors and aliases repeated inside each other); refused. "
                              f"Write the values out, without nested aliases.")
        sizes[id(node)] = total
        return total

    size(root, 0)


def load_yaml_text(text: str, where: str = "The YAML text") -> Any:
    """PyYAML's safe loader with limits (see ``_yaml_limits``); errors are one line."""
    loader = None
    try:
        loader = yaml.SafeLoader(text)     # rejects control characters already
        node = loader.get_single_node()
        if node is None:
            return None
        _yaml_limits(node, where)
        return loader.construct_document(node)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or getattr(e, "reason", None) or "invalid syntax"
        raise YAMLSyntaxError(f"{where} is not valid YAML{at}: {problem}. Fix the syntax "
                              f"(indent with spaces, 'key: value').") from None
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply to read; a config is a few levels "
                          f"of 'section: key: value'.") from None
    finally:
        if loader is not None:
            loader.dispose()
