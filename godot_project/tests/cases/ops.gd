extends RefCounted
## Op-graph cases (tests/test_ops.py): graphs of dense, activation, add, dropout, batch_norm and layer_norm ops
## built with LearnKit.sequential() or add_op() (see Util.graph()), run forward, differentiated and trained;
## bad graphs refused.

const Util := preload("res://tests/cases/util.gd")


## predict() (eval mode) of "x", and the network's views of itself: get_ops(), get_layers(), get_parameters().
static func forward(c: Dictionary) -> Dictionary:
	var net := Util.graph(c)
	if net == null:
		return {"error": "could not build the network"}
	var out := {"y": Util.encode_rows(net.predict(Util.rows(c.x)))}
	out.merge(Util.device_used())
	out["ops"] = net.get_ops()
	out["layers"] = net.get_layers()
	out["tensors"] = Util.encode_tensors(net.get_parameters())
	return out


## compute_gradients() (train mode) with fusion on, then the same call with LKTrainer.fusion off; also every
## parameter and buffer after the first call (a train-mode forward moves batch norm's running statistics).
static func gradients(c: Dictionary) -> Dictionary:
	var net := Util.graph(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var x := Util.rows(c.x)
	var t := Util.targets(c)
	trainer.fusion = true
	var fused: Dictionary = trainer.compute_gradients(x, t)
	var after := Util.encode_tensors(net.get_parameters())
	trainer.fusion = false
	var unfused: Dictionary = trainer.compute_gradients(x, t)
	if not fused.has("gradients") or not unfused.has("gradients"):
		return {"error": "compute_gradients returned %s and %s" % [fused, unfused]}
	var out := {"loss": fused.loss, "gradients": Util.encode_tensors(fused.gradients),
			"loss_unfused": unfused.loss, "gradients_unfused": Util.encode_tensors(unfused.gradients),
			"tensors_after": after}
	out.merge(Util.device_used())
	return out


## Trains on the one batch "x"/"targets": fit() ("api": "fit", batch_size = rows, shuffle off) or "steps" calls
## of step(); returns the loss of every step and every parameter and buffer afterwards.
static func train(c: Dictionary) -> Dictionary:
	var net := Util.graph(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var x := Util.rows(c.x)
	var t := Util.targets(c)
	var losses: Array = []
	if c.get("api", "step") == "fit":
		var history := trainer.fit(x, t)
		if history == null:
			return {"error": "fit returned null"}
		losses = Array(history.loss)
	else:
		for k in int(c.steps):
			losses.append(trainer.step(x, t))
	var out := {"losses": losses, "tensors": Util.encode_tensors(net.get_parameters())}
	out.merge(Util.device_used())
	return out


## "steps" times: compute_gradients() then step() on the same batch; returns each call's gradients and the
## parameters after each step (tests/test_ops.py reads dropout masks off them).
static func gradient_steps(c: Dictionary) -> Dictionary:
	var net := Util.graph(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var x := Util.rows(c.x)
	var t := Util.targets(c)
	var gradients: Array = []
	var losses: Array = []
	var tensors: Array = []
	for k in int(c.steps):
		var g: Dictionary = trainer.compute_gradients(x, t)
		gradients.append(Util.encode_tensors(g.get("gradients", [])))
		losses.append([g.get("loss", NAN), trainer.step(x, t)])
		tensors.append(Util.encode_tensors(net.get_parameters()))
	var out := {"gradients": gradients, "losses": losses, "tensors": tensors,
			"predict": Util.encode_rows(net.predict(x))}
	out.merge(Util.device_used())
	return out


## Builds "input" + "ops" with add_op(), then adds the op "bad"; returns what add_op returned and the op
## counts before and after it.
static func bad_op(c: Dictionary) -> Dictionary:
	var net := LearnKit.network(int(c.input))
	for op: Dictionary in c.ops:
		if net.add_op(str(op.type), op.settings, Util.ints(op.inputs)) < 0:
			return {"error": "a valid op was refused"}
	var before := net.get_ops().size()
	var returned := net.add_op(str(c.bad.type), c.bad.settings, Util.ints(c.bad.inputs))
	return {"returned": returned, "ops_before": before, "ops_after": net.get_ops().size()}


## LearnKit.sequential() of the layer descriptions "sequential" (Util.layer()); returns whether it is null.
static func bad_sequential(c: Dictionary) -> Dictionary:
	var layers: Array = []
	for d: Array in c.sequential:
		layers.append(Util.layer(d))
	return {"returned_null": LearnKit.sequential(layers) == null}


## LearnKit.layer("type", "settings"); returns whether it is null.
static func bad_layer(c: Dictionary) -> Dictionary:
	return {"returned_null": LearnKit.layer(str(c.type), c.settings) == null}
