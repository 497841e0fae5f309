// LearnKit.warm_up(), its status and LKWarmUp: the GDScript face of gpu/warm_up.hpp.
#include "api/warm_up_api.hpp"

#include <vector>

#include "api/backends.hpp"
#include "api/learnkit.hpp"
#include "glue.hpp"
#include "godot/log.hpp"
#include "gpu/rd_device.hpp"
#include "gpu/warm_up.hpp"
#include "kernels/kernels.hpp"

namespace lk::api {

void LKWarmUp::Ticket::finish(bool ok, double milliseconds) {
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
    success = ok;
    ms = milliseconds;
    if (owner) signals::LKWarmUp_finished_deferred(owner, ok, milliseconds);
}

LKWarmUp::~LKWarmUp() {
    if (!ticket_) return;
    std::lock_guard<std::mutex> lock(ticket_->mutex);
    ticket_->owner = nullptr;
}

std::shared_ptr<LKWarmUp::Ticket> LKWarmUp::ticket() {
    if (!ticket_) {
        ticket_ = std::make_shared<Ticket>();
        ticket_->owner = owner();
    }
    return ticket_;
}

bool LKWarmUp::get_done() const {
    if (!ticket_) return false;
    std::lock_guard<std::mutex> lock(ticket_->mutex);
    return ticket_->done;
}

bool LKWarmUp::get_success() const {
    if (!ticket_) return false;
    std::lock_guard<std::mutex> lock(ticket_->mutex);
    return ticket_->success;
}

double LKWarmUp::get_milliseconds() const {
    if (!ticket_) return 0.0;
    std::lock_guard<std::mutex> lock(ticket_->mutex);
    return ticket_->ms;
}

ExtRef<LKWarmUp> LearnKit::warm_up(const gd::String& device, const gd::String& kernels) {
    const std::string dev = device.utf8(), scope = kernels.utf8();
    if (dev != "gpu" && dev != "auto" && dev != "cpu") {
        push_error("warm_up", str("unknown device \"", dev, "\": expected \"gpu\", \"auto\" or \"cpu\""));
        return {};
    }
    std::vector<Kernel> list;
    if (!warm_up_kernels(scope, &list)) {
        push_error("warm_up", str("unknown kernels \"", scope, "\": expected \"common\" or \"all\""));
        return {};
    }
    ExtRef<LKWarmUp> handle = ExtRef<LKWarmUp>::create();
    std::shared_ptr<LKWarmUp::Ticket> ticket = handle->ticket();
    if (dev == "cpu") {  // the CPU backend has nothing to build: answer as a finished warm-up would
        ticket->finish(true, 0.0);
        return handle;
    }
    start_warm_up(std::move(list), [ticket](bool ok, const std::string& message, double ms) {
        if (!ok) push_error("warm_up", str("the GPU warm-up failed: ", message));
        ticket->finish(ok, ms);
    });
    return handle;
}

gd::String LearnKit::get_warm_up_status() { return gd::String(warm_up_state_name(warm_up_state())); }

gd::Dictionary gpu_pipeline_info() {
    RdDevice::Stats s;
    gpu_stats(&s);  // zeros when there is no device yet
    gd::Dictionary d;
    d[gd::Variant("from_spirv")] = gd::Variant(int64_t(s.shaders_from_spirv));
    d[gd::Variant("from_glsl")] = gd::Variant(int64_t(s.shaders_from_glsl));
    d[gd::Variant("warmed")] = gd::Variant(int64_t(s.pipelines_warmed));
    d[gd::Variant("on_demand")] = gd::Variant(int64_t(s.pipelines_on_demand));
    d[gd::Variant("custom")] = gd::Variant(int64_t(s.custom_pipelines));  // of warmed + on_demand
    d[gd::Variant("ms")] = gd::Variant(s.pipeline_ms);
    d[gd::Variant("kernels")] = gd::Variant(int64_t(KERNEL_COUNT));  // built-in kernels in this library
    return d;
}

double gpu_device_ms() {
    RdDevice::Stats s;
    return gpu_stats(&s) ? s.device_ms : 0.0;
}

}  // namespace lk::api
