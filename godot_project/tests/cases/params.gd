extends RefCounted
## Parameter cases: get_parameters()/set_parameters() and weight initialisation.

const Util := preload("res://tests/cases/util.gd")


## set_parameters("params") then get_parameters(); returns what came back and set_parameters' Error.
static func roundtrip(c: Dictionary) -> Dictionary:
	var layers: Array = []
	for l: Dictionary in c.layers:
		layers.append(Util.dense(l))
	var net := LearnKit.sequential(layers)
	var err := net.set_parameters(Util.decode_params(c.params))
	return {"set_error": err, "params": Util.encode_params(net.get_parameters(), net)}


## The initial parameters of LearnKit.sequential(layers, "init", "seed"), and of the same call repeated.
static func init(c: Dictionary) -> Dictionary:
	var first := Util.network(c)
	var again := Util.network(c)
	if first == null or again == null:
		return {"error": "could not build the network"}
	return {"params": Util.encode_params(first.get_parameters(), first),
			"params_again": Util.encode_params(again.get_parameters(), again)}


## The initial parameters of the seed API: LearnKit.nn.network("sizes", null, RELU, SOFTMAX, "init").
static func seed_init(c: Dictionary) -> Dictionary:
	var init: int = LearnKit.WeightInitialization.KAIMING
	if c.init == "xavier":
		init = LearnKit.WeightInitialization.XAVIER
	var net := LearnKit.nn.network(Util.ints(c.sizes), null, LearnKit.ActivationType.RELU,
			LearnKit.ActivationType.SOFTMAX, init)
	return {"params": Util.encode_params(net.get_parameters(), net), "layers": net.get_layers(),
			"device": net.device}
