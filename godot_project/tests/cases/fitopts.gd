extends RefCounted
## fit() options: validation (validation_data, validation_split), metrics, early stopping and the on_epoch
## callback, recording what each epoch's observers see; tests/test_fit_options.py checks it against NumPy and
## scikit-learn.

const Util := preload("res://tests/cases/util.gd")


## Trains the case's network ("layers" and "params", or "sequential" and "tensors" for Util.graph) with
## Util.trainer's settings and "options" (plus "val_x" and "val_targets" / "val_labels" as validation_data).
## "callback" (default true): an on_epoch Callable records each epoch's logs, parameters and predictions of
## "probe" (a MATRIX of input rows), and returns false at epoch "stop_at". "connect": an epoch_completed handler
## records the same predictions, and an epoch_metrics handler the logs. "arity_error": the callback takes one
## argument only (a call error).
static func fit(c: Dictionary) -> Dictionary:
	var net := Util.graph(c) if c.has("sequential") else Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var options: Dictionary = (c.get("options", {}) as Dictionary).duplicate(true)
	if c.has("val_x"):
		var vt: Array = Util.ints(c.val_labels) if c.has("val_labels") else Util.rows(c.val_targets)
		options["validation_data"] = [Util.rows(c.val_x), vt]
	var probe: Array = Util.rows(c.probe) if c.has("probe") else []
	var seen: Array = []
	var handled: Array = []
	var logged: Array = []
	var stop_at := int(c.get("stop_at", -1))
	if bool(c.get("callback", true)):
		if bool(c.get("arity_error", false)):
			options["on_epoch"] = func(epoch: int) -> bool: return epoch < 0
		else:
			options["on_epoch"] = func(epoch: int, logs: Dictionary) -> bool:
				seen.append({"epoch": epoch, "logs": logs.duplicate(), "params": _params(net),
						"probe": Util.encode_rows(net.predict(probe)) if not probe.is_empty() else {}})
				return epoch != stop_at
	if bool(c.get("connect", false)):
		trainer.epoch_completed.connect(func(epoch: int, loss: float) -> void:
			handled.append({"epoch": epoch, "loss": loss, "probe": Util.encode_rows(net.predict(probe))}))
		trainer.epoch_metrics.connect(func(epoch: int, logs: Dictionary) -> void:
			logged.append({"epoch": epoch, "logs": logs.duplicate()}))
	var h := trainer.fit(Util.rows(c.x), Util.targets(c), options)
	var out := {"seen": seen, "handled": handled, "logged": logged, "history": h != null}
	if h == null:
		return out
	out["loss"] = Array(h.loss)
	out["val_loss"] = Array(h.val_loss)
	var metrics := {}
	for name: String in h.metrics:
		metrics[name] = Array(h.metrics[name])
	out["metrics"] = metrics
	out["epochs"] = h.epochs
	out["stopped"] = h.stopped
	out["early_stopped"] = h.early_stopped
	out["best_epoch"] = h.best_epoch
	out["final_params"] = _params(net)
	if not probe.is_empty():
		out["final_probe"] = Util.encode_rows(net.predict(probe))
	return out


static func _params(net: LKNetwork) -> Array:
	return Util.encode_tensors(net.get_parameters())
