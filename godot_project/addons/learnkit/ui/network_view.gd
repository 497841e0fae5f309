@tool
class_name LKNetworkView
extends Control
## A network drawn as columns of neurons, one column per dense layer's input and one for the output, with
## every connection coloured by its weight's sign (red negative, green positive) and as wide as its magnitude.
##
## [b]Live mode[/b]: [method show_input] runs [method LKNetwork.forward_trace] on one input row and shades each
## neuron by its activation (warm positive, cool negative) and each connection by what it carries (weight times
## the activation it reads).
## [b]Wide layers[/b] (more than [member max_neurons]) are summarised: their neurons are drawn as groups of
## consecutive neurons, a group's activation is its neurons' mean and a connection between groups is the mean
## of the weights between them, so a 784-wide layer costs tens of lines, not thousands.
## [codeblock]
## var view := LKNetworkView.new()
## view.network = net        # reads get_ops() and get_parameters()
## view.show_input(row)      # live mode for one input row (PackedFloat32Array)
## view.refresh()            # re-read the weights, e.g. after a slice of training
## [/codeblock]
## Other ops (dropout, normalisation, activations) are named under the column they feed.

## Colours of negative and positive weights (and activations: see [member activation_positive]).
@export var negative_color := Color(0.95, 0.3, 0.3)
@export var positive_color := Color(0.3, 0.9, 0.4)
## Neuron fill for positive and negative activations in live mode.
@export var activation_positive := Color(1.0, 0.85, 0.3)
@export var activation_negative := Color(0.35, 0.6, 1.0)
@export var background := Color(0.08, 0.09, 0.11)
@export var text_color := Color(0.85, 0.87, 0.9)
## Layers wider than this are drawn as groups of neurons.
@export_range(2, 256) var max_neurons := 32:
	set(value):
		max_neurons = maxi(2, value)
		_rebuild()
## How many groups a summarised layer is drawn as (at most).
@export_range(2, 64) var summary_groups := 16:
	set(value):
		summary_groups = maxi(2, value)
		_rebuild()
## Thickest connection in pixels.
@export var max_line_width := 3.0
## Names drawn next to the output neurons (e.g. class names); empty for none.
@export var output_names := PackedStringArray():
	set(value):
		output_names = value
		queue_redraw()
## The network to draw; setting it reads its structure and weights.
@export var network: LKNetwork:
	set(value):
		network = value
		_trace = []
		_rebuild()

# One Dictionary per column: {width, tensor, caption, note, groups: Array of [start, end)}
var _columns: Array[Dictionary] = []
# One PackedFloat32Array per gap between columns: the group-mean weights, groups_out x groups_in row-major.
var _links: Array[PackedFloat32Array] = []
var _trace: Array = []  # forward_trace() of the live input, or empty


func _init() -> void:
	custom_minimum_size = Vector2(200, 140)
	clip_contents = true


func _notification(what: int) -> void:
	if what == NOTIFICATION_RESIZED:
		queue_redraw()


## Re-reads the network's weights (and the live input's activations), e.g. after training.
func refresh() -> void:
	if network != null and not _trace.is_empty():
		_trace = network.forward_trace(_trace[0].values)
	_rebuild()


## Live mode: shades neurons and connections by the activations for [param input] (one row).
func show_input(input: PackedFloat32Array) -> void:
	if network == null:
		return
	_trace = network.forward_trace(input)
	queue_redraw()


## Leaves live mode: weights only.
func clear_input() -> void:
	_trace = []
	queue_redraw()


## How many connection lines the current layout draws (for tests: bounded however wide the layers are).
func get_line_count() -> int:
	var n := 0
	for link in _links:
		n += link.size()
	return n


## The columns as data: {width, groups, caption, note} each, input first.
func get_columns() -> Array[Dictionary]:
	var out: Array[Dictionary] = []
	for c in _columns:
		out.append({"width": c.width, "groups": (c.groups as Array).size(), "caption": c.caption, "note": c.note})
	return out


