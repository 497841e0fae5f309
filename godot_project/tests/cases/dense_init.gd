extends RefCounted
## LearnKit.dense()'s own initializer, the init argument (tests/test_dense_init.py).

const Util := preload("res://tests/cases/util.gd")


static func _weights(net: LKNetwork) -> Array:
	var out: Array = []
	for p: Dictionary in net.get_parameters():
		out.append({"weight": Util.encode(p.weight, [p.weight.size()]), "bias": Util.encode(p.bias, [p.bias.size()])})
	return out


## Three dense layers: a Dictionary init, a name and an enum value, under a network initializer that only the
## fourth layer (no init) takes; the same network from layer("dense", {...}) descriptions; initialize() again.
static func layers(c: Dictionary) -> Dictionary:
	var net_init := {"name": "constant", "val": 0.25}
	var net := LearnKit.sequential([
		LearnKit.dense(4, 300, "relu", NAN, {"name": "uniform", "a": -0.2, "b": 0.3}),
		LearnKit.dense(300, 2, "identity", NAN, "zeros"),
		LearnKit.dense(2, 3, "tanh", NAN, LearnKit.ONES),
		LearnKit.dense(3, 2),
	], net_init, int(c.seed))
	if net == null:
		return {"error": "sequential with per-layer initializers failed"}
	var out := {"params": _weights(net), "ops": net.get_ops()}
	# The same layers as ops with "init" settings (LearnKit.layer("dense", ...)'s path), initialised alike.
	var twin := LearnKit.network(4)
	var t := twin.add_op("dense", {"units": 300, "init": "uniform", "init_a": -0.2, "init_b": 0.3}, [0])
	t = twin.add_op("activation", {"activation": "relu"}, [t])
	t = twin.add_op("dense", {"units": 2, "init": "zeros"}, [t])
	t = twin.add_op("dense", {"units": 3, "init": "ones"}, [t])
	t = twin.add_op("activation", {"activation": "tanh"}, [t])
	t = twin.add_op("dense", {"units": 2}, [t])
	if t < 0 or twin.initialize(net_init, int(c.seed)) != OK:
		return {"error": "the twin network could not be built"}
	out["twin_params"] = _weights(twin)
	net.device = str(c.get("device", "auto"))
	out["y"] = Util.encode_rows(net.predict(Util.rows(c.x)))
	# initialize() draws again: the own initializers stay, the network's is the new one.
	net.initialize("zeros", int(c.seed) + 1)
	out["reinit_params"] = _weights(net)
	return out


## Bad init arguments: each returns null after one error.
static func errors(c: Dictionary) -> Dictionary:
	var bad: Array = ["bogus_init", {"name": "uniform", "a": 1.0, "b": 0.0}, {"name": "uniform", "q": 1.0}, 3.5,
			{"a": 1.0}]
	var refused: Array = []
	for init: Variant in bad:
		refused.append(LearnKit.dense(2, 3, "relu", NAN, init) == null)
	return {"refused": refused}
