extends RefCounted
## Optimizer and schedule cases: fit() with any optimizer of the spec (LearnKit.optimizer), any schedule
## (LearnKit.schedule), parameter groups, and saving / restoring the optimizer state (get_state / set_state).

const Util := preload("res://tests/cases/util.gd")


## The schedule a case describes: {"kind": String, "settings": Dictionary}; a sequence's "schedules" setting is
## a list of such descriptions.
static func schedule(s: Dictionary) -> LKSchedule:
	var settings: Dictionary = (s.get("settings", {}) as Dictionary).duplicate(true)
	if settings.has("schedules"):
		var children: Array = []
		for child: Dictionary in settings.schedules:
			children.append(schedule(child))
		settings["schedules"] = children
	for key: String in ["milestones"]:
		if settings.has(key):
			settings[key] = Util.ints(settings[key])
	for key: String in ["T_max", "T_0", "T_mult", "step_size", "total_iters", "total_steps", "patience", "cooldown"]:
		if settings.has(key):
			settings[key] = int(settings[key])
	return LearnKit.schedule(str(s.kind), settings)


## A trainer for the case's network: "optimizer" {"name", "hyper", "clip_norm"}, optional "schedule",
## "param_groups" [[match, settings], ...], "no_decay_on_bias_and_norm", and the usual loss / epochs / batches.
static func trainer(net: LKNetwork, c: Dictionary) -> LKTrainer:
	var o: Dictionary = c.optimizer
	var hyper: Dictionary = (o.get("hyper", {}) as Dictionary).duplicate()
	var opt := LearnKit.optimizer(str(o.name), hyper)
	if opt == null:
		return null
	opt.clip_norm = float(o.get("clip_norm", 0.0))
	var options := {"loss": str(c.get("loss", "mse")), "optimizer": opt, "epochs": int(c.epochs),
			"batch_size": int(c.batch_size), "shuffle": false, "device": str(c.device)}
	if c.has("learning_rate"):
		options["learning_rate"] = float(c.learning_rate)
	var t := LearnKit.trainer(net, options)
	if c.has("loss_settings"):
		t.loss_settings = c.loss_settings
	if c.has("schedule"):
		t.schedule = schedule(c.schedule)
	for group: Array in c.get("param_groups", []):
		if t.set_param_group(str(group[0]), group[1]) != OK:
			return null
	t.no_decay_on_bias_and_norm = bool(c.get("no_decay_on_bias_and_norm", false))
	return t


## fit() for "epochs" epochs; returns the per-epoch losses and the final parameters.
static func fit(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var t := trainer(net, c) if net != null else null
	if t == null:
		return {"error": "could not build the network or trainer"}
	var h := t.fit(Util.rows(c.x), Util.targets(c))
	if h == null:
		return {"error": "fit returned null"}
	var out := {"loss": Array(h.loss), "params": Util.encode_params(net.get_parameters(), net),
			"hyper": t.optimizer.get_hyperparameters(), "steps": h.steps}
	out.merge(Util.device_used())
	return out


## Trains "epochs" epochs in one fit(), and again as two fits of "first" and epochs - first epochs with the
## optimizer state saved (through var_to_bytes, as a file would hold it) and restored into a new network and
## trainer in between. Returns both final parameters and the saved state's keys.
static func resume(c: Dictionary) -> Dictionary:
	var whole := Util.network(c)
	var t_whole := trainer(whole, c)
	t_whole.fit(Util.rows(c.x), Util.targets(c))
	var first := Util.network(c)
	var half := c.duplicate()
	half["epochs"] = int(c.first)
	var t_first := trainer(first, half)
	t_first.fit(Util.rows(c.x), Util.targets(c))
	var saved: PackedByteArray = var_to_bytes(t_first.get_state())
	var params := first.get_parameters()
	var second := Util.network(c)
	second.set_parameters(params)
	var rest := c.duplicate()
	rest["epochs"] = int(c.epochs) - int(c.first)
	var t_second := trainer(second, rest)
	var state: Dictionary = bytes_to_var(saved)
	var err := t_second.set_state(state)
	t_second.fit(Util.rows(c.x), Util.targets(c))
	var out := {"whole": Util.encode_params(whole.get_parameters(), whole),
			"resumed": Util.encode_params(second.get_parameters(), second), "set_state": err,
			"state_keys": state.keys(), "steps": state.get("steps", -1)}
	out.merge(Util.device_used())
	return out


## learning_rate_at(k) of a schedule for each k of "at".
static func rates(c: Dictionary) -> Dictionary:
	var s := schedule(c.schedule)
	if s == null:
		return {"error": "no schedule"}
	var out: Array = []
	for k: Variant in c.at:
		out.append(s.learning_rate_at(int(k)))
	return {"rates": out, "kind": s.kind, "per_step": s.per_step}


## Calls that must fail with a clear error: {"call": "optimizer" | "set_hyper" | "schedule" | "param_group" |
## "set_state", ...}; returns what came back (the errors are captured by the runner).
static func refused(c: Dictionary) -> Dictionary:
	match str(c.call):
		"optimizer":
			return {"null": LearnKit.optimizer(str(c.name), c.hyper) == null}
		"set_hyper":
			var o := LearnKit.optimizer(str(c.name))
			return {"error_code": o.set_hyper(str(c.key), c.value), "hyper": o.get_hyperparameters()}
		"schedule":
			return {"null": LearnKit.schedule(str(c.schedule_kind), c.settings) == null}
		"param_group":
			var net := Util.network(c)
			var t := LearnKit.trainer(net, {"device": "cpu"})
			return {"error_code": t.set_param_group(str(c.match), c.settings)}
		"set_state":
			var net2 := Util.network(c)
			var t2 := LearnKit.trainer(net2, {"device": "cpu", "optimizer": "sgd"})
			return {"error_code": t2.set_state(c.state)}
	return {"error": "unknown call"}
