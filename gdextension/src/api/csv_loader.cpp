// LearnKit.data.load_csv(): a CSV file (core/csv.hpp parses it) into input rows, labels or targets.
#include <algorithm>
#include <cmath>
#include <map>

#include "api/convert.hpp"
#include "api/data_files.hpp"
#include "api/learnkit_data.hpp"
#include "core/csv.hpp"
#include "core/f32.hpp"
#include "godot/log.hpp"

namespace lk::api {

namespace {

constexpr const char* kCsvOptions = "delimiter, header, label, classify, features";

// A column named by a String (the header's name) or an int (its index); -1 and *err when it names none.
int64_t column_of(const gd::Variant& v, const std::vector<std::string>& names, bool header, const char* what,
                  std::string* err) {
    int64_t i = 0;
    if (as_whole(v, &i)) {
        if (i >= 0 && i < int64_t(names.size())) return i;
        *err = str(what, " is column ", i, ": the file has columns 0 to ", names.size() - 1);
        return -1;
    }
    if (v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING && header) {
        const std::string name = v.as_string().utf8();
        const auto it = std::find(names.begin(), names.end(), name);
        if (it != names.end()) return int64_t(it - names.begin());
        std::string all;
        for (const std::string& n : names) all += str(all.empty() ? "" : ", ", "\"", n, "\"");
        *err = str(what, " is \"", name, "\": the header has ", all);
        return -1;
    }
    *err = str(what, " is ", v.describe(), header ? ": expected a column name or index" :
                                                    ": expected a column index (the file has no header)");
    return -1;
}

// Class ids for the label cells: sorted numerically when every cell is a number (so "10" follows "9", and "1"
// and "1.0" are one class), else by their text (sklearn's LabelEncoder order).
void encode_labels(const std::vector<std::string>& cells, std::vector<int64_t>* ids, gd::PackedStringArray* classes) {
    std::vector<double> values(cells.size());
    bool numeric = true;
    for (size_t i = 0; i < cells.size() && numeric; ++i) numeric = parse_number(cells[i], &values[i]);
    ids->resize(cells.size());
    if (numeric) {
        std::map<double, std::string> names;
        for (size_t i = 0; i < cells.size(); ++i) names.emplace(values[i], cells[i]);
        std::map<double, int64_t> id;
        for (const auto& [v, name] : names) {
            id[v] = int64_t(id.size());
            classes->push_back(gd::String(name));
        }
        for (size_t i = 0; i < cells.size(); ++i) (*ids)[i] = id[values[i]];
        return;
    }
    std::map<std::string, int64_t> id;
    for (const std::string& c : cells) id.emplace(c, 0);
    int64_t k = 0;
    for (auto& [name, v] : id) {
        v = k++;
        classes->push_back(gd::String(name));
    }
    for (size_t i = 0; i < cells.size(); ++i) (*ids)[i] = id[cells[i]];
}

}  // namespace

gd::Dictionary LearnKitData::load_csv(const gd::String& path, const gd::Dictionary& options) {
    const char* where = "data.load_csv";
    const std::string p = path.utf8();
    std::string err = unknown_option(options, kCsvOptions);
    if (!err.empty()) {
        push_error(where, err);
        return {};
    }
    gd::Variant delim_v(",") , header_v(true), label_v, classify_v(true), features_v;
    options.lookup(gd::Variant("delimiter"), &delim_v);
    options.lookup(gd::Variant("header"), &header_v);
    options.lookup(gd::Variant("label"), &label_v);
    options.lookup(gd::Variant("classify"), &classify_v);
    options.lookup(gd::Variant("features"), &features_v);
    const std::string delim = delim_v.get_type() == GDEXTENSION_VARIANT_TYPE_STRING ? delim_v.as_string().utf8() : "";
    if (delim.size() != 1 || delim[0] == '"' || delim[0] == '\n' || delim[0] == '\r') {
        push_error(where, str("option delimiter is ", delim_v.describe(),
                              ": expected one character (not a quote or a line break), e.g. \",\", \";\" or \"\\t\""));
        return {};
    }
    if (header_v.get_type() != GDEXTENSION_VARIANT_TYPE_BOOL || classify_v.get_type() != GDEXTENSION_VARIANT_TYPE_BOOL) {
        push_error(where, str("options header ", header_v.describe(), " and classify ", classify_v.describe(),
                              ": expected bools"));
        return {};
    }
    const bool header = header_v.as_bool(), classify = classify_v.as_bool();
    std::string text;
    std::vector<CsvRecord> records;
    // A res:// .csv imported as translations (Godot's default) is missing from an exported game: say which import
    // setting fixes it, as an error where the file is missing and as a warning in the project run, where it works.
    const std::string note = export_import_note(p);
    if (!read_file_bytes(path, &text, &err)) {
        push_error(where, str("\"", p, "\": ", err, note.empty() ? "" : ". ", note));
        return {};
    }
    if (!note.empty()) push_warning(where, str("\"", p, "\" will not be in an exported game: ", note));
    if (!(err = parse_csv(text, delim[0], &records)).empty()) {
        push_error(where, str("\"", p, "\": ", err));
        return {};
    }
    if (records.size() < (header ? 2u : 1u)) {
        push_error(where, str("\"", p, "\" has no data rows", header ? " after its header" : ""));
        return {};
    }
    const size_t width = records[0].fields.size();
    std::vector<std::string> names(width);
    for (size_t c = 0; c < width; ++c) names[c] = header ? records[0].fields[c] : std::to_string(c);
    for (const CsvRecord& r : records) {
        if (r.fields.size() != width) {
            push_error(where, str("\"", p, "\" line ", r.line, " has ", r.fields.size(), " fields, expected ", width,
                                  " (as line ", records[0].line, ")"));
            return {};
        }
    }
    int64_t label = -1;
    if (!label_v.is_nil() && (label = column_of(label_v, names, header, "option label", &err)) < 0) {
        push_error(where, str("\"", p, "\": ", err));
        return {};
    }
    std::vector<size_t> features;
    if (features_v.is_nil()) {
        for (size_t c = 0; c < width; ++c) {
            if (int64_t(c) != label) features.push_back(c);
        }
    } else if (features_v.get_type() == GDEXTENSION_VARIANT_TYPE_ARRAY) {
        const gd::Array f = features_v.as_array();
        for (int64_t k = 0; k < f.size(); ++k) {
            const int64_t c = column_of(f[k], names, header, str("features[", k, "]").c_str(), &err);
            if (c < 0 || c == label) {
                push_error(where, str("\"", p, "\": ", c < 0 ? err : str("features[", k, "] is the label column")));
                return {};
            }
            features.push_back(size_t(c));
        }
    } else {
        push_error(where, str("option features is ", features_v.describe(), ": expected an Array of column names or indices"));
        return {};
    }
    if (features.empty()) {
        push_error(where, str("\"", p, "\" has no feature columns (only the label)"));
        return {};
    }
    gd::Array inputs, targets;
    std::vector<std::string> label_cells;
    std::vector<float> row(features.size());
    for (size_t r = header ? 1 : 0; r < records.size(); ++r) {
        const CsvRecord& rec = records[r];
        for (size_t k = 0; k < features.size(); ++k) {
            const std::string& cell = rec.fields[features[k]];
            double v = 0.0;
            if (!parse_number(cell, &v) || !fits_f32(v) || !std::isfinite(to_f32(v))) {
                push_error(where, str("\"", p, "\" line ", rec.line, " column ", features[k], " (\"", names[features[k]],
                                      "\") is \"", cell, "\": expected a finite number (float32)"));
                return {};
            }
            row[k] = to_f32(v);
        }
        inputs.push_back(gd::Variant(to_packed(row.data(), row.size())));
        if (label < 0) continue;
        const std::string& cell = rec.fields[size_t(label)];
        double v = 0.0;
        if (cell.empty() || (!classify && (!parse_number(cell, &v) || !fits_f32(v)))) {
            push_error(where, str("\"", p, "\" line ", rec.line, " column ", label, " (the label \"", names[size_t(label)],
                                  "\") is \"", cell, "\": expected ", classify ? "a class name or number" : "a finite number"));
            return {};
        }
        if (classify) {
            label_cells.push_back(cell);
        } else {
            const float t = to_f32(v);
            targets.push_back(gd::Variant(to_packed(&t, 1)));
        }
    }
    gd::PackedStringArray columns;
    for (size_t c : features) columns.push_back(gd::String(names[c]));
    gd::Dictionary out;
    out[gd::Variant("inputs")] = gd::Variant(inputs);
    out[gd::Variant("columns")] = gd::Variant(columns);
    out[gd::Variant("rows")] = gd::Variant(inputs.size());
    if (label >= 0 && classify) {
        std::vector<int64_t> ids;
        gd::PackedStringArray classes;
        encode_labels(label_cells, &ids, &classes);
        gd::Array labels;
        for (int64_t id : ids) labels.push_back(gd::Variant(id));
        out[gd::Variant("labels")] = gd::Variant(labels);
        out[gd::Variant("classes")] = gd::Variant(classes);
    } else if (label >= 0) {
        out[gd::Variant("targets")] = gd::Variant(targets);
    }
    return out;
}

}  // namespace lk::api
