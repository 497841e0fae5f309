#include "core/device_choice.hpp"

#include "core/model.hpp"

namespace lk {

uint64_t forward_macs_per_step(const Model& net, size_t batch_rows) {
    uint64_t macs = 0;
    for (size_t i = 0; i < net.op_count(); ++i) {
        const OpNode& n = net.node(i);
        macs += n.op->macs_per_row(n.in_shapes, net.tensor(n.output).shape);
    }
    return macs * batch_rows;
}

bool prefer_gpu(const Model& net, size_t batch_rows) {
    return forward_macs_per_step(net, batch_rows) >= kGpuMinMacsPerStep;
}

}  // namespace lk
