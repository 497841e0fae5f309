extends RefCounted
## Replacing and unregistering custom activations, and their GPU warm-up
## (tests/test_custom_activation_lifecycle.py). The cases run in order in one launch and share the registry and
## the networks in [member _nets]: "life_register" builds a network with version 1 of an activation,
## "life_replace" replaces it, "life_unregister" removes it, "life_reregister" registers the name again.
## A relaunch after a crash starts with an empty registry: the later cases then report the missing state.

const Util := preload("res://tests/cases/util.gd")

static var _nets: Dictionary = {}  # label -> LKNetwork, kept across the cases of one launch


## The network every case builds: dense(3, 4, act) -> dense(4, 2), the same initial weights for a given seed.
static func _net(act: String, c: Dictionary) -> LKNetwork:
	var net := LearnKit.sequential([LearnKit.dense(3, 4, act), LearnKit.dense(4, 2)], "xavier", int(c.seed))
	if net != null:
		net.device = str(c.get("device", "auto"))
	return net


## A network's parameters, predictions of c.x and loss gradients (mse against c.t), for NumPy to recompute.
static func _snapshot(net: LKNetwork, c: Dictionary) -> Dictionary:
	if net == null:
		return {"missing": true}
	var x := Util.rows(c.x)
	var out := {"params": _encode(net.get_parameters()), "y": Util.encode_rows(net.predict(x))}
	var g: Dictionary = Util.trainer(net, {"loss": "mse", "device": net.device}).compute_gradients(x, Util.rows(c.t))
	out["grads"] = _encode(g.get("gradients", []))
	out["backend"] = Util.device_used().backend
	return out


## get_parameters()'s layout of dense layers, each weight shaped (outputs, inputs) from its bias' size.
static func _encode(params: Array) -> Array:
	var out: Array = []
	for p: Dictionary in params:
		var w: PackedFloat32Array = p.get("weight", PackedFloat32Array())
		var b: PackedFloat32Array = p.get("bias", PackedFloat32Array())
		out.append({"weight": Util.encode(w, [b.size(), w.size() / maxi(b.size(), 1)]), "bias": Util.encode(b, [b.size()])})
	return out


static func _info(name: String) -> Dictionary:
	for d: Dictionary in LearnKit.get_custom_activations():
		if d.name == name:
			return d
	return {}


static func _register(spec: Dictionary, replace: bool) -> int:
	return LearnKit.register_activation(str(spec.name), str(spec.forward), str(spec.derivative),
			spec.get("params", {}), replace)


## Version 1 registered; a network built with it; registering the name again without replace is refused, and
## so is a bad replacement.
static func register(c: Dictionary) -> Dictionary:
	var out := {"first": _register(c.v1, false)}
	_nets["old"] = _net(c.v1.name, c)
	out["old"] = _snapshot(_nets["old"], c)
	out["again"] = _register(c.v2, false)
	# A replacement that does not compile changes nothing.
	out["bad_replace"] = LearnKit.register_activation(str(c.v1.name), "x *", "1.0", {}, true)
	out["info"] = _info(c.v1.name)
	out["pipelines"] = LearnKit.get_device_info().gpu_pipelines
	return out


## Version 2 replaces it: the old network keeps version 1, a network built now gets version 2.
static func replace(c: Dictionary) -> Dictionary:
	var out := {"returned": _register(c.v2, true), "info": _info(c.v2.name)}
	out["export"] = LearnKit.serialize.export(_nets.get("old"), str(c.path)) if _nets.has("old") else -1
	_nets["new"] = _net(c.v2.name, c)
	out["old"] = _snapshot(_nets.get("old"), c)
	out["new"] = _snapshot(_nets["new"], c)
	# duplicate() rebuilds from the saved model, where the name now means version 2, which has no parameter
	# "a": refused, with an empty copy.
	var copy := (_nets.get("old") as LKNetwork).duplicate() as LKNetwork
	out["duplicate_empty"] = copy != null and copy.get_ops().is_empty()
	out["pipelines"] = LearnKit.get_device_info().gpu_pipelines
	return out


## Unregistered: new networks, layer descriptions, loads and duplicates naming it fail; both networks still predict,
## compute gradients and train.
static func unregister(c: Dictionary) -> Dictionary:
	var name := str(c.v2.name)
	var described := LearnKit.dense(3, 4, name)  # a description names the activation; networks resolve it
	var out := {"returned": LearnKit.unregister_activation(name), "info": _info(name)}
	out["dense_refused"] = LearnKit.dense(3, 4, name) == null
	out["activation_refused"] = LearnKit.activation(name) == null
	out["layer_refused"] = LearnKit.layer("activation", {"activation": name}) == null
	out["sequential_refused"] = described != null and LearnKit.sequential([described, LearnKit.dense(4, 2)]) == null
	out["import_refused"] = LearnKit.serialize.import(str(c.path)) == null
	var copy := (_nets.get("old") as LKNetwork).duplicate() as LKNetwork  # refused too: an empty copy
	out["duplicate_empty"] = copy != null and copy.get_ops().is_empty()
	out["old"] = _snapshot(_nets.get("old"), c)
	out["new"] = _snapshot(_nets.get("new"), c)
	var trainer := Util.trainer(_nets.get("new"), {"loss": "mse", "epochs": 5, "batch_size": 2,
			"learning_rate": 0.05, "optimizer": {"kind": "sgd"}, "device": str(c.get("device", "auto"))})
	var history := trainer.fit(Util.rows(c.x), Util.rows(c.t))
	out["fit_loss"] = Array(history.loss) if history != null else []
	out["trained"] = _snapshot(_nets.get("new"), c)
	return out


