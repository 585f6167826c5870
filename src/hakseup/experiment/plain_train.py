"""The training pieces of a plain script (``plain.py``): the loss, the optimiser as hakseup
built it (``training/optim.py``), the learning-rate schedule and when it steps, gradient
clipping and early stopping — each as a few lines of torch.

Example:
    >>> from hakseup.config import TrainConfig
    >>> schedule_code(TrainConfig(scheduler="none"))
    ('', '', 'scheduler = None')
"""

from __future__ import annotations

import inspect

from ..config.rules import optimizer_names

__all__ = ["loss_code", "optimizer_code", "schedule_code", "clip_code", "patience_code"]

_LOSSES = {
    "cross_entropy": "nn.CrossEntropyLoss({args})",
    "mse": "nn.MSELoss()",
    "mae": "nn.L1Loss()",
    "huber": "nn.HuberLoss()",
}


def loss_code(cfg, schema) -> str:
    """``loss_fn``: the configured loss; for an ensemble's training outputs (B, k, n) the
    mean of every member's loss."""
    name = cfg.train.loss
    if name == "auto":
        name = "cross_entropy" if schema.is_classification else "mse"
    smoothing = cfg.train.label_smoothing
    args = f"label_smoothing={smoothing!r}" if smoothing else ""
    base = _LOSSES[name].format(args=args)
    if getattr(cfg.model, "ensemble", 1) > 1 and cfg.model.name == "tabular":
        return (
            f"criterion = {base}\n\n\n"
            "def loss_fn(out, target):\n"
            '    """In training the ensemble gives (B, k, n): every member learns on its'
            ' own."""\n'
            "    if out.dim() == 3:\n"
            "        return torch.stack([criterion(out[:, i], target)"
            " for i in range(out.shape[1])]).mean()\n"
            "    return criterion(out, target)\n\n"
        )
    return f"loss_fn = {base}\n"


def optimizer_code(train) -> str:
    """The optimiser exactly as hakseup builds it: ``fused=True`` where the class has it."""
    cls = optimizer_names()[train.optimizer.lower()]
    accepted = inspect.signature(cls).parameters
    args = ["model.parameters()", "lr=LR"]
    if train.weight_decay and "weight_decay" in accepted:
        args.append(f"weight_decay={train.weight_decay!r}")
    if train.momentum is not None:
        args.append(f"momentum={train.momentum!r}")
    note = ""
    if "fused" in accepted:
        args.append("fused=True")
        note = "# fused: one kernel for the whole update, as hakseup builds it\n"
    return f"{note}optimizer = torch.optim.{cls.__name__}({', '.join(args)})\n"


def schedule_code(train) -> tuple[str, str, str]:
    """(the line after each step, the line after each epoch, the scheduler's construction)."""
    name = train.scheduler
    epochs = train.epochs
    total = "max(1, EPOCHS * len(steps))"
    s = "torch.optim.lr_scheduler"
    step_line = "        scheduler.step()                                 # per batch\n"
    epoch_line = "    scheduler.step()                                     # per epoch\n"
    if name == "none":
        return "", "", "scheduler = None"
    if name == "warmup":
        build = (
            f"WARM = max(1, {train.warmup_epochs} * len(steps))   # warm-up steps\n"
            f"TOTAL = {total}\n\n\n"
            "def lr_factor(step):\n"
            '    """Linear warm-up, then a cosine decay to zero."""\n'
            "    if step < WARM:\n"
            "        return (step + 1) / WARM\n"
            "    progress = (step - WARM) / max(1, TOTAL - WARM)\n"
            "    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))\n\n\n"
            f"scheduler = {s}.LambdaLR(optimizer, lr_factor)"
        )
        return step_line, "", build
    if name == "onecycle":
        build = f"scheduler = {s}.OneCycleLR(optimizer, max_lr=LR, total_steps={total})"
        return step_line, "", build
    if name == "plateau":
        patience = max(1, (train.patience or 4) // 2)
        build = (
            f'scheduler = {s}.ReduceLROnPlateau(optimizer, mode="min", '
            f"factor={train.gamma!r}, patience={patience})"
        )
        metric = "val_loss" if train.monitor == "val_loss" else "loss_sum / n_train"
        return "", f"    scheduler.step({metric})\n", build
    builds = {
        "step": f"{s}.StepLR(optimizer, step_size={train.step_size}, gamma={train.gamma!r})",
        "multistep": f"{s}.MultiStepLR(optimizer, milestones="
        f"{list(train.milestones) or [max(1, epochs // 2), max(1, 3 * epochs // 4)]}"
        f", gamma={train.gamma!r})",
        "exponential": f"{s}.ExponentialLR(optimizer, gamma="
        f"{train.gamma if train.gamma < 1 else 0.95!r})",
        "cosine": f"{s}.CosineAnnealingLR(optimizer, T_max=EPOCHS)",
    }
    return "", epoch_line, f"scheduler = {builds[name]}"


def clip_code(train) -> str:
    if not train.grad_clip:
        return ""
    return (
        f"        torch.nn.utils.clip_grad_norm_(model.parameters(), {train.grad_clip!r})"
        "   # gradient clipping\n"
    )


def patience_code(train) -> str:
    if not train.patience:
        return ""
    return (
        f"    if waited >= {train.patience}:     # early stopping: no better validation loss"
        f" for {train.patience} epochs\n        break\n"
    )
