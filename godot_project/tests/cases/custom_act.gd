extends RefCounted
## Custom activations registered at run time (tests/test_custom_activations.py). Registration is process-wide,
## so every case registers what it uses through [method _ensure] (a relaunch after a crash starts empty).

const Util := preload("res://tests/cases/util.gd")


## Registers each {name, forward, derivative, params} of [param specs] that is not registered yet; "" or the
## first problem.
static func _ensure(specs: Array) -> String:
	var known := {}
	for d: Dictionary in LearnKit.get_custom_activations():
		known[d.name] = true
	for s: Dictionary in specs:
		if known.has(s.name):
			continue
		var err := LearnKit.register_activation(s.name, s.forward, s.derivative, s.get("params", {}))
		if err != OK:
			return "register_activation(%s) returned %s" % [s.name, error_string(err)]
	return ""


## "register": specs; "evals": [{"id", "settings" (the activation op's), "z" (1 x n)}]. Per eval: the
## standalone op's values on z ("y_<id>"), and dL/dz of network(1) -> dense(n) (weight 0, bias z, so its output
## is z) -> the activation -> dense(1) (weights 1) under mse against a target below its output: ("dz_<id>",
## "o_<id>", "t_<id>"), so that dz = 2 (o - t) f'(z).
static func values(c: Dictionary) -> Dictionary:
	var problem := _ensure(c.register)
	if not problem.is_empty():
		return {"error": problem}
	var device := str(c.get("device", "auto"))
	var out := {}
	for e: Dictionary in c.evals:
		var z: PackedFloat32Array = Util.flat(e.z)
		var n := z.size()
		var standalone := LearnKit.network(n)
		if standalone.add_op("activation", e.settings, [0]) < 0 or standalone.initialize() != OK:
			return {"error": "could not build the standalone network for %s" % e.id}
		standalone.device = device
		out["y_" + e.id] = Util.encode_rows(standalone.predict([z]))

		var net := LearnKit.network(1)
		if (net.add_op("dense", {"units": n}, [0]) < 0 or net.add_op("activation", e.settings, [1]) < 0
				or net.add_op("dense", {"units": 1}, [2]) < 0 or net.initialize() != OK):
			return {"error": "could not build the gradient network for %s" % e.id}
		net.device = device
		var zeros := PackedFloat32Array()
		zeros.resize(n)
		var ones := PackedFloat32Array()
		ones.resize(n)
		ones.fill(1.0)
		if net.set_parameters([{"weight": zeros, "bias": z},
				{"weight": ones, "bias": PackedFloat32Array([0.0])}]) != OK:
			return {"error": "set_parameters failed for %s" % e.id}
		var x := [PackedFloat32Array([0.0])]
		var o: float = PackedFloat32Array(net.predict(x)[0])[0]
		var t := PackedFloat32Array([o - maxf(1.0, absf(o) / 1024.0)])
		var trainer := Util.trainer(net, {"loss": "mse", "device": device})
		var g: Dictionary = trainer.compute_gradients(x, [t])
		if not g.has("gradients"):
			return {"error": "compute_gradients returned %s for %s" % [g, e.id]}
		out["dz_" + e.id] = Util.encode(PackedFloat32Array(g.gradients[0].bias), [n])
		out["o_" + e.id] = o
		out["t_" + e.id] = t[0]
	out.merge(Util.device_used())
	return out


## Trains the same network twice from the same seed, once with "builtin" and once with "custom" as the
## activation of its hidden layers (reached three ways: LearnKit.dense(..., name), LearnKit.activation(name)
## and LearnKit.layer("activation", settings)), and returns both loss curves and final predictions.
static func train(c: Dictionary) -> Dictionary:
	var problem := _ensure(c.register)
	if not problem.is_empty():
		return {"error": problem}
	var x := Util.rows(c.x)
	var t := Util.rows(c.t)
	var out := {}
	for which: String in ["builtin", "custom"]:
		var act: String = c[which]
		var settings: Dictionary = c.get(which + "_settings", {})
		var layer_settings := settings.duplicate()
		layer_settings["activation"] = act
		var net := LearnKit.sequential([
			LearnKit.dense(3, 16, act),
			LearnKit.dense(16, 16),
			LearnKit.layer("activation", layer_settings),
			LearnKit.dense(16, 8),
			LearnKit.activation(act),
			LearnKit.dense(8, 1),
		], "xavier", 11)
		if net == null:
			return {"error": "sequential failed for %s" % act}
		net.device = str(c.get("device", "auto"))
		var trainer := Util.trainer(net, c)
		var history := trainer.fit(x, t)
		if history == null:
			return {"error": "fit failed for %s" % act}
		out["loss_" + which] = Util.encode(PackedFloat32Array(history.loss), [history.loss.size()])
		out["y_" + which] = Util.encode_rows(net.predict(x))
		out["layers_" + which] = net.get_ops()
	out.merge(Util.device_used())
	return out


