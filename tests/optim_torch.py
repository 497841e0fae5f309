"""The torch twin of every optimizer in codegen/spec/optimizers.yaml, built from LearnKit hyperparameter names,
for the parity tests (tests/test_kernels_training.py at the kernel level, tests/test_optimizer_parity.py for
whole trainings). Lion is not in torch.optim: LionTorch below is the paper's Algorithm 2 (arXiv:2302.06675)
written with torch tensor operations."""
from __future__ import annotations

from collections.abc import Iterable

import torch

# LearnKit optimizer name -> torch.optim class name
TORCH_CLASSES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "adamax": "Adamax", "nadam": "NAdam",
                 "radam": "RAdam", "rmsprop": "RMSprop", "adagrad": "Adagrad", "adadelta": "Adadelta"}
FLAGS = {"nesterov", "amsgrad", "centered", "decoupled_weight_decay"}
RENAMED = {"epsilon": "eps"}


class LionTorch(torch.optim.Optimizer):
    """Lion: c = beta1 m + (1 - beta1) g; p = p (1 - lr wd) - lr sign(c); m = beta2 m + (1 - beta2) g."""

    def __init__(self, params: Iterable, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0) -> None:
        super().__init__(params, {"lr": lr, "betas": betas, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure: object = None) -> None:
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                c = m * beta1 + p.grad * (1.0 - beta1)
                p.mul_(1.0 - group["lr"] * group["weight_decay"])
                p.add_(torch.sign(c), alpha=-group["lr"])
                m.mul_(beta2).add_(p.grad, alpha=1.0 - beta2)


def torch_kwargs(hyper: dict[str, float]) -> dict:
    """LearnKit hyperparameters (the optimizer's own, spec names) as torch keyword arguments."""
    kw: dict = {}
    for name, value in hyper.items():
        if name in ("beta1", "beta2", "max_norm"):
            continue
        kw[RENAMED.get(name, name)] = bool(value) if name in FLAGS else float(value)
    if "beta1" in hyper:
        kw["betas"] = (float(hyper["beta1"]), float(hyper["beta2"]))
    return kw


def torch_optimizer(name: str, params: Iterable | list[dict], hyper: dict[str, float]) -> torch.optim.Optimizer:
    """torch's optimizer `name` over params (tensors or param-group dicts) with LearnKit's hyperparameters."""
    kw = torch_kwargs(hyper)
    if name == "lion":
        return LionTorch(params, **kw)
    cls = getattr(torch.optim, TORCH_CLASSES[name])
    if name != "lion":
        kw["foreach"] = False  # the single-tensor code, whose operation order the spec follows
    return cls(params, **kw)
