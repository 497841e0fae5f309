#include "api/model_file.hpp"

#include <cmath>
#include <cstring>

#include "api/convert.hpp"
#include "api/factories.hpp"
#include "api/network_api.hpp"
#include "core/op_registry.hpp"
#include "core/validate.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

gd::Variant get(const gd::Dictionary& d, const char* key) {
    gd::Variant v;
    d.lookup(gd::Variant(key), &v);
    return v;
}

// A whole number in [lo, hi] (JSON numbers arrive as floats: 6.5 is not a width).
bool whole(const gd::Variant& v, double lo, double hi, int64_t* out) {
    if (!v.is_number()) return false;
    const double d = v.as_double();
    if (!(d >= lo && d <= hi) || d != std::floor(d)) return false;
    *out = int64_t(d);
    return true;
}

// A value as an error message quotes it: Strings in quotes (so "" and "12" read as Strings), the rest as Godot
// prints them.
std::string quote(const gd::Variant& v) {
    if (v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING) return str("\"", v.describe(), "\"");
    return v.is_nil() ? std::string("missing") : v.describe();
}

std::string dims_text(const Shape& s) {
    std::string t;
    for (int k = 0; k < s.rank; ++k) t += (k ? " x " : "") + std::to_string(s.dims[k]);
    return t;
}

// One tensor's text: base64 of exactly `expected` finite float32 values, or *err naming `who` and the problem.
bool read_tensor(const gd::Variant& v, const std::string& who, size_t expected, const std::string& shape,
                 std::vector<float>* values, std::string* err) {
    if (v.get_type() == GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY) {  // what binary files hold
        const gd::PackedFloat32Array a = v.as_packed_float32_array();
        values->assign(a.data(), a.data() + a.size());
    } else if (v.get_type() != GDEXTENSION_VARIANT_TYPE_STRING) {
        *err = str(who, " is ", quote(v), ": expected a String of base64 float32 values or a PackedFloat32Array (", expected,
                   " values)");
        return false;
    } else if (!base64_to_floats(v.as_string().utf8(), values)) {
        *err = str(who, " is not valid base64 of float32 values (got ", quote(v), ")");
        return false;
    }
    if (values->size() != expected) {
        *err = str(who, " has ", values->size(), " float32 values, expected ", expected, " (", shape, ")");
        return false;
    }
    *err = check_finite(who, values->data(), values->size(), 0);
    return err->empty();
}

// Version 1 (the first release): {"layers": [{"type": "dense", "inputs", "outputs", "activation", "alpha",
// "weight_f32_base64", "bias_f32_base64"}]}; each layer becomes a dense op and, unless "identity", an
// activation op. No layers is an empty network (what LKNetwork.new() saved).
bool from_v1(const gd::Dictionary& doc, Model* m, std::string* err) {
    const gd::Variant layers_v = get(doc, "layers");
    if (layers_v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY) {
        *err = str("has layers ", quote(layers_v), ": expected an Array of layer Dictionaries (version 1)");
        return false;
    }
    gd::Array layers = layers_v.as_array();
    if (layers.size() == 0) return true;
    std::vector<std::vector<float>> tensors;
    for (int64_t i = 0; i < layers.size(); ++i) {
        const std::string who = str("layers[", i, "]");
        if (layers[i].get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
            *err = str(who, " is ", quote(layers[i]), ": expected a Dictionary");
            return false;
        }
        gd::Dictionary l = layers[i].as_dictionary();
        const gd::Variant type = get(l, "type"), act = get(l, "activation"), alpha = get(l, "alpha");
        if (!type.is_nil() && (type.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || type.as_string().utf8() != "dense")) {
            *err = str(who, ".type is ", quote(type), ": version 1 files hold only \"dense\" layers");
            return false;
        }
        int64_t in = 0, out = 0;
        if (!whole(get(l, "inputs"), 1, double(1 << 24), &in) || !whole(get(l, "outputs"), 1, double(1 << 24), &out)) {
            *err = str(who, " has inputs ", quote(get(l, "inputs")), " and outputs ", quote(get(l, "outputs")),
                       ": expected whole numbers in [1, 16777216]");
            return false;
        }
        Activation a;
        if (act.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || !activation_from_name(act.as_string().utf8(), &a)) {
            *err = str(who, ".activation is ", quote(act), ": expected a catalogue activation name such as \"relu\"");
            return false;
        }
        if (!alpha.is_number() || !std::isfinite(alpha.as_double())) {
            *err = str(who, ".alpha is ", quote(alpha), ": expected a finite number");
            return false;
        }
        if (i == 0) m->set_input(Shape::features(uint32_t(in)));
        std::string e;
        Attrs d;
        d.set("units", double(out)).set("inputs", double(in));
        std::unique_ptr<Op> dense = make_op("dense", d, &e);
        if (!dense) {
            *err = str(who, ": ", e);
            return false;
        }
        const TensorId t = m->add(std::move(dense));
        std::vector<float> w, b;
        if (!read_tensor(get(l, "weight_f32_base64"), who + ".weight_f32_base64", size_t(in) * size_t(out),
                         str("outputs ", out, " x inputs ", in), &w, err) ||
            !read_tensor(get(l, "bias_f32_base64"), who + ".bias_f32_base64", size_t(out), str("outputs ", out), &b,
                         err)) {
            return false;
        }
        tensors.push_back(std::move(w));
        tensors.push_back(std::move(b));
        if (a != Activation::IDENTITY) {
            Attrs aa;
            aa.set("activation", std::string(activation_info(a).name));
            // Version 1 wrote an alpha for every activation; only those with a parameter named alpha keep it.
            if (activation_has_param(a, "alpha")) aa.set("alpha", alpha.as_double());
            // The op refuses what the check above lets through (|alpha| > 1e30): a null op in the model
            // crashed at once (found by tests/test_model_fuzz.py, "alpha": 1e39).
            std::unique_ptr<Op> op = make_op("activation", aa, &e);
            if (!op) {
                *err = str(who, ": ", e);
                return false;
            }
            m->add(std::move(op), {t});
        }
    }
    if (!m->validate().empty()) {
        *err = m->validate();
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < m->op_count(); ++i) {
        for (size_t p = 0; p < m->node(i).params.size(); ++p, ++k) {
            const std::vector<float>& v = tensors[k];
            if (!v.empty()) std::memcpy(m->mutable_param_data(i, p), v.data(), v.size() * sizeof(float));
        }
    }
    return true;
}

