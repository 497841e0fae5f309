extends RefCounted
## Helpers shared by the test case areas: matrix encoding between pytest and GDScript, and building networks,
## optimizers and trainers from a case's plain-data description.
##
## Matrices travel as [code]{"f32": base64 of little-endian float32 values, "shape": [rows, cols]}[/code] so that
## numbers cross the JSON boundary bit for bit. A network is described by:
## [codeblock]
## {"layers": [{"inputs": 4, "outputs": 7, "activation": "relu", "alpha": 0.01}, ...],
##  "init": "kaiming", "seed": 0, "device": "cpu", "params": [{"weight": MATRIX, "bias": MATRIX}, ...]}
## [/codeblock]
## ("params" optional: without it the network keeps its initial weights).


## The float32 values of an encoded matrix, row-major.
static func flat(m: Dictionary) -> PackedFloat32Array:
	return Marshalls.base64_to_raw(str(m.get("f32", ""))).to_float32_array()


## An encoded matrix as an Array of PackedFloat32Array rows (the layout predict() and fit() take).
static func rows(m: Dictionary) -> Array:
	var values := flat(m)
	var shape: Array = m.get("shape", [])
	var n: int = shape[0]
	var width: int = shape[1] if shape.size() > 1 else 1
	var out: Array = []
	for r in n:
		out.append(values.slice(r * width, (r + 1) * width))
	return out


## Encodes a PackedFloat32Array with the given shape.
static func encode(values: PackedFloat32Array, shape: Array) -> Dictionary:
	return {"f32": Marshalls.raw_to_base64(values.to_byte_array()), "shape": shape}


## Encodes an Array of rows (PackedFloat32Array or Array of numbers); a ragged or non-numeric result is
## reported as {"error": ...} so that pytest sees what the API returned.
static func encode_rows(value: Variant) -> Dictionary:
	if typeof(value) != TYPE_ARRAY:
		return {"error": "expected an Array of rows, got %s" % type_string(typeof(value))}
	var all := PackedFloat32Array()
	var width := -1
	for row: Variant in value:
		if typeof(row) != TYPE_PACKED_FLOAT32_ARRAY and typeof(row) != TYPE_ARRAY:
			return {"error": "expected rows of PackedFloat32Array, got a %s row" % type_string(typeof(row))}
		var packed := PackedFloat32Array(row)
		if width >= 0 and packed.size() != width:
			return {"error": "ragged output: rows of width %d and %d" % [width, packed.size()]}
		width = packed.size()
		all.append_array(packed)
	return encode(all, [(value as Array).size(), maxi(width, 0)])


## Encodes get_parameters()'s output: [{"weight": MATRIX (out x in), "bias": MATRIX (out)}, ...].
static func encode_params(params: Array, network: LKNetwork) -> Array:
	var layers := network.get_layers()
	var out: Array = []
	for i in params.size():
		var p: Dictionary = params[i]
		var layer: Dictionary = layers[i] if i < layers.size() else {"inputs": -1, "outputs": -1}
		out.append({"weight": encode(p.get("weight", PackedFloat32Array()), [layer.outputs, layer.inputs]),
				"bias": encode(p.get("bias", PackedFloat32Array()), [layer.outputs])})
	return out


## Decodes a case's "params" into set_parameters()'s layout.
static func decode_params(params: Array) -> Array:
	var out: Array = []
	for p: Dictionary in params:
		out.append({"weight": flat(p.weight), "bias": flat(p.bias)})
	return out


## LearnKit.dense() of a layer description (JSON numbers arrive as floats: cast them).
static func dense(l: Dictionary) -> LKDense:
	return LearnKit.dense(int(l.inputs), int(l.outputs), str(l.get("activation", "identity")),
			float(l.get("alpha", 0.01)))


## Builds the network a case describes (see the class description); null after a push_error.
static func network(c: Dictionary) -> LKNetwork:
	var layers: Array = []
	for l: Dictionary in c.layers:
		layers.append(dense(l))
	var net := LearnKit.sequential(layers, str(c.get("init", "kaiming")), int(c.get("seed", 0)))
	if net == null:
		return null
	net.device = str(c.get("device", "auto"))
	if c.has("params"):
		var err := net.set_parameters(decode_params(c.params))
		if err != OK:
			push_error("util.network: set_parameters returned %s" % error_string(err))
			return null
	return net


## The optimizer a case describes: {"kind": "sgd"|"adam", "momentum", "weight_decay", "clip_norm",
## "beta1", "beta2", "epsilon"} (missing keys take the factories' defaults).
static func optimizer(o: Dictionary) -> LKOptimizer:
	if o.get("kind", "adam") == "sgd":
		return LearnKit.sgd(float(o.get("momentum", 0.0)), float(o.get("weight_decay", 0.0)),
				float(o.get("clip_norm", 0.0)))
	return LearnKit.adam(float(o.get("beta1", 0.9)), float(o.get("beta2", 0.999)), float(o.get("epsilon", 1e-8)),
			float(o.get("weight_decay", 0.0)), float(o.get("clip_norm", 0.0)))


