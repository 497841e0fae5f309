"""The NumPy reference itself, against PyTorch (float64): the other tests trust reference.py, this proves it
computes what torch computes. No Godot needed."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
import torch
from lk import as64, chain, random_params, random_targets, spec

TORCH_ACTIVATIONS = {
    "identity": lambda a: torch.nn.Identity(),
    "sigmoid": lambda a: torch.nn.Sigmoid(),
    "tanh": lambda a: torch.nn.Tanh(),
    "relu": lambda a: torch.nn.ReLU(),
    "leaky_relu": lambda a: torch.nn.LeakyReLU(a),
    "softmax": lambda a: torch.nn.Softmax(dim=1),
}
TORCH_LOSSES = {
    "mse": torch.nn.functional.mse_loss,
    "bce": torch.nn.functional.binary_cross_entropy,
    "cce": lambda y, t: -(t * torch.log(y)).sum(dim=1).mean(),
}


def torch_model(layers: list[ref.Layer], params: ref.Params) -> torch.nn.Sequential:
    modules: list[torch.nn.Module] = []
    for layer, (w, b) in zip(layers, params, strict=True):
        linear = torch.nn.Linear(layer.inputs, layer.outputs, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(np.asarray(w, dtype=np.float64)))
            linear.bias.copy_(torch.from_numpy(np.asarray(b, dtype=np.float64)))
        modules += [linear, TORCH_ACTIVATIONS[layer.activation](layer.alpha)]
    return torch.nn.Sequential(*modules)


def torch_params(model: torch.nn.Sequential) -> ref.Params:
    return [(m.weight.detach().numpy().copy(), m.bias.detach().numpy().copy())
            for m in model if isinstance(m, torch.nn.Linear)]


@pytest.mark.parametrize("activation", ref.ACTIVATIONS)
def test_forward_and_gradients_match_torch(activation: str) -> None:
    rng = np.random.default_rng(1)
    for loss in ref.LOSSES:
        output = {"bce": "sigmoid", "cce": "softmax"}.get(loss, activation)
        layers = chain([7, 33, 4], [activation, output], alpha=0.2)
        params = as64(random_params(rng, layers, scale=2.0))
        x = rng.uniform(-3, 3, (9, 7))
        t = random_targets(rng, loss, 9, 4).astype(np.float64)
        model = torch_model(layers, params)
        y = model(torch.from_numpy(x))
        value = TORCH_LOSSES[loss](y, torch.from_numpy(t))
        value.backward()
        np.testing.assert_allclose(ref.forward(layers, params, x), y.detach().numpy(), rtol=1e-12, atol=1e-14)
        ours, grads = ref.gradients(layers, params, x, t, loss)
        assert ours == pytest.approx(value.item(), rel=1e-9)
        expected = [(m.weight.grad.numpy(), m.bias.grad.numpy()) for m in model if isinstance(m, torch.nn.Linear)]
        for (gw, gb), (ew, eb) in zip(grads, expected, strict=True):
            np.testing.assert_allclose(gw, ew, rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(gb, eb, rtol=1e-10, atol=1e-14)


def test_extreme_inputs_stay_finite() -> None:
    z = np.array([[-1000.0, -300.0, 0.0, 300.0, 1000.0]])
    for name in ref.ACTIVATIONS:
        assert np.isfinite(ref.activate(name, z, 0.01)).all(), name
    assert ref.loss("bce", np.array([[0.0, 1.0]]), np.array([[1.0, 0.0]])) == pytest.approx(100.0)


OPTIMIZERS = {
    "sgd": (ref.OptimizerSpec("sgd"), 0.1, lambda p, s: torch.optim.SGD(p, lr=0.1)),
    "sgd-momentum-decay": (ref.OptimizerSpec("sgd", momentum=0.9, weight_decay=0.01), 0.1,
                           lambda p, s: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    "adam": (ref.OptimizerSpec("adam"), 1e-2, lambda p, s: torch.optim.Adam(p, lr=1e-2)),
    "adam-decay-betas": (ref.OptimizerSpec("adam", beta1=0.5, beta2=0.9, epsilon=1e-6, weight_decay=0.05), 1e-2,
                         lambda p, s: torch.optim.Adam(p, lr=1e-2, betas=(0.5, 0.9), eps=1e-6, weight_decay=0.05)),
    "adam-clipped": (ref.OptimizerSpec("adam", clip_norm=0.05), 1e-2, lambda p, s: torch.optim.Adam(p, lr=1e-2)),
    "sgd-momentum-clipped": (ref.OptimizerSpec("sgd", momentum=0.5, clip_norm=0.05), 0.1,
                             lambda p, s: torch.optim.SGD(p, lr=0.1, momentum=0.5)),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_and_fit_match_torch(name: str) -> None:
    """Ten epochs of four batches (the last one partial) with a cosine schedule, torch against reference.fit."""
    spec, lr, make = OPTIMIZERS[name]
    rng = np.random.default_rng(2)
    layers = chain([5, 16, 3], ["tanh", "softmax"])
    params = as64(random_params(rng, layers))
    x = rng.uniform(-1, 1, (29, 5))
    t = random_targets(rng, "cce", 29, 3).astype(np.float64)
    schedule = {"lr_max": lr, "period": 6, "lr_min": lr / 10}

    model = torch_model(layers, params)
    opt = make(model.parameters(), spec)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=6, eta_min=lr / 10)
    history = []
    for epoch in range(10):
        losses = []
        for start in range(0, 29, 8):
            opt.zero_grad()
            xb, tb = torch.from_numpy(x[start:start + 8]), torch.from_numpy(t[start:start + 8])
            value = TORCH_LOSSES["cce"](model(xb), tb)
            value.backward()
            if spec.clip_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), spec.clip_norm)
            opt.step()
            losses.append(value.item())
        history.append(float(np.mean(losses)))
        if epoch < 6:
            sched.step()
        else:  # torch's cosine goes back up after T_max; LearnKit holds lr_min.
            for group in opt.param_groups:
                group["lr"] = lr / 10

    ours, our_history = ref.fit(layers, params, x, t, "cce", spec, lr, 10, 8, schedule)
    np.testing.assert_allclose(our_history, history, rtol=1e-10)
    for (w, b), (tw, tb) in zip(ours, torch_params(model), strict=True):
        np.testing.assert_allclose(w, tw, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(b, tb, rtol=1e-9, atol=1e-12)


def test_cosine_matches_torch_scheduler() -> None:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1e-2)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=300, eta_min=3e-4)
    for epoch in range(301):
        assert ref.cosine_lr(epoch, 1e-2, 300, 3e-4) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-15)
        opt.step()
        sched.step()
    assert ref.cosine_lr(1000, 1e-2, 300, 3e-4) == 3e-4


def test_reference_covers_the_spec() -> None:
    """A new activation, loss or optimizer in codegen/spec/*.yaml needs its NumPy reference in reference.py."""
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    y = ref.activate("softmax", z)
    for entry in spec().activations:
        ref.activation_backward(entry.name, z, ref.activate(entry.name, z), np.ones_like(z))
    for entry in spec().losses:
        ref.loss_backward(entry.name, y, y)
        assert ref.loss(entry.name, y, y) == pytest.approx(ref.loss(entry.name, y, y))
    for entry in spec().optimizers:
        ref.Optimizer(ref.OptimizerSpec(entry.name)).step([(z, z[0])], [(z, z[0])], 0.1)
