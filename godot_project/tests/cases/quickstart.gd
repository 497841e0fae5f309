extends RefCounted
## The flagship demo's seed quick start on iris, as a test case.

const Demo := preload("res://demos/quickstart.gd")


## Runs the seed quick start on the case's "device"; returns the demo's accuracies (percent), time and backend.
static func seed(c: Dictionary) -> Dictionary:
	var iris := Demo.load_iris(Demo.IRIS_PATH)
	if iris.is_empty():
		return {"error": "cannot read %s" % Demo.IRIS_PATH}
	var out := Demo.run_seed(iris.inputs, iris.targets, c.device)
	out["rows"] = (iris.inputs as Array).size()
	return out
