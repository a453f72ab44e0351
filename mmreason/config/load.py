"""Merge defaults ← YAML ← key=value overrides with OmegaConf, then validate once into typed dataclasses."""

from __future__ import annotations

import dataclasses
import os
import typing
from pathlib import Path

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ..errors import ConfigError
from ..registry import closest
from .schema import Config


def _valid_keys(node, prefix: str) -> list[str]:
    """Dotted child keys of a structured node (for did-you-mean hints)."""
    try:
        return [f"{prefix}.{k}" if prefix else str(k) for k in node.keys()]
    except Exception:
        return []


def _explain(e: OmegaConfBaseException, schema: DictConfig, where: str) -> ConfigError:
    key = getattr(e, "full_key", None) or ""
    msg = getattr(e, "msg", None) or str(e).splitlines()[0]
    kind = type(e).__name__
    if kind in ("ConfigKeyError", "ConfigAttributeError") or "not in struct" in msg or "Key '" in msg:
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        try:
            node = OmegaConf.select(schema, parent) if parent else schema
        except Exception:
            node = None
        valid = _valid_keys(node, parent) if isinstance(node, DictConfig) else []
        near = closest(key, valid)
        hint = f"; did you mean {' or '.join(near)}?" if near else (
            f" (valid keys under '{parent or '<root>'}': {', '.join(k.rsplit('.', 1)[-1] for k in valid)})" if valid else "")
        return ConfigError(f"{where}: unknown config key '{key}'{hint}")
    first = msg.splitlines()[0]
    return ConfigError(f"{where}: invalid value for '{key}': {first}")


def _field_types(cls) -> dict:
    return typing.get_type_hints(cls)


def check_keys(value, cls, prefix: str, where: str) -> None:
    """Refuse unknown keys anywhere under a dataclass-typed node, naming the dotted key (list items too)."""
    if not dataclasses.is_dataclass(cls) or not isinstance(value, dict):
        return
    hints = _field_types(cls)
    for k, v in value.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if k not in hints:
            near = closest(str(k), list(hints))
            hint = (f"; did you mean {' or '.join(f'{prefix}.{n}' if prefix else n for n in near)}?" if near
                    else f" (valid keys under '{prefix or '<root>'}': {', '.join(hints)})")
            raise ConfigError(f"{where}: unknown config key '{key}'{hint}")
        check_value(v, hints[k], key, where)


def check_value(v, tp, key: str, where: str) -> None:
    origin = typing.get_origin(tp)
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if dataclasses.is_dataclass(tp):
        check_keys(v, tp, key, where)
    elif origin is list and args and dataclasses.is_dataclass(args[0]) and isinstance(v, list):
        for i, item in enumerate(v):
            check_keys(item, args[0], f"{key}[{i}]", where)
    elif origin is typing.Union and len(args) == 1:
        check_value(v, args[0], key, where)


def _type_at(key: str):
    """The schema type at a dotted key (None when the key is not a plain field path)."""
    tp = Config
    for part in key.split("."):
        if not dataclasses.is_dataclass(tp) or part not in _field_types(tp):
            return None
        tp = _field_types(tp)[part]
    return tp


def _read_yaml(path: str) -> dict:
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(p.read_text())
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path}{at}: not valid YAML: {getattr(e, 'problem', e)}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    return data


def _parse_override(item: str) -> tuple[str, object]:
    if "=" not in item:
        raise ConfigError(f"override '{item}' must look like key=value (e.g. train.steps=10)")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key:
        raise ConfigError(f"override '{item}' has an empty key")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    return key, value


def load_config(path: str | os.PathLike | list | tuple | None = None,
                overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """defaults ← YAML file(s), in order ← overrides; returns a validated `Config`.

    Several files merge left to right (e.g. a recipe, then configs/deepspeed/zero3.yaml). Raises ConfigError
    naming the file and the dotted key."""
    schema = OmegaConf.structured(Config)
    merged = schema
    paths = [] if path is None else [path] if isinstance(path, (str, os.PathLike)) else list(path)
    for one in paths:
        data = _read_yaml(str(one))
        check_keys(data, Config, "", str(one))
        try:
            merged = OmegaConf.merge(merged, OmegaConf.create(data))
        except OmegaConfBaseException as e:
            raise _explain(e, schema, str(one)) from None
    for item in overrides:
        key, value = _parse_override(item)
        tp = _type_at(key)
        if tp is not None:
            check_value(value, tp, key, f"override '{item}'")
        try:
            OmegaConf.update(merged, key, value, merge=True, force_add=False)
        except OmegaConfBaseException as e:
            raise _explain(e, schema, f"override '{item}'") from None
    try:
        OmegaConf.resolve(merged)
        cfg: Config = OmegaConf.to_object(merged)
    except OmegaConfBaseException as e:
        raise _explain(e, schema, ", ".join(map(str, paths)) or "config") from None
    return cfg.validate()


def to_yaml(cfg: Config) -> str:
    return OmegaConf.to_yaml(OmegaConf.structured(cfg))


def to_dict(cfg: Config) -> dict:
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)
