extends RefCounted
## Introspection cases: forward_trace() and estimate_size() (tests/test_introspection.py).

const Util := preload("res://tests/cases/util.gd")


## A 3 -> 5 (tanh) -> 2 (softmax) network with the case's parameters, traced on one input row.
static func trace(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var trace := net.forward_trace(Util.flat(c.x))
	var out: Array = []
	for t: Dictionary in trace:
		out.append({"name": t.name, "type": t.type, "shape": t.shape, "values": Util.encode(t.values, [t.values.size()])})
	return {"trace": out, "predict": Util.encode_rows(net.predict([Util.flat(c.x)]))}


static func size(c: Dictionary) -> Dictionary:
	var net := Util.network(c)
	var s8 := net.estimate_size(8)
	var s64 := net.estimate_size(64)
	var bad := net.estimate_size(0)
	var text := JSON.stringify(net.model, "", false, true)
	return {"s8": s8, "s64": s64, "bad_is_empty": bad.is_empty(), "json_bytes": text.to_utf8_buffer().size()}
