"""Training trajectories with the losses that have settings or a fused link, against torch (float32 both): a
tanh network trained 30 full-batch Adam steps with huber (delta, reduction 'sum'), bce_with_logits, cce with
label smoothing (fused with softmax) and nll (fused with log_softmax). Loss settings travel through
LKTrainer.loss_settings (godot_project/tests/cases/optim.gd).

Tolerance as in test_optimizer_parity.py: each epoch's loss within 1e-5 relative on the CPU backend (1e-4 GPU),
every parameter within that fraction of its tensor's largest magnitude."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import BackendResults
from lk import (
    BACKENDS,
    chain,
    dec_params,
    enc,
    enc_params,
    layers_case,
    ok,
    random_params,
)

torch = pytest.importorskip("torch")
F = torch.nn.functional

pytestmark = pytest.mark.usefixtures("godot_ready")

TOL = {"cpu": 1e-5, "gpu": 1e-4}
SIZES, ROWS, EPOCHS, LR = [7, 16, 3], 40, 30, 1e-2


def _labels(t: torch.Tensor) -> torch.Tensor:
    return t.argmax(dim=1)


# id -> (loss, settings, output activation, torch loss of (z, y, t), target kind)
CASES_SPEC = {
    "huber-delta": ("huber", {"delta": 0.3}, "identity", lambda z, y, t: F.huber_loss(y, t, delta=0.3), "real"),
    "huber-sum": ("huber", {"reduction": "sum"}, "identity",
                  lambda z, y, t: F.huber_loss(y, t, reduction="sum"), "real"),
    "bce_with_logits": ("bce_with_logits", {}, "identity",
                        lambda z, y, t: F.binary_cross_entropy_with_logits(y, t), "probability"),
    "cce-label_smoothing": ("cce", {"label_smoothing": 0.1}, "softmax",
                            lambda z, y, t: F.cross_entropy(z, t, label_smoothing=0.1), "one_hot"),
    "nll": ("nll", {}, "log_softmax", lambda z, y, t: F.nll_loss(y, _labels(t)), "one_hot"),
}
LINKS = {"identity": lambda z: z, "softmax": lambda z: torch.softmax(z, dim=1),
         "log_softmax": lambda z: torch.log_softmax(z, dim=1)}


def _data() -> tuple[list, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(13)
    params = random_params(rng, chain(SIZES, ["tanh", "identity"]))
    x = rng.uniform(-1, 1, (ROWS, SIZES[0])).astype(np.float32)
    teacher = np.tanh(x @ rng.normal(0, 1, (SIZES[0], 5))) @ rng.normal(0, 1, (5, SIZES[-1]))
    targets = {"real": teacher * 0.5, "probability": 1.0 / (1.0 + np.exp(-teacher)),
               "one_hot": np.eye(SIZES[-1])[teacher.argmax(axis=1)]}
    return params, x, {k: v.astype(np.float32) for k, v in targets.items()}


PARAMS, X, TARGETS = _data()


def make_cases() -> list[dict]:
    cases = []
    for cid, (loss, settings, output, _, kind) in CASES_SPEC.items():
        layers = chain(SIZES, ["tanh", output])
        c = {"id": cid, "kind": "optim.fit", "layers": layers_case(layers), "params": enc_params(PARAMS),
             "loss": loss, "x": enc(X), "targets": enc(TARGETS[kind]), "optimizer": {"name": "adam", "hyper": {}},
             "learning_rate": LR, "epochs": EPOCHS, "batch_size": ROWS}
        if settings:
            c["loss_settings"] = settings
        cases.append(c)
    return cases


CASES = make_cases()


@pytest.fixture(scope="module")
def results() -> BackendResults:
    return BackendResults(lambda backend: CASES)


def torch_fit(cid: str) -> tuple[list, list[float]]:
    _, _, output, fn, kind = CASES_SPEC[cid]
    tensors = [torch.nn.Parameter(torch.tensor(a)) for w, b in PARAMS for a in (w, b)]
    opt = torch.optim.Adam(tensors, lr=LR)
    xt, tt = torch.tensor(X), torch.tensor(TARGETS[kind])
    losses = []
    for _ in range(EPOCHS):
        z = torch.tanh(xt @ tensors[0].T + tensors[1]) @ tensors[2].T + tensors[3]
        loss = fn(z, LINKS[output](z), tt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    out = [p.detach().numpy().astype(np.float64) for p in tensors]
    return [(out[0], out[1]), (out[2], out[3])], losses


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("cid", list(CASES_SPEC))
def test_loss_trajectory_matches_torch(results: BackendResults, backend: str, cid: str) -> None:
    r = ok(results[backend][cid])
    want_params, want_loss = torch_fit(cid)
    tol = TOL[backend]
    loss_err = float(np.max(np.abs(np.array(r["loss"]) - want_loss) / np.abs(want_loss)))
    got = dec_params(r["params"])
    param_err = max(float(np.abs(g.astype(np.float64) - w).max() / np.abs(w).max())
                    for gp, wp in zip(got, want_params, strict=True) for g, w in zip(gp, wp, strict=True))
    assert r["steps"] == EPOCHS
    assert loss_err <= tol, f"loss: {loss_err:.2e} relative (tolerance {tol:g})"
    assert param_err <= tol, f"parameters: {param_err:.2e} of their scale (tolerance {tol:g})"
    assert want_loss[-1] < want_loss[0]  # it trained
