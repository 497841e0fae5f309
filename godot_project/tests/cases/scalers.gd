extends RefCounted
## LKScaler cases: fitting and transforming (checked against scikit-learn by tests/test_scalers.py), saving
## and loading (the scaler alone and inside a network), and bad input.

const Util := preload("res://tests/cases/util.gd")


## A scaler of kind "kind" (with "feature_min"/"feature_max" for min_max) fitted on "x"; its statistics, and
## "x" and "y" (MATRIX) through transform, inverse_transform and their flat variants.
static func fit(c: Dictionary) -> Dictionary:
	var s := _make(c)
	var x := Util.rows(c.x)
	var y := Util.rows(c.y)
	var fx := s.fit_transform(x)
	var ty := s.transform(y)
	var flat := LKScaler.new()
	flat.kind = s.kind
	flat.feature_min = s.feature_min
	flat.feature_max = s.feature_max
	var fit_err := flat.fit_flat(Util.flat(c.x), x.size())
	return {"fit_transform": Util.encode_rows(fx), "transform": Util.encode_rows(ty),
			"inverse": Util.encode_rows(s.inverse_transform(ty)), "features": s.features, "fitted": s.fitted,
			"stats": _stats(s), "flat_stats": _stats(flat), "fit_flat": fit_err,
			"transform_flat": Util.encode(flat.transform_flat(Util.flat(c.y)), [y.size(), s.features]),
			"inverse_flat": Util.encode(flat.inverse_transform_flat(flat.transform_flat(Util.flat(c.y))),
					[y.size(), s.features])}


## A fitted scaler through ResourceSaver (.tres, .res), duplicate(), and a network holding it as input_scaler
## and a min_max one as output_scaler through .tres, .res and serialize.export/import. Each copy's
## statistics and transform of "y".
static func round_trip(c: Dictionary) -> Dictionary:
	var s := _make(c)
	s.fit(Util.rows(c.x))
	var m := LearnKit.data.min_max_scaler(-2.0, 3.0)
	m.fit(Util.rows(c.t))
	var copies := {"original": s, "duplicate": s.duplicate()}
	for ext: String in ["tres", "res"]:
		var path := "user://scaler_round_trip.%s" % ext
		var err := ResourceSaver.save(s, path)
		copies[ext] = ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) if err == OK else null
	var net := LearnKit.sequential([LearnKit.dense(s.features, 2, "tanh")], "xavier", 3)
	net.input_scaler = s
	net.output_scaler = m
	var nets := {"duplicate": net.duplicate()}
	for ext: String in ["tres", "res"]:
		var path := "user://net_round_trip.%s" % ext
		var err := ResourceSaver.save(net, path)
		nets[ext] = ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) if err == OK else null
	nets["json"] = LearnKit.serialize.import("user://net_round_trip.json") \
			if LearnKit.serialize.export(net, "user://net_round_trip.json") == OK else null
	var out := {"scalers": {}, "nets": {}}
	for name: String in copies:
		var copy: LKScaler = copies[name]
		out.scalers[name] = {"stats": _stats(copy), "transform": Util.encode_rows(copy.transform(Util.rows(c.y)))} \
				if copy != null else null
	for name: String in nets:
		var copy: LKNetwork = nets[name]
		if copy == null or copy.input_scaler == null or copy.output_scaler == null:
			out.nets[name] = null
			continue
		out.nets[name] = {"input": _stats(copy.input_scaler), "output": _stats(copy.output_scaler),
				"separate": copy.input_scaler != s and copy.output_scaler != m,
				"transform": Util.encode_rows(copy.input_scaler.transform(Util.rows(c.y))),
				"predict": Util.encode_rows(copy.predict(Util.rows(c.y)))}
	out["predict"] = Util.encode_rows(net.predict(Util.rows(c.y)))
	# A network without scalers writes no scaler keys and loads with none.
	var plain := LearnKit.sequential([LearnKit.dense(2, 1)])
	LearnKit.serialize.export(plain, "user://plain_round_trip.json")
	var plain_back := LearnKit.serialize.import("user://plain_round_trip.json")
	out["plain_keys"] = plain.model.keys()
	out["plain_back_null"] = plain_back != null and plain_back.input_scaler == null and plain_back.output_scaler == null
	# Clearing a scaler removes it from the model.
	net.output_scaler = null
	out["cleared_keys"] = net.model.keys()
	return out


