extends RefCounted
## Training cases: single optimizer steps, fit() trajectories, the seed train() API and schedules.

const Util := preload("res://tests/cases/util.gd")


## Runs trainer.step() once per entry of "batches" ([{"x": MATRIX, "targets": MATRIX}, ...]) on one trainer;
## returns, for each step, the gradients compute_gradients() gives just before it, the loss step() reported
## and the parameters after it.
static func steps(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var losses: Array = []
	var params: Array = []
	var gradients: Array = []
	for b: Dictionary in c.batches:
		var x := Util.rows(b.x)
		var t := Util.targets(b)
		var g: Dictionary = trainer.compute_gradients(x, t)
		gradients.append(Util.encode_params(g.get("gradients", []), net))
		losses.append(trainer.step(x, t))
		params.append(Util.encode_params(net.get_parameters(), net))
	var out := {"losses": losses, "params": params, "gradients": gradients}
	out.merge(Util.device_used())
	return out


## Trains on "x"/"targets" with fit() (or fit_flat() when "api" is "fit_flat"); returns the history, the
## epoch_completed signal's emissions and the final parameters.
static func fit(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var trainer := Util.trainer(net, c)
	var emitted: Array = []
	trainer.epoch_completed.connect(func(epoch: int, loss: float) -> void: emitted.append([epoch, loss]))
	var history: LKHistory
	if c.get("api", "fit") == "fit_flat":
		var rows: int = c.x.shape[0]
		history = trainer.fit_flat(Util.flat(c.x), Util.flat(c.targets), rows)
	else:
		history = trainer.fit(Util.rows(c.x), Util.targets(c))
	if history == null:
		return {"error": "fit returned null"}
	var out := {
		"loss": Array(history.loss), "epochs": history.epochs, "steps": history.steps,
		"submits": history.submits, "readbacks": history.readbacks, "elapsed_ms": history.elapsed_ms,
		"history_backend": history.backend, "history_device": history.device_name,
		"emitted": emitted, "params": Util.encode_params(net.get_parameters(), net),
	}
	out.merge(Util.device_used())
	return out


## The seed API: LearnKit.nn.network() + LearnKit.nn.trainer() with positional arguments, shuffle off, then
## train(); returns the elapsed time train() reported and the final parameters.
static func seed_train(c: Dictionary) -> Dictionary:
	var act := {"identity": LearnKit.ActivationType.IDENTITY, "sigmoid": LearnKit.ActivationType.SIGMOID,
			"tanh": LearnKit.ActivationType.TANH, "relu": LearnKit.ActivationType.RELU,
			"leaky_relu": LearnKit.ActivationType.LEAKY_RELU, "softmax": LearnKit.ActivationType.SOFTMAX}
	var losses := {"mse": LearnKit.LossFunction.MSE, "bce": LearnKit.LossFunction.BCE,
			"cce": LearnKit.LossFunction.CCE}
	var inits := {"kaiming": LearnKit.WeightInitialization.KAIMING, "xavier": LearnKit.WeightInitialization.XAVIER}
	var net := LearnKit.nn.network(Util.ints(c.sizes), str(c.device), act[c.hidden], act[c.output], inits[c.init])
	if c.has("params"):
		net.set_parameters(Util.decode_params(c.params))
	var sched: LKSchedule = null
	if c.has("schedule"):
		sched = LearnKit.nn.schedular.cosine(float(c.schedule.lr_max), int(c.schedule.period),
				float(c.schedule.get("lr_min", 0.0)))
	var opt := LearnKit.nn.optimizer(bool(c.get("clip", false)), float(c.get("max_norm", 1.0)))
	var trainer := LearnKit.nn.trainer(net, str(c.device), losses[c.loss], float(c.learning_rate),
			float(c.get("lambda_l2", 0.0)), int(c.epochs), int(c.batch_size), sched, opt)
	trainer.shuffle = false
	var ms := trainer.train(Util.rows(c.x), Util.targets(c))
	var out := {"train_ms": ms, "params": Util.encode_params(net.get_parameters(), net),
			"trainer_loss": trainer.loss, "trainer_device": trainer.device, "network_device": net.device,
			"optimizer_kind": trainer.optimizer.kind if trainer.optimizer != null else "",
			"optimizer_clip_norm": trainer.optimizer.clip_norm if trainer.optimizer != null else -1.0,
			"optimizer_weight_decay": trainer.optimizer.weight_decay if trainer.optimizer != null else -1.0}
	out.merge(Util.device_used())
	return out


## learning_rate_at() of a schedule ("schedule", as in Util.schedule()) for each of "at" (epochs).
static func schedule(c: Dictionary) -> Dictionary:
	var s := Util.schedule(c.schedule)
	var rates: Array = []
	for e: Variant in c.at:
		rates.append(s.learning_rate_at(int(e)))
	return {"rates": rates, "kind": s.kind, "lr_max": s.lr_max, "lr_min": s.lr_min, "period": s.period}
