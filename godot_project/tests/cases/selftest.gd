extends RefCounted
## Cases that test the runner itself; they do not need the LearnKit extension.


## Returns the case's "value" unchanged.
static func echo(c: Dictionary) -> Dictionary:
	return {"value": c.get("value")}


## Raises a Godot error (push_error) with the case's "message" and still succeeds.
static func push_error_case(c: Dictionary) -> Dictionary:
	push_error(str(c.get("message", "")))
	return {"pushed": true}


## Stops on a script error (a method called on null): the runner must report it and go on.
static func script_error(_c: Dictionary) -> Dictionary:
	var nothing: Object = null
	nothing.call("missing")
	return {"reached": true}


## Reports a failure through the "error" key.
static func reported_failure(c: Dictionary) -> Dictionary:
	return {"error": str(c.get("message", "failed"))}


## Crashes Godot (for the caller's crash recovery), only when the case says "really": true.
static func crash(c: Dictionary) -> Dictionary:
	if c.get("really", false):
		OS.crash("selftest.crash asked for a crash")
	return {}


## Reports whether a RenderingDevice exists in this launch (false under --headless).
static func rendering_device(_c: Dictionary) -> Dictionary:
	return {"has_rendering_device": RenderingServer.get_rendering_device() != null,
			"has_learnkit": Engine.has_singleton("LearnKit")}
