extends RefCounted
## Trains a task's network one epoch per call, so that a scene can train a slice per frame and stay
## responsive (fit() is synchronous). Each slice is a fit() of one epoch whose learning rate follows the
## task's cosine schedule over the whole run and whose shuffle seed changes per epoch, so slices train like one
## long fit().

const DemoTask := preload("res://demos/lib/demo_task.gd")

## The task being trained.
var task: DemoTask
## Its network (a fresh one per SlicedTraining).
var network: LKNetwork
## The trainer; connect its epoch_completed signal to follow the loss.
var trainer: LKTrainer
## Epochs done so far, and in all.
var epoch := 0
var total_epochs := 0
## Milliseconds spent inside fit() so far.
var train_ms := 0.0

var _schedule: LKSchedule


func _init(demo_task: DemoTask, device: String, epochs: int = 0) -> void:
	task = demo_task
	total_epochs = epochs if epochs > 0 else task.epochs
	network = task.make_network()
	network.device = device
	trainer = task.make_trainer(network, device, 1)
	trainer.schedule = null
	_schedule = LearnKit.cosine_schedule(task.lr_max, total_epochs, task.lr_min)


## Runs the next epoch; false when training is over or the fit failed.
func step_epoch() -> bool:
	if is_done():
		return false
	trainer.learning_rate = _schedule.learning_rate_at(epoch)
	trainer.seed = task.seed + epoch
	var history := trainer.fit(task.train_inputs, task.train_targets)
	if history == null:
		return false
	train_ms += history.elapsed_ms
	epoch += 1
	return true


## Runs epochs until [param budget_ms] milliseconds have passed (at least one); how many ran.
func step_for(budget_ms: float) -> int:
	var started := Time.get_ticks_usec()
	var ran := 0
	while not is_done() and (ran == 0 or (Time.get_ticks_usec() - started) / 1000.0 < budget_ms):
		if not step_epoch():
			break
		ran += 1
	return ran


func is_done() -> bool:
	return epoch >= total_epochs
