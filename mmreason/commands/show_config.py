HELP = "print the merged, validated config (defaults ← YAML ← key=value overrides)"


def add_arguments(p):
    p.add_argument("config", nargs="?", help="YAML config file (omit for the defaults)")
    p.add_argument("overrides", nargs="*", help="more YAML files (merged in order), then key=value overrides")


def split_config_args(config, overrides):
    """Config files first (merged in order), then key=value overrides; `show-config key=value` needs no file.

    Returns (list of files or None, overrides)."""
    args = ([config] if config is not None else []) + list(overrides)
    files = []
    while args and "=" not in args[0]:
        files.append(args.pop(0))
    for a in args:
        if "=" not in a:
            from ..errors import ConfigError
            raise ConfigError(f"'{a}' after the overrides: config files come first, then key=value overrides")
    return (files or None), args


def run(args) -> int:
    from ..config import load_config, to_yaml
    from ..wiring import check_names

    path, overrides = split_config_args(args.config, args.overrides)
    cfg = load_config(path, overrides)
    check_names(cfg)
    print(to_yaml(cfg), end="")
    return 0
