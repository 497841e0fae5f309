#include "core/split.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/rng.hpp"

namespace lk {

std::string split_sizes(size_t n, double validation, double test, size_t* n_validation, size_t* n_test) {
    const auto part = [n](double f) { return f > 0.0 ? size_t(std::ceil(f * double(n))) : size_t(0); };
    *n_validation = part(validation);
    *n_test = part(test);
    if (*n_validation + *n_test >= n) {
        return "the parts take " + std::to_string(*n_validation + *n_test) + " of " + std::to_string(n) +
               " rows (validation " + std::to_string(*n_validation) + ", test " + std::to_string(*n_test) +
               "): expected at least one row left for training";
    }
    return "";
}

namespace {

void shuffle(std::vector<uint32_t>* v, Rng* rng) {
    for (size_t i = v->size(); i > 1; --i) std::swap((*v)[i - 1], (*v)[rng->below(i)]);
}

// Splits `total` rows over classes of counts[c] in proportion, each at most cap[c]: floor of each quota, then
// one more to the largest remainders (ties: the larger class, then the lower class index).
std::vector<size_t> apportion(size_t total, size_t n, const std::vector<size_t>& counts,
                              const std::vector<size_t>& cap) {
    const size_t k = counts.size();
    std::vector<size_t> out(k);
    std::vector<double> rem(k);
    size_t given = 0;
    for (size_t c = 0; c < k; ++c) {
        const double q = double(counts[c]) * double(total) / double(n);
        out[c] = std::min(size_t(std::floor(q)), cap[c]);
        rem[c] = q - double(out[c]);
        given += out[c];
    }
    std::vector<size_t> order(k);
    std::iota(order.begin(), order.end(), size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return rem[a] != rem[b] ? rem[a] > rem[b] : counts[a] > counts[b];
    });
    while (given < total) {  // terminates: the caps sum to at least total
        bool any = false;
        for (size_t c : order) {
            if (given < total && out[c] < cap[c]) {
                ++out[c];
                ++given;
                any = true;
            }
        }
        if (!any) break;
    }
    return out;
}

}  // namespace

SplitParts split_rows(size_t n, size_t n_validation, size_t n_test, uint64_t seed, bool shuffle_rows,
                      const std::vector<int64_t>* labels) {
    SplitParts p;
    Rng rng(Rng::mix(seed, 0x5b117));
    if (!labels) {
        std::vector<uint32_t> order(n);
        std::iota(order.begin(), order.end(), 0u);
        if (shuffle_rows) shuffle(&order, &rng);
        const size_t n_train = n - n_validation - n_test;
        p.train.assign(order.begin(), order.begin() + long(n_train));
        p.validation.assign(order.begin() + long(n_train), order.begin() + long(n_train + n_validation));
        p.test.assign(order.begin() + long(n_train + n_validation), order.end());
        return p;
    }
    std::map<int64_t, std::vector<uint32_t>> by_class;
    for (size_t i = 0; i < n; ++i) by_class[(*labels)[i]].push_back(uint32_t(i));
    std::vector<std::vector<uint32_t>> rows;
    std::vector<size_t> counts;
    for (auto& [label, members] : by_class) {
        shuffle(&members, &rng);
        counts.push_back(members.size());
        rows.push_back(std::move(members));
    }
    const std::vector<size_t> test = apportion(n_test, n, counts, counts);
    std::vector<size_t> left(counts.size());
    for (size_t c = 0; c < counts.size(); ++c) left[c] = counts[c] - test[c];
    const std::vector<size_t> val = apportion(n_validation, n, counts, left);
    for (size_t c = 0; c < rows.size(); ++c) {
        const std::vector<uint32_t>& r = rows[c];
        p.test.insert(p.test.end(), r.begin(), r.begin() + long(test[c]));
        p.validation.insert(p.validation.end(), r.begin() + long(test[c]), r.begin() + long(test[c] + val[c]));
        p.train.insert(p.train.end(), r.begin() + long(test[c] + val[c]), r.end());
    }
    // Mix the classes within each part, so its order says nothing about the labels.
    shuffle(&p.train, &rng);
    shuffle(&p.validation, &rng);
    shuffle(&p.test, &rng);
    return p;
}

}  // namespace lk
