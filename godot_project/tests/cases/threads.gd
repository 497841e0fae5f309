extends RefCounted
## Threading cases, on the backend of the case's "device": training on a GDScript [Thread] while the main thread
## predicts (with another network, or with the network being trained), two trainers on two threads at once, two
## fits of one trainer from two threads, and a [WorkerThreadPool] task. Each case first runs the same work alone
## on the main thread, so that pytest can compare the numbers (same parameters in, same loss and parameters out).
##
## A case holds "train" (a training case for [code]Util.network[/code]/[code]Util.trainer[/code] plus
## "x"/"targets"), and "predict" (a network case plus "x") or "train2" (a second training case).

const Util := preload("res://tests/cases/util.gd")


## Fits the training case on a new network; returns {"loss": [...], "params": [...]} or {"error": ...}.
static func _fit(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	return _run_fit(net, Util.trainer(net, c), c)


## Fits the training case with this network and trainer.
static func _run_fit(net: LKNetwork, trainer: LKTrainer, c: Dictionary) -> Dictionary:
	var history := trainer.fit(Util.rows(c.x), Util.targets(c))
	if history == null:
		return {"error": "fit returned null"}
	return {"loss": Array(history.loss), "params": Util.encode_params(net.get_parameters(), net),
			"backend": history.backend}


## Connects a handler to the trainer's epoch_completed that, the first time it runs (on the thread running the
## fit), posts "paused" and waits for "resume": the fit is then held in the middle, between two epochs.
static func _pause_once(trainer: LKTrainer) -> Dictionary:
	var gate := {"paused": Semaphore.new(), "resume": Semaphore.new(), "done": false}
	trainer.epoch_completed.connect(func(_epoch: int, _loss: float) -> void:
		if not gate.done:
			gate.done = true
			(gate.paused as Semaphore).post()
			(gate.resume as Semaphore).wait())
	return gate


## A thread trains "train" while the main thread predicts "predict" again and again until the thread is done.
## Returns the fit run alone ("alone") and on the thread ("threaded"), the first prediction, the largest
## difference of any later prediction from it, and how many predictions overlapped the training.
static func train_while_predicting(c: Dictionary) -> Dictionary:
	var alone := _fit(c.train)
	var predictor := Util.network(c.predict)
	if predictor == null:
		return {"error": "could not build the predicting network"}
	var x := Util.flat(c.predict.x)
	var rows: int = c.predict.x.shape[0]
	var first := predictor.predict_flat(x, rows)
	var thread := Thread.new()
	var err := thread.start(_fit.bind(c.train))
	if err != OK:
		return {"error": "Thread.start returned %s" % error_string(err)}
	var count := 0
	var max_diff := 0.0
	while thread.is_alive() or count == 0:
		var y := predictor.predict_flat(x, rows)
		count += 1
		if y.size() != first.size():
			max_diff = INF
			continue
		for i in y.size():
			max_diff = maxf(max_diff, absf(y[i] - first[i]))
	var threaded: Dictionary = thread.wait_to_finish()
	return {"alone": alone, "threaded": threaded, "first": Util.encode(first, [rows, predictor.get_output_size()]),
			"max_diff": max_diff, "predictions": count}


## A thread trains "train" while the main thread predicts with the SAME network: once while the fit is held in
## its first epoch_completed handler ("mid"), then again and again until the thread is done. A connected handler
## makes the fit write each epoch's parameters back, so every prediction must be, bit for bit, the network before
## the fit, after it (the fit alone, on another network trained on the main thread first), or after one of its
## epochs (as a handler on the fit's thread predicted it): "counts" says how many were each, or none ("mixed").
static func same_network(c: Dictionary) -> Dictionary:
	var reference := Util.network(c.train)
	var alone := _run_fit(reference, Util.trainer(reference, c.train), c.train)
	var net := Util.network(c.train)
	var trainer := Util.trainer(net, c.train)
	# The training rows, "repeat" times: a longer prediction is more likely to overlap the fit's write-back.
	var x := PackedFloat32Array()
	for i in int(c.get("repeat", 1)):
		x.append_array(Util.flat(c.train.x))
	var rows: int = c.train.x.shape[0] * int(c.get("repeat", 1))
	var before := hash(net.predict_flat(x, rows).to_byte_array())
	var after := hash(reference.predict_flat(x, rows).to_byte_array())
	var epochs: Array = []  # hashes of each epoch's network's predictions, appended on the fit's thread
	var epoch_params: Array = []
	trainer.epoch_completed.connect(func(_epoch: int, _loss: float) -> void:
		if epoch_params.is_empty():
			epoch_params.append(Util.encode_params(net.get_parameters(), net))
		epochs.append(hash(net.predict_flat(x, rows).to_byte_array())))
	var gate := _pause_once(trainer)
	var thread := Thread.new()
	var err := thread.start(_run_fit.bind(net, trainer, c.train))
	if err != OK:
		return {"error": "Thread.start returned %s" % error_string(err)}
	(gate.paused as Semaphore).wait()
	var mid := hash(net.predict_flat(x, rows).to_byte_array())
	var params_mid := Util.encode_params(net.get_parameters(), net)
	(gate.resume as Semaphore).post()
	var seen: Array[int] = []
	while thread.is_alive():
		seen.append(hash(net.predict_flat(x, rows).to_byte_array()))
	var threaded: Dictionary = thread.wait_to_finish()
	var last := hash(net.predict_flat(x, rows).to_byte_array())
	var counts := {"before": 0, "after": 0, "epoch": 0, "mixed": 0}
	for y in seen:
		counts[_which(y, before, after, epochs)] += 1
	return {"alone": alone, "threaded": threaded, "mid": _which(mid, before, after, epochs), "counts": counts,
			"last": _which(last, before, after, epochs), "params_mid": params_mid,
			"params_epoch0": epoch_params[0] if not epoch_params.is_empty() else [],
			"mid_is_epoch0": not epochs.is_empty() and mid == epochs[0]}


static func _which(y: int, before: int, after: int, epochs: Array) -> String:
	if y == before:
		return "before"
	if y == after:
		return "after"
	return "epoch" if y in epochs else "mixed"


## One trainer, two fits from two threads at once: the first thread's fit is held in its first epoch_completed
## handler while a second thread calls fit() on the same trainer ("second_refused": it returned null), and a
## third calls fit() on another trainer of the same network ("third_refused"); then the first fit finishes.
static func same_trainer(c: Dictionary) -> Dictionary:
	var alone := _fit(c.train)
	var net := Util.network(c.train)
	var trainer := Util.trainer(net, c.train)
	var other_trainer := Util.trainer(net, c.train)
	var gate := _pause_once(trainer)
	var first := Thread.new()
	var err := first.start(_run_fit.bind(net, trainer, c.train))
	if err != OK:
		return {"error": "Thread.start returned %s" % error_string(err)}
	(gate.paused as Semaphore).wait()
	var x := Util.rows(c.train.x)
	var t := Util.targets(c.train)
	var second := Thread.new()
	second.start(func() -> bool: return trainer.fit(x, t) == null)
	var second_refused: bool = second.wait_to_finish()
	var third := Thread.new()
	third.start(func() -> bool: return other_trainer.fit(x, t) == null)
	var third_refused: bool = third.wait_to_finish()
	(gate.resume as Semaphore).post()
	var threaded: Dictionary = first.wait_to_finish()
	# Both trainers work again once the first fit is over.
	var again := other_trainer.fit(x, t) != null
	return {"alone": alone, "threaded": threaded, "second_refused": second_refused, "third_refused": third_refused,
			"fit_after": again}


## Trains "train" and "train2" alone on the main thread, then both at once on two threads.
static func two_trainers(c: Dictionary) -> Dictionary:
	var alone := [_fit(c.train), _fit(c.train2)]
	var threads: Array[Thread] = [Thread.new(), Thread.new()]
	threads[0].start(_fit.bind(c.train))
	threads[1].start(_fit.bind(c.train2))
	var threaded := [threads[0].wait_to_finish(), threads[1].wait_to_finish()]
	return {"alone": alone, "threaded": threaded}


## Trains "train" in a WorkerThreadPool task. The pool's threads outlive the extension (they stop after it is
## unloaded), so this also checks that a backend left on such a thread is harmless at exit.
static func worker_pool_fit(c: Dictionary) -> Dictionary:
	var out := {}
	var task := WorkerThreadPool.add_task(func() -> void: out.merge(_fit(c.train)))
	WorkerThreadPool.wait_for_task_completion(task)
	return {"threaded": out, "alone": _fit(c.train)}
