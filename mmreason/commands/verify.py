"""`mmreason verify`: score a JSONL file of completions with the rule verifiers (the trainer's reward)."""

HELP = "score completions in a JSONL file with the rule verifiers (accuracy + format reward)"
DESCRIPTION = HELP + (". Each input row: {\"completion\": str, \"answer\": str, \"verifier\": str, \"options\": {...}} "
                      "plus any other fields (passed through). Output rows add reward, accuracy, format, extracted "
                      "and error; the file is written atomically. A one-line JSON summary goes to stdout.")

_BATCH = 1024


def add_arguments(p):
    p.add_argument("--input", required=True, help="JSONL file of rows to score")
    p.add_argument("--output", required=True, help="JSONL file to write (replaced atomically)")
    p.add_argument("--workers", type=int, default=1, help="verifier worker processes (0 = in this process)")
    p.add_argument("--timeout", type=float, default=2.0, help="seconds per verification before it scores 0")
    p.add_argument("--max-chars", type=int, default=20000, help="longer completions score 0 (too_long)")
    p.add_argument("--accuracy-weight", type=float, default=1.0, help="weight of the verifier's accuracy")
    p.add_argument("--format-weight", type=float, default=0.5, help="weight of the format check (0 = off)")
    p.add_argument("--template", choices=["r1", "plain"], default="r1",
                   help="r1: <think>…</think><answer>…</answer>; plain: one <answer>…</answer> block")
    p.add_argument("--skip-bad-rows", action="store_true",
                   help="skip malformed rows (counted in the summary) instead of failing on the first")


def _check_row(line: str, path: str, lineno: int, verifiers) -> dict:
    """The row as a dict, or DataError naming file, row (1-based line) and field."""
    import json

    from ..errors import DataError

    try:
        row = json.loads(line)
    except ValueError as e:
        raise DataError(f"not valid JSON ({e.msg})", file=path, row=lineno) from None
    if not isinstance(row, dict):
        raise DataError(f"a row must be a JSON object, got {type(row).__name__}", file=path, row=lineno)
    for key in ("completion", "answer", "verifier"):
        if key not in row:
            raise DataError("missing field", file=path, row=lineno, field=key)
        if not isinstance(row[key], str):
            raise DataError(f"must be a string, got {type(row[key]).__name__}", file=path, row=lineno, field=key)
    if not isinstance(row.get("options", {}), dict):
        raise DataError("must be a JSON object", file=path, row=lineno, field="options")
    if row["verifier"] not in verifiers:
        raise DataError(verifiers.unknown_message(row["verifier"]), file=path, row=lineno, field="verifier")
    return row


def _read_rows(path: str, skip_bad: bool, verifiers) -> tuple[list[dict], int]:
    from ..errors import DataError

    rows, bad = [], 0
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise DataError(f"cannot read input ({e.strerror})", file=path) from None
    with f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rows.append(_check_row(line, path, lineno, verifiers))
            except DataError:
                if not skip_bad:
                    raise
                bad += 1
    return rows, bad


def _write(path: str, rows: list[dict]) -> None:
    import json

    from ..atomic import atomic_file
    from ..errors import MMReasonError

    try:
        with atomic_file(path) as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as e:
        raise MMReasonError(f"cannot write output '{path}' ({e.strerror})") from None


def run(args) -> int:
    import json

    from ..errors import MMReasonError
    from ..rewards import VERIFIERS, AnswerFormat, RewardFunction, VerifierPool, VerifyRequest, summarize_rewards

    if args.workers < 0 or args.timeout <= 0 or args.max_chars <= 0:
        raise MMReasonError("--workers must be >= 0, --timeout and --max-chars > 0")
    rows, bad = _read_rows(args.input, args.skip_bad_rows, VERIFIERS)
    with VerifierPool(workers=args.workers, timeout_s=args.timeout, max_chars=args.max_chars) as pool:
        reward_fn = RewardFunction(AnswerFormat(args.template), accuracy_weight=args.accuracy_weight,
                                   format_weight=args.format_weight, pool=pool)
        breakdowns = []
        for start in range(0, len(rows), _BATCH):
            batch = rows[start:start + _BATCH]
            reqs = [VerifyRequest(r["completion"], r["answer"], r["verifier"], r.get("options") or {}) for r in batch]
            for row, b in zip(batch, reward_fn(reqs)):
                row.update(reward=b.reward, accuracy=b.accuracy, format=b.format, extracted=b.extracted, error=b.error)
                breakdowns.append(b)
    _write(args.output, rows)
    summary = summarize_rewards(breakdowns, labels={"verifier": [r["verifier"] for r in rows]})
    print(json.dumps({**summary, "bad_rows": bad, "output": args.output}, sort_keys=True))
    return 0
