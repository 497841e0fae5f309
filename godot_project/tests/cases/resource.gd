extends RefCounted
## LKNetwork as a Resource: ResourceSaver/load() (.tres and .res), the resource cache, duplicate(), a scene
## with @export var brain: LKNetwork, corrupted files and bad model Dictionaries. Each case works in "dir".

const Util := preload("res://tests/cases/util.gd")
const BrainHolder := preload("res://tests/brain_holder.gd")


## Saves the network as "<dir>/<id>.tres" and ".res", loads both (bypassing the cache) and returns
## parameters, predictions on "x", layers and device of the original and of each loaded copy.
static func save_load(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var x := Util.rows(c.x)
	var out := {"params": Util.encode_params(net.get_parameters(), net), "y": Util.encode_rows(net.predict(x)),
			"layers": net.get_layers(), "device": net.device}
	for ext: String in ["tres", "res"]:
		var path: String = c.dir.path_join("%s.%s" % [c.id, ext])
		out[ext + "_save_error"] = ResourceSaver.save(net, path)
		var loaded := ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) as LKNetwork
		if loaded == null:
			return {"error": "load(%s) did not return an LKNetwork" % path}
		out[ext] = {"params": Util.encode_params(loaded.get_parameters(), loaded),
				"y": Util.encode_rows(loaded.predict(x)), "layers": loaded.get_layers(), "device": loaded.device,
				"class": loaded.get_class(), "path": loaded.resource_path}
	out["tres_text"] = FileAccess.get_file_as_string(c.dir.path_join("%s.tres" % c.id))
	out.merge(Util.device_used())
	return out


## load() twice gives the cached instance; CACHE_MODE_IGNORE a fresh one with the same parameters.
static func cache(c: Dictionary) -> Dictionary:
	var path: String = c.dir.path_join("cached.tres")
	var err := ResourceSaver.save(Util.network(c), path)
	var first := load(path) as LKNetwork
	var second := load(path) as LKNetwork
	var fresh := ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE) as LKNetwork
	return {"save_error": err, "same_instance": is_same(first, second), "fresh_is_new": not is_same(first, fresh),
			"fresh_same_params": fresh.get_parameters() == first.get_parameters()}


