#include "api/model_binary.hpp"

#include <cstring>

#include "api/model_file.hpp"
#include "core/binary_container.hpp"
#include "core/sizes.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

enum Tag : uint8_t {
    NIL = 0, FALSE_ = 1, TRUE_ = 2, INT = 3, FLOAT = 4, STRING = 5, STRING_NAME = 6, ARRAY = 7, DICTIONARY = 8,
    BYTES = 9, FLOAT32S = 10, INT32S = 11,
};

// Counts are u32: nothing in a model comes near 2^32 elements (parameters are capped at 2^28).
bool put_count(ByteWriter* w, int64_t n, const std::string& at, std::string* err) {
    if (n < 0 || uint64_t(n) > 0xFFFFFFFFu) {
        *err = str(at, " has ", n, " elements: the binary format holds at most 4294967295");
        return false;
    }
    w->u32(uint32_t(n));
    return true;
}

void put_text(ByteWriter* w, const std::string& s) {
    w->u32(uint32_t(s.size()));
    w->put(s.data(), s.size());
}

bool encode(const gd::Variant& v, ByteWriter* w, const std::string& at, int depth, std::string* err) {
    if (depth > kMaxBinaryDepth) {
        *err = str(at, " is nested more than ", kMaxBinaryDepth, " levels deep");
        return false;
    }
    switch (v.get_type()) {
        case GDEXTENSION_VARIANT_TYPE_NIL: w->u8(NIL); return true;
        case GDEXTENSION_VARIANT_TYPE_BOOL: w->u8(v.as_bool() ? TRUE_ : FALSE_); return true;
        case GDEXTENSION_VARIANT_TYPE_INT: w->u8(INT); w->u64(uint64_t(v.as_int())); return true;
        case GDEXTENSION_VARIANT_TYPE_FLOAT: w->u8(FLOAT); w->f64(v.as_double()); return true;
        case GDEXTENSION_VARIANT_TYPE_STRING: w->u8(STRING); put_text(w, v.as_string().utf8()); return true;
        case GDEXTENSION_VARIANT_TYPE_STRING_NAME: {
            gd::Variant s;
            v.convert(GDEXTENSION_VARIANT_TYPE_STRING, &s);
            w->u8(STRING_NAME);
            put_text(w, s.as_string().utf8());
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_ARRAY: {
            const gd::Array a = v.as_array();
            w->u8(ARRAY);
            if (!put_count(w, a.size(), at, err)) return false;
            for (int64_t i = 0; i < a.size(); ++i) {
                if (!encode(a[i], w, str(at, "[", i, "]"), depth + 1, err)) return false;
            }
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_DICTIONARY: {
            const gd::Dictionary d = v.as_dictionary();
            const gd::Array keys = d.keys();
            w->u8(DICTIONARY);
            if (!put_count(w, keys.size(), at, err)) return false;
            for (int64_t i = 0; i < keys.size(); ++i) {
                gd::Variant value;
                d.lookup(keys[i], &value);
                const std::string sub = str(at, ".", keys[i].describe());
                if (!encode(keys[i], w, sub + " (key)", depth + 1, err) || !encode(value, w, sub, depth + 1, err)) {
                    return false;
                }
            }
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_PACKED_BYTE_ARRAY: {
            const gd::PackedByteArray a = v.as_packed_byte_array();
            w->u8(BYTES);
            if (!put_count(w, a.size(), at, err)) return false;
            w->put(a.data(), size_t(a.size()));
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY: {
            const gd::PackedFloat32Array a = v.as_packed_float32_array();
            w->u8(FLOAT32S);
            if (!put_count(w, a.size(), at, err)) return false;
            w->put(a.data(), size_t(a.size()) * 4);
            return true;
        }
        case GDEXTENSION_VARIANT_TYPE_PACKED_INT32_ARRAY: {
            const gd::PackedInt32Array a = v.as_packed_int32_array();
            w->u8(INT32S);
            if (!put_count(w, a.size(), at, err)) return false;
            w->put(a.data(), size_t(a.size()) * 4);
            return true;
        }
        default:
            *err = str(at, " is a ", gd::variant_type_name(v.get_type()),
                       ": the binary format holds nil, bool, int, float, String, StringName, Array, Dictionary, "
                       "PackedByteArray, PackedFloat32Array and PackedInt32Array");
            return false;
    }
}

// Every error names the byte offset in the payload (the file offset minus the 28-byte header).
struct Decoder {
    ByteReader r;
    std::string* err;

    bool fail(size_t at, const std::string& what) {
        *err = str("is corrupt at payload offset ", at, ": ", what);
        return false;
    }

    // A count of elements that each take at least `min_bytes` bytes: never more than the bytes left, so a
    // count that claims billions is refused before anything is allocated.
    bool count(uint64_t min_bytes, const char* what, uint32_t* n) {
        const size_t at = r.pos();
        if (!r.u32(n)) return fail(at, str("the file ends inside the size of a ", what));
        uint64_t need = 0;
        if (!checked_mul(*n, min_bytes, &need) || need > r.left()) {
            return fail(at, str("a ", what, " declares ", *n, " elements (at least ", need,
                                " bytes), only ", r.left(), " bytes are left"));
        }
        return true;
    }

    bool text(const char* what, std::string* out) {
        uint32_t n = 0;
        const size_t at = r.pos();
        if (!count(1, what, &n)) return false;
        const uint8_t* b = r.take(n);
        const size_t bad = bad_utf8_at(b, n);
        if (bad != n) return fail(at + 4 + bad, str("a ", what, " holds byte ", int(b[bad]), ", not UTF-8 text"));
        out->assign(reinterpret_cast<const char*>(b), n);
        return true;
    }

    bool value(gd::Variant* out, int depth) {
        const size_t at = r.pos();
        if (depth > kMaxBinaryDepth) return fail(at, str("values are nested more than ", kMaxBinaryDepth, " deep"));
        uint8_t tag = 0;
        if (!r.u8(&tag)) return fail(at, "the file ends where a value should start");
        switch (tag) {
            case NIL: *out = gd::Variant(); return true;
            case FALSE_: *out = gd::Variant(false); return true;
            case TRUE_: *out = gd::Variant(true); return true;
            case INT: {
                uint64_t v = 0;
                if (!r.u64(&v)) return fail(at, "the file ends inside an int");
                *out = gd::Variant(int64_t(v));
                return true;
            }
            case FLOAT: {
                double v = 0;
                if (!r.f64(&v)) return fail(at, "the file ends inside a float");
                *out = gd::Variant(v);
                return true;
            }
            case STRING:
            case STRING_NAME: {
                std::string s;
                if (!text(tag == STRING ? "String" : "StringName", &s)) return false;
                *out = tag == STRING ? gd::Variant(s) : gd::Variant(gd::StringName(s));
                return true;
            }
            case ARRAY: {
                uint32_t n = 0;
                if (!count(1, "Array", &n)) return false;
                gd::Array a;
                for (uint32_t i = 0; i < n; ++i) {
                    gd::Variant item;
                    if (!value(&item, depth + 1)) return false;
                    a.push_back(item);
                }
                *out = gd::Variant(a);
                return true;
            }
            case DICTIONARY: {
                uint32_t n = 0;
                if (!count(2, "Dictionary", &n)) return false;
                gd::Dictionary d;
                for (uint32_t i = 0; i < n; ++i) {
                    gd::Variant key, item;
                    const size_t key_at = r.pos();
                    if (!value(&key, depth + 1) || !value(&item, depth + 1)) return false;
                    // A repeated key would silently replace the first value: the file says two things.
                    if (d.has(key)) return fail(key_at, str("the key ", key.describe(), " appears twice"));
                    d[key] = item;
                }
                *out = gd::Variant(d);
                return true;
            }
            case BYTES:
            case FLOAT32S:
            case INT32S: {
                const uint64_t width = tag == BYTES ? 1 : 4;
                uint32_t n = 0;
                if (!count(width, tag == BYTES ? "PackedByteArray" : tag == FLOAT32S ? "PackedFloat32Array"
                                                                                     : "PackedInt32Array", &n)) {
                    return false;
                }
                const uint8_t* b = r.take(size_t(n) * width);
                if (tag == BYTES) {
                    gd::PackedByteArray a;
                    a.resize(n);
                    if (n) std::memcpy(a.data(), b, n);
                    *out = gd::Variant(a);
                } else if (tag == FLOAT32S) {
                    gd::PackedFloat32Array a;
                    a.resize(n);
                    if (n) std::memcpy(a.data(), b, size_t(n) * 4);
                    *out = gd::Variant(a);
                } else {
                    gd::PackedInt32Array a;
                    a.resize(n);
                    if (n) std::memcpy(a.data(), b, size_t(n) * 4);
                    *out = gd::Variant(a);
                }
                return true;
            }
            default:
                return fail(at, str("unknown value tag ", int(tag), " (expected 0 to ", int(INT32S), ")"));
        }
    }
};

}  // namespace

bool encode_value(const gd::Variant& value, std::vector<uint8_t>* out, std::string* err) {
    ByteWriter w;
    if (!encode(value, &w, "model", 0, err)) return false;
    *out = std::move(w.bytes);
    return true;
}

bool decode_value(const uint8_t* data, size_t size, gd::Variant* out, std::string* err) {
    Decoder d{ByteReader(data, size), err};
    if (!d.value(out, 0)) return false;
    if (d.r.left() != 0) return d.fail(d.r.pos(), str(d.r.left(), " bytes follow the model's value"));
    return true;
}

bool model_to_binary(const gd::Dictionary& doc, std::vector<uint8_t>* out, std::string* err) {
    std::vector<uint8_t> payload;
    if (!encode_value(gd::Variant(doc), &payload, err)) return false;
    *out = wrap_payload(payload);
    return true;
}

bool model_from_binary(const uint8_t* data, size_t size, gd::Dictionary* doc, std::string* err) {
    const uint8_t* payload = nullptr;
    size_t n = 0;
    if (!unwrap_payload(data, size, &payload, &n, err)) return false;
    gd::Variant root;
    if (!decode_value(payload, n, &root, err)) return false;
    if (root.get_type() != GDEXTENSION_VARIANT_TYPE_DICTIONARY) {
        *err = str("holds a ", gd::variant_type_name(root.get_type()), ": expected a model Dictionary");
        return false;
    }
    *doc = root.as_dictionary();
    return true;
}

}  // namespace lk::api