## Each of "entries" as a network model's input_scaler: {"accepted", "errors"} per entry (an accepted one also
## has the loaded scaler's kind, statistics and feature range). A refused entry leaves the network unchanged.
static func model_entries(c: Dictionary) -> Dictionary:
	var out: Array = []
	for entry: Variant in c.entries:
		var net := LearnKit.sequential([LearnKit.dense(2, 1)])
		var doc := net.model
		doc["input_scaler"] = entry
		net.model = doc
		out.append({"accepted": net.input_scaler != null,
				"stats": _stats(net.input_scaler) if net.input_scaler != null else null})
	return {"results": out}


## One bad call, named by "call"; returns what it returned (errors are collected by the runner).
static func bad(c: Dictionary) -> Dictionary:
	var s := LearnKit.data.standard_scaler()
	var rows := [PackedFloat32Array([1, 2]), PackedFloat32Array([3, 5])]
	match str(c.call):
		"unfitted":
			return {"result": s.transform(rows)}
		"unfitted_flat":
			return {"result": s.transform_flat(PackedFloat32Array([1, 2]))}
		"wrong_width":
			s.fit(rows)
			return {"result": s.transform([PackedFloat32Array([1, 2, 3])])}
		"wrong_width_flat":
			s.fit(rows)
			return {"result": s.transform_flat(PackedFloat32Array([1, 2, 3]))}
		"nan_fit":
			return {"result": s.fit([PackedFloat32Array([1, NAN])]), "fitted": s.fitted}
		"inf_transform":
			s.fit(rows)
			return {"result": s.transform([PackedFloat32Array([INF, 1])])}
		"empty_fit":
			return {"result": s.fit([]), "fitted": s.fitted}
		"ragged_fit":
			return {"result": s.fit([PackedFloat32Array([1, 2]), PackedFloat32Array([1])]), "fitted": s.fitted}
		"flat_rows":
			return {"result": s.fit_flat(PackedFloat32Array([1, 2, 3]), 2), "fitted": s.fitted}
		"bad_kind":
			s.kind = "robust"
			return {"result": s.kind}
		"bad_range":
			return {"result": LearnKit.data.min_max_scaler(1.0, 1.0) == null}
		"inverted_range":
			var m := LKScaler.new()
			m.kind = "min_max"
			m.feature_min = 2.0
			m.feature_max = -1.0
			m.fit(rows)
			return {"result": m.transform(rows)}
		"mismatched_stats":
			s.mean = PackedFloat32Array([1, 2, 3])
			s.scale = PackedFloat32Array([1, 2])
			return {"result": s.transform(rows), "fitted": s.fitted}
		"zero_scale":
			s.mean = PackedFloat32Array([1, 2])
			s.scale = PackedFloat32Array([1, 0])
			return {"result": s.transform(rows)}
		"nan_stat":
			s.mean = PackedFloat32Array([1, NAN])
			return {"result": s.mean.size()}
		"overflow":
			s.fit([PackedFloat32Array([0]), PackedFloat32Array([10])])
			var back := s.inverse_transform([PackedFloat32Array([3e38])])
			return {"result": back.size() == 1 and is_inf(back[0][0])}
		"bad_model_scaler":
			var net := LearnKit.sequential([LearnKit.dense(2, 1)])
			var doc := net.model
			doc["input_scaler"] = {"kind": "standard", "feature_min": 0.0, "feature_max": 1.0, "mean": "AACAPw=="}
			net.model = doc
			return {"result": net.input_scaler == null, "keys": net.model.keys()}
		"bad_model_kind":
			var net := LearnKit.sequential([LearnKit.dense(2, 1)])
			var doc := net.model
			doc["output_scaler"] = {"kind": 7}
			net.model = doc
			return {"result": net.output_scaler == null}
	return {"error": "unknown call %s" % c.call}


static func _make(c: Dictionary) -> LKScaler:
	if str(c.scaler) == "min_max":
		return LearnKit.data.min_max_scaler(float(c.get("feature_min", 0.0)), float(c.get("feature_max", 1.0)))
	return LearnKit.data.standard_scaler()


static func _stats(s: LKScaler) -> Dictionary:
	return {"kind": s.kind, "feature_min": s.feature_min, "feature_max": s.feature_max, "mean": _enc(s.mean),
			"scale": _enc(s.scale), "data_min": _enc(s.data_min), "data_max": _enc(s.data_max)}


## Util.encode() of a vector; empty ones directly (Marshalls.raw_to_base64 errors on no bytes).
static func _enc(v: PackedFloat32Array) -> Dictionary:
	return Util.encode(v, [v.size()]) if not v.is_empty() else {"f32": "", "shape": [0]}
