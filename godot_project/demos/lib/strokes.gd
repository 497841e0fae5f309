extends RefCounted
## Turning pen strokes into a network's input: strokes are polylines in canvas coordinates normalised to
## [0, 1] x [0, 1] (x right, y down), as [code]draw_canvas.gd[/code] records them and the doodle generator makes
## them.


## A [param side] x [param side] bitmap (row-major, 0 or 1) of [param strokes]: every pixel whose centre lies
## within [param radius] pixels of a stroke is on. A stroke of one point is a dot.
static func rasterize(strokes: Array, side: int, radius: float) -> PackedFloat32Array:
	var bitmap := PackedFloat32Array()
	bitmap.resize(side * side)
	var step := maxf(0.25, radius * 0.5)  # Sample spacing along a segment, in pixels: no gaps between stamps.
	for stroke: PackedVector2Array in strokes:
		if stroke.is_empty():
			continue
		var previous := stroke[0] * side
		_stamp(bitmap, side, previous, radius)
		for i in range(1, stroke.size()):
			var point := stroke[i] * side
			var samples := ceili(previous.distance_to(point) / step)
			for s in range(1, samples + 1):
				_stamp(bitmap, side, previous.lerp(point, float(s) / samples), radius)
			previous = point
	return bitmap


## The [param side] / [param block] square image of [param bitmap] whose pixels count the "on" pixels of each
## [param block] x [param block] block, divided by block * block (so 0..1): how the UCI digits were made from
## 32 x 32 bitmaps (4 x 4 blocks, counts 0..16).
static func block_counts(bitmap: PackedFloat32Array, side: int, block: int) -> PackedFloat32Array:
	var out_side := side / block
	var out := PackedFloat32Array()
	out.resize(out_side * out_side)
	for y in side:
		for x in side:
			if bitmap[y * side + x] > 0.5:
				out[(y / block) * out_side + x / block] += 1.0
	for i in out.size():
		out[i] /= block * block
	return out


## [param strokes] moved and scaled (aspect kept) so that their bounding box is centred in [0, 1]^2 and its
## longer side is [param extent] long. A single dot stays a dot in the centre.
static func fit_to_box(strokes: Array, extent: float) -> Array[PackedVector2Array]:
	var lo := Vector2(INF, INF)
	var hi := Vector2(-INF, -INF)
	for stroke: PackedVector2Array in strokes:
		for p in stroke:
			lo = lo.min(p)
			hi = hi.max(p)
	var out: Array[PackedVector2Array] = []
	if lo.x > hi.x:
		return out
	var longest := maxf(hi.x - lo.x, hi.y - lo.y)
	var scale := extent / longest if longest > 1e-6 else 1.0
	var centre := (lo + hi) * 0.5
	for stroke: PackedVector2Array in strokes:
		var moved := PackedVector2Array()
		for p in stroke:
			moved.append((p - centre) * scale + Vector2(0.5, 0.5))
		out.append(moved)
	return out


## An Image (L8, [param side] x [param side]) of values in 0..1, for showing a network's input.
static func to_image(values: PackedFloat32Array, side: int) -> Image:
	var bytes := PackedByteArray()
	bytes.resize(side * side)
	for i in side * side:
		bytes[i] = int(clampf(values[i], 0.0, 1.0) * 255.0)
	return Image.create_from_data(side, side, false, Image.FORMAT_L8, bytes)


static func _stamp(bitmap: PackedFloat32Array, side: int, centre: Vector2, radius: float) -> void:
	var r2 := radius * radius
	for y in range(maxi(0, floori(centre.y - radius)), mini(side, ceili(centre.y + radius) + 1)):
		for x in range(maxi(0, floori(centre.x - radius)), mini(side, ceili(centre.x + radius) + 1)):
			if Vector2(x + 0.5, y + 0.5).distance_squared_to(centre) <= r2 + 1e-4:
				bitmap[y * side + x] = 1.0
