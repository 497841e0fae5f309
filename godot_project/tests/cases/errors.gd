extends RefCounted
## Bad-input cases: each function misuses one API call and returns what it got back (described by
## describe()); the runner lists the errors Godot printed. pytest checks that the call returned
## null/empty/an Error, printed an error naming the offending value, and that nothing crashed.
## Networks here are 4 -> 5 (relu) -> 3 (softmax) on the case's "device".

const Util := preload("res://tests/cases/util.gd")


# --- Building networks -------------------------------------------------------------------------------------

static func dense_negative_inputs(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.dense(-3, 4))


static func dense_zero_outputs(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.dense(4, 0))


static func dense_unknown_activation(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.dense(4, 4, "swishy"))


static func sequential_empty(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.sequential([]))


static func sequential_mismatched_widths(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.sequential([LearnKit.dense(4, 7), LearnKit.dense(8, 3)]))


static func sequential_not_a_layer(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.sequential([LearnKit.dense(4, 7), 42]))


static func sequential_unknown_init(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.sequential([LearnKit.dense(4, 3)], "he_uniformish"))


static func network_negative_size(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.nn.network([4, -5, 3]))


static func network_one_size(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.nn.network([4]))


static func network_unknown_device(c: Dictionary) -> Dictionary:
	var net := _net(c)
	net.device = "tpu9"
	var out := describe(null)
	out["device_after"] = net.device
	return out


static func schedule_negative_period(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.cosine_schedule(1e-2, -3))


# --- Predicting --------------------------------------------------------------------------------------------

static func predict_wrong_width(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict([PackedFloat32Array([1, 2, 3, 4, 5])]))


static func predict_empty(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict([]))


static func predict_ragged(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict([PackedFloat32Array([1, 2, 3, 4]), PackedFloat32Array([1, 2, 3])]))


static func predict_nan(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict([PackedFloat32Array([1, NAN, 3, 4])]))


static func predict_inf(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict([PackedFloat32Array([1, 2, -INF, 4])]))


static func predict_not_numbers(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict([["a", "b", "c", "d"]]))


static func predict_flat_wrong_size(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict_flat(PackedFloat32Array([1, 2, 3, 4, 5, 6, 7]), 2))


static func predict_flat_negative_rows(c: Dictionary) -> Dictionary:
	return describe(_net(c).predict_flat(PackedFloat32Array([1, 2, 3, 4]), -1))


# --- Training ----------------------------------------------------------------------------------------------

static func fit_wrong_target_width(c: Dictionary) -> Dictionary:
	return _fit(c, _x(2), [PackedFloat32Array([0, 1]), PackedFloat32Array([1, 0])])


static func fit_row_count_mismatch(c: Dictionary) -> Dictionary:
	return _fit(c, _x(5), _t(4))


static func fit_empty(c: Dictionary) -> Dictionary:
	return _fit(c, [], [])


static func fit_nan_input(c: Dictionary) -> Dictionary:
	var x := _x(3)
	x[1] = PackedFloat32Array([1, 2, NAN, 4])
	return _fit(c, x, _t(3))


static func fit_inf_target(c: Dictionary) -> Dictionary:
	var t := _t(3)
	t[2] = PackedFloat32Array([0, INF, 0])
	return _fit(c, _x(3), t)


static func fit_label_out_of_range(c: Dictionary) -> Dictionary:
	return _fit(c, _x(3), [0, 7, 1])


