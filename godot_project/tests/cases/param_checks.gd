extends RefCounted
## Parameter-rule cases (tests/test_param_checks.py): an activation or a loss created with given parameters,
## through each way GDScript creates one; pytest reads which calls refused and the errors they printed.

## {"activation", "settings"} -> whether LearnKit.layer("activation", ...), and (for a lone alpha)
## LearnKit.dense(..., alpha), refused (returned null).
static func activation(c: Dictionary) -> Dictionary:
	var settings: Dictionary = c.settings.duplicate()
	settings["activation"] = str(c.activation)
	var out := {"layer_null": LearnKit.layer("activation", settings) == null}
	if c.settings.keys() == ["alpha"]:
		out["dense_null"] = LearnKit.dense(2, 3, str(c.activation), float(c.settings.alpha)) == null
	return out


## {"loss", "settings"} -> whether LearnKit.trainer(net, {"loss", "loss_settings"}) refused, and whether the
## LKTrainer.loss_settings setter kept the settings.
static func loss(c: Dictionary) -> Dictionary:
	var net := LearnKit.sequential([LearnKit.dense(2, 2)])
	var settings: Dictionary = c.settings
	var out := {"trainer_null": LearnKit.trainer(net, {"loss": str(c.loss), "loss_settings": settings}) == null}
	var trainer := LearnKit.trainer(net, {"loss": str(c.loss)})
	trainer.loss_settings = settings
	out["setter_kept"] = trainer.loss_settings == settings
	return out