func _rebuild() -> void:
	_columns.clear()
	_links.clear()
	queue_redraw()
	if network == null:
		return
	var ops := network.get_ops()
	var params := network.get_parameters()
	var dense: Array[Dictionary] = []
	var weights: Array[PackedFloat32Array] = []
	var p := 0
	for op: Dictionary in ops:
		var has_params := not (op.parameters as Array).is_empty()
		if op.type == "dense":
			dense.append(op)
			weights.append(params[p].weight if has_params and p < params.size() else PackedFloat32Array())
		if has_params:
			p += 1
	if dense.is_empty():
		return
	# Columns: each dense op's input tensor, then the network's output.
	for k in dense.size():
		var d := dense[k]
		var width := int(d.settings.get("inputs", 0))
		var tensor: int = d.inputs[0]
		_columns.append(_column(width, tensor, "input %d" % width if k == 0 else ""))
	var last: Dictionary = ops[-1]
	_columns.append(_column(int(last.shape[-1]), int(last.output), ""))
	# Captions: what produced each column after the input (the dense op, its activation, dropout...).
	var column := 0
	for op: Dictionary in ops:
		if op.type == "dense":
			column += 1
			_columns[column].caption = "%d" % int(op.settings.units)
		elif column > 0:
			var what: String = op.settings.activation if op.type == "activation" else op.type
			_columns[column].note += (" " if _columns[column].note != "" else "") + what
	for c in _columns:
		if (c.groups as Array).size() < c.width:
			c.note += (" " if c.note != "" else "") + "(%d groups)" % (c.groups as Array).size()
	# Links: group means of each dense weight matrix (out x in).
	for k in dense.size():
		var w := weights[k]
		var gin: Array = _columns[k].groups
		var gout: Array = _columns[k + 1].groups
		var n_in: int = _columns[k].width
		var link := PackedFloat32Array()
		link.resize(gout.size() * gin.size())
		if w.size() == n_in * int(dense[k].settings.units):
			for b in gout.size():
				for a in gin.size():
					var sum := 0.0
					for j in range(gout[b][0], gout[b][1]):
						for i in range(gin[a][0], gin[a][1]):
							sum += w[j * n_in + i]
					link[b * gin.size() + a] = sum / ((gout[b][1] - gout[b][0]) * (gin[a][1] - gin[a][0]))
		_links.append(link)


func _column(width: int, tensor: int, caption: String) -> Dictionary:
	var groups: Array = []
	var per := 1 if width <= max_neurons else ceili(width / float(summary_groups))
	var start := 0
	while start < width:
		groups.append([start, mini(width, start + per)])
		start += per
	return {"width": width, "tensor": tensor, "caption": caption if caption != "" else str(width), "note": "",
			"groups": groups}


## Mean activation of each group of a column in live mode, and the column's largest magnitude.
func _column_activations(c: Dictionary) -> PackedFloat32Array:
	var out := PackedFloat32Array()
	if _trace.is_empty() or c.tensor >= _trace.size():
		return out
	var values: PackedFloat32Array = _trace[c.tensor].values
	for g: Array in c.groups:
		var sum := 0.0
		for i in range(g[0], g[1]):
			sum += values[i] if i < values.size() else 0.0
		out.append(sum / (g[1] - g[0]))
	return out


