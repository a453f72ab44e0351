"""Training: rollout batches, logprobs, the RL step, cold-start SFT, checkpoints, metrics."""
