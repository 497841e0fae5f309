extends RefCounted
## The activation catalogue through Godot (tests/test_activations.py): one case per activation and parameter
## sample, run at every size of "sizes". For each size n, three small networks:
##   standalone: LearnKit.network(n) + an activation op on the input (act_forward / row_forward kernels),
##   fused:      network(1) + dense(n) (weight 0, bias z: its output is exactly z) + the activation, which the
##               planner fuses into the GEMM (dense_forward_<activation>),
##   gradients:  the fused network + dense(1) (weight w2, bias 0), differentiated with the mse loss against
##               a target just below its own output, with fusion on (the derivative folded into the second
##               dense's input-gradient GEMM) and off (act_backward); the first dense's bias gradient is dL/dz.

const Util := preload("res://tests/cases/util.gd")


## "settings" (the activation op's), "sizes", and per size n: "z<n>" (rows x n, the standalone input; row 0 is
## the fused input), "g<n>" (1 x n, the gradient network's z) and "w<n>" (1 x n, w2).
static func catalogue(c: Dictionary) -> Dictionary:
	var out := {}
	for n: int in Util.ints(c.sizes):
		var z := Util.rows(c["z%d" % n])
		var standalone := LearnKit.network(n)
		if standalone.add_op("activation", c.settings, [0]) < 0 or standalone.initialize() != OK:
			return {"error": "could not build the standalone network"}
		standalone.device = str(c.get("device", "auto"))
		out["standalone%d" % n] = Util.encode_rows(standalone.predict(z))
		out["ops%d" % n] = standalone.get_ops()

		var fused := _dense_act(c.settings, n, z[0], c.get("device", "auto"))
		if fused == null:
			return {"error": "could not build the fused network"}
		out["fused%d" % n] = Util.encode_rows(fused.predict([PackedFloat32Array([0.0])]))

		var gz: PackedFloat32Array = Util.flat(c["g%d" % n])
		var net := _dense_act(c.settings, n, gz, c.get("device", "auto"))
		if net == null or net.add_op("dense", {"units": 1}, [2]) < 0 or net.initialize() != OK:
			return {"error": "could not build the gradient network"}
		var zeros := PackedFloat32Array()
		zeros.resize(n)
		var tensors := [{"weight": zeros, "bias": gz},
				{"weight": Util.flat(c["w%d" % n]), "bias": PackedFloat32Array([0.0])}]
		if net.set_parameters(tensors) != OK:
			return {"error": "set_parameters failed"}
		var x := [PackedFloat32Array([0.0])]
		var o: float = PackedFloat32Array(net.predict(x)[0])[0]
		var t := PackedFloat32Array([o - maxf(1.0, absf(o) / 1024.0)])
		var trainer := Util.trainer(net, {"loss": "mse", "device": c.get("device", "auto")})
		trainer.fusion = true
		var g_fused: Dictionary = trainer.compute_gradients(x, [t])
		trainer.fusion = false
		var g_unfused: Dictionary = trainer.compute_gradients(x, [t])
		if not g_fused.has("gradients") or not g_unfused.has("gradients"):
			return {"error": "compute_gradients returned %s and %s" % [g_fused, g_unfused]}
		out["o%d" % n] = Util.encode(PackedFloat32Array([o]), [1])
		out["t%d" % n] = Util.encode(t, [1])
		out["dz_fused%d" % n] = Util.encode(PackedFloat32Array(g_fused.gradients[0].bias), [n])
		out["dz_unfused%d" % n] = Util.encode(PackedFloat32Array(g_unfused.gradients[0].bias), [n])
	out.merge(Util.device_used())
	return out


## network(1) -> dense(n) with weight 0 and bias z (so its output is exactly z) -> the activation.
static func _dense_act(settings: Dictionary, n: int, z: PackedFloat32Array, device: Variant) -> LKNetwork:
	var net := LearnKit.network(1)
	if net.add_op("dense", {"units": n}, [0]) < 0 or net.add_op("activation", settings, [1]) < 0:
		return null
	if net.initialize() != OK:
		return null
	var zeros := PackedFloat32Array()
	zeros.resize(n)
	if net.set_parameters([{"weight": zeros, "bias": z}]) != OK:
		return null
	net.device = str(device)
	return net
