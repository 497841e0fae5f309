// Converting method arguments and return values between Godot's two calling conventions and C++:
//   ptrcall: typed slots (bool = 1 byte, int = int64, float = double, objects = Object**; memo section 3)
//   call:    Variants (used by untyped GDScript, Callables, call()); defaults are ours to fill (memo section 3)
// The generated glue (build/gen/glue/) calls these for every argument and return value of our methods.
#pragma once
#include <type_traits>

#include "godot/extension_object.hpp"
#include "godot/log.hpp"

namespace lk::marshal {

template <class T> struct Codec;

template <> struct Codec<bool> {
    static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_BOOL;
    static bool from_ptr(const void* p) { return *static_cast<const uint8_t*>(p) != 0; }
    static void to_ptr(void* r, bool v) { *static_cast<uint8_t*>(r) = v ? 1 : 0; }
    static bool from_variant(const gd::Variant& v) { return v.as_bool(); }
};
template <> struct Codec<int64_t> {
    static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_INT;
    static int64_t from_ptr(const void* p) { return *static_cast<const int64_t*>(p); }
    static void to_ptr(void* r, int64_t v) { *static_cast<int64_t*>(r) = v; }
    static int64_t from_variant(const gd::Variant& v) { return v.as_int(); }
};
template <> struct Codec<double> {
    static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_FLOAT;
    static double from_ptr(const void* p) { return *static_cast<const double*>(p); }
    static void to_ptr(void* r, double v) { *static_cast<double*>(r) = v; }
    static double from_variant(const gd::Variant& v) { return v.as_double(); }
};

// Builtins: the slot holds a live value (initialised by the caller for returns), so plain assignment works.
#define LK_BUILTIN_CODEC(T, ENUM, AS)                                                         \
    template <> struct Codec<gd::T> {                                                         \
        static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_##ENUM;       \
        static const gd::T& from_ptr(const void* p) { return *static_cast<const gd::T*>(p); } \
        static void to_ptr(void* r, const gd::T& v) { *static_cast<gd::T*>(r) = v; }          \
        static gd::T from_variant(const gd::Variant& v) { return v.AS(); }                   \
    };
LK_BUILTIN_CODEC(String, STRING, as_string)
LK_BUILTIN_CODEC(Array, ARRAY, as_array)
LK_BUILTIN_CODEC(Dictionary, DICTIONARY, as_dictionary)
LK_BUILTIN_CODEC(PackedFloat32Array, PACKED_FLOAT32_ARRAY, as_packed_float32_array)
LK_BUILTIN_CODEC(PackedInt32Array, PACKED_INT32_ARRAY, as_packed_int32_array)
LK_BUILTIN_CODEC(PackedByteArray, PACKED_BYTE_ARRAY, as_packed_byte_array)
#undef LK_BUILTIN_CODEC

template <> struct Codec<gd::Variant> {
    static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_NIL;  // any
    static const gd::Variant& from_ptr(const void* p) { return *static_cast<const gd::Variant*>(p); }
    static void to_ptr(void* r, const gd::Variant& v) { *static_cast<gd::Variant*>(r) = v; }
    static gd::Variant from_variant(const gd::Variant& v) { return v; }
};

// Our RefCounted classes. An object argument slot may itself be NULL (godot#86478).
template <class T> struct Codec<ExtRef<T>> {
    static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_OBJECT;
    static ExtRef<T> from_ptr(const void* p) {
        return ExtRef<T>::from_object(p ? *static_cast<const GDExtensionObjectPtr*>(p) : nullptr);
    }
    // ref_set_object takes the reference the engine's Ref needs (memo section 3, "You to engine").
    static void to_ptr(void* r, const ExtRef<T>& v) { gdx::ref_set_object(r, v.owner()); }
    static ExtRef<T> from_variant(const gd::Variant& v) { return ExtRef<T>::from_object(v.as_object()); }
};

// Our Object (not RefCounted) classes, owned elsewhere (the LearnKit singleton's sub-objects).
template <class T> struct Codec<T*> {
    static constexpr GDExtensionVariantType TYPE = GDEXTENSION_VARIANT_TYPE_OBJECT;
    static T* from_ptr(const void* p) {
        return static_cast<T*>(ext::instance_of(p ? *static_cast<const GDExtensionObjectPtr*>(p) : nullptr,
                                                T::CLASS_NAME));
    }
    static void to_ptr(void* r, T* v) { *static_cast<GDExtensionObjectPtr*>(r) = v ? v->owner() : nullptr; }
    static T* from_variant(const gd::Variant& v) {
        return static_cast<T*>(ext::instance_of(v.as_object(), T::CLASS_NAME));
    }
};

template <class T> gd::Variant to_variant(const T& v) {
    if constexpr (std::is_pointer_v<T>) {
        return v ? gd::Variant::from_object(v->owner()) : gd::Variant();
    } else if constexpr (std::is_same_v<T, bool> || std::is_arithmetic_v<T>) {
        return gd::Variant(v);
    } else if constexpr (std::is_same_v<T, gd::Variant>) {
        return v;
    } else if constexpr (std::is_constructible_v<gd::Variant, const T&>) {
        return gd::Variant(v);
    } else {
        return v ? gd::Variant::from_object(v.owner()) : gd::Variant();  // ExtRef
    }
}

// Reads argument i of a Variant call into *out, converting with Godot's rules (int <-> float, Array ->
// PackedFloat32Array...). On failure fills *err the way Godot reports a wrong argument type.
template <class T>
bool arg_from_variant(const gd::Variant& v, int32_t index, T* out, GDExtensionCallError* err) {
    constexpr GDExtensionVariantType want = Codec<T>::TYPE;
    if (want == GDEXTENSION_VARIANT_TYPE_NIL || v.get_type() == want) {
        *out = Codec<T>::from_variant(v);
        return true;
    }
    if (want == GDEXTENSION_VARIANT_TYPE_OBJECT) {
        if (v.is_nil()) { *out = T{}; return true; }
    } else {
        gd::Variant converted;
        if (v.convert(want, &converted)) {
            *out = Codec<T>::from_variant(converted);
            return true;
        }
    }
    err->error = GDEXTENSION_CALL_ERROR_INVALID_ARGUMENT;
    err->argument = index;
    err->expected = want;
    return false;
}

// Object arguments of the generated methods. A value that is not null and not a live object of exactly the
// expected class (another LearnKit class, an engine or script object, a freed object) is refused with one
// uniform error naming the method, the argument, what it got and what it expects. What happens next depends on
// whether null means something for that argument (the generator decides, see templates/glue):
enum class Refusal {
    READ_AS_NULL,  // null is invalid there too: the method runs and fails the way it does for null
    CALL_REFUSED,  // null is a valid value (a null default): the call does not happen
    KEEP_VALUE,    // a property setter: the property keeps its value
};
template <class T> struct ObjectClass;
template <class T> struct ObjectClass<ExtRef<T>> { using type = T; };
template <class T> struct ObjectClass<T*> { using type = T; };

inline void report_refused(const char* where, const char* arg, const std::string& got, const char* expected,
                           Refusal refusal) {
    const char* article = expected[0] == 'L' ? "an " : "a ";  // "an LKNetwork"
    const char* outcome = refusal == Refusal::READ_AS_NULL ? "read as null"
                          : refusal == Refusal::CALL_REFUSED ? "the call is refused" : "the property keeps its value";
    if (refusal == Refusal::KEEP_VALUE) {
        push_error(where, str("set to ", got, ": expected ", article, expected, " or null; ", outcome));
    } else {
        push_error(where, str("argument '", arg, "' is ", got, ": expected ", article, expected,
                              refusal == Refusal::CALL_REFUSED ? " or null; " : "; ", outcome));
    }
}

// ptrcall: the slot holds an Object* (possibly NULL, godot#86478); it is looked up, never dereferenced.
template <class T> T object_from_ptr(const void* p, const char* where, const char* arg, Refusal refusal,
                                     bool* refused) {
    using C = typename ObjectClass<T>::type;
    const GDExtensionObjectPtr object = p ? *static_cast<const GDExtensionObjectPtr*>(p) : nullptr;
    const std::string got = ext::describe_refused(object, C::CLASS_NAME);
    if (got.empty()) return Codec<T>::from_ptr(p);
    report_refused(where, arg, got, C::CLASS_NAME, refusal);
    *refused = true;
    return T{};
}

// Variant call: another Variant type is Godot's own call error (like any typed argument); an object is checked.
template <class T> bool object_from_variant(const gd::Variant& v, int32_t index, const char* where, const char* arg,
                                            Refusal refusal, T* out, bool* refused, GDExtensionCallError* err) {
    using C = typename ObjectClass<T>::type;
    if (!v.is_nil() && v.get_type() != GDEXTENSION_VARIANT_TYPE_OBJECT) {
        err->error = GDEXTENSION_CALL_ERROR_INVALID_ARGUMENT;
        err->argument = index;
        err->expected = GDEXTENSION_VARIANT_TYPE_OBJECT;
        return false;
    }
    const std::string got = ext::describe_refused(v, C::CLASS_NAME);
    if (got.empty()) {
        *out = Codec<T>::from_variant(v);
    } else {
        report_refused(where, arg, got, C::CLASS_NAME, refusal);
        *refused = true;
        *out = T{};
    }
    return true;
}

inline void write_return(GDExtensionVariantPtr r, const gd::Variant& v) { gdx::variant_new_copy(r, v.ptr()); }

}  // namespace lk::marshal
