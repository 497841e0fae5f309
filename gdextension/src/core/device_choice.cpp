#include "core/device_choice.hpp"

#include "core/network.hpp"

namespace lk {

uint64_t forward_macs_per_step(const Network& net, size_t batch_rows) {
    uint64_t macs = 0;
    for (size_t i = 0; i < net.layer_count(); ++i) {
        macs += net.layer(i).macs_per_row();
    }
    return macs * batch_rows;
}

bool prefer_gpu(const Network& net, size_t batch_rows) {
    return forward_macs_per_step(net, batch_rows) >= kGpuMinMacsPerStep;
}

}  // namespace lk
