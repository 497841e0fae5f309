## What creating a RenderingDevice costs the frames of a running game, with Godot alone (no LearnKit): the
## evidence behind the project setting learnkit/gpu/prepare_at_startup (gdextension/src/api/gpu_startup.hpp).
##   tools/godot -s res://bench/device_creation_stall.gd
## Prints "DEVICE_STALL <case> ..." lines (ms):
##   thread_N     a Thread calls RenderingServer.create_local_rendering_device() while frames run: created_ms
##                (the call), worst_frame and worst_draw (frame_pre_draw to frame_post_draw) of those frames
##   spin         the main thread spins (no frames) during a creation on a Thread: max_gap between two clock reads
##                (a large gap would mean the main thread's CPU is blocked)
##   main_thread  the same call on the main thread, in a frame
##   roundtrip    4-byte buffer update + read-back round trips on a device of the main thread, during a creation
##                on a Thread: the worst round trip before (base) and during it
## On an NVIDIA H200 (driver 580, 2026-11-29): created_ms 190-250 on a Thread, worst_draw 164-207 (one frame),
## spin max_gap 0.05-0.3, roundtrip during 175-183 against a base of 0.3-0.4: the creation holds back the GPU
## work of the process's other devices, not its CPU threads. On lavapipe: no such stall.
extends SceneTree

var _last := 0
var _frames: Array[float] = []
var _pre := 0
var _draws: Array[float] = []
var _created_ms := 0.0
var _created := false
var _release := Semaphore.new()


func _init() -> void:
	process_frame.connect(func() -> void:
		var now := Time.get_ticks_usec()
		if _last > 0:
			_frames.append((now - _last) / 1000.0)
		_last = now)
	RenderingServer.frame_pre_draw.connect(func() -> void: _pre = Time.get_ticks_usec())
	RenderingServer.frame_post_draw.connect(func() -> void: _draws.append((Time.get_ticks_usec() - _pre) / 1000.0))
	_run.call_deferred()


## On a Thread: creates a device, reports, then frees it on this same thread (devices are bound to their
## creating thread) once _release is posted.
func _create_and_hold() -> void:
	var start := Time.get_ticks_usec()
	var rd := RenderingServer.create_local_rendering_device()
	_created_ms = (Time.get_ticks_usec() - start) / 1000.0
	_created = true
	_release.wait()
	if rd:
		rd.free()


func _start_creation() -> Thread:
	_created = false
	var thread := Thread.new()
	thread.start(_create_and_hold)
	return thread


func _end_creation(thread: Thread) -> void:
	_release.post()
	thread.wait_to_finish()


func _run() -> void:
	for i in 30:
		await process_frame
	if RenderingServer.get_rendering_device() == null:
		push_error("device_creation_stall: no RenderingDevice (run without --headless, on Vulkan)")
		quit(1)
		return
	for label in ["thread_1", "thread_2"]:
		_frames.clear()
		_draws.clear()
		var thread := _start_creation()
		var after := 0
		while after < 5:
			await process_frame
			if _created:
				after += 1
		_end_creation(thread)
		print("DEVICE_STALL %s created_ms=%.1f worst_frame=%.1f worst_draw=%.1f" % [label, _created_ms,
				_frames.max(), _draws.max()])

	var spin_thread := _start_creation()
	var gap := 0.0
	var previous := Time.get_ticks_usec()
	while not _created:
		var now := Time.get_ticks_usec()
		gap = maxf(gap, (now - previous) / 1000.0)
		previous = now
	_end_creation(spin_thread)
	print("DEVICE_STALL spin created_ms=%.1f max_gap=%.2f" % [_created_ms, gap])

	_frames.clear()
	await process_frame
	var start := Time.get_ticks_usec()
	var rd := RenderingServer.create_local_rendering_device()
	var main_ms := (Time.get_ticks_usec() - start) / 1000.0
	for i in 3:
		await process_frame
	print("DEVICE_STALL main_thread created_ms=%.1f worst_frame=%.1f" % [main_ms, _frames.max()])

	var buffer := rd.storage_buffer_create(16)
	var bytes := PackedByteArray([1, 2, 3, 4])
	var base := 0.0
	for i in 50:
		base = maxf(base, _round_trip(rd, buffer, bytes))
	var rt_thread := _start_creation()
	var during := 0.0
	while not _created:
		during = maxf(during, _round_trip(rd, buffer, bytes))
	_end_creation(rt_thread)
	print("DEVICE_STALL roundtrip created_ms=%.1f base=%.2f during=%.2f" % [_created_ms, base, during])
	rd.free_rid(buffer)
	rd.free()
	quit(0)


func _round_trip(rd: RenderingDevice, buffer: RID, bytes: PackedByteArray) -> float:
	var start := Time.get_ticks_usec()
	rd.buffer_update(buffer, 0, bytes.size(), bytes)
	rd.buffer_get_data(buffer, 0, bytes.size())
	return (Time.get_ticks_usec() - start) / 1000.0
