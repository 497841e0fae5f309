@tool
class_name LKTrainingPlot
extends Control
## Live training curves: losses on the left axis, metrics (accuracy, 0..1) on the right one, with ticks,
## labels, a legend, an optional log scale for the losses and optional smoothing.
##
## Feed it a trainer's [signal LKTrainer.epoch_completed] with one call, and any other value by name:
## [codeblock]
## var plot := LKTrainingPlot.new()
## plot.connect_trainer(trainer)                        # "train loss", one point per epoch
## plot.add_point("validation accuracy", 0.95, true)   # a metric, on the right axis
## [/codeblock]
## Each series' x is its own point count (epochs received), so training in slices of one epoch per frame plots
## one continuous curve. Adding a point only stores it and queues a redraw: the plot never blocks training.
## Long series are drawn decimated to about one point per pixel.

## Colours of successive series.
const PALETTE: Array[Color] = [Color("4da3ff"), Color("ff9f43"), Color("2ed573"), Color("ff6b81"),
		Color("a29bfe"), Color("ffd32a")]

## Title drawn at the top left.
@export var title := "Training":
	set(value):
		title = value
		queue_redraw()
## Losses on a log10 axis.
@export var log_scale := false:
	set(value):
		log_scale = value
		queue_redraw()
## Exponential moving average weight (TensorBoard's smoothing): 0 draws the raw values; above 0 the smoothed
## curve is drawn over a faint raw one.
@export_range(0.0, 0.99, 0.01) var smoothing := 0.0:
	set(value):
		smoothing = clampf(value, 0.0, 0.99)
		queue_redraw()
## Background and grid colours.
@export var background := Color(0.08, 0.09, 0.11)
@export var grid_color := Color(1, 1, 1, 0.08)
@export var text_color := Color(0.85, 0.87, 0.9)

var _series: Dictionary = {}  # name -> {values: PackedFloat32Array, metric: bool, color: Color}
var _order: PackedStringArray = []


func _init() -> void:
	custom_minimum_size = Vector2(240, 140)
	clip_contents = true


func _notification(what: int) -> void:
	if what == NOTIFICATION_RESIZED:
		queue_redraw()


## Plots [param trainer]'s [signal LKTrainer.epoch_completed] losses as [param series] (disconnects nothing
## else; call [method disconnect_trainer] to stop).
func connect_trainer(trainer: Object, series: String = "train loss") -> void:
	if trainer == null or not trainer.has_signal("epoch_completed"):
		push_error("LKTrainingPlot.connect_trainer: expected an LKTrainer, got %s" % [trainer])
		return
	var callback := _on_epoch.bind(series)
	if not trainer.is_connected("epoch_completed", callback):
		trainer.connect("epoch_completed", callback)


## Stops plotting [param trainer]'s losses as [param series].
func disconnect_trainer(trainer: Object, series: String = "train loss") -> void:
	var callback := _on_epoch.bind(series)
	if trainer != null and trainer.is_connected("epoch_completed", callback):
		trainer.disconnect("epoch_completed", callback)


## Appends [param value] to [param series], created on first use; [param metric] puts a new series on the
## right axis (0..1, shown in percent) instead of the loss axis. Non-finite values are skipped.
func add_point(series: String, value: float, metric: bool = false) -> void:
	if not is_finite(value):
		return
	if not _series.has(series):
		_series[series] = {"values": PackedFloat32Array(), "metric": metric,
				"color": PALETTE[_order.size() % PALETTE.size()]}
		_order.append(series)
	# NOTE: packed arrays are values: append to the copy, then store it back.
	var values: PackedFloat32Array = _series[series].values
	values.append(value)
	_series[series].values = values
	queue_redraw()


## The values of [param series] (empty when unknown).
func get_values(series: String) -> PackedFloat32Array:
	return _series[series].values if _series.has(series) else PackedFloat32Array()


## Names of the series, in the order they appeared.
func get_series_names() -> PackedStringArray:
	return _order.duplicate()


## Removes every series.
func clear() -> void:
	_series.clear()
	_order.clear()
	queue_redraw()


func _on_epoch(_epoch: int, loss: float, series: String) -> void:
	# NOTE: the signal may come from a thread running fit(): defer to the main thread, where drawing happens.
	if OS.get_thread_caller_id() == OS.get_main_thread_id():
		add_point(series, loss)
	else:
		add_point.call_deferred(series, loss)


