extends RefCounted
## Calls made from an epoch_completed handler while fit() runs (on the thread running it, between two epochs):
## predictions and metrics on the network being trained or on another one, nested fits, set_parameters().
## Each case fits "train" alone first, then again on a fresh network with the handler connected, so that pytest
## can check that the handler changed nothing in the fit.
##
## A case holds "train" (a training case for [code]Util.network[/code]/[code]Util.trainer[/code] plus
## "x"/"targets"), "action", the epochs "at" which the handler acts, and "other" (a second training case, for
## the actions on another network).

const Util := preload("res://tests/cases/util.gd")


## The loss and parameters after a fit, or {"error": ...}.
static func _outcome(net: LKNetwork, history: LKHistory) -> Dictionary:
	if history == null:
		return {"error": "fit returned null"}
	return {"loss": Array(history.loss), "params": Util.encode_params(net.get_parameters(), net),
			"backend": history.backend}


static func _fit(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	return _outcome(net, Util.trainer(net, c).fit(Util.rows(c.x), Util.targets(c)))


## Fits "train" with a handler that does "action" at the epochs "at"; returns the fit alone ("alone"), the fit
## with the handler ("handled"), what the handler saw at each of those epochs ("seen"), and the predictions and
## metrics of the network before the fit ("before").
static func handler(c: Dictionary) -> Dictionary:
	var alone := _fit(c.train)
	var net := Util.network(c.train)
	var trainer := Util.trainer(net, c.train)
	var x := Util.rows(c.train.x)
	var t := Util.targets(c.train)
	var out := {"alone": alone, "before": _metrics(net, x, t)}
	if c.has("other"):
		out["other_alone"] = _fit(c.other)
	var seen: Array = []
	var at := Util.ints(c.at)
	var action := str(c.action)
	var on_epoch := func(epoch: int, _loss: float) -> void:
		if epoch in at:
			seen.append(_act(action, net, trainer, x, t, c))
	trainer.epoch_completed.connect(on_epoch)
	out["handled"] = _outcome(net, trainer.fit(x, t))
	trainer.epoch_completed.disconnect(on_epoch)  # the handler holds the trainer: a cycle that would leak
	out["seen"] = seen
	out["after"] = _metrics(net, x, t)
	return out


## The network's parameters and, from them, its predictions and metrics on x.
static func _metrics(net: LKNetwork, x: Array, t: Array) -> Dictionary:
	return {"params": Util.encode_params(net.get_parameters(), net), "y": Util.encode_rows(net.predict(x)),
			"mse": LearnKit.evaluate.mse(net, x, t), "accuracy": LearnKit.evaluate.evaluate_model_soft_max(net, x, t)}


## What the handler does once; returns what pytest checks.
static func _act(action: String, net: LKNetwork, trainer: LKTrainer, x: Array, t: Array, c: Dictionary) -> Dictionary:
	match action:
		"predict_self":
			return _metrics(net, x, t)
		"predict_other":
			var other := Util.network(c.other)
			return {"y": Util.encode_rows(other.predict(Util.rows(c.other.x)))}
		"same_trainer":
			return {"fit_null": trainer.fit(x, t) == null, "step_nan": is_nan(trainer.step(x, t)),
					"gradients_empty": trainer.compute_gradients(x, t).is_empty()}
		"other_trainer_same_network":
			var second := Util.trainer(net, c.train)
			return {"fit_null": second.fit(x, t) == null, "step_nan": is_nan(second.step(x, t))}
		"edit_network":
			var before := Util.encode_params(net.get_parameters(), net)
			var model := net.model
			var result := {"set_parameters": error_string(net.set_parameters(Util.decode_params(c.other_params))),
					"initialize": error_string(net.initialize("xavier", 7)),
					"add_op": net.add_op("activation", {"activation": "relu"}, [], "")}
			net.model = model
			result["unchanged"] = Util.encode_params(net.get_parameters(), net) == before
			result["ops"] = net.get_ops().size()
			return result
		"fit_other_network":
			return _fit(c.other)
		"change_trainer":
			trainer.fusion = not trainer.fusion
			trainer.learning_rate = 0.5
			trainer.epochs = 2
			trainer.batch_size = 3
			trainer.shuffle = true
			trainer.optimizer = LearnKit.sgd(0.9)
			return {"fusion": trainer.fusion}
	return {"error": "unknown action %s" % action}


## CPU: a training set over 16 MB ("rows" x "inputs" float32 inputs, made here) fitted alone, then with a
## handler that predicts with the network being trained on all the rows at every epoch (the predictions used
## to share the fit's arena and overflowed it). Returns whether the two fits are identical and, for each
## prediction in the handler, whether it equals the network's prediction before the fit or after it.
static func big_predict_in_handler(c: Dictionary) -> Dictionary:
	var inputs: int = c.inputs
	var rows: int = c.rows
	var outputs: int = c.layers[-1].outputs
	var rng := RandomNumberGenerator.new()
	rng.seed = 5
	var tile := PackedFloat32Array()
	for i in 4096 * inputs:
		tile.append(rng.randf_range(-1.0, 1.0))
	var x := PackedFloat32Array()
	while x.size() < rows * inputs:
		x.append_array(tile)
	x.resize(rows * inputs)
	var targets := PackedFloat32Array()
	targets.resize(rows * outputs)
	for i in targets.size():
		targets[i] = sin(0.37 * i)
	var fits: Array = []
	var seen: Array[PackedByteArray] = []
	var out := {"megabytes": x.size() * 4.0 / (1 << 20)}
	for with_handler: bool in [false, true]:
		var net := Util.network(c)
		var trainer := Util.trainer(net, c)
		var before := net.predict_flat(x, rows).to_byte_array()
		if with_handler:
			trainer.epoch_completed.connect(func(_epoch: int, _loss: float) -> void:
				seen.append(net.predict_flat(x, rows).to_byte_array()))
		var history := trainer.fit_flat(x, targets, rows)
		if history == null:
			return {"error": "fit_flat returned null"}
		fits.append(var_to_bytes([history.loss, net.get_parameters()]))
		out["backend"] = history.backend
		out["loss"] = Array(history.loss)
		if with_handler:
			var after := net.predict_flat(x, rows).to_byte_array()
			out["seen"] = seen.map(func(y: PackedByteArray) -> String:
				return "before" if y == before else ("after" if y == after else "mixed"))
	out["same_fit"] = fits[0] == fits[1]
	return out
