// Base of every LearnKit class exposed to Godot, and ExtRef<T>: an owning reference to one of them.
#pragma once
#include <string>

#include "gd_classes.hpp"

namespace lk {

class ExtensionObject {
public:
    virtual ~ExtensionObject() = default;
    GDExtensionObjectPtr owner() const { return _owner; }
    // The exact LearnKit class ("LKNetwork"), as registered: the generated create_instance passes it.
    const char* class_name() const { return _class; }
    // Godot's notifications to the object (all but PREDELETE, which godot/registry.cpp handles): a Node class
    // does its per-frame work on NOTIFICATION_PROCESS here, without a script virtual.
    virtual void on_notification(int32_t) {}

    // Set once by the generated create_instance, before the constructor's object is visible to scripts.
    GDExtensionObjectPtr _owner = nullptr;
    const char* _class = "";
    // Non-empty while the object is owned by another object of ours (e.g. "LearnKit.nn"): Object.free() from a
    // script is then refused (godot/registry.cpp, NOTIFICATION_PREDELETE + Object.cancel_free()).
    std::string _owned_as;
};

namespace ext {
// The C++ instance behind a live object of exactly the class class_name, else nullptr (null, freed, an engine or
// script object, or another of our classes). Looks the pointer up in the table of our live instances and never
// dereferences it, so a dangling pointer (a freed object reaching a ptrcall) is safe too.
void* instance_of(GDExtensionObjectPtr object, const char* class_name);
// The same for a Variant: its ObjectID is resolved through ObjectDB first (gd::Variant::as_object()).
void* instance_of(const gd::Variant& value, const char* class_name);
// Why instance_of() refused a non-null value, for an error message: "an LKDense", "a freed object", "a Node",
// "an int"... (empty when it would be accepted, or is null).
std::string describe_refused(const gd::Variant& value, const char* class_name);
std::string describe_refused(GDExtensionObjectPtr object, const char* class_name);
// The table of live instances, kept by the generated create_instance / free_instance (godot/registry.cpp).
void track(GDExtensionObjectPtr object, ExtensionObject* instance);
void untrack(ExtensionObject* instance);
// Constructs a new object of one of our classes through ClassDB (so Godot owns and tracks it).
GDExtensionObjectPtr construct(const char* class_name);
}  // namespace ext

// Owning reference to one of our RefCounted classes: keeps the Godot object alive, gives typed access.
template <class T> class ExtRef {
    gd::Ref<gd::RefCounted> _ref;
    T* _inst = nullptr;

public:
    ExtRef() = default;
    static ExtRef create() { return from_object(ext::construct(T::CLASS_NAME)); }
    static ExtRef from_object(GDExtensionObjectPtr object) {
        ExtRef r;
        r._inst = static_cast<T*>(ext::instance_of(object, T::CLASS_NAME));
        if (r._inst) r._ref = gd::Ref<gd::RefCounted>::share(object);
        return r;
    }
    // From a Variant (an Array element, a Dictionary value, a Variant argument): null unless it holds a live T.
    static ExtRef from_variant(const gd::Variant& value) { return from_object(value.as_object()); }
    T* operator->() const { return _inst; }
    T* get() const { return _inst; }
    GDExtensionObjectPtr owner() const { return _inst ? _inst->owner() : nullptr; }
    explicit operator bool() const { return _inst != nullptr; }
};

}  // namespace lk
