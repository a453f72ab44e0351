HELP = "print the merged, validated config (defaults ← YAML ← key=value overrides)"


def add_arguments(p):
    p.add_argument("config", nargs="?", help="YAML config file (omit for the defaults)")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. train.steps=10")


def split_config_args(config, overrides):
    """Allow `show-config key=value` with no file: a first argument with '=' that is no file is an override."""
    import os

    if config is not None and "=" in config and not os.path.exists(config):
        return None, [config, *overrides]
    return config, list(overrides)


def run(args) -> int:
    from ..config import load_config, to_yaml

    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    print(to_yaml(cfg), end="")
    return 0
