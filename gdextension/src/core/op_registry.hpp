// Ops by type name (ncnn-style): each op file registers a factory with LK_REGISTER_OP, so the model, files and
// the GDScript API can create any op kind from its name and settings without knowing the kind.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/op.hpp"

namespace lk {

// Builds an op from its settings; nullptr and *err (naming the op type and the bad setting) when invalid.
using OpFactory = std::unique_ptr<Op> (*)(const Attrs& attrs, std::string* err);

struct OpRegistration {
    OpRegistration(const char* type, OpFactory factory, const char* doc);
};

const OpFactory* find_op(const std::string& type);
std::vector<std::string> op_types();  // sorted, for messages and docs
std::unique_ptr<Op> make_op(const std::string& type, const Attrs& attrs, std::string* err);

}  // namespace lk

// In an op's .cpp: LK_REGISTER_OP(dense, make_dense, "fully connected ..."). The registration runs when the
// library loads (a static object), so linking the op's file is all it takes.
#define LK_REGISTER_OP(type, factory, doc) \
    static const ::lk::OpRegistration lk_op_registration_##type(#type, factory, doc)