static func fit_negative_batch_size(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto")})
	trainer.batch_size = -4
	return _after(net, _params(net), trainer.fit(_x(3), _t(3)))


static func fit_flat_wrong_size(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto")})
	var before := _params(net)
	var x := PackedFloat32Array([1, 2, 3, 4, 5, 6, 7])  # 2 rows of 4 need 8 values
	var t := PackedFloat32Array([0, 1, 0, 1, 0, 0])
	return _after(net, before, trainer.fit_flat(x, t, 2))


static func step_wrong_width(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto")})
	var before := _params(net)
	return _after(net, before, trainer.step([PackedFloat32Array([1, 2, 3])], _t(1)))


static func gradients_wrong_width(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto")})
	var before := _params(net)
	return _after(net, before, trainer.compute_gradients([PackedFloat32Array([1, 2, 3])], _t(1)))


static func train_wrong_width(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.nn.trainer(net, c.get("device", null))
	var before := _params(net)
	return _after(net, before, trainer.train([PackedFloat32Array([1, 2, 3, 4, 5, 6])], _t(1)))


static func trainer_unknown_loss(c: Dictionary) -> Dictionary:
	return describe(LearnKit.trainer(_net(c), {"loss": "hinge_ish"}))


static func trainer_unknown_option(c: Dictionary) -> Dictionary:
	return describe(LearnKit.trainer(_net(c), {"learning_rat": 0.1}))


static func trainer_unknown_optimizer(c: Dictionary) -> Dictionary:
	return describe(LearnKit.trainer(_net(c), {"optimizer": "rmsprop_ish"}))


static func trainer_unknown_loss_setting(c: Dictionary) -> Dictionary:
	return describe(LearnKit.trainer(_net(c), {"loss": "huber", "loss_settings": {"delt": 2.0}}))


static func trainer_bad_reduction(c: Dictionary) -> Dictionary:
	return describe(LearnKit.trainer(_net(c), {"loss": "mse", "loss_settings": {"reduction": "batchmean"}}))


static func loss_settings_unknown_property(c: Dictionary) -> Dictionary:
	var trainer := LearnKit.trainer(_net(c), {"loss": "mse"})
	trainer.loss_settings = {"margin": 2.0}
	return describe(trainer.loss_settings)


## Settings left from another loss: refused when used, naming the setting and the loss.
static func fit_settings_of_another_loss(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto"), "loss": "huber",
			"loss_settings": {"delta": 2.0}})
	trainer.loss = "mse"
	return _after(net, _params(net), trainer.fit(_x(3), _t(3)))


static func fit_hinge_needs_sign_targets(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto"), "loss": "hinge"})
	return _after(net, _params(net), trainer.fit(_x(3), _t(3)))


static func trainer_negative_epochs(c: Dictionary) -> Dictionary:
	return describe(LearnKit.trainer(_net(c), {"epochs": -7}))


# --- Parameters --------------------------------------------------------------------------------------------

static func set_parameters_wrong_layer_count(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var before := _params(net)
	return _after(net, before, net.set_parameters([net.get_parameters()[0]]))


static func set_parameters_wrong_weight_size(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var before := _params(net)
	var params := net.get_parameters()
	params[1]["weight"] = PackedFloat32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
	return _after(net, before, net.set_parameters(params))


static func set_parameters_nan(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var before := _params(net)
	var params := net.get_parameters()
	var bias: PackedFloat32Array = params[0]["bias"]
	bias[2] = NAN
	params[0]["bias"] = bias
	return _after(net, before, net.set_parameters(params))


static func set_parameters_missing_key(c: Dictionary) -> Dictionary:
	var net := _net(c)
	var before := _params(net)
	var params := net.get_parameters()
	params[0] = {"bias": params[0]["bias"]}
	return _after(net, before, net.set_parameters(params))


# --- Serialization -----------------------------------------------------------------------------------------

static func import_missing_file(c: Dictionary) -> Dictionary:
	return describe(LearnKit.serialize.import(c.dir.path_join("no_such_model.json")))


static func import_garbage(c: Dictionary) -> Dictionary:
	return describe(LearnKit.serialize.import(_write(c.dir.path_join("garbage.json"), "\u0001not a model{{")))


static func import_empty_file(c: Dictionary) -> Dictionary:
	return describe(LearnKit.serialize.import(_write(c.dir.path_join("empty.json"), "")))


static func import_empty_object(c: Dictionary) -> Dictionary:
	return describe(LearnKit.serialize.import(_write(c.dir.path_join("empty_object.json"), "{}")))


static func import_truncated(c: Dictionary) -> Dictionary:
	var path: String = c.dir.path_join("truncated.json")
	var err := LearnKit.serialize.export(_net(c), path)
	if err != OK:
		return {"error": "export failed: %s" % error_string(err)}
	var text := FileAccess.get_file_as_string(path)
	return describe(LearnKit.serialize.import(_write(path, text.substr(0, text.length() / 2))))


static func export_bad_path(c: Dictionary) -> Dictionary:
	return describe(LearnKit.serialize.export(_net(c), c.dir.path_join("no_such_dir/deeper/model.json")))


# --- Data and evaluation -----------------------------------------------------------------------------------

static func split_row_count_mismatch(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.data.train_test_split(_x(5), _t(4)))


static func split_bad_ratio(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.data.train_test_split(_x(5), _t(5), 1.5))


static func one_hot_negative_classes(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.data.one_hot([0, 1], -2))


static func one_hot_label_out_of_range(_c: Dictionary) -> Dictionary:
	return describe(LearnKit.data.one_hot([0, 9, 1], 3))


static func evaluate_wrong_width(c: Dictionary) -> Dictionary:
	return describe(LearnKit.evaluate.evaluate_model_soft_max(_net(c), [PackedFloat32Array([1, 2])], [0]))


static func mse_row_count_mismatch(c: Dictionary) -> Dictionary:
	return describe(LearnKit.evaluate.mse(_net(c), _x(3), _t(2)))


# --- Helpers -----------------------------------------------------------------------------------------------

## What a call returned, for pytest: {"returned_type", "returned_null", "returned_size", "returned_value"}.
static func describe(value: Variant) -> Dictionary:
	var size := -1
	if typeof(value) in [TYPE_ARRAY, TYPE_DICTIONARY, TYPE_PACKED_FLOAT32_ARRAY, TYPE_STRING]:
		size = value.size() if typeof(value) != TYPE_STRING else (value as String).length()
	var shown := str(value)
	if typeof(value) == TYPE_FLOAT:
		shown = "nan" if is_nan(value) else shown
	return {"returned_type": type_string(typeof(value)), "returned_null": value == null,
			"returned_size": size, "returned_value": shown.left(200)}


## describe(value) plus whether the network's parameters are the same as "before".
static func _after(net: LKNetwork, before: Array, value: Variant) -> Dictionary:
	var out := describe(value)
	out["params_unchanged"] = _params(net) == before
	return out


static func _fit(c: Dictionary, x: Array, t: Array) -> Dictionary:
	var net := _net(c)
	var trainer := LearnKit.trainer(net, {"device": c.get("device", "auto"), "epochs": 2, "batch_size": 2})
	var before := _params(net)
	return _after(net, before, trainer.fit(x, t))


static func _net(c: Dictionary) -> LKNetwork:
	var net := LearnKit.sequential([LearnKit.dense(4, 5, "relu"), LearnKit.dense(5, 3, "softmax")], "kaiming", 7)
	net.device = c.get("device", "auto")
	return net


## The parameters as bytes, for exact comparison.
static func _params(net: LKNetwork) -> Array:
	var out: Array = []
	for p: Dictionary in net.get_parameters():
		out.append([PackedFloat32Array(p.weight).to_byte_array(), PackedFloat32Array(p.bias).to_byte_array()])
	return out


static func _x(n: int) -> Array:
	var x: Array = []
	for i in n:
		x.append(PackedFloat32Array([i, 0.5, -1.0, 2.0]))
	return x


static func _t(n: int) -> Array:
	var t: Array = []
	for i in n:
		var row := PackedFloat32Array([0, 0, 0])
		row[i % 3] = 1.0
		t.append(row)
	return t


static func _write(path: String, text: String) -> String:
	var f := FileAccess.open(path, FileAccess.WRITE)
	f.store_string(text)
	f.close()
	return path
