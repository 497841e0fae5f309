extends RefCounted
## A classifier's per-class report: confusion matrix, precision, recall and F1 per class, as data and as text.


## Counts of (true class, predicted class) over [param inputs], with [param targets] one-hot rows:
## {matrix: Array of PackedInt32Array (row = true class), classes, total, correct}.
static func confusion(net: LKNetwork, inputs: Array, targets: Array, classes: int) -> Dictionary:
	var matrix: Array[PackedInt32Array] = []
	for i in classes:
		var row := PackedInt32Array()
		row.resize(classes)
		matrix.append(row)
	var outputs := net.predict(inputs)
	var correct := 0
	for i in outputs.size():
		var truth := _argmax(targets[i])
		var guess := _argmax(outputs[i])
		matrix[truth][guess] += 1
		if truth == guess:
			correct += 1
	return {"matrix": matrix, "classes": classes, "total": outputs.size(), "correct": correct}


## The report as lines of text: the confusion matrix, then precision, recall, F1 and support per class.
static func format(c: Dictionary, names: PackedStringArray) -> PackedStringArray:
	var lines := PackedStringArray()
	var width := 10
	for n in names:
		width = maxi(width, n.length() + 1)
	var head := "true \\ predicted".rpad(width + 6)
	for n in names:
		head += n.lpad(width)
	lines.append(head)
	var matrix: Array = c.matrix
	for i in names.size():
		var line := names[i].rpad(width + 6)
		for j in names.size():
			line += str(matrix[i][j]).lpad(width)
		lines.append(line)
	lines.append("%s%s%s%s%s" % ["class".rpad(width + 6), "precision".lpad(10), "recall".lpad(10), "f1".lpad(10),
			"support".lpad(10)])
	for i in names.size():
		var s := per_class(c, i)
		lines.append("%s%10.3f%10.3f%10.3f%10d" % [names[i].rpad(width + 6), s.precision, s.recall, s.f1, s.support])
	lines.append("accuracy %.1f%% (%d of %d)" % [c.correct * 100.0 / maxi(1, c.total), c.correct, c.total])
	return lines


## Precision, recall, F1 and support of class [param k].
static func per_class(c: Dictionary, k: int) -> Dictionary:
	var matrix: Array = c.matrix
	var tp: int = matrix[k][k]
	var predicted := 0
	var actual := 0
	for i in c.classes:
		predicted += matrix[i][k]
		actual += matrix[k][i]
	var precision := tp / float(predicted) if predicted > 0 else 0.0
	var recall := tp / float(actual) if actual > 0 else 0.0
	var f1 := 2.0 * precision * recall / (precision + recall) if precision + recall > 0.0 else 0.0
	return {"precision": precision, "recall": recall, "f1": f1, "support": actual}


static func _argmax(row: Variant) -> int:
	var best := 0
	for i in range(1, row.size()):
		if row[i] > row[best]:
			best = i
	return best