// One op entry of version 2, appended to *m; its "tensors" Dictionary to *tensors.
bool read_op(const gd::Variant& entry, int64_t i, Model* m, gd::Dictionary* tensors, std::string* err) {
    std::string who = str("ops[", i, "]");
    if (entry.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        *err = str(who, " is ", quote(entry), ": expected a Dictionary");
        return false;
    }
    gd::Dictionary o = entry.as_dictionary();
    const gd::Variant type = get(o, "type"), name = get(o, "name"), inputs = get(o, "inputs"),
                      settings = get(o, "settings"), t = get(o, "tensors");
    // NOTE: "" would load as a generated name ("dense_0"), not as written (found by tests/test_model_fuzz.py).
    if (name.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || name.as_string().length() == 0) {
        *err = str(who, ".name is ", quote(name), ": expected a non-empty String");
        return false;
    }
    who = str(who, " \"", name.describe(), "\"");
    const struct {
        const char* key;
        const gd::Variant& value;
        GDExtensionVariantType type;
    } fields[] = {{"type", type, GDEXTENSION_VARIANT_TYPE_STRING},
                  {"inputs", inputs, GDEXTENSION_VARIANT_TYPE_ARRAY},
                  {"settings", settings, GDEXTENSION_VARIANT_TYPE_DICTIONARY},
                  {"tensors", t, GDEXTENSION_VARIANT_TYPE_DICTIONARY}};
    for (const auto& f : fields) {
        if (f.value.get_type() != f.type) {
            *err = str(who, " has ", f.key, " ", quote(f.value), ": expected ", gd::variant_type_name(f.type));
            return false;
        }
    }
    std::vector<TensorId> ins;
    gd::Array ia = inputs.as_array();
    // NOTE: Model::add() reads no inputs as "the previous op's output": a file that lists none would load
    // with an input it does not name (found by tests/test_model_fuzz.py, "inputs": []).
    if (ia.size() == 0) {
        *err = str(who, " has inputs []: expected the ids of the tensors it reads");
        return false;
    }
    for (int64_t k = 0; k < ia.size(); ++k) {
        int64_t id = 0;
        if (!whole(ia[k], 0, double(i), &id)) {
            *err = str(who, " has inputs[", k, "] = ", quote(ia[k]), ": expected a tensor id in [0, ", i,
                       "] (0: the network's input, k: the output of ops[k-1]; an op reads only earlier tensors)");
            return false;
        }
        ins.push_back(TensorId(id));
    }
    Attrs attrs;
    std::string e;
    std::unique_ptr<Op> op;
    if (attrs_from_dict(settings.as_dictionary(), &attrs, &e)) op = make_op(type.as_string().utf8(), attrs, &e);
    if (!op) {
        *err = str(who, ": ", e);
        return false;
    }
    m->add(std::move(op), ins, name.as_string().utf8());
    *tensors = t.as_dictionary();
    return true;
}

