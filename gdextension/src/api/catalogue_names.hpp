// The catalogue's names as the API's error messages list them ("\"sgd\" or \"adam\""), read from the generated
// tables (codegen/spec/*.yaml), so a new spec entry shows up in every message without touching api/.
#pragma once
#include <string>

#include "kernels/kernels.hpp"

namespace lk::api {

namespace detail {
template <class Enum, class Info>
std::string quoted_list(int count, const Info& (*info)(Enum)) {
    std::string out;
    for (int i = 0; i < count; ++i) {
        if (i) out += i + 1 == count ? " or " : ", ";
        out += "\"" + std::string(info(static_cast<Enum>(i)).name) + "\"";
    }
    return out;
}
}  // namespace detail

inline std::string activation_names() { return detail::quoted_list(ACTIVATION_COUNT, activation_info); }
inline std::string loss_names() { return detail::quoted_list(LOSS_COUNT, loss_info); }
inline std::string optimizer_names() { return detail::quoted_list(OPTIMIZER_COUNT, optimizer_info); }
inline std::string init_names() { return detail::quoted_list(INIT_COUNT, init_info); }

}  // namespace lk::api
