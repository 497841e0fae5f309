extends RefCounted
## Threading cases: training on a GDScript [Thread] while the main thread predicts, and two trainers on two
## threads at once. Each case first runs the same work alone on the main thread, so that pytest can compare
## the numbers (same parameters in, same loss and parameters out).
##
## A case holds "train" (a training case for [code]Util.network[/code]/[code]Util.trainer[/code] plus
## "x"/"targets"), and "predict" (a network case plus "x") or "train2" (a second training case).

const Util := preload("res://tests/cases/util.gd")


## Fits the training case on a new network; returns {"loss": [...], "params": [...]} or {"error": ...}.
static func _fit(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	if net == null:
		return {"error": "could not build the network"}
	var history := Util.trainer(net, c).fit(Util.rows(c.x), Util.targets(c))
	if history == null:
		return {"error": "fit returned null"}
	return {"loss": Array(history.loss), "params": Util.encode_params(net.get_parameters(), net),
			"backend": history.backend}


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


## Trains "train" and "train2" alone on the main thread, then both at once on two threads.
static func two_trainers(c: Dictionary) -> Dictionary:
	var alone := [_fit(c.train), _fit(c.train2)]
	var threads: Array[Thread] = [Thread.new(), Thread.new()]
	threads[0].start(_fit.bind(c.train))
	threads[1].start(_fit.bind(c.train2))
	var threaded := [threads[0].wait_to_finish(), threads[1].wait_to_finish()]
	return {"alone": alone, "threaded": threaded}


## Trains "train" in a WorkerThreadPool task. The pool's threads outlive the extension (they stop after it is
## unloaded), so this also checks that a GPU backend left on such a thread is harmless at exit.
static func worker_pool_fit(c: Dictionary) -> Dictionary:
	var out := {}
	var task := WorkerThreadPool.add_task(func() -> void: out.merge(_fit(c.train)))
	WorkerThreadPool.wait_for_task_completion(task)
	return {"threaded": out, "alone": _fit(c.train)}
