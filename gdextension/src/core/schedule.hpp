// Learning-rate schedules, evaluated on the host once per epoch; the value travels to the kernels in each
// step's push constants, so a schedule costs nothing on the device. A new schedule is one Kind plus one case.
#pragma once
#include <cstdint>
#include <string>

namespace lk {

struct Schedule {
    enum class Kind : uint8_t { CONSTANT, COSINE };
    Kind kind = Kind::CONSTANT;
    float lr_min = 0.0f;  // COSINE: the floor reached after `period` epochs
    int period = 0;       // COSINE: epochs from lr_max to lr_min (torch's T_max); 0 = the fit's epoch count
};

// The learning rate for a 0-based epoch of a fit of `epochs` epochs. COSINE follows torch's
// CosineAnnealingLR stepped once per epoch: lr_min + (lr_max - lr_min) * (1 + cos(pi * epoch / period)) / 2,
// and stays at lr_min from epoch `period` on (torch would climb back up; a restart is a separate schedule).
float learning_rate_at(const Schedule& schedule, float lr_max, int epoch, int epochs);

// "" when valid, else what is wrong and what was expected.
std::string validate_schedule(const Schedule& schedule, float lr_max);

}  // namespace lk