// The parameters of op i from its "tensors" Dictionary: exactly the op's tensors, each of its exact size.
bool read_op_tensors(Model* m, size_t i, const gd::Dictionary& tensors, std::string* err) {
    const OpNode& n = m->node(i);
    const std::string who = str("ops[", i, "] \"", n.name, "\"");
    std::string names;
    for (const ParamDesc& d : n.params) names += str(names.empty() ? "" : ", ", "\"", d.name, "\"");
    gd::Array keys = tensors.keys();
    for (int64_t k = 0; k < keys.size(); ++k) {
        bool known = false;
        for (const ParamDesc& d : n.params) {
            known = known || (keys[k].get_type() == GDEXTENSION_VARIANT_TYPE_STRING && keys[k].as_string().utf8() == d.name);
        }
        if (!known) {
            *err = str(who, " has tensor ", quote(keys[k]), ": \"", n.op->type(), "\" ops have ",
                       names.empty() ? std::string("no tensors") : "only " + names);
            return false;
        }
    }
    for (size_t p = 0; p < n.params.size(); ++p) {
        const ParamDesc& d = n.params[p];
        std::vector<float> values;
        if (!read_tensor(get(tensors, d.name.c_str()), str(who, " tensor \"", d.name, "\""), size_t(d.shape.size()),
                         str("shape ", dims_text(d.shape)), &values, err)) {
            return false;
        }
        if (!values.empty()) std::memcpy(m->mutable_param_data(i, p), values.data(), values.size() * sizeof(float));
    }
    return true;
}

bool from_v2(const gd::Dictionary& doc, Model* m, std::string* err) {
    const gd::Variant shape_v = get(doc, "input_shape"), ops_v = get(doc, "ops");
    // An empty network (LKNetwork.new(), what the inspector's "New LKNetwork" makes) saves and loads as such.
    if (ops_v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY && ops_v.as_array().size() == 0 &&
        shape_v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY && shape_v.as_array().size() == 0) {
        // Its output is tensor 0 (what get_model() writes); another id names a tensor it does not have.
        const gd::Variant out = get(doc, "output");
        int64_t id = 0;
        if (!out.is_nil() && !whole(out, 0, 0, &id)) {
            *err = str("has output ", quote(out), " and no ops: expected 0");
            return false;
        }
        return true;
    }
    if (shape_v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY || shape_v.as_array().size() < 1 ||
        shape_v.as_array().size() > Shape::kMaxRank) {
        *err = str("has input_shape ", quote(shape_v), ": expected an Array of 1 to ", Shape::kMaxRank, " sizes");
        return false;
    }
    Shape in;
    gd::Array dims = shape_v.as_array();
    in.rank = uint8_t(dims.size());
    for (int64_t i = 0; i < dims.size(); ++i) {
        int64_t d = 0;
        if (!whole(dims[i], 1, double(1 << 24), &d)) {
            *err = str("has input_shape[", i, "] = ", quote(dims[i]), ": expected a whole number in [1, 16777216]");
            return false;
        }
        in.dims[i] = uint32_t(d);
    }
    m->set_input(in);
    if (ops_v.get_type() != GDEXTENSION_VARIANT_TYPE_ARRAY || ops_v.as_array().size() == 0) {
        *err = str("has ops ", quote(ops_v), ": expected a non-empty Array of op Dictionaries");
        return false;
    }
    gd::Array ops = ops_v.as_array();
    std::vector<gd::Dictionary> tensors(size_t(ops.size()));
    for (int64_t i = 0; i < ops.size(); ++i) {
        if (!read_op(ops[i], i, m, &tensors[size_t(i)], err)) return false;
    }
    const gd::Variant out = get(doc, "output");
    int64_t out_id = 0;
    if (!out.is_nil()) {
        if (!whole(out, 1, double(ops.size()), &out_id)) {
            *err = str("has output ", quote(out), ": expected a tensor id in [1, ", ops.size(), "]");
            return false;
        }
        m->set_output(TensorId(out_id));
    }
    if (!m->validate().empty()) {
        *err = m->validate();
        return false;
    }
    for (size_t i = 0; i < m->op_count(); ++i) {
        if (!read_op_tensors(m, i, tensors[i], err)) return false;
    }
    return true;
}

}  // namespace

std::string floats_to_base64(const float* values, size_t n) {
    const uint8_t* b = reinterpret_cast<const uint8_t*>(values);
    const size_t len = n * 4;
    std::string out;
    out.reserve((len + 2) / 3 * 4);
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = uint32_t(b[i]) << 16;
        if (i + 1 < len) v |= uint32_t(b[i + 1]) << 8;
        if (i + 2 < len) v |= b[i + 2];
        out += B64[(v >> 18) & 63];
        out += B64[(v >> 12) & 63];
        out += i + 1 < len ? B64[(v >> 6) & 63] : '=';
        out += i + 2 < len ? B64[v & 63] : '=';
    }
    return out;
}