## duplicate(deep) copies the network; training the copy leaves the original as it was.
static func duplicate(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var copy := net.duplicate(bool(c.deep)) as LKNetwork
	var x := Util.rows(c.x)
	var before := Util.encode_params(net.get_parameters(), net)
	var out := {"copy_class": copy.get_class(), "same_object": is_same(copy, net), "device": copy.device,
			"copy_params": Util.encode_params(copy.get_parameters(), copy),
			"refcounts": [net.get_reference_count(), copy.get_reference_count()]}
	var trainer := Util.trainer(copy, c)
	for i in 3:
		trainer.step(x, Util.targets(c))
	out["original_before"] = before
	out["original_after"] = Util.encode_params(net.get_parameters(), net)
	out["copy_trained"] = Util.encode_params(copy.get_parameters(), copy)
	return out


## A scene whose node has @export var brain: LKNetwork, saved with the network as an external resource
## ("external": true, the network in its own .tres) or embedded in the scene file; loaded again (every
## resource read anew), instantiated, and asked to predict.
static func scene(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var x := Util.rows(c.x)
	var holder: Node = BrainHolder.new()
	holder.name = "Holder"
	var brain_path: String = c.dir.path_join("scene_brain.tres")
	if c.external:
		ResourceSaver.save(net, brain_path)
		holder.brain = load(brain_path)
	else:
		holder.brain = net
	var packed := PackedScene.new()
	var pack_error := packed.pack(holder)
	holder.free()
	var scene_path: String = c.dir.path_join("holder_%s.tscn" % ("external" if c.external else "embedded"))
	var save_error := ResourceSaver.save(packed, scene_path)
	var loaded := ResourceLoader.load(scene_path, "", ResourceLoader.CACHE_MODE_IGNORE_DEEP) as PackedScene
	var node: Node = loaded.instantiate()
	var out := {"pack_error": pack_error, "save_error": save_error, "y": Util.encode_rows(net.predict(x)),
			"scene_text": FileAccess.get_file_as_string(scene_path), "brain_is_network": node.brain is LKNetwork,
			"y_scene": Util.encode_rows(node.think(x)), "brain_path": node.brain.resource_path}
	node.free()
	return out


## Saves a network as .tres, replaces "find" with "replace" in the file and loads it: an error, an empty
## network, no crash.
static func corrupt_file(c: Dictionary) -> Dictionary:
	var path: String = c.dir.path_join("corrupt_%s.tres" % c.id)
	ResourceSaver.save(Util.network(c), path)
	var text := FileAccess.get_file_as_string(path)
	var found := text.contains(c.find)
	var f := FileAccess.open(path, FileAccess.WRITE)
	f.store_string(text.replace(c.find, c.replace))
	f.close()
	var loaded := ResourceLoader.load(path, "", ResourceLoader.CACHE_MODE_IGNORE)
	return {"found": found, "loaded_null": loaded == null,
			"layer_count": loaded.layer_count if loaded is LKNetwork else -1}


## Sets net.model to the saved model (or to the case's "base" model) with one key replaced ("path": [keys...]
## into the Dictionary, "value"; "erase": remove it instead); the network must stay as it was.
static func bad_model(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var before := Util.encode_params(net.get_parameters(), net)
	var model: Dictionary = (c.base if c.has("base") else net.model).duplicate(true)
	var target: Variant = model
	var keys: Array = c.path
	for i in keys.size() - 1:
		target = target[keys[i]]
	if c.get("erase", false):
		(target as Dictionary).erase(keys[-1])
	else:
		target[keys[-1]] = c.value
	net.model = model if not c.get("not_a_dict", false) else {}
	return {"params_unchanged": Util.encode_params(net.get_parameters(), net) == before,
			"layers_after": net.get_layers().size()}


## The model Dictionary: what LearnKit.serialize.export() writes, what the property list says about each
## property (usage flags), and that an empty LKNetwork.new() round-trips through a scene file.
static func model_info(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var json_path: String = c.dir.path_join("model.json")
	LearnKit.serialize.export(net, json_path)
	var usage := {}
	for p: Dictionary in net.get_property_list():
		usage[p.name] = p.usage
	var empty := LKNetwork.new()
	var empty_path: String = c.dir.path_join("empty.tres")
	var empty_error := ResourceSaver.save(empty, empty_path)
	var empty_loaded := ResourceLoader.load(empty_path, "", ResourceLoader.CACHE_MODE_IGNORE) as LKNetwork
	return {"model": net.model, "json": JSON.parse_string(FileAccess.get_file_as_string(json_path)), "usage": usage,
			"empty_model": empty.model, "empty_save_error": empty_error,
			"empty_loaded_layers": empty_loaded.layer_count if empty_loaded else -1}


## A model file of the first release (version 1, "v1_text", written by pytest) loaded three ways: through
## LearnKit.serialize.import(), set as the model property, and as a .tres ("v1_tres"); each is described next to
## the same network built through the API ("reference": the case's layers and "params"). "v1_empty_tres" is an
## empty network saved by that release.
static func import_v1(c: Dictionary) -> Dictionary:
	var x := Util.rows(c.x)
	var out := {"reference": _describe(Util.network(c), x)}
	var json_path: String = c.dir.path_join("v1.json")
	_write(json_path, c.v1_text)
	out["import"] = _describe(LearnKit.serialize.import(json_path), x)
	var by_property := LKNetwork.new()
	by_property.model = JSON.parse_string(c.v1_text)
	out["property"] = _describe(by_property, x)
	var tres_path: String = c.dir.path_join("v1.tres")
	_write(tres_path, c.v1_tres)
	out["tres"] = _describe(ResourceLoader.load(tres_path, "", ResourceLoader.CACHE_MODE_IGNORE), x)
	var empty_path: String = c.dir.path_join("v1_empty.tres")
	_write(empty_path, c.v1_empty_tres)
	out["empty"] = _describe(ResourceLoader.load(empty_path, "", ResourceLoader.CACHE_MODE_IGNORE), x)
	return out


## What a loaded network holds: its parameters, predictions on x (when it has layers), layers, device and the
## version its model property now has.
static func _describe(loaded: Variant, x: Array) -> Dictionary:
	var net := loaded as LKNetwork
	if net == null:
		return {"class": type_string(typeof(loaded))}
	var out := {"class": net.get_class(), "layer_count": net.layer_count, "layers": net.get_layers(),
			"device": net.device, "version": net.model.get("version", -1)}
	if net.layer_count > 0:
		out["params"] = Util.encode_params(net.get_parameters(), net)
		out["y"] = Util.encode_rows(net.predict(x))
	return out


static func _write(path: String, text: String) -> void:
	var f := FileAccess.open(path, FileAccess.WRITE)
	f.store_string(text)
	f.close()
