extends SceneTree
## Probe of Godot's thread rules for local RenderingDevices (not a test; run by hand, read the output):
## [codeblock]
## tools/godot -s res://probe/rd_thread_rules.gd -- all|two_threads|free_elsewhere|thread_exits_no_free
## [/codeblock]
## all: A) a device created on a Thread works there; B) a device created on the main thread works there, but a
## Thread gets "can only be called from the render thread" for compute lists, submit, sync, buffer_get_data and
## free_rid (storage_buffer_create is not guarded). two_threads: two Threads, each with its own device, at once.
## free_elsewhere: freeing a Thread's device on the main thread fails finalize's guard (the device leaks).
## thread_exits_no_free: a device whose thread ended cannot be used by another thread.
## Findings are written up in gdextension/src/gpu/rd_device.hpp.

const SRC := "#version 450\nlayout(local_size_x = 64) in;\nlayout(set = 0, binding = 0, std430) buffer B { float v[]; };\nvoid main() { uint i = gl_GlobalInvocationID.x; if (i < 256u) v[i] = v[i] * 2.0 + 1.0; }\n"

var main_rd: RenderingDevice


func compute_once(rd: RenderingDevice, tag: String) -> String:
	var src := RDShaderSource.new()
	src.source_compute = SRC
	var spirv := rd.shader_compile_spirv_from_source(src)
	if spirv == null or spirv.compile_error_compute != "":
		return tag + ": compile failed"
	var shader := rd.shader_create_from_spirv(spirv)
	var data := PackedFloat32Array()
	data.resize(256)
	for i in 256:
		data[i] = i
	var buf := rd.storage_buffer_create(1024, data.to_byte_array())
	var u := RDUniform.new()
	u.uniform_type = RenderingDevice.UNIFORM_TYPE_STORAGE_BUFFER
	u.binding = 0
	u.add_id(buf)
	var us := rd.uniform_set_create([u], shader, 0)
	var pipe := rd.compute_pipeline_create(shader)
	for _round in 50:
		var l := rd.compute_list_begin()
		rd.compute_list_bind_compute_pipeline(l, pipe)
		rd.compute_list_bind_uniform_set(l, us, 0)
		rd.compute_list_dispatch(l, 4, 1, 1)
		rd.compute_list_end()
		rd.submit()
		rd.sync()
	var got := rd.buffer_get_data(buf).to_float32_array()
	# x -> 2x+1 fifty times: x*2^50 + (2^50-1); check element 0 and 3
	var out := "%s: v0=%s v3=%s" % [tag, got[0] if got.size() > 0 else -1.0, got[3] if got.size() > 3 else -1.0]
	rd.free_rid(buf)
	rd.free_rid(shader)
	return out


func _initialize() -> void:
	var which := OS.get_cmdline_user_args()
	print("PROBE main thread id=", OS.get_thread_caller_id())
	var experiment := which[0] if which.size() > 0 else "all"
	if experiment == "create_on_thread" or experiment == "all":
		var t := Thread.new()
		t.start(func() -> String:
			var rd := RenderingServer.create_local_rendering_device()
			if rd == null:
				return "null rd on thread"
			var r := compute_once(rd, "thread-created,thread-used")
			rd.free()
			return r)
		print("PROBE A ", t.wait_to_finish())
	if experiment == "cross_use" or experiment == "all":
		var rd := RenderingServer.create_local_rendering_device()
		print("PROBE B1 ", compute_once(rd, "main-created,main-used"))
		var t := Thread.new()
		t.start(func() -> String:
			print("PROBE B2 thread storage_buffer_create -> ", rd.storage_buffer_create(16))
			return compute_once(rd, "main-created,thread-used"))
		print("PROBE B2 ", t.wait_to_finish())
		rd.free()
	if experiment == "two_threads":
		var ts: Array[Thread] = []
		for k in 2:
			var t := Thread.new()
			t.start(func() -> String:
				var rd := RenderingServer.create_local_rendering_device()
				var r := ""
				for rep in 5:
					r = compute_once(rd, "concurrent %d" % k)
				rd.free()
				return r)
			ts.append(t)
		for t in ts:
			print("PROBE C ", t.wait_to_finish())
	if experiment == "free_elsewhere":
		var holder := []
		var t := Thread.new()
		t.start(func() -> String:
			var rd := RenderingServer.create_local_rendering_device()
			holder.append(rd)
			return compute_once(rd, "thread-created"))
		print("PROBE D1 ", t.wait_to_finish())
		print("PROBE D2 freeing a thread-created RD on the main thread")
		(holder[0] as RenderingDevice).free()
		print("PROBE D3 freed")
	if experiment == "thread_exits_no_free":
		var holder := []
		var t := Thread.new()
		t.start(func() -> String:
			var rd := RenderingServer.create_local_rendering_device()
			holder.append(rd)
			return compute_once(rd, "thread-created"))
		print("PROBE E1 ", t.wait_to_finish())
		var t2 := Thread.new()
		t2.start(func() -> String:
			return compute_once(holder[0], "reuse on a second thread"))
		print("PROBE E2 ", t2.wait_to_finish())
	print("PROBE done")
	quit(0)
