extends Node
## The exported game's main scene: predicts with the network it holds and prints the result for the test.

@export var brain: LKNetwork


func _ready() -> void:
	var result := {"layers": -1, "y": []}
	if brain != null:
		var y: Array = brain.predict([[0.5, -1.0, 2.0]])
		result = {"layers": brain.layer_count, "y": Array(y[0]) if y.size() > 0 else []}
	print("LK_PREDICTION ", JSON.stringify(result))
	get_tree().quit()
