extends RefCounted
## Data tools cases: LearnKit.data.load_csv, load_image_folder and split (tests/test_data_loading.py).

const Util := preload("res://tests/cases/util.gd")


## load_csv("path", "options"); the returned Dictionary with its row matrices encoded.
static func csv(c: Dictionary) -> Dictionary:
	return _encoded(LearnKit.data.load_csv(str(c.path), c.get("options", {})))


## load_image_folder("path", "options"); the returned Dictionary with its rows encoded.
static func images(c: Dictionary) -> Dictionary:
	return _encoded(LearnKit.data.load_image_folder(str(c.path), c.get("options", {})))


## split() of rows i = [i, -i] with "targets" (ints, or one-hot rows when "one_hot" is set) and "options",
## twice (to check it is deterministic). Each part's row ids, targets and indices.
static func split(c: Dictionary) -> Dictionary:
	var inputs: Array = []
	var targets: Array = []
	for i in int(c.rows):
		inputs.append(PackedFloat32Array([i, -i]))
	for t: Variant in c.targets:
		targets.append(LearnKit.data.one_hot([int(t)], int(c.one_hot))[0] if c.has("one_hot") else int(t))
	var options: Dictionary = c.get("options", {})
	var out := {}
	for name: String in ["first", "again"]:
		var s := LearnKit.data.split(inputs, targets, options)
		if s == null:
			return {"null": true}
		var parts := {}
		for part: String in ["train", "validation", "test"]:
			var ids: Array = []
			for row: PackedFloat32Array in s.get(part + "_inputs"):
				ids.append(int(row[0]))
			var ts: Array = []
			for t: Variant in s.get(part + "_targets"):
				ts.append(int(t) if typeof(t) == TYPE_INT else Array(t))
			parts[part] = {"ids": ids, "targets": ts, "indices": Array(s.get(part + "_indices"))}
		out[name] = parts
	return out


## The old train_test_split next to split(): still there, still the same numbers for the same seed.
static func old_split(c: Dictionary) -> Dictionary:
	var inputs: Array = []
	for i in int(c.rows):
		inputs.append(PackedFloat32Array([i]))
	var s := LearnKit.data.train_test_split(inputs, range(int(c.rows)), 0.25, 3)
	return {"train": s.train_targets, "test": s.test_targets, "validation": s.validation_inputs.size()}


static func _encoded(d: Dictionary) -> Dictionary:
	var out := {}
	for key: String in d:
		var v: Variant = d[key]
		if key in ["inputs", "targets"]:
			out[key] = Util.encode_rows(v)
		elif typeof(v) == TYPE_PACKED_STRING_ARRAY:
			out[key] = Array(v)
		else:
			out[key] = v
	out["empty"] = d.is_empty()
	return out