## Bad calls of unregister_activation: each returns an Error and prints one error naming the value.
static func errors(c: Dictionary) -> Dictionary:
	var calls: Array = [c.v2.name, "relu", "swish", 5, null, ["a"]]
	var out := {"returned": []}
	for v: Variant in calls:
		out.returned.append(LearnKit.unregister_activation(v))
	# A StringName is a name too.
	out["string_name_register"] = LearnKit.register_activation("cl_by_string_name", "x", "1.0")
	out["string_name"] = LearnKit.unregister_activation(&"cl_by_string_name")
	out["names_after"] = LearnKit.get_custom_activations().map(func(d: Dictionary) -> String: return d.name)
	return out


## The name registered again (without replace) after unregister_activation: version 3, used by new networks.
static func reregister(c: Dictionary) -> Dictionary:
	var out := {"returned": _register(c.v3, false), "info": _info(c.v3.name)}
	_nets["third"] = _net(c.v3.name, c)
	out["third"] = _snapshot(_nets["third"], c)
	# duplicate() of the version-2 network resolves the name anew: version 3.
	out["duplicate"] = _snapshot(_nets.get("new").duplicate() if _nets.has("new") else null, c)
	out["old"] = _snapshot(_nets.get("old"), c)
	return out


## GPU warm-up with custom activations registered: warm_up("gpu") builds their pipelines (polled here: the
## runner's cases are synchronous), then a fit and predict with one of them builds no pipeline. Replacing it
## afterwards gives new kernels, built on demand by the next network's first call.
static func warm(c: Dictionary) -> Dictionary:
	LearnKit.get_device_info()  # creates the GPU device on this thread before the warm-up thread asks for it
	for spec: Dictionary in c.register:
		if _register(spec, false) != OK:
			return {"error": "register_activation(%s) failed" % spec.name}
	var out := {"before": LearnKit.get_device_info().gpu_pipelines}
	var handle := LearnKit.warm_up("gpu", "common")
	var start := Time.get_ticks_msec()
	while not handle.done and Time.get_ticks_msec() - start < 120000:
		OS.delay_msec(10)
	out["warm"] = {"done": handle.done, "success": handle.success}
	out["after_warm"] = LearnKit.get_device_info().gpu_pipelines
	var net := _net(str(c.act), c)
	var trainer := Util.trainer(net, {"loss": "mse", "epochs": 4, "batch_size": 2, "learning_rate": 0.05,
			"optimizer": {"kind": "adam"}, "device": "gpu", "seed": 1})
	var history := trainer.fit(Util.rows(c.x), Util.rows(c.t))
	out["fit_loss"] = Array(history.loss) if history != null else []
	out["fit_backend"] = history.backend if history != null else ""
	out["trained"] = _snapshot(net, c)
	out["after_fit"] = LearnKit.get_device_info().gpu_pipelines
	# The same fit on the CPU from the same seed: the GPU run's loss curve must follow it.
	var cpu_net := _net(str(c.act), c)
	cpu_net.device = "cpu"
	var cpu_trainer := Util.trainer(cpu_net, {"loss": "mse", "epochs": 4, "batch_size": 2, "learning_rate": 0.05,
			"optimizer": {"kind": "adam"}, "device": "cpu", "seed": 1})
	var cpu_history := cpu_trainer.fit(Util.rows(c.x), Util.rows(c.t))
	out["cpu_fit_loss"] = Array(cpu_history.loss) if cpu_history != null else []
	out["replaced"] = _register(c.replacement, true)
	var after := _net(str(c.act), c)
	out["replaced_net"] = _snapshot(after, c)
	out["after_replace"] = LearnKit.get_device_info().gpu_pipelines
	return out


## Four threads replace, use and unregister one name at once while a network built before keeps predicting:
## every prediction must come from one whole definition (x * m for one m of the registered ones), the old
## network's always from its own. Returns the counts of checked and of mixed or wrong predictions.
static func threads(c: Dictionary) -> Dictionary:
	var device := str(c.get("device", "auto"))
	var row := PackedFloat32Array([1.0, 2.0, 3.0])
	if LearnKit.register_activation("cl_race", "x * 10.0", "10.0", {}, true) != OK:
		return {"error": "could not register cl_race"}
	var old := LearnKit.network(3)
	if old.add_op("activation", {"activation": "cl_race"}, [0]) < 0 or old.initialize() != OK:
		return {"error": "could not build the first cl_race network"}
	old.device = device
	var workers: Array[Thread] = []
	for k in 4:
		var t := Thread.new()
		t.start(func() -> Array:
			var checked := 0
			var wrong := 0
			var old_wrong := 0
			for i in int(c.iterations):
				LearnKit.register_activation("cl_race", "x * %d.0" % (k + 1), "%d.0" % (k + 1), {}, true)
				var net := LearnKit.network(3)
				if net.add_op("activation", {"activation": "cl_race"}, [0]) >= 0 and net.initialize() == OK:
					net.device = device
					var y := PackedFloat32Array(net.predict([row])[0])
					var m := y[0]
					checked += 1
					if not (m in [1.0, 2.0, 3.0, 4.0] and y[1] == 2.0 * m and y[2] == 3.0 * m):
						wrong += 1
				if PackedFloat32Array(old.predict([row])[0]) != PackedFloat32Array([10.0, 20.0, 30.0]):
					old_wrong += 1
				if i % 5 == 4:
					LearnKit.unregister_activation("cl_race")
			return [checked, wrong, old_wrong])
		workers.append(t)
	var out := {"checked": 0, "wrong": 0, "old_wrong": 0}
	for t in workers:
		var r: Array = t.wait_to_finish()
		out.checked += r[0]
		out.wrong += r[1]
		out.old_wrong += r[2]
	return out
