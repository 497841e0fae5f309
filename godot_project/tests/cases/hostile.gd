extends RefCounted
## Hostile-input regressions (sizes that wrap, allocations that would abort, values that are accepted too
## early, numbers that overflow): each function returns what the call gave back (errors.gd's describe()); the
## runner lists the errors and warnings Godot printed. pytest (tests/test_hostile.py) checks them.

const Errors := preload("res://tests/cases/errors.gd")


static func _net(c: Dictionary) -> LKNetwork:
	return Errors._net(c)


## rows * width wrapping past 2^64 must not slip through the size check.
static func predict_flat_wrapping_rows(c: Dictionary) -> Dictionary:
	return Errors.describe(_net(c).predict_flat(PackedFloat32Array([1, 2, 3, 4]), 4611686018427387905))


static func fit_flat_wrapping_rows(c: Dictionary) -> Dictionary:
	var trainer := LearnKit.trainer(_net(c), {"device": c.device, "epochs": 1})
	return Errors.describe(trainer.fit_flat(PackedFloat32Array([1, 2, 3, 4]), PackedFloat32Array([1, 0, 0]),
			4611686018427387905))


## 1000 labels x 16M classes would be 67 GB: refused before allocating.
static func one_hot_huge(_c: Dictionary) -> Dictionary:
	var labels: Array = []
	for i in 1000:
		labels.append(i % 7)
	return Errors.describe(LearnKit.data.one_hot(labels, 16777216))


## 16M x 63 weights (4 GB) is refused when the network is built, before anything is allocated.
static func network_huge(_c: Dictionary) -> Dictionary:
	return Errors.describe(LearnKit.nn.network([16777216, 63, 3]))


static func schedule_epoch_past_int32(_c: Dictionary) -> Dictionary:
	var s := LearnKit.cosine_schedule(0.1, 10, 0.001)
	return {"lr": s.learning_rate_at(4294967296), "lr_9": s.learning_rate_at(9)}


static func schedule_infinite(_c: Dictionary) -> Dictionary:
	return Errors.describe(LearnKit.cosine_schedule(INF, 10))


static func adam_zero_epsilon(_c: Dictionary) -> Dictionary:
	return Errors.describe(LearnKit.adam(0.9, 0.999, 0.0))


static func sgd_momentum_one(_c: Dictionary) -> Dictionary:
	return Errors.describe(LearnKit.sgd(1.0))


## A diverging fit says so (a warning naming the epoch) and stops; the history records where.
static func fit_diverges(c: Dictionary) -> Dictionary:
	var net := LearnKit.sequential([LearnKit.dense(2, 8, "relu"), LearnKit.dense(8, 1)], "kaiming", 3)
	var trainer := LearnKit.trainer(net, {"device": c.device, "loss": "mse", "optimizer": "sgd",
			"learning_rate": 1e30, "epochs": 200, "batch_size": 4, "shuffle": false})
	var x: Array = []
	var t: Array = []
	for i in 16:
		x.append(PackedFloat32Array([i * 0.1, 1.0 - i * 0.05]))
		t.append(PackedFloat32Array([3.0e3 * i]))
	var h := trainer.fit(x, t)
	return {"nonfinite_epoch": h.nonfinite_epoch, "stopped": h.stopped, "epochs": h.epochs}


## The same with stop_on_nonfinite = false: all epochs run, the warning still comes.
static func fit_diverges_no_stop(c: Dictionary) -> Dictionary:
	var net := LearnKit.sequential([LearnKit.dense(2, 8, "relu"), LearnKit.dense(8, 1)], "kaiming", 3)
	var trainer := LearnKit.trainer(net, {"device": c.device, "loss": "mse", "optimizer": "sgd",
			"learning_rate": 1e30, "epochs": 20, "batch_size": 4, "shuffle": false})
	trainer.stop_on_nonfinite = false
	var x: Array = [PackedFloat32Array([1.0, 2.0]), PackedFloat32Array([2.0, 1.0])]
	var t: Array = [PackedFloat32Array([1.0e4]), PackedFloat32Array([-1.0e4])]
	var h := trainer.fit(x, t)
	return {"nonfinite_epoch": h.nonfinite_epoch, "stopped": h.stopped, "epochs": h.epochs}


## Finite inputs whose outputs overflow float32: a warning, not silent Inf/NaN.
static func predict_overflows(c: Dictionary) -> Dictionary:
	var net := LearnKit.sequential([LearnKit.dense(2, 2)], "kaiming", 1)
	net.device = c.device
	var big := PackedFloat32Array([3.0e38, 3.0e38, 3.0e38, 3.0e38])
	net.set_parameters([{"weight": big, "bias": PackedFloat32Array([0, 0])}])
	var y := net.predict([PackedFloat32Array([1e3, 1e3])])
	return {"y0": str(y[0][0])}


## Model files must be exactly what they say: NaN weights, fractional sizes and unknown layer types are refused.
static func import_bad_files(c: Dictionary) -> Dictionary:
	var dir: String = c.dir
	var out := {}
	for name: String in c.files:
		var path := dir.path_join(name + ".json")
		var f := FileAccess.open(path, FileAccess.WRITE)
		f.store_string(c.files[name])
		f.close()
		out[name] = LearnKit.serialize.import(path) == null
	return out


## An arena past what one storage buffer can bind (here ~2 GiB) is refused with an error, not dispatched.
static func gpu_arena_too_large(c: Dictionary) -> Dictionary:
	if c.device != "gpu":
		return {"skipped": true}
	var net := LearnKit.sequential([LearnKit.dense(4, 262144, "relu"), LearnKit.dense(262144, 3)], "kaiming", 1)
	var trainer := LearnKit.trainer(net, {"device": "gpu", "loss": "mse", "epochs": 1, "batch_size": 510})
	var x := PackedFloat32Array()
	x.resize(510 * 4)
	var t := PackedFloat32Array()
	t.resize(510 * 3)
	return Errors.describe(trainer.fit_flat(x, t, 510))
