extends RefCounted
## Gradient cases: LKTrainer.compute_gradients() on one batch.

const Util := preload("res://tests/cases/util.gd")


## Computes the loss and gradients of "loss" for the batch "x"/"targets" (or "labels"); also returns the
## parameters afterwards (compute_gradients must not change them).
static func compute(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var result: Dictionary = trainer.compute_gradients(Util.rows(c.x), Util.targets(c))
	if not result.has("gradients") or not result.has("loss"):
		return {"error": "compute_gradients returned %s" % [result]}
	var out := {"loss": result.loss, "gradients": Util.encode_params(result.gradients, net),
			"params_after": Util.encode_params(net.get_parameters(), net)}
	out.merge(Util.device_used())
	return out
