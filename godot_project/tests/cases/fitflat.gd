extends RefCounted
## fit()'s options everywhere: fit_flat() and fit_async_flat() on flat arrays, train_for() in chunks, and the
## plateau schedule watching a logged value (val_loss, a metric). tests/test_fit_flat_options.py checks the
## results against torch's ReduceLROnPlateau, Keras's early stopping rule and the Array form of the same fit.

const Util := preload("res://tests/cases/util.gd")


## Trains the case's network (Util.network: "layers", "params") with Util.trainer's settings, the schedule
## "plateau" (LearnKit.schedule("plateau", settings), when given) and "options" (fit()'s; "val_x" and
## "val_targets" become validation_data, as Arrays of rows, or flat with "flat_val"). "mode":
## "fit" (Arrays of rows), "flat" (fit_flat), "async" (fit_async_flat: only its null return on bad input can be
## seen without a main loop), or "train_for" (calls of train_for("budget" ms) until resume_epoch reaches epochs,
## their histories concatenated). "callback": an on_epoch Callable records each epoch (and returns false at
## "stop_at").
static func run(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var out_schedule := {}
	if c.has("plateau"):
		var schedule := LearnKit.schedule("plateau", c.plateau)
		if schedule == null:
			return {"history": false, "schedule": false}
		trainer.schedule = schedule
		out_schedule["monitor"] = schedule.monitor
	var mode := str(c.get("mode", "fit"))
	var flat := mode != "fit" and mode != "train_for"
	var options: Dictionary = (c.get("options", {}) as Dictionary).duplicate(true)
	if c.has("val_x"):
		if bool(c.get("flat_val", false)):
			options["validation_data"] = [Util.flat(c.val_x), Util.flat(c.val_targets)]
		else:
			options["validation_data"] = [Util.rows(c.val_x), Util.rows(c.val_targets)]
	var seen: Array = []
	var stop_at := int(c.get("stop_at", -1))
	if bool(c.get("callback", false)):
		options["on_epoch"] = func(epoch: int, logs: Dictionary) -> bool:
			seen.append({"epoch": epoch, "logs": logs.duplicate()})
			return epoch != stop_at
	var rows := int(c.get("rows", (c.x.shape as Array)[0]))
	var out := {"seen": seen, "schedule": out_schedule}
	if mode == "async":
		var job := trainer.fit_async_flat(Util.flat(c.x), Util.flat(c.targets), rows, options)
		out["history"] = job != null
		return out
	var histories: Array[LKHistory] = []
	if mode == "train_for":
		var calls := 0
		while trainer.resume_epoch < trainer.epochs and calls < 10000:
			var part := trainer.train_for(Util.rows(c.x), Util.rows(c.targets), float(c.get("budget", 0.001)), options)
			calls += 1
			if part == null:
				break
			histories.append(part)
		out["calls"] = calls
		out["resume_epoch"] = trainer.resume_epoch
		if not histories.is_empty():
			out["past_end_epochs"] = trainer.train_for(Util.rows(c.x), Util.rows(c.targets), 1.0, options).epochs
	elif flat:
		histories.append(trainer.fit_flat(Util.flat(c.x), Util.flat(c.targets), rows, options))
	else:
		histories.append(trainer.fit(Util.rows(c.x), Util.rows(c.targets), options))
	if histories.is_empty() or histories[0] == null:
		out["history"] = false
		return out
	out["history"] = true
	var keys := ["loss", "val_loss", "learning_rates"]
	for key: String in keys:
		out[key] = []
	var metrics := {}
	for h: LKHistory in histories:
		for key: String in keys:
			(out[key] as Array).append_array(Array(h.get(key)))
		for name: String in h.metrics:
			if not metrics.has(name):
				metrics[name] = []
			(metrics[name] as Array).append_array(Array(h.metrics[name]))
	var last: LKHistory = histories[-1]
	out["metrics"] = metrics
	out["epochs"] = (out["loss"] as Array).size()
	out["stopped"] = last.stopped
	out["early_stopped"] = last.early_stopped
	out["best_epoch"] = last.best_epoch
	out["final_params"] = Util.encode_tensors(net.get_parameters())
	return out