func _draw() -> void:
	var font := get_theme_default_font()
	var font_size := clampi(int(size.y / 16.0), 9, 14)
	var line_h := font.get_height(font_size)
	draw_rect(Rect2(Vector2.ZERO, size), background)
	draw_string(font, Vector2(6, line_h), title, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size, text_color)
	var has_metric := false
	var count := 0
	var lo := INF
	var hi := -INF
	for name in _order:
		var s: Dictionary = _series[name]
		var values: PackedFloat32Array = s.values
		count = maxi(count, values.size())
		if s.metric:
			has_metric = true
			continue
		for v in values:
			var t := _loss_axis_value(v)
			if is_finite(t):
				lo = minf(lo, t)
				hi = maxf(hi, t)
	if lo > hi:
		lo = _loss_axis_value(0.01) if log_scale else 0.0
		hi = _loss_axis_value(1.0)
	if not log_scale:
		lo = minf(lo, 0.0)
	if hi - lo < 1e-6:
		hi = lo + 1.0
	var left := font.get_string_size("0.0000", HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x + 10.0
	var right := font.get_string_size("100%", HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x + 10.0 if has_metric else 10.0
	var area := Rect2(left, line_h * 1.6, size.x - left - right, size.y - line_h * 3.4)
	if area.size.x < 20 or area.size.y < 20:
		return
	var x_max := maxi(count - 1, 1)
	# Grid, ticks and labels: 5 rows on the loss axis, up to 6 columns of epochs.
	for i in 5:
		var f := i / 4.0
		var y := area.end.y - f * area.size.y
		draw_line(Vector2(area.position.x, y), Vector2(area.end.x, y), grid_color)
		var t := lerpf(lo, hi, f)
		var label := _format_loss(pow(10.0, t) if log_scale else t)
		draw_string(font, Vector2(2, y + font_size * 0.35), label, HORIZONTAL_ALIGNMENT_RIGHT, left - 6, font_size,
				text_color)
		if has_metric:
			draw_string(font, Vector2(area.end.x + 4, y + font_size * 0.35), "%d%%" % int(f * 100), 
					HORIZONTAL_ALIGNMENT_LEFT, -1, font_size, text_color)
	var x_step := _nice_step(x_max / 5.0)
	var e := 0.0
	while e <= x_max + 1e-6:
		var x := area.position.x + e / x_max * area.size.x
		draw_line(Vector2(x, area.position.y), Vector2(x, area.end.y), grid_color)
		draw_line(Vector2(x, area.end.y), Vector2(x, area.end.y + 4), text_color)
		draw_string(font, Vector2(x - 20, area.end.y + line_h), str(int(e) + 1), HORIZONTAL_ALIGNMENT_CENTER, 40,
				font_size, text_color)
		e += x_step
	draw_rect(area, text_color * Color(1, 1, 1, 0.5), false)
	draw_string(font, Vector2(area.end.x - 60, size.y - 3), "epoch", HORIZONTAL_ALIGNMENT_RIGHT, 60, font_size,
			text_color)
	draw_string(font, Vector2(area.position.x, size.y - 3), "loss (log)" if log_scale else "loss",
			HORIZONTAL_ALIGNMENT_LEFT, -1, font_size, text_color)
	# Curves.
	for name in _order:
		var s: Dictionary = _series[name]
		var raw: PackedFloat32Array = s.values
		if s.metric:
			_draw_curve(area, raw, x_max, 0.0, 1.0, s.color, false)
		else:
			_draw_curve(area, raw, x_max, lo, hi, s.color, true)
	# Legend, top right, with each series' last value.
	var lx := area.end.x - 8
	var ly := area.position.y + line_h * 0.9
	for name in _order:
		var s: Dictionary = _series[name]
		var values: PackedFloat32Array = s.values
		var last := ""
		if not values.is_empty():
			last = "%.1f%%" % (values[-1] * 100.0) if s.metric else _format_loss(values[-1])
		var text := "%s  %s" % [name, last]
		var w := font.get_string_size(text, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x
		draw_rect(Rect2(lx - w - 20, ly - font_size * 0.45, 12, 3), s.color)
		draw_string(font, Vector2(lx - w, ly + font_size * 0.35), text, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size,
				text_color)
		ly += line_h


func _draw_curve(area: Rect2, raw: PackedFloat32Array, x_max: int, lo: float, hi: float, color: Color,
		loss_axis: bool) -> void:
	if raw.is_empty():
		return
	var curves: Array[PackedFloat32Array] = [raw]
	if smoothing > 0.0:
		var smooth := PackedFloat32Array()
		smooth.resize(raw.size())
		var avg := raw[0]
		for i in raw.size():
			avg = avg * smoothing + raw[i] * (1.0 - smoothing)
			smooth[i] = avg
		curves.append(smooth)
	# Decimate to about one point per pixel so that long runs stay cheap to draw.
	var stride := maxi(1, ceili(raw.size() / maxf(area.size.x, 1.0)))
	for c in curves.size():
		var values := curves[c]
		var faint := curves.size() > 1 and c == 0
		var points := PackedVector2Array()
		var indices := range(0, values.size(), stride)
		if indices[-1] != values.size() - 1:
			indices.append(values.size() - 1)  # Always end at the latest value.
		for i: int in indices:
			var v := _loss_axis_value(values[i]) if loss_axis else values[i]
			if is_finite(v):
				var fy := clampf((v - lo) / (hi - lo), 0.0, 1.0)
				points.append(Vector2(area.position.x + float(i) / x_max * area.size.x, area.end.y - fy * area.size.y))
		var col := Color(color, 0.3) if faint else color
		if points.size() == 1:
			draw_circle(points[0], 2.5, col)
		elif points.size() > 1:
			draw_polyline(points, col, 1.0 if faint else 2.0, true)


func _loss_axis_value(v: float) -> float:
	if not log_scale:
		return v
	return log(maxf(v, 1e-12)) / log(10.0)


static func _format_loss(v: float) -> String:
	var a := absf(v)
	if a == 0.0:
		return "0"
	if a >= 100.0:
		return "%.0f" % v
	if a >= 1.0:
		return "%.2f" % v
	if a >= 0.001:
		return "%.4f" % v
	return "%.1e" % v


static func _nice_step(raw: float) -> float:
	var magnitude := pow(10.0, floorf(log(maxf(raw, 1.0)) / log(10.0)))
	for m: float in [1.0, 2.0, 5.0, 10.0]:
		if m * magnitude >= raw:
			return maxf(1.0, m * magnitude)
	return maxf(1.0, 10.0 * magnitude)
