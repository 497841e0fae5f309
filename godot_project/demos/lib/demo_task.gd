extends RefCounted
## A demo's learning task: its data, its network and its training settings, shared by the demo's scene, the
## headless report ([code]res://demos/report.gd[/code]) and the tests.
##
## A task subclass fills the data in [method _init] and overrides [method make_network]; the rest is common:
## [codeblock]
## var task := DigitsTask.new()
## var r := task.run_report("cpu")   # trains from scratch in one fit(), measures it
## print(r.accuracy, "% in ", r.time_ms, " ms")
## [/codeblock]

## Short name, as on the command line of the report ("digits").
var name := ""
## Accuracy (percent) the task must reach on its held-out rows.
var threshold := 0.0
## Full training length.
var epochs := 10
## Rows per optimizer step.
var batch_size := 32
## Learning rate at the start of the cosine schedule.
var lr_max := 1e-2
## Learning rate at its end.
var lr_min := 1e-4
## Seed of the weights and of the shuffling.
var seed := 1
## "cce" for a softmax classifier, "bce" for one sigmoid output.
var loss := "cce"
## Training rows (PackedFloat32Array each) and their one-hot or 0/1 targets.
var train_inputs: Array = []
var train_targets: Array = []
## Held-out rows and targets, never trained on.
var test_inputs: Array = []
var test_targets: Array = []
## Class names, one per output (for the prediction bars and the per-class report).
var class_names := PackedStringArray()


## A fresh, initialised network for this task.
func make_network() -> LKNetwork:
	push_error("DemoTask.make_network: %s does not override it" % name)
	return null


## A trainer for [param net] on [param device] ("cpu", "gpu" or "auto") with the task's settings and a cosine
## schedule over [param total_epochs].
func make_trainer(net: LKNetwork, device: String, total_epochs: int) -> LKTrainer:
	var trainer := LearnKit.trainer(net, {
		"loss": loss,
		"optimizer": "adam",
		"schedule": LearnKit.cosine_schedule(lr_max, total_epochs, lr_min),
		"epochs": total_epochs,
		"batch_size": batch_size,
		"seed": seed,
		"device": device,
	})
	return trainer


## Held-out accuracy of [param net] in percent.
func accuracy(net: LKNetwork) -> float:
	return LearnKit.evaluate.evaluate_model_soft_max(net, test_inputs, test_targets) * 100.0


## Loss and accuracy (0..1) on the held-out rows, cheap enough to plot after every epoch:
## {loss, accuracy}. The loss is the task's own (mean categorical or binary cross-entropy).
func held_out_metrics(net: LKNetwork) -> Dictionary:
	var outputs := net.predict(test_inputs)
	if outputs.size() != test_inputs.size() or outputs.is_empty():
		return {"loss": NAN, "accuracy": NAN}
	var total := 0.0
	var correct := 0
	for i in outputs.size():
		var y: PackedFloat32Array = outputs[i]
		var t: PackedFloat32Array = test_targets[i]
		if y.size() == 1:
			var p := clampf(y[0], 1e-7, 1.0 - 1e-7)
			total -= t[0] * log(p) + (1.0 - t[0]) * log(1.0 - p)
			if (y[0] > 0.5) == (t[0] > 0.5):
				correct += 1
		else:
			for k in y.size():
				if t[k] > 0.0:
					total -= t[k] * log(maxf(y[k], 1e-7))
			if argmax(y) == argmax(t):
				correct += 1
	return {"loss": total / outputs.size(), "accuracy": float(correct) / outputs.size()}


## Index of the largest value of [param row].
static func argmax(row: PackedFloat32Array) -> int:
	var best := 0
	for i in range(1, row.size()):
		if row[i] > row[best]:
			best = i
	return best


## Trains a fresh network on [param device] for [param epoch_count] epochs (the task's own when 0) in one fit()
## and measures it: {accuracy, threshold, passed, time_ms, epochs, final_loss, backend, device_name, network}.
func run_report(device: String, epoch_count: int = 0) -> Dictionary:
	var n := epoch_count if epoch_count > 0 else epochs
	var net := make_network()
	var trainer := make_trainer(net, device, n)
	var history := trainer.fit(train_inputs, train_targets)
	if history == null:
		return {"error": "%s: fit() failed on %s" % [name, device]}
	var acc := accuracy(net)
	return {
		"task": name, "accuracy": acc, "threshold": threshold, "passed": acc >= threshold,
		"time_ms": history.elapsed_ms, "epochs": history.epochs, "final_loss": history.loss[-1],
		"backend": history.backend, "device_name": history.device_name, "network": net,
		"train_rows": train_inputs.size(), "test_rows": test_inputs.size(),
	}