## The trainer a case describes: its "loss", "optimizer", "learning_rate", "epochs", "batch_size", "shuffle"
## and optional "schedule" ({"kind": "cosine", "lr_max", "period", "lr_min"} or {"kind": "constant", "lr"}).
static func trainer(net: LKNetwork, c: Dictionary) -> LKTrainer:
	var options := {
		"loss": str(c.get("loss", "mse")),
		"optimizer": optimizer(c.get("optimizer", {})),
		"learning_rate": float(c.get("learning_rate", 1e-3)),
		"epochs": int(c.get("epochs", 1)),
		"batch_size": int(c.get("batch_size", 32)),
		"shuffle": bool(c.get("shuffle", false)),
		"device": str(c.get("device", "auto")),
		"seed": int(c.get("seed", 0)),
	}
	if c.has("schedule"):
		options["schedule"] = schedule(c.schedule)
	if c.has("loss_settings"):
		options["loss_settings"] = c.loss_settings
	return LearnKit.trainer(net, options)


## The learning-rate schedule a case describes.
static func schedule(s: Dictionary) -> LKSchedule:
	if s.get("kind", "constant") == "cosine":
		return LearnKit.cosine_schedule(float(s.lr_max), int(s.period), float(s.get("lr_min", 0.0)))
	return LearnKit.constant_schedule(float(s.lr))


## Targets as the case gives them: a MATRIX of rows ("targets") or int labels ("labels").
static func targets(c: Dictionary) -> Array:
	if c.has("labels"):
		var labels: Array = []
		for v: Variant in c.labels:
			labels.append(int(v))
		return labels
	return rows(c.targets)


## Which backend and device ran the last train/predict call.
static func device_used() -> Dictionary:
	var info := LearnKit.get_device_info()
	return {"backend": info.get("last_backend", ""), "device_name": info.get("last_device", "")}


## JSON numbers arrive as floats: the same list as ints.
static func ints(values: Array) -> Array:
	var out: Array = []
	for v: Variant in values:
		out.append(int(v))
	return out


# --- Op graphs (tests/graph_reference.py describes the same graphs) --------------------------------------------

## A layer description as a LearnKit factory call: [code]["dense", in, out, activation, alpha][/code],
## [code]["activation", name, alpha][/code], [code]["dropout", p][/code],
## [code]["batch_norm", eps, momentum, affine][/code], [code]["layer_norm", eps, affine][/code],
## [code]["residual", [descriptions...]][/code], [code]["layer", type, settings][/code].
static func layer(d: Array) -> Variant:
	match str(d[0]):
		"dense":
			return LearnKit.dense(int(d[1]), int(d[2]), str(d[3]), float(d[4]))
		"activation":
			return LearnKit.activation(str(d[1]), float(d[2]))
		"dropout":
			return LearnKit.dropout(float(d[1]))
		"batch_norm":
			return LearnKit.batch_norm(float(d[1]), float(d[2]), bool(d[3]))
		"layer_norm":
			return LearnKit.layer_norm(float(d[1]), bool(d[2]))
		"residual":
			var inner: Array = []
			for e: Array in d[1]:
				inner.append(layer(e))
			return LearnKit.residual(inner)
		"layer":
			return LearnKit.layer(str(d[1]), d[2])
	push_error("util.layer: unknown description %s" % [d])
	return null


## Builds the graph a case describes: "sequential" (layer descriptions, LearnKit.sequential()) or "input" and
## "ops" ([{"type", "settings", "inputs"}], LearnKit.network() + add_op() + initialize()); then "device" and
## "tensors" (set_parameters() layout, see decode_tensors()). null after a push_error.
static func graph(c: Dictionary) -> LKNetwork:
	var net: LKNetwork
	if c.has("sequential"):
		var layers: Array = []
		for d: Array in c.sequential:
			layers.append(layer(d))
		net = LearnKit.sequential(layers, c.get("init", "kaiming"), int(c.get("seed", 0)))
	else:
		net = LearnKit.network(int(c.input))
		for op: Dictionary in c.ops:
			if net.add_op(str(op.type), op.settings, ints(op.inputs)) < 0:
				return null
		if net.initialize(c.get("init", "kaiming"), int(c.get("seed", 0))) != OK:
			return null
	if net == null:
		return null
	net.device = str(c.get("device", "auto"))
	if c.has("tensors"):
		var err := net.set_parameters(decode_tensors(c.tensors))
		if err != OK:
			push_error("util.graph: set_parameters returned %s" % error_string(err))
			return null
	return net


## get_parameters()'s (or compute_gradients()'s) per-op Dictionaries with every array encoded flat.
static func encode_tensors(params: Array) -> Array:
	var out: Array = []
	for p: Dictionary in params:
		var d := {}
		for name: String in p:
			var v := PackedFloat32Array(p[name])
			d[name] = encode(v, [v.size()])
		out.append(d)
	return out


## The inverse of encode_tensors(): set_parameters()'s layout.
static func decode_tensors(tensors: Array) -> Array:
	var out: Array = []
	for p: Dictionary in tensors:
		var d := {}
		for name: String in p:
			d[name] = flat(p[name])
		out.append(d)
	return out