bool base64_to_floats(const std::string& text, std::vector<float>* out) {
    if (text.size() % 4) return false;
    std::vector<uint8_t> bytes;
    bytes.reserve(text.size() / 4 * 3);
    for (size_t i = 0; i < text.size(); i += 4) {
        uint32_t v = 0;
        int pad = 0;
        for (int k = 0; k < 4; ++k) {
            const char c = text[i + k];
            const char* p = c == '=' ? nullptr : std::strchr(B64, c);
            if (c == '=') {
                ++pad;
            } else if (!p || !c || pad) {
                return false;
            }
            v = (v << 6) | uint32_t(p ? p - B64 : 0);
        }
        if (pad && i + 4 != text.size()) return false;  // padding only at the very end
        bytes.push_back(uint8_t(v >> 16));
        if (pad < 2) bytes.push_back(uint8_t(v >> 8));
        if (pad < 1) bytes.push_back(uint8_t(v));
    }
    if (bytes.size() % 4) return false;
    out->resize(bytes.size() / 4);
    if (!bytes.empty()) std::memcpy(out->data(), bytes.data(), bytes.size());
    return true;
}

gd::Dictionary model_to_dict(const Model& m, const std::string& device, bool raw_tensors) {
    gd::Array ops;
    {
        std::lock_guard<std::mutex> lock(m.param_mutex());
        for (size_t i = 0; i < m.op_count(); ++i) {
            const OpNode& n = m.node(i);
            gd::Dictionary o;
            o[gd::Variant("name")] = gd::Variant(n.name);
            o[gd::Variant("type")] = gd::Variant(n.op->type());
            gd::Array inputs;
            for (TensorId t : n.inputs) inputs.push_back(gd::Variant(int64_t(t)));
            o[gd::Variant("inputs")] = gd::Variant(inputs);
            o[gd::Variant("settings")] = gd::Variant(attrs_to_dict(n.op->attrs()));
            gd::Dictionary t;
            for (size_t p = 0; p < n.params.size(); ++p) {
                const size_t count = size_t(n.params[p].shape.size());
                if (raw_tensors) {
                    gd::PackedFloat32Array a;
                    a.resize(int64_t(count));
                    if (count) std::memcpy(a.data(), m.param_data(i, p), count * sizeof(float));
                    t[gd::Variant(n.params[p].name)] = gd::Variant(a);
                } else {
                    t[gd::Variant(n.params[p].name)] = gd::Variant(floats_to_base64(m.param_data(i, p), count));
                }
            }
            o[gd::Variant("tensors")] = gd::Variant(t);
            ops.push_back(gd::Variant(o));
        }
    }
    gd::Array shape;
    for (int k = 0; k < m.input_shape().rank; ++k) shape.push_back(gd::Variant(int64_t(m.input_shape().dims[k])));
    gd::Dictionary doc;
    doc[gd::Variant("format")] = gd::Variant(kModelFormat);
    doc[gd::Variant("version")] = gd::Variant(kModelVersion);
    doc[gd::Variant("device")] = gd::Variant(device);
    doc[gd::Variant("input_shape")] = gd::Variant(shape);
    doc[gd::Variant("output")] = gd::Variant(int64_t(m.output()));
    doc[gd::Variant("ops")] = gd::Variant(ops);
    return doc;
}

bool model_from_dict(const gd::Dictionary& doc, Model* m, std::string* device, std::string* err) {
    const gd::Variant format = get(doc, "format");
    if (format.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || format.as_string().utf8() != kModelFormat) {
        *err = str("has format ", quote(format), ": expected \"", kModelFormat, "\" (not a LearnKit network)");
        return false;
    }
    const gd::Variant version = get(doc, "version");
    int64_t v = 0;
    if (!whole(version, 1, double(kModelVersion), &v)) {
        *err = str("has version ", quote(version), ": this LearnKit reads versions 1 to ", kModelVersion);
        return false;
    }
    *device = "auto";
    const gd::Variant dev = get(doc, "device");
    if (!dev.is_nil()) {
        if (dev.get_type() != GDEXTENSION_VARIANT_TYPE_STRING || !valid_device(dev.as_string().utf8())) {
            *err = str("has device ", quote(dev), ": expected \"auto\", \"gpu\" or \"cpu\"");
            return false;
        }
        *device = dev.as_string().utf8();
    }
    return v == 1 ? from_v1(doc, m, err) : from_v2(doc, m, err);
}

}  // namespace lk::api
