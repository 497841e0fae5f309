#include "api/replay_buffer.hpp"

#include <cmath>

#include "api/convert.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {
constexpr int64_t OK = 0, ERR_INVALID_PARAMETER = 31;  // Godot's Error values

// One row from an Array of numbers or a packed array, or (targets) a lone number as a one-value row.
bool row_from_variant(const gd::Variant& v, const char* what, bool number_ok, std::vector<float>* out,
                      std::string* err) {
    if (number_ok && v.is_number()) {
        const double d = v.as_double();
        if (!std::isfinite(d) || !std::isfinite(float(d))) {
            *err = str(what, " is ", v.describe(), ": expected a finite number");
            return false;
        }
        out->assign(1, float(d));
        return true;
    }
    if (v.get_type() == GDEXTENSION_VARIANT_TYPE_PACKED_FLOAT32_ARRAY) {  // the common case, without an Array
        const gd::PackedFloat32Array packed = v.as_packed_float32_array();  // (buffer.add refuses NaN and Inf)
        if (packed.size() == 0) {
            *err = str(what, " is empty: expected a row of numbers");
            return false;
        }
        out->assign(packed.data(), packed.data() + packed.size());
        return true;
    }
    gd::Array one;
    one.push_back(v);
    uint32_t width = 0;
    if (!rows_to_matrix(one, what, &width, out, err)) {
        *err += number_ok ? " (or a number)" : "";
        return false;
    }
    return true;
}
}  // namespace

void LKReplayBuffer::set_capacity(int64_t value) {
    const std::string err = buffer.set_capacity(value);
    if (!err.empty()) push_error("LKReplayBuffer.capacity", err + " (the capacity stays " +
                                                                std::to_string(buffer.capacity()) + ")");
}

int64_t LKReplayBuffer::add(const gd::Variant& input, const gd::Variant& target) {
    const char* where = "LKReplayBuffer.add";
    std::vector<float> x, t;
    std::string err;
    if (!row_from_variant(input, "input", false, &x, &err) || !row_from_variant(target, "target", true, &t, &err)) {
        push_error(where, err);
        return ERR_INVALID_PARAMETER;
    }
    err = buffer.add(x.data(), x.size(), t.data(), t.size(), 1);
    if (!err.empty()) {
        push_error(where, err);
        return ERR_INVALID_PARAMETER;
    }
    return OK;
}

int64_t LKReplayBuffer::add_batch(const gd::Array& inputs, const gd::Array& targets) {
    const char* where = "LKReplayBuffer.add_batch";
    std::vector<float> X, T;
    uint32_t xw = 0, tw = 0;
    std::string err;
    if (!rows_to_matrix(inputs, "inputs", &xw, &X, &err) || !rows_to_matrix(targets, "targets", &tw, &T, &err)) {
        push_error(where, err);
        return ERR_INVALID_PARAMETER;
    }
    if (size_t(inputs.size()) != size_t(targets.size())) {
        push_error(where, str(inputs.size(), " input rows and ", targets.size(), " target rows: expected as many"));
        return ERR_INVALID_PARAMETER;
    }
    err = buffer.add(X.data(), xw, T.data(), tw, size_t(inputs.size()));
    if (!err.empty()) {
        push_error(where, err);
        return ERR_INVALID_PARAMETER;
    }
    return OK;
}

int64_t LKReplayBuffer::add_flat(const gd::PackedFloat32Array& inputs, const gd::PackedFloat32Array& targets,
                                 int64_t rows) {
    const char* where = "LKReplayBuffer.add_flat";
    if (rows < 1 || rows > int64_t(ReplayBuffer::kMaxCapacity)) {
        push_error(where, str("rows is ", rows, ": expected 1 to ", ReplayBuffer::kMaxCapacity));
        return ERR_INVALID_PARAMETER;
    }
    const int64_t nx = inputs.size(), nt = targets.size();
    if (nx == 0 || nt == 0 || nx % rows != 0 || nt % rows != 0) {
        push_error(where, str("inputs has ", nx, " values and targets ", nt, ": expected ", rows,
                              " rows of each (a positive multiple of rows values)"));
        return ERR_INVALID_PARAMETER;
    }
    const std::string err = buffer.add(inputs.data(), size_t(nx / rows), targets.data(), size_t(nt / rows), size_t(rows));
    if (!err.empty()) {
        push_error(where, err);
        return ERR_INVALID_PARAMETER;
    }
    return OK;
}

bool LKReplayBuffer::sample_flat(int64_t batch_size, uint64_t seed, std::vector<float>* X, std::vector<float>* T,
                                 const char* where) const {
    if (batch_size < 1 || batch_size > int64_t(ReplayBuffer::kMaxCapacity)) {
        push_error(where, str("batch_size is ", batch_size, ": expected 1 to ", ReplayBuffer::kMaxCapacity));
        return false;
    }
    if (buffer.size() == 0) {
        push_error(where, "the buffer is empty: add() pairs first");
        return false;
    }
    buffer.gather(buffer.sample_indices(size_t(batch_size), seed), X, T);
    return true;
}

gd::Dictionary LKReplayBuffer::sample(int64_t batch_size, int64_t seed) const {
    const char* where = "LKReplayBuffer.sample";
    gd::Dictionary out;
    std::vector<float> X, T;
    if (!sample_flat(batch_size, uint64_t(seed), &X, &T, where)) return out;
    gd::PackedInt32Array idx;
    const std::vector<uint32_t> indices = buffer.sample_indices(size_t(batch_size), uint64_t(seed));
    idx.resize(int64_t(indices.size()));
    for (size_t i = 0; i < indices.size(); ++i) idx.data()[i] = int32_t(indices[i]);
    out[gd::Variant("inputs")] = gd::Variant(matrix_to_rows(X, indices.size(), buffer.input_width()));
    out[gd::Variant("targets")] = gd::Variant(matrix_to_rows(T, indices.size(), buffer.target_width()));
    out[gd::Variant("indices")] = gd::Variant(idx);
    return out;
}

gd::Array LKReplayBuffer::get_inputs() const {
    gd::Array out;
    for (size_t i = 0; i < buffer.size(); ++i) out.push_back(gd::Variant(to_packed(buffer.input(i), buffer.input_width())));
    return out;
}

gd::Array LKReplayBuffer::get_targets() const {
    gd::Array out;
    for (size_t i = 0; i < buffer.size(); ++i) out.push_back(gd::Variant(to_packed(buffer.target(i), buffer.target_width())));
    return out;
}

}  // namespace lk::api
