extends RefCounted
## Initializer cases (tests/test_initializers.py): one dense layer initialised by LearnKit.sequential() or by
## LearnKit.network() + add_op() + LKNetwork.initialize(), with "init" given as a name, a WeightInitialization
## value or a Dictionary with parameters; its weights and biases come back for pytest to check.

const Util := preload("res://tests/cases/util.gd")


## {"fan_in", "fan_out", "init" (Variant), "as_int" (init is an enum value), "seed", "via": "sequential" |
## "initialize"} -> {"weight", "bias"}
## (flat, torch layout), or {"null": true} / {"status": Error} when the call refused (pytest reads the errors).
static func draw(c: Dictionary) -> Dictionary:
	var init: Variant = c.init
	if c.get("as_int", false):
		init = int(c.init)  # JSON numbers arrive as floats; a WeightInitialization value is an int
	var net: LKNetwork
	if str(c.get("via", "sequential")) == "initialize":
		net = LearnKit.network(int(c.fan_in))
		if net.add_op("dense", {"units": int(c.fan_out)}) < 0:
			return {"error": "add_op failed"}
		var status := net.initialize(init, int(c.get("seed", 0)))
		if status != OK:
			return {"status": status}
	else:
		net = LearnKit.sequential([LearnKit.dense(int(c.fan_in), int(c.fan_out))], init, int(c.get("seed", 0)))
		if net == null:
			return {"null": true}
	var p: Dictionary = net.get_parameters()[0]
	var w := PackedFloat32Array(p.weight)
	var b := PackedFloat32Array(p.bias)
	return {"weight": Util.encode(w, [w.size()]), "bias": Util.encode(b, [b.size()])}


## The seed API's LearnKit.nn.network(..., init) with a WeightInitialization value: its first layer's weights.
static func seed_api(c: Dictionary) -> Dictionary:
	var net: LKNetwork = LearnKit.nn.network([int(c.fan_in), int(c.fan_out)], null, LearnKit.RELU,
			LearnKit.IDENTITY, int(c.init))
	if net == null:
		return {"null": true}
	var w := PackedFloat32Array(net.get_parameters()[0].weight)
	return {"weight": Util.encode(w, [w.size()])}


## A layer with its own initializer: add_op("dense", {"units", "inputs", "init", "init_<param>"...}), then
## another dense op, initialised with the network initializer "init". Returns both layers' parameters, the first
## op's settings (get_ops()), the parameters after initialize("ones", 3) (the first layer keeps its own)
## and whether a duplicate re-initialised with the same seed matches (the settings travel with the model).
static func per_layer(c: Dictionary) -> Dictionary:
	var net := LearnKit.network(int(c.settings.inputs))
	if net.add_op("dense", c.settings) < 0 or net.add_op("dense", {"units": int(c.units2)}) < 0:
		return {"null": true}
	if net.initialize(c.init, int(c.get("seed", 0))) != OK:
		return {"error": "initialize failed"}
	var out := {"params": Util.encode_tensors(net.get_parameters()), "settings": net.get_ops()[0].settings}
	if net.initialize("ones", 3) != OK:
		return {"error": "initialize failed"}
	out["params_ones"] = Util.encode_tensors(net.get_parameters())
	var twin: LKNetwork = net.duplicate(true)
	net.initialize("zeros", 5)
	twin.initialize("zeros", 5)
	out["twin_same"] = net.get_parameters() == twin.get_parameters()
	return out