## One register_activation call ("name", "forward", "derivative", "params"; "inf_param": a parameter whose
## default is INF, which JSON cannot carry). Returns its Error, the registered names before and after, and
## whether LearnKit.activation() accepts the name afterwards.
static func register(c: Dictionary) -> Dictionary:
	var problem := _ensure(c.get("register", []))
	if not problem.is_empty():
		return {"error": problem}
	var params: Dictionary = c.get("params", {})
	if c.has("inf_param"):
		params[c.inf_param] = INF
	if c.has("bool_param"):
		params[c.bool_param] = true
	var before := _names()
	var err := LearnKit.register_activation(str(c.name), str(c.forward), str(c.derivative), params)
	var after := _names()
	return {"returned": err, "before": before, "after": after,
			"usable": LearnKit.activation(str(c.name)) != null if err == OK else false}


## A model with a custom activation, saved as JSON and as a .tres Resource and loaded back (same predictions);
## then the JSON with the activation renamed to one never registered, which must not load.
static func save_load(c: Dictionary) -> Dictionary:
	var problem := _ensure(c.register)
	if not problem.is_empty():
		return {"error": problem}
	var net := LearnKit.sequential([LearnKit.dense(2, 5, str(c.act)), LearnKit.dense(5, 1)], "xavier", 3)
	net.device = str(c.get("device", "auto"))
	var x := Util.rows(c.x)
	var out := {"y": Util.encode_rows(net.predict(x))}
	var json_path := "user://custom_act_model.json"
	out["export"] = LearnKit.serialize.export(net, json_path)
	var loaded := LearnKit.serialize.import(json_path)
	out["json_loaded"] = loaded != null
	if loaded != null:
		loaded.device = net.device
		out["y_json"] = Util.encode_rows(loaded.predict(x))
	var res_path := "user://custom_act_model.tres"
	out["save"] = ResourceSaver.save(net, res_path)
	var res := ResourceLoader.load(res_path, "", ResourceLoader.CACHE_MODE_IGNORE) as LKNetwork
	out["res_loaded"] = res != null
	if res != null:
		res.device = net.device
		out["y_res"] = Util.encode_rows(res.predict(x))
	var text := FileAccess.get_file_as_string(json_path)
	out["name_in_file"] = text.contains('"%s"' % c.act)
	var renamed := text.replace('"%s"' % c.act, '"never_registered_act"')
	var f := FileAccess.open("user://custom_act_renamed.json", FileAccess.WRITE)
	f.store_string(renamed)
	f.close()
	out["renamed_loaded"] = LearnKit.serialize.import("user://custom_act_renamed.json") != null
	out["dense_activation"] = LearnKit.dense(2, 5, str(c.act)).get_activation()
	return out


static func _names() -> Array:
	var names: Array = []
	for d: Dictionary in LearnKit.get_custom_activations():
		names.append(d.name)
	return names


## One fuzzed registration: register_activation("name", "forward", "1.0", {"alpha": 0.5}), its Error and the
## registry before and after; when it was accepted, the activation's values on "z" (1 x n) on this device.
static func fuzz_one(c: Dictionary) -> Dictionary:
	var before := _names()
	var err: int = OK
	if not before.has(str(c.name)):  # a relaunch after a crash: registered already
		err = LearnKit.register_activation(str(c.name), str(c.forward), "1.0", {"alpha": 0.5})
	var out := {"returned": err, "before": before, "after": _names()}
	if err == OK:
		var z: PackedFloat32Array = Util.flat(c.z)
		var net := LearnKit.network(z.size())
		if net.add_op("activation", {"activation": str(c.name)}, [0]) < 0 or net.initialize() != OK:
			return {"error": "could not build a network with %s" % c.name}
		net.device = str(c.get("device", "auto"))
		out["y"] = Util.encode_rows(net.predict([z]))
		out.merge(Util.device_used())
	return out


## Registration from four threads at once: each registers its own activation (x * (k + 1)) and all of them
## "ca_race"; returns the Errors per thread and each own activation's values on [1, 2, 3].
static func threads(c: Dictionary) -> Dictionary:
	var threads: Array[Thread] = []
	for k in 4:
		var t := Thread.new()
		t.start(func() -> Array:
			var own := LearnKit.register_activation("ca_thread_%d" % k, "x * %d.0" % (k + 1), "%d.0" % (k + 1))
			var race := LearnKit.register_activation("ca_race", "x", "1.0")
			return [own, race])
		threads.append(t)
	var own: Array = []
	var race: Array = []
	for t in threads:
		var r: Array = t.wait_to_finish()
		own.append(r[0])
		race.append(r[1])
	var out := {"own": own, "race": race}
	for k in 4:
		var net := LearnKit.network(3)
		if net.add_op("activation", {"activation": "ca_thread_%d" % k}, [0]) < 0 or net.initialize() != OK:
			return {"error": "ca_thread_%d is not usable" % k}
		net.device = str(c.get("device", "auto"))
		out["y%d" % k] = Util.encode_rows(net.predict([PackedFloat32Array([1.0, 2.0, 3.0])]))
	return out