func _draw() -> void:
	draw_rect(Rect2(Vector2.ZERO, size), background)
	if _columns.is_empty():
		return
	var font := get_theme_default_font()
	var font_size := clampi(int(size.y / 22.0), 8, 13)
	var line_h := font.get_height(font_size)
	var label_w := 0.0
	for n in output_names:
		label_w = maxf(label_w, font.get_string_size(n, HORIZONTAL_ALIGNMENT_LEFT, -1, font_size).x + 8.0)
	var top := 8.0
	var bottom := size.y - line_h * 2.4
	var left := 16.0
	var right := size.x - 16.0 - label_w
	var n_cols := _columns.size()
	var xs := PackedFloat32Array()
	var positions: Array[PackedVector2Array] = []
	var most := 1
	for c in _columns:
		most = maxi(most, (c.groups as Array).size())
	var radius := clampf(minf((bottom - top) / most * 0.38, (right - left) / n_cols * 0.12), 1.5, 10.0)
	for k in n_cols:
		var x := lerpf(left + radius, right - radius, float(k) / maxi(1, n_cols - 1))
		xs.append(x)
		var count: int = (_columns[k].groups as Array).size()
		var pts := PackedVector2Array()
		var spacing := minf((bottom - top) / maxf(count, 1), radius * 4.0)
		var y0 := (top + bottom) * 0.5 - spacing * (count - 1) * 0.5
		for i in count:
			pts.append(Vector2(x, y0 + i * spacing))
		positions.append(pts)
	var acts: Array[PackedFloat32Array] = []
	for c in _columns:
		acts.append(_column_activations(c))
	# Connections: by weight, or in live mode by what they carry (weight x input activation).
	for k in _links.size():
		var link := _links[k]
		var a_in := acts[k]
		var strengths := PackedFloat32Array()
		strengths.resize(link.size())
		var n_in := positions[k].size()
		var biggest := 1e-12
		for idx in link.size():
			var s := link[idx] * (a_in[idx % n_in] if a_in.size() == n_in else 1.0)
			strengths[idx] = s
			biggest = maxf(biggest, absf(s))
		for idx in link.size():
			var f := absf(strengths[idx]) / biggest
			if f < 0.02:
				continue
			var col := positive_color if strengths[idx] > 0.0 else negative_color
			col.a = 0.15 + 0.75 * f
			draw_line(positions[k][idx % n_in], positions[k + 1][idx / n_in], col, maxf(0.5, f * max_line_width), true)
	# Neurons.
	for k in n_cols:
		var a := acts[k]
		var biggest := 1e-12
		for v in a:
			biggest = maxf(biggest, absf(v))
		var grouped: bool = (_columns[k].groups as Array).size() < _columns[k].width
		for i in positions[k].size():
			var fill := Color(0.22, 0.24, 0.28)
			if a.size() == positions[k].size():
				var f := a[i] / biggest
				fill = fill.lerp(activation_positive if f > 0.0 else activation_negative, absf(f))
			var p := positions[k][i]
			if grouped:
				var r := Rect2(p - Vector2(radius, radius * 0.8), Vector2(radius * 2.0, radius * 1.6))
				draw_rect(r, fill)
				draw_rect(r, text_color * Color(1, 1, 1, 0.6), false)
			else:
				draw_circle(p, radius, fill)
				draw_arc(p, radius, 0.0, TAU, 16, text_color * Color(1, 1, 1, 0.6), 1.0, true)
			if k == n_cols - 1 and i < output_names.size() and not grouped:
				draw_string(font, p + Vector2(radius + 4, font_size * 0.35), output_names[i],
						HORIZONTAL_ALIGNMENT_LEFT, -1, font_size, text_color)
		var caption: String = _columns[k].caption
		# Captions centred under the column, kept inside the view.
		var box_w := clampf((right - left) / maxf(n_cols - 1, 1) * 0.95, 60.0, 160.0)
		var box_x := clampf(xs[k] - box_w * 0.5, 2.0, size.x - box_w - 2.0)
		draw_string(font, Vector2(box_x, bottom + line_h), caption, HORIZONTAL_ALIGNMENT_CENTER, box_w, font_size,
				text_color)
		draw_string(font, Vector2(box_x, bottom + line_h * 2.0), _columns[k].note, HORIZONTAL_ALIGNMENT_CENTER,
				box_w, maxi(8, font_size - 2), text_color * Color(1, 1, 1, 0.7))
