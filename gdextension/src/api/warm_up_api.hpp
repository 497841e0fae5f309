// LKWarmUp: the handle LearnKit.warm_up() returns (the warm-up itself is gpu/warm_up.hpp). Its `finished` signal
// reaches the main thread through Object.call_deferred.
//
// Lifetime: the warm-up thread never holds a reference to this object (it would then free it off the main thread
// when the script dropped it first); it holds a shared Ticket, and emits through it only while the object lives
// (dying, under the ticket's mutex, as LKTrainingJob does). A signal connected to the LearnKit singleton instead
// would outlive the script's lambdas: Godot frees those before extension singletons at quit, and the singleton's
// destructor then double-frees them (seen here: "double free or corruption" after a connected lambda).
#pragma once
#include <memory>
#include <mutex>

#include "godot/extension_object.hpp"

namespace lk::api {

class LKWarmUp : public ExtensionObject {
public:
    static constexpr const char* CLASS_NAME = "LKWarmUp";
    struct Ticket {
        std::mutex mutex;
        GDExtensionObjectPtr owner = nullptr;  // null once the LKWarmUp is being destroyed
        bool done = false, success = false;
        double ms = 0.0;
        // Records the end and emits `finished` (deferred) if the object still lives. Any thread.
        void finish(bool ok, double milliseconds);
    };
    ~LKWarmUp() override;

    bool get_done() const;
    bool get_success() const;
    double get_milliseconds() const;

    // The ticket the warm-up thread completes (made on first use, bound to this object).
    std::shared_ptr<Ticket> ticket();

private:
    std::shared_ptr<Ticket> ticket_;
};

}  // namespace lk::api
