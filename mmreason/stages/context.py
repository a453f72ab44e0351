"""What the stages share: the run context (config, run directory, metrics log, progress) and the built parts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic import write_json
from ..config import Config
from ..distributed import comm
from ..observe import Console, make_sinks
from ..trainer.metrics import MetricsLogger


@dataclass
class RunContext:
    cfg: Config
    run_dir: Path
    logger: MetricsLogger
    progress: dict = field(default_factory=dict)   # RUN_DIR/progress.json: held-out results, wall time
    console: Console = field(default_factory=lambda: Console("plain"))  # progress bars / lines (log.progress)

    @classmethod
    def open(cls, cfg: Config, sinks: bool = True) -> "RunContext":
        """The run directory (created by rank 0), its metrics log (with the `log.sinks` when `sinks`), the console,
        and the progress of an earlier run when resuming."""
        run_dir = Path(cfg.run.out_dir)
        if comm.is_main():
            run_dir.mkdir(parents=True, exist_ok=True)
        comm.barrier()
        path = run_dir / "progress.json"
        progress = json.loads(path.read_text()) if cfg.train.resume and path.exists() else {}
        from ..config import to_dict

        extra = make_sinks(cfg.log, run_dir, to_dict(cfg)) if sinks and comm.is_main() else []
        logger = MetricsLogger(run_dir / "metrics.jsonl" if comm.is_main() else None, console=False, sinks=extra)
        console = Console(cfg.log.progress, cfg.log.plain_every, enabled=comm.is_main())
        return cls(cfg, run_dir, logger, progress, console)

    def save_progress(self) -> None:
        if comm.is_main():
            write_json(self.run_dir / "progress.json", self.progress)

    def say(self, line: str, important: bool = False) -> None:
        self.console.say(line, important)

    def close(self) -> None:
        """Close the console's open tasks and the metric sinks."""
        self.console.close()
        self.logger.close()


@dataclass
class Parts:
    """The components a run trains and evaluates with (built by `mmreason.wiring`)."""
    policy: object                  # model.Policy: the trained model and its processor
    answer_format: object           # rewards.AnswerFormat
    encoder: object                 # prompts.PromptEncoder
    reward_fn: object               # rewards.RewardFunction (owns its verifier pool)
    engine: object                  # rollout engine over the policy
    train_sources: list = field(default_factory=list)   # loaded data.train sources
    eval_set: list = field(default_factory=list)        # held-out samples (data.eval)
    skipped: dict = field(default_factory=dict)         # rows skipped per source and reason

    def close(self) -> None:
        self.reward_fn.close()
        self.engine.close()  # an engine holding resources (vLLM) frees them now
