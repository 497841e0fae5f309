extends Node
## A scene node that holds a network in an exported property, the way a game would (tests/test_resource.py).

@export var brain: LKNetwork


## The network's outputs for input rows.
func think(rows: Array) -> Array:
	return brain.predict(rows)
